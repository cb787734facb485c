"""CPU time of PostgreSQL backends, for the in-process benches (`instructions.py`,
`loyalty_history.py`): which backends serve a database, and their CPU seconds from /proc
(PostgreSQL on this machine only)."""

import os

import asyncpg


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
