"""Kassa's benchmark: real server processes under wrk, next to the ceiling of this machine.

    .venv/bin/python bench/run.py [--duration 10] [--skip-sqlite] [--skip-postgres]

For each backend (SQLite with one server process, PostgreSQL with two) it starts `kassa serve`
on a fresh database, creates a bench event through the organiser API, and then, at concurrency
1, 8 and 32: reserves one random ticket per request for `--duration` seconds, and cancels the
orders just made, one DELETE each. Then a flash sale: 1,000 buyers at once for 100 tickets,
which must sell exactly 100. On PostgreSQL it also measures the ceiling from
../shared/bench/ceiling (the smallest possible reserve, `/cte`) in the same run and prints
Kassa's share of it. The load generator is wrk (C, one thread), so the client costs little CPU.

Results go to stdout and to bench/results/latest.md (a Markdown table to paste into
BENCHMARKS.md). Not a test: nothing here passes or fails on speed.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime as dt
import json
import os
import platform
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import asyncpg
import httpx

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
CEILING = ROOT.parent / "shared" / "bench" / "ceiling"
PYTHON = sys.executable
KASSA = str(Path(PYTHON).parent / "kassa")
PG_ADMIN = os.environ.get("BENCH_PG_URL", "postgresql://postgres@127.0.0.1:5432/test")
PG_BASE = PG_ADMIN.rsplit("/", 1)[0]

# The demo's public keys: the organiser creates the bench event, the partner (seller) buys.
ORG_KEY = "047bdb8bcee44d3693371920aaf9135c"
SELLER_KEY = "0123456789abcdef0123456789abcdef"
CONCURRENCY = (1, 8, 32)


@dataclass
class Run:
    backend: str
    what: str
    concurrency: int
    requests: int
    seconds: float
    non2xx: int
    errors: int
    p50_ms: float
    p95_ms: float
    p99_ms: float

    @property
    def rate(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_http(url: str, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(url, timeout=1.0).status_code == 200:
                return
        time.sleep(0.2)
    raise RuntimeError(f"{url} did not come up in {timeout}s")


@contextlib.contextmanager
def process(args: list[str], env: dict[str, str], cwd: Path, log: Path) -> Iterator[None]:
    with log.open("w") as out:
        proc = subprocess.Popen(
            args, env=env, cwd=cwd, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
        try:
            yield
        finally:
            os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()


def wrk(url: str, script: Path, concurrency: int, seconds: int, env: dict[str, str]) -> dict:
    """One wrk run of `script` (with stats.lua appended); its figures as a dict."""
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as lua:
        lua.write(script.read_text() + (BENCH / "stats.lua").read_text())
    cmd = ["wrk", "-t1", f"-c{concurrency}", f"-d{seconds}s", "--timeout", "10s", "-s", lua.name]
    out = subprocess.run(
        [*cmd, url],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    os.unlink(lua.name)
    line = next(x for x in out.splitlines() if x.startswith("BENCH "))
    return dict(json.loads(line[len("BENCH ") :]))


def to_run(backend: str, what: str, concurrency: int, raw: dict) -> Run:
    return Run(
        backend,
        what,
        concurrency,
        raw["requests"],
        raw["duration_us"] / 1e6,
        raw["non2xx"],
        raw["errors"],
        raw["p50_us"] / 1000,
        raw["p95_us"] / 1000,
        raw["p99_us"] / 1000,
    )


def pg_recreate(name: str) -> str:
    """Drop and create database `name`; returns its URL."""

    async def go() -> None:
        conn = await asyncpg.connect(PG_ADMIN)
        try:
            await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            await conn.execute(f'CREATE DATABASE "{name}"')
        finally:
            await conn.close()

    asyncio.run(go())
    return f"{PG_BASE}/{name}"


def make_event(base: str, capacity: int, sets: int = 1) -> tuple[str, list[str]]:
    """A public event on sale now with `sets` sets of `capacity` tickets; returns the ids."""
    headers = {"Authorization": f"key {ORG_KEY}"}
    now = dt.datetime.now(dt.UTC)
    # A new connection per request: a set of 60,000 tickets takes a while to create, and a
    # kept-alive connection the server closes meanwhile would fail the next request.
    limits = httpx.Limits(max_keepalive_connections=0)
    with httpx.Client(base_url=base, headers=headers, timeout=600, limits=limits) as client:
        event = client.post(
            "/v1/resources/events",
            json={
                "title": {"text": "Bench"},
                "lifetime": {
                    "start": (now + dt.timedelta(days=30)).isoformat(),
                    "finish": (now + dt.timedelta(days=30, hours=3)).isoformat(),
                },
                "status": "public",
            },
        )
        event.raise_for_status()
        event_id = event.json()["id"]
        set_ids = []
        for n in range(sets):
            made = client.post(
                f"/v1/resources/events/{event_id}/sets",
                json={"name": f"Set {n}", "price": "100.00", "amount": capacity},
            )
            made.raise_for_status()
            set_ids.append(made.json()["id"])
    return event_id, set_ids


async def flash_sale(base: str, event_id: str, set_id: str, buyers: int) -> dict:
    """`buyers` clients at once, one ticket each, for a set of 100."""
    limits = httpx.Limits(max_connections=buyers, max_keepalive_connections=buyers)
    headers = {"Authorization": f"key {SELLER_KEY}"}
    body = {"event": event_id, "random": {set_id: 1}}
    async with httpx.AsyncClient(base_url=base, headers=headers, limits=limits, timeout=120) as c:
        start = time.monotonic()
        statuses = await asyncio.gather(
            *(c.post("/v1/resources/orders", json=body) for _ in range(buyers)),
            return_exceptions=True,
        )
        elapsed = time.monotonic() - start
    # A fresh connection: the sale's idle keep-alive connections may be closed by now.
    async with httpx.AsyncClient(base_url=base, headers=headers, timeout=120) as c:
        sold = (
            await c.get(f"/v1/resources/events/{event_id}/tickets", params={"status": "reserved"})
        ).json()
    codes: dict[str, int] = {}
    for s in statuses:
        key = type(s).__name__ if isinstance(s, BaseException) else str(s.status_code)
        codes[key] = codes.get(key, 0) + 1
    return {"seconds": elapsed, "codes": codes, "reserved_tickets": len(sold)}


def bench_backend(
    backend: str, url: str, workers: int, seconds: int, tmp: Path
) -> tuple[list[Run], dict]:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = {
        **os.environ,
        "KASSA_DATABASE_URL": url,
        "KASSA_LOG_LEVEL": "warning",
    }
    runs: list[Run] = []
    log = tmp / f"server-{backend}.log"
    cmd = [KASSA, "serve", "--port", str(port), "--workers", str(workers)]
    with process(cmd, env, ROOT, log):
        wait_http(f"{base}/health")
        # Enough tickets that no run drains its set; each concurrency gets a set of its own.
        event_id, set_ids = make_event(base, capacity=60_000, sets=len(CONCURRENCY))
        for concurrency, set_id in zip(CONCURRENCY, set_ids, strict=True):
            ids = tmp / f"ids-{backend}-{concurrency}.txt"
            ids.unlink(missing_ok=True)
            ids.touch()
            wenv = {
                "KASSA_KEY": SELLER_KEY,
                "BENCH_EVENT": event_id,
                "BENCH_SET": set_id,
                "BENCH_IDS": str(ids),
            }
            raw = wrk(base, BENCH / "reserve.lua", concurrency, seconds, wenv)
            runs.append(to_run(backend, "reserve", concurrency, raw))
            print(fmt(runs[-1]), flush=True)
            # wrk's rate is over the whole -d duration, so the cancel run must not run out of
            # orders: it gets half the reserve run's time (cancels are not twice as fast).
            made = len(ids.read_text().split())
            raw = wrk(base, BENCH / "cancel.lua", concurrency, max(seconds // 2, 1), wenv)
            runs.append(to_run(backend, "cancel", concurrency, raw))
            if raw["requests"] >= made:
                runs[-1].what = "cancel (ran out: lower bound)"
            print(fmt(runs[-1]), flush=True)
        sale_event, (sale_set,) = make_event(base, capacity=100)
        sale = asyncio.run(flash_sale(base, sale_event, sale_set, 1000))
        print(f"{backend} flash sale: {json.dumps(sale)}", flush=True)
    return runs, sale


def ceiling(seconds: int, tmp: Path) -> Run:
    url = pg_recreate("kassa_bench_ceiling")
    subprocess.run(
        [PYTHON, "bare_sql.py", url, "8", "2"], cwd=CEILING, check=True, capture_output=True
    )
    port = free_port()
    env = {**os.environ, "DSN": url}
    cmd = [
        PYTHON,
        "-m",
        "uvicorn",
        "http_app:app",
        "--workers",
        "2",
        "--port",
        str(port),
        "--log-level",
        "warning",
        "--no-access-log",
    ]
    with process(cmd, env, CEILING, tmp / "ceiling.log"):
        wait_for_port(port)
        raw = wrk(f"http://127.0.0.1:{port}/cte", CEILING / "post.lua", 32, seconds, {})
    run = to_run("postgresql", "ceiling /cte", 32, raw)
    print(fmt(run), flush=True)
    return run


def wait_for_port(port: int, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.5):
            time.sleep(1.0)  # the workers finish starting behind the first one
            return
        time.sleep(0.2)
    raise RuntimeError(f"port {port} did not open")


def fmt(run: Run) -> str:
    return (
        f"{run.backend:10} {run.what:15} c={run.concurrency:<3} {run.rate:8.1f}/s "
        f"p50 {run.p50_ms:6.1f} ms  p95 {run.p95_ms:6.1f} ms  p99 {run.p99_ms:6.1f} ms  "
        f"({run.requests} requests, {run.non2xx} non-2xx, {run.errors} socket errors)"
    )


def report(runs: list[Run], sales: dict[str, dict], top: Run | None, seconds: int) -> str:
    lines = [
        f"Run {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC on {platform.node()} "
        f"({os.cpu_count()} CPUs, Python {platform.python_version()}), "
        f"`.venv/bin/python bench/run.py --duration {seconds}`",
        "",
        "| backend | what | concurrency | req/s | p50 ms | p95 ms | p99 ms | non-2xx "
        "| share of /cte |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for r in [*runs, *([top] if top else [])]:
        share = f"{100 * r.rate / top.rate:.0f} %" if top and r.backend == "postgresql" else ""
        lines.append(
            f"| {r.backend} | {r.what} | {r.concurrency} | {r.rate:.0f} | {r.p50_ms:.1f} | "
            f"{r.p95_ms:.1f} | {r.p99_ms:.1f} | {r.non2xx} | {share} |"
        )
    lines.append("")
    for backend, sale in sales.items():
        lines.append(
            f"Flash sale on {backend}: 1,000 buyers for 100 tickets in {sale['seconds']:.2f} s; "
            f"answers {sale['codes']}; tickets reserved afterwards: {sale['reserved_tickets']}."
        )
    return "\n".join(lines) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=int, default=10, help="seconds per wrk run")
    parser.add_argument("--skip-sqlite", action="store_true")
    parser.add_argument("--skip-postgres", action="store_true")
    args = parser.parse_args()
    if not shutil.which("wrk"):
        print("wrk is missing: apt-get install wrk", file=sys.stderr)
        return 2
    runs: list[Run] = []
    sales: dict[str, dict] = {}
    top = None
    with tempfile.TemporaryDirectory(prefix="kassa-bench-") as name:
        tmp = Path(name)
        try:
            if not args.skip_sqlite:
                got, sales["sqlite"] = bench_backend(
                    "sqlite", f"sqlite:///{tmp / 'bench.db'}", 1, args.duration, tmp
                )
                runs += got
            if not args.skip_postgres:
                top = ceiling(args.duration, tmp)
                url = pg_recreate("kassa_bench")
                got, sales["postgresql"] = bench_backend("postgresql", url, 2, args.duration, tmp)
                runs += got
        except Exception:
            for log in tmp.glob("*.log"):
                print(f"--- {log.name}\n{log.read_text()[-3000:]}", file=sys.stderr)
            raise
    text = report(runs, sales, top, args.duration)
    out = BENCH / "results" / "latest.md"
    out.parent.mkdir(exist_ok=True)
    out.write_text(text)
    print("\n" + text)
    print(f"written to {out.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
