"""What a loyalty checkout costs as a member's history grows, in-process (no server, no load).

    URL=postgresql://postgres@127.0.0.1:5432/kassa_hist
    PYTHONPATH=src .venv/bin/python bench/loyalty_history.py $URL 1000

Drops and creates the database (PostgreSQL; a `sqlite:///` URL replaces that file), migrates
it, seeds the demo data, and gives one member a history of `ORDERS` orders (default 500),
each applied (every other one spending bonuses) and confirmed through the loyalty API, the
app's clock moving a minute a request. The clock then moves two hours on, and rounds of 20
apply + confirm + cancel run for that member and for a new one, alternating (the clock again
moving a minute a request). Printed per operation, medians of the rounds after the first:
CPU time of this process, of the database's backends (PostgreSQL on this machine, read from
/proc), and the wall time. Runs against older code too (PYTHONPATH), to compare.
`PROFILE="long history: apply"` (a row's name) also runs cProfile over that step's rounds
into /tmp/profile-history.out.
"""

import asyncio
import cProfile
import gc
import os
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import faces
from inprocess import backends, cpu_seconds, fresh_database

from kassa.app import demo
from kassa.config import Settings
from kassa.server import create_app
from kassa.store.db import Database

URL = sys.argv[1]
ORDERS = int(sys.argv[2]) if len(sys.argv) > 2 else 500
ROUND = 20
# e.g. "long history: apply": cProfile that step's rounds into /tmp/profile-history.out
PROFILE = os.environ.get("PROFILE")
profiler = cProfile.Profile()
CART = [
    {"product_id": "coffee", "price": 250, "quantity": 1},
    {"product_id": "cake", "price": 180, "quantity": 2},
]


class Clock:
    def __init__(self) -> None:
        self.now = datetime.now(UTC)

    def __call__(self) -> datetime:
        return self.now


class Till:
    """The loyalty checkout calls of one run, through the app."""

    def __init__(self, h: httpx.AsyncClient, clock: Clock) -> None:
        self.h, self.clock, self.numbers = h, clock, iter(range(10**9))

    async def call(self, name: str, body: dict[str, Any]) -> None:
        r = await self.h.post(f"/loyalty/checkout/{name}", json={**faces.SHOP, **body})
        assert r.status_code == 200, r.text
        self.clock.now += timedelta(minutes=1)

    async def order(self, member: dict[str, str], charge: bool) -> str:
        order_id = f"O-{next(self.numbers)}"
        body = {**member, "order_id": order_id, "cart_items": CART}
        await self.call("apply", {**body, "charge_bonuses": charge, "bonuses_amount": 5})
        return order_id


async def rounds(till: Till, pids: list[int], members: dict[str, dict[str, str]]) -> dict[str, Any]:
    """Per row name, a (process, backends, wall) ms per operation of each round but the first."""
    figures: dict[str, list[tuple[float, ...]]] = {}
    for n in range(7):
        for label, member in members.items():
            made: list[str] = []
            for step in ("apply", "confirm", "cancel"):
                gc.collect()
                profiled = n and f"{label}: {step}" == PROFILE
                if profiled:
                    profiler.enable()
                before = (time.process_time(), cpu_seconds(pids), time.perf_counter())
                for i in range(ROUND):
                    if step == "apply":
                        made.append(await till.order(member, i % 2 == 0))
                    else:
                        await till.call(step, {"order_id": made[i]})
                after = (time.process_time(), cpu_seconds(pids), time.perf_counter())
                if profiled:
                    profiler.disable()
                if n:  # the first round warms up (and keeps the older entries folded)
                    per_op = tuple((after[k] - before[k]) / ROUND * 1000 for k in range(3))
                    figures.setdefault(f"{label}: {step}", []).append(per_op)
    return figures


async def main() -> None:
    await fresh_database(URL)
    clock = Clock()
    db = Database(URL)
    await demo.seed(db, clock())
    app = create_app(Settings(database_url=URL), db=db, clock=clock)
    transport = httpx.ASGITransport(app=app)
    members = {"long history": {"identifier": "79995550001"}}
    members["new member"] = {"identifier": "79995550002"}
    async with httpx.AsyncClient(transport=transport, base_url="http://k") as h:
        till = Till(h, clock)
        for member in members.values():
            r = await h.post("/loyalty/members/join", json={**faces.SHOP, **member})
            assert r.status_code in (200, 201), r.text
        started = time.perf_counter()
        for n in range(ORDERS):
            await till.call(
                "confirm", {"order_id": await till.order(members["long history"], n % 2 == 0)}
            )
        built = time.perf_counter() - started
        clock.now += timedelta(hours=2)
        figures = await rounds(till, await backends(URL), members)
    await db.dispose()
    if PROFILE:
        profiler.dump_stats("/tmp/profile-history.out")
    print(f"history of {ORDERS} orders built in {built:.1f} s")
    print(f"{'per operation, ms':28} {'process':>8} {'backend':>8} {'wall':>8}")
    for what, found in figures.items():
        python, backend, wall = (statistics.median(r[i] for r in found) for i in range(3))
        print(f"{what:28} {python:8.2f} {backend:8.2f} {wall:8.2f}")


asyncio.run(main())
