"""The console's orders list on a big organisation: 100,000 ticket orders and 20,000 delivery
orders, then the list's queries timed through the same code the page uses.

    .venv/bin/python bench/console_orders.py [--orders 100000] [--backend postgresql|sqlite]

A fresh database each run (PostgreSQL: a new database next to `test`, dropped at the end;
SQLite: a temporary file). Rows are inserted in bulk, the database is ANALYZEd, then every query
runs 30 times; the median and the 95th percentile are printed as a Markdown table. Not a test:
nothing here passes or fails on speed.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg
from sqlalchemy import insert, text

from kassa.app import console, demo
from kassa.core.console import OrderFilter
from kassa.store.db import Database
from kassa.store.migrate import upgrade
from kassa.store.tables import delivery_orders, orders

ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/test"
RUNS = 30


async def fill(db: Database, count: int, now: datetime) -> dict[str, Any]:
    rng = random.Random(7)
    statuses = ["executed", "in_progress", "done", "done", "done", "canceled", "expired"]
    picked: dict[str, Any] = {}
    batch: list[dict[str, Any]] = []
    async with db.engine.begin() as conn:
        for i in range(count):
            created = now - timedelta(minutes=rng.randrange(90 * 24 * 60))
            email = f"buyer{i}@example.com"
            row = {
                "id": uuid.uuid4().hex[:24],
                "event_id": demo.EVENT_ID,
                "org_id": demo.ORG_ID,
                "vendor_id": demo.ORG_ID,
                "status": rng.choice(statuses),
                "origin": "api",
                "customer": {"email": email, "phone": f"7999{i:07d}"},
                "payment": {},
                "created_at": created,
                "updated_at": created,
                "reserved_till": created + timedelta(minutes=10),
            }
            batch.append(row)
            if i == count // 2:
                picked = {"email": email, "phone": f"+7999{i:07d}", "id": row["id"]}
            if len(batch) == 5000:
                await conn.execute(insert(orders), batch)
                batch = []
        if batch:
            await conn.execute(insert(orders), batch)
        deliveries = []
        for i in range(count // 5):
            created = now - timedelta(minutes=rng.randrange(90 * 24 * 60))
            deliveries.append(
                {
                    "id": uuid.uuid4().hex[:24],
                    "org_id": demo.ORG_ID,
                    "restaurant_id": demo.RESTAURANT_ID,
                    "eats_id": f"{i:06d}-{rng.randrange(10**8):08d}",
                    "discriminator": "yandex",
                    "status": rng.choice(["NEW", "COOKING", "DELIVERED", "CANCELLED"]),
                    "request": {"deliveryInfo": {"phoneNumber": f"+7988{i:07d}"}},
                    "lines": [],
                    "dropped": [],
                    "created_at": created,
                    "updated_at": created,
                }
            )
            if len(deliveries) == 5000:
                await conn.execute(insert(delivery_orders), deliveries)
                deliveries = []
        if deliveries:
            await conn.execute(insert(delivery_orders), deliveries)
        number = (
            await conn.execute(text("SELECT number FROM orders WHERE id = :id"), picked)
        ).scalar_one()
        picked["number"] = str(number)
        await conn.execute(text("ANALYZE"))
    return picked


async def measure(db: Database, f: OrderFilter, page: int) -> tuple[float, float, int]:
    times = []
    rows = 0
    for _ in range(RUNS):
        started = time.perf_counter()
        found = await console.search(db, f, page)
        times.append((time.perf_counter() - started) * 1000)
        rows = len(found.rows)
    times.sort()
    return statistics.median(times), times[int(len(times) * 0.95) - 1], rows


async def run(url: str, count: int) -> list[str]:
    db = Database(url, pool_size=2)
    now = datetime.now(UTC)
    try:
        await demo.seed(db, now)
        started = time.perf_counter()
        picked = await fill(db, count, now)
        loaded = time.perf_counter() - started
        org = demo.ORG_ID
        cases = {
            "first page, all faces": (OrderFilter(org), 1),
            "page 20, all faces": (OrderFilter(org), 20),
            "by number": (OrderFilter(org, query=picked["number"]), 1),
            "by buyer e-mail": (OrderFilter(org, query=picked["email"]), 1),
            "by buyer phone": (OrderFilter(org, query=picked["phone"]), 1),
            "status cancelled": (OrderFilter(org, stage="cancelled"), 1),
            "event + last 7 days": (
                OrderFilter(org, event_id=demo.EVENT_ID, since=now - timedelta(days=7)),
                1,
            ),
        }
        lines = [
            f"{count:,} ticket orders + {count // 5:,} delivery orders loaded in {loaded:.1f} s",
            "",
            "| query | median ms | p95 ms | rows |",
            "|---|---:|---:|---:|",
        ]
        for name, (f, page) in cases.items():
            median, p95, rows = await measure(db, f, page)
            lines.append(f"| {name} | {median:.1f} | {p95:.1f} | {rows} |")
        return lines
    finally:
        await db.dispose()


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--orders", type=int, default=100_000)
    parser.add_argument("--backend", choices=["postgresql", "sqlite"], default="postgresql")
    args = parser.parse_args()
    if args.backend == "sqlite":
        with tempfile.TemporaryDirectory() as folder:
            url = f"sqlite:///{Path(folder) / 'bench.db'}"
            upgrade(url)
            lines = await run(url, args.orders)
    else:
        name = f"kassa_bench_{uuid.uuid4().hex[:8]}"
        admin = await asyncpg.connect(ADMIN_URL)
        await admin.execute(f'CREATE DATABASE "{name}"')
        url = ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
        try:
            upgrade(url)
            lines = await run(url, args.orders)
        finally:
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            await admin.close()
    print(f"## Console orders list ({args.backend})\n")
    print("\n".join(lines))


if __name__ == "__main__":
    asyncio.run(main())
