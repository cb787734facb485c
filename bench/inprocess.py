"""Helpers of the in-process benches (`instructions.py`, `loyalty_history.py`): a fresh,
migrated database; which PostgreSQL backends serve it, and their CPU seconds from /proc
(PostgreSQL on this machine only)."""

import os
from pathlib import Path

import asyncpg

from kassa.store.migrate import upgrade


async def fresh_database(url: str) -> None:
    """Drop and create the database of `url` (PostgreSQL; a SQLite file is removed), then
    migrate it."""
    if url.startswith("sqlite"):
        Path(url.split("///", 1)[1]).unlink(missing_ok=True)
    else:
        admin = await asyncpg.connect(url.rsplit("/", 1)[0] + "/test")
        name = url.rsplit("/", 1)[1]
        await admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        await admin.execute(f"CREATE DATABASE {name}")
        await admin.close()
    upgrade(url)


async def backends(url: str) -> list[int]:
    """The client backends connected to the database of `url`, other than the one asking."""
    if not url.startswith("postgresql"):
        return []
    lister = await asyncpg.connect(url)
    try:
        rows = await lister.fetch(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
            "AND backend_type = 'client backend' AND pid <> pg_backend_pid()"
        )
    finally:
        await lister.close()
    return [row[0] for row in rows]


def cpu_seconds(pids: list[int]) -> float:
    """CPU seconds (user and system) of these processes so far, from /proc."""
    total = 0
    for pid in pids:
        with open(f"/proc/{pid}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
        total += int(fields[11]) + int(fields[12])
    return total / os.sysconf("SC_CLK_TCK")
