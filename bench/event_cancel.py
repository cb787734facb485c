"""Whole-event cancellation's throughput: orders a `kassa worker` cancels per second.

An event gets `orders` orders through the v2 face (one ticket each, every other one paid, each
with a buyer's e-mail); then one `kassa worker` is started, the organiser cancels the event
through Kassa's API, and the job is polled until done. The time is from the API call to the
job's end; CPU is the worker's process group and the PostgreSQL backends of the database.
"""

from __future__ import annotations

import asyncio
import os
import time
from pathlib import Path

import httpx
from load import CpuMeter

ORG = {"Authorization": "key 047bdb8bcee44d3693371920aaf9135c"}
SELLER = {"Authorization": "key 0123456789abcdef0123456789abcdef"}
PLACERS = 8


async def place_orders(base: str, event_id: str, set_id: str, orders: int) -> None:
    """`orders` orders, 8 at a time, every other one paid."""
    numbers = iter(range(orders))

    async def placer() -> None:
        async with httpx.AsyncClient(base_url=base, headers=SELLER, timeout=60) as http:
            for n in numbers:
                body = {
                    "event": event_id,
                    "random": {set_id: 1},
                    "settings": {"customer": {"email": f"b{n}@example.org", "name": "B"}},
                }
                made = await http.post("/v2/resources/orders", json=body)
                made.raise_for_status()
                if n % 2 == 0:
                    order_id = made.json()["data"]["id"]
                    paid = await http.patch(
                        f"/v2/resources/orders/{order_id}", json={"status": "done"}
                    )
                    paid.raise_for_status()

    await asyncio.gather(*(placer() for _ in range(PLACERS)))


async def cancel_event(
    base: str, event_id: str, worker_pgid: int, database: str | None
) -> tuple[dict, float, dict[str, float]]:
    """Start the cancellation, poll it until done; the job, the seconds, the CPU used."""
    meter = CpuMeter(worker_pgid, database)
    await meter.start()
    url = f"/api/v1/events/{event_id}/cancellation"
    async with httpx.AsyncClient(base_url=base, headers=ORG, timeout=60) as http:
        began = time.monotonic()
        started = await http.post(url, json={"reason": "bench", "policy": "full_refund"})
        started.raise_for_status()
        while True:
            job = (await http.get(url)).json()
            if job["status"] == "done":
                break
            await asyncio.sleep(0.1)  # polling the worker's progress
        took = time.monotonic() - began
    return job, took, await meter.stop()


def worker_env(url: str) -> dict[str, str]:
    return {
        **os.environ,
        "KASSA_DATABASE_URL": url,
        "KASSA_LOG_LEVEL": "warning",
        "KASSA_WORKER_INTERVAL_SECONDS": "0.1",
    }


def worker_log(tmp: Path, backend: str) -> Path:
    return tmp / f"worker-{backend}.log"


def main() -> int:
    """`bench/event_cancel.py [--orders N] [--skip-sqlite] [--skip-postgres]`: only this row,
    on databases of its own (`kassa_bench_event_cancel` on PostgreSQL)."""
    import argparse
    import tempfile

    import run

    parser = argparse.ArgumentParser(description="whole-event cancellation, orders per second")
    parser.add_argument("--orders", type=int, default=2000)
    parser.add_argument("--skip-sqlite", action="store_true")
    parser.add_argument("--skip-postgres", action="store_true")
    args = parser.parse_args()
    opts = run.Options(0, (), 0, 0, args.orders)
    with tempfile.TemporaryDirectory(prefix="kassa-bench-") as name:
        tmp = Path(name)
        targets = [] if args.skip_sqlite else [("sqlite", f"sqlite:///{tmp / 'bench.db'}", 1)]
        if not args.skip_postgres:
            url = run.pg_recreate("kassa_bench_event_cancel")
            targets.append(("postgresql", url, 2))
        for backend, url, workers in targets:
            print(f"load average {run.load_average()}", flush=True)
            asyncio.run(run.bench_backend(backend, url, workers, opts, tmp))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
