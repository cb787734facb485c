"""Kassa's benchmark: real server processes under wrk, next to the ceiling of this machine.

    .venv/bin/python bench/run.py [--duration 10] [--skip-sqlite] [--skip-postgres]

For each backend (SQLite with one server process, PostgreSQL with two) it starts `kassa serve`
on a fresh database, creates a bench event through the organiser API, and then, at concurrency
1, 8 and 32: reserves one random ticket per request for `--duration` seconds, and cancels the
orders just made, one DELETE each; then every face's hot path (bench/faces.py). Then a flash
sale: `--buyers` (400) buyers at once for 100 tickets, which must sell exactly 100. On
PostgreSQL it also measures the ceiling from ../shared/bench/ceiling (the smallest possible
reserve, `/cte`, and `/multi`, its reserve of four round trips) in the same run and prints
Kassa's share of it, and each operation's CPU against the ceiling's reserve of as many round
trips. The load generator is wrk (C, one thread), so the client costs little CPU.

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
import resource
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import asyncpg
import httpx
from event_cancel import cancel_event, place_orders, worker_env, worker_log
from faces import ROUND_TRIPS, all_faces
from load import Connection, CpuMeter, Outcome
from load import request as load_request

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
    workers: int = 1
    cpu_server_s: float = 0.0
    cpu_db_s: float = 0.0
    client_cpu_s: float = 0.0

    @property
    def rate(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    @property
    def ok(self) -> int:
        return max(self.requests - self.non2xx, 0)

    @property
    def cpu_ms(self) -> float:
        """Server CPU (its processes and its PostgreSQL backends) per successful operation."""
        return 1000 * (self.cpu_server_s + self.cpu_db_s) / self.ok if self.ok else 0.0

    @property
    def db_ms(self) -> float:
        """Of `cpu_ms`, the PostgreSQL backends' part."""
        return 1000 * self.cpu_db_s / self.ok if self.ok else 0.0

    @property
    def client_ms(self) -> float:
        return 1000 * self.client_cpu_s / self.requests if self.requests else 0.0


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_http(url: str, timeout: float = 180.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(url, timeout=1.0).status_code == 200:
                return
        time.sleep(0.2)
    raise RuntimeError(f"{url} did not come up in {timeout}s")


@contextlib.contextmanager
def process(args: list[str], env: dict[str, str], cwd: Path, log: Path) -> Iterator[int]:
    """Run `args` in a session of its own; yields its pid, which is its process group too."""
    with log.open("w") as out:
        proc = subprocess.Popen(
            args, env=env, cwd=cwd, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
        try:
            yield proc.pid
        finally:
            os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()


async def wrk(
    url: str, script: Path, concurrency: int, seconds: int, env: dict[str, str], meter: CpuMeter
) -> tuple[dict, dict[str, float], float]:
    """One wrk run of `script` (with stats.lua appended): its figures, the server's CPU
    seconds and wrk's own CPU seconds."""
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as lua:
        lua.write(script.read_text() + (BENCH / "stats.lua").read_text())
    cmd = ["wrk", "-t1", f"-c{concurrency}", f"-d{seconds}s", "--timeout", "10s", "-s", lua.name]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    await meter.start()
    proc = await asyncio.create_subprocess_exec(
        *cmd, url, env={**os.environ, **env}, stdout=asyncio.subprocess.PIPE
    )
    raw_out, _ = await proc.communicate()
    cpu = await meter.stop()
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    os.unlink(lua.name)
    out = raw_out.decode()
    line = next(x for x in out.splitlines() if x.startswith("BENCH "))
    client = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return dict(json.loads(line[len("BENCH ") :])), cpu, client


def to_run(
    backend: str,
    what: str,
    concurrency: int,
    raw: dict,
    cpu: dict[str, float],
    client: float,
    workers: int,
) -> Run:
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
        workers,
        cpu["server"],
        cpu["db"],
        client,
    )


def from_outcome(
    backend: str, what: str, concurrency: int, out: Outcome, cpu: dict[str, float], workers: int
) -> Run:
    return Run(
        backend,
        what,
        concurrency,
        len(out.latencies_ms),
        out.seconds,
        out.non2xx,
        out.errors,
        out.percentile(50),
        out.percentile(95),
        out.percentile(99),
        workers,
        cpu["server"],
        cpu["db"],
        out.client_cpu_s,
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


async def flash_sale(port: int, event_id: str, set_id: str, buyers: int) -> dict:
    """`buyers` clients at once, one ticket each, for a set of 100, on connections opened
    beforehand. First the same burst on GET /health (what the client and HTTP alone cost, and
    every connection accepted by a worker), then the sale, timed from the first request
    written to the last answer read."""
    conns = [Connection("127.0.0.1", port) for _ in range(buyers)]
    await asyncio.gather(*(c.open() for c in conns))
    health = load_request("GET", "/health", {})
    start = time.perf_counter()
    await asyncio.gather(*(c.send(health) for c in conns))
    idle = time.perf_counter() - start
    headers = {"Authorization": f"key {SELLER_KEY}"}
    body = {"event": event_id, "random": {set_id: 1}}
    raw = load_request("POST", "/v1/resources/orders", headers, body)
    latencies: list[float] = []
    reopened = 0

    async def buy(conn: Connection) -> int:
        nonlocal reopened
        try:
            answer = await conn.send(raw)
        except (OSError, asyncio.IncompleteReadError):  # the server closed it meanwhile
            reopened += 1
            await conn.close()
            answer = await conn.send(raw)
        latencies.append(time.perf_counter() - start)
        return answer.status

    cpu0 = time.process_time()
    start = time.perf_counter()
    statuses = await asyncio.gather(*(buy(c) for c in conns), return_exceptions=True)
    elapsed = time.perf_counter() - start
    client_cpu = time.process_time() - cpu0
    await asyncio.gather(*(c.close() for c in conns))
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", headers=headers) as c:
        sold = (
            await c.get(f"/v1/resources/events/{event_id}/tickets", params={"status": "reserved"})
        ).json()
    codes: dict[str, int] = {}
    for s in statuses:
        key = type(s).__name__ if isinstance(s, BaseException) else str(s)
        codes[key] = codes.get(key, 0) + 1
    return {
        "buyers": buyers,
        "seconds": elapsed,
        "slowest_answer_s": max(latencies, default=0.0),
        "client_cpu_s": client_cpu,
        "health_burst_s": idle,
        "reopened": reopened,
        "codes": codes,
        "reserved_tickets": len(sold),
    }


@dataclass
class Options:
    seconds: int
    concurrency: tuple[int, ...]
    buyers: int
    faces_ops: int  # 0: no faces
    event_orders: int = 0  # 0: no whole-event cancellation


async def bench_backend(
    backend: str,
    url: str,
    workers: int,
    opts: Options,
    tmp: Path,
    settings: dict[str, str] | None = None,
) -> tuple[list[Run], dict | None]:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = {
        **os.environ,
        "KASSA_DATABASE_URL": url,
        "KASSA_LOG_LEVEL": "warning",
        **(settings or {}),
    }
    runs: list[Run] = []
    log = tmp / f"server-{backend}-{workers}.log"
    cmd = [KASSA, "serve", "--port", str(port), "--workers", str(workers)]
    database = url.rsplit("/", 1)[1] if backend == "postgresql" else None
    with process(cmd, env, ROOT, log) as pid:
        await asyncio.to_thread(wait_http, f"{base}/health")
        meter = CpuMeter(pid, database)
        # Enough tickets that no run drains its set; each concurrency gets a set of its own.
        sets = len(opts.concurrency) + 1
        event_id, set_ids = "", []
        if opts.concurrency or opts.faces_ops:  # bench/event_cancel.py alone needs neither
            event_id, set_ids = await asyncio.to_thread(make_event, base, 60_000, sets)
        for concurrency, set_id in zip(opts.concurrency, set_ids, strict=False):
            runs += await reserve_and_cancel(
                backend, base, workers, event_id, set_id, concurrency, opts, meter, tmp
            )
        if opts.faces_ops:
            measured = await all_faces(
                "127.0.0.1", port, meter, opts.faces_ops, 32, (event_id, set_ids[-1])
            )
            for m in measured:
                runs.append(from_outcome(backend, m.what, 32, m.outcome, m.cpu, workers))
                print(fmt(runs[-1]), flush=True)
        if opts.event_orders:
            runs.append(await event_cancellation(backend, base, url, workers, opts, tmp))
            print(fmt(runs[-1]), flush=True)
        sale = None
        if opts.buyers:
            sale_event, (sale_set,) = await asyncio.to_thread(make_event, base, 100)
            sale = await flash_sale(port, sale_event, sale_set, opts.buyers)
            print(f"{backend} flash sale: {json.dumps(sale)}", flush=True)
    return runs, sale


async def event_cancellation(
    backend: str, base: str, url: str, workers: int, opts: Options, tmp: Path
) -> Run:
    """A whole event of `opts.event_orders` orders cancelled by one `kassa worker`: its rate
    is orders per second (bench/event_cancel.py)."""
    event_id, (set_id,) = await asyncio.to_thread(make_event, base, opts.event_orders)
    await place_orders(base, event_id, set_id, opts.event_orders)
    database = url.rsplit("/", 1)[1] if backend == "postgresql" else None
    cmd = [KASSA, "worker"]
    with process(cmd, worker_env(url), ROOT, worker_log(tmp, backend)) as pid:
        job, took, cpu = await cancel_event(base, event_id, pid, database)
    done = job["cancelled"]
    what = f"event cancellation ({done} orders)"
    return Run(backend, what, 1, done, took, job["failed"], 0, 0, 0, 0, 1, cpu["server"], cpu["db"])


async def reserve_and_cancel(
    backend: str,
    base: str,
    workers: int,
    event_id: str,
    set_id: str,
    concurrency: int,
    opts: Options,
    meter: CpuMeter,
    tmp: Path,
) -> list[Run]:
    ids = tmp / f"ids-{backend}-{workers}-{concurrency}.txt"
    ids.unlink(missing_ok=True)
    ids.touch()
    wenv = {
        "KASSA_KEY": SELLER_KEY,
        "BENCH_EVENT": event_id,
        "BENCH_SET": set_id,
        "BENCH_IDS": str(ids),
    }
    raw, cpu, client = await wrk(
        base, BENCH / "reserve.lua", concurrency, opts.seconds, wenv, meter
    )
    runs = [to_run(backend, "reserve", concurrency, raw, cpu, client, workers)]
    print(fmt(runs[-1]), flush=True)
    # wrk's rate is over the whole -d duration, so the cancel run must not run out of orders:
    # it gets half the reserve run's time (cancels are not twice as fast).
    made = len(ids.read_text().split())
    seconds = max(opts.seconds // 2, 1)
    raw, cpu, client = await wrk(base, BENCH / "cancel.lua", concurrency, seconds, wenv, meter)
    runs.append(to_run(backend, "cancel", concurrency, raw, cpu, client, workers))
    if raw["requests"] >= made:
        runs[-1].what = "cancel (ran out: lower bound)"
    print(fmt(runs[-1]), flush=True)
    return runs


# The ceiling's app under `kassa serve`'s supervisor: two workers, a socket of each one's own
# (kassa.cli.workers), where uvicorn's shared socket gives nearly every connection to one.
BALANCED = (
    "import sys, uvicorn; from kassa.cli import workers; workers.run(uvicorn.Config("
    "'http_app:app', port=int(sys.argv[1]), workers=2, log_level='warning', access_log=False))"
)


# The ceiling's `/multi` is its reserve of several round trips: asyncpg sends BEGIN, the
# UPDATE of the set row, the INSERT of the order and COMMIT, each waiting for its answer.
MULTI_ROUND_TRIPS = 4
# What the ceiling runs: `/cte` at c=32 (the ceiling), then `/multi` at c=32, then both at
# c=8, where `/multi`'s one row is not yet contended: their difference is the cost of its
# three further round trips, with no lock waits in it (`equal_trips`).
CEILING_LOADS = (("/cte", 32), ("/multi", 32), ("/cte", 8), ("/multi", 8))


async def ceiling(
    seconds: int,
    tmp: Path,
    loads: Sequence[tuple[str, int]] = (("/cte", 32),),
    *,
    balanced: bool = False,
) -> list[Run]:
    """The ceiling as ../shared/bench/ceiling runs it (uvicorn --workers 2), a wrk run for
    each (path, concurrency) of `loads` on one server; `balanced`: the same app with a
    listening socket per worker, as `kassa serve --workers 2` has. `/multi` is its reserve
    of `MULTI_ROUND_TRIPS` round trips, `/cte` its reserve of one."""
    url = await asyncio.to_thread(pg_recreate, "kassa_bench_ceiling")
    setup = await asyncio.create_subprocess_exec(
        PYTHON, "bare_sql.py", url, "8", "2", cwd=CEILING, stdout=asyncio.subprocess.DEVNULL
    )
    if await setup.wait():
        raise RuntimeError("bare_sql.py failed")
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
    if balanced:
        cmd = [PYTHON, "-c", BALANCED, str(port)]
    runs = []
    with process(cmd, env, CEILING, tmp / "ceiling.log") as pid:
        await asyncio.to_thread(wait_for_port, port)
        meter = CpuMeter(pid, "kassa_bench_ceiling")
        for path, concurrency in loads:
            target = f"http://127.0.0.1:{port}{path}"
            lua = CEILING / "post.lua"
            raw, cpu, client = await wrk(target, lua, concurrency, seconds, {}, meter)
            what = f"ceiling {path}, socket per worker" if balanced else f"ceiling {path}"
            if path == "/multi":
                what += f" ({MULTI_ROUND_TRIPS} round trips)"
            runs.append(to_run("postgresql", what, concurrency, raw, cpu, client, 2))
            print(fmt(runs[-1]), flush=True)
    return runs


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
        f"{run.backend:10} w={run.workers} {run.what:28} c={run.concurrency:<3} "
        f"{run.rate:7.1f}/s p50 {run.p50_ms:6.1f} p95 {run.p95_ms:6.1f} p99 {run.p99_ms:6.1f} ms "
        f"cpu {run.cpu_ms:5.2f} ms/op (pg {run.db_ms:4.2f}, client {run.client_ms:4.2f}) "
        f"({run.requests} requests, {run.non2xx} non-2xx, {run.errors} socket errors)"
    )


def load_average() -> str:
    with contextlib.suppress(OSError):
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    return "?"


def trip_cost(runs: Sequence[Run]) -> float | None:
    """CPU ms of one further round trip of the ceiling's reserve: `/multi` less `/cte`, both
    at c=8 (`CEILING_LOADS`), over `/multi`'s further round trips."""
    at8 = {r.what.split(" ", 2)[1]: r.cpu_ms for r in runs if r.concurrency == 8}
    if not (at8.get("/cte") and at8.get("/multi")):
        return None
    return (at8["/multi"] - at8["/cte"]) / (MULTI_ROUND_TRIPS - 1)


def equal_trips(run: Run, top: Run | None, step: float | None) -> str:
    """`run`'s CPU per operation against the ceiling's reserve of as many round trips: `/cte`'s
    CPU at c=32 (one round trip) and `step` (`trip_cost`) for each further one; "" when a
    figure is missing."""
    name = run.what.split(" (", 1)[0]  # an A/B run's name ends in " (SETTING=value)"
    trips = ROUND_TRIPS.get(name, ("", 0))[1]
    if run.backend != "postgresql" or not (top and top.cpu_ms and trips) or step is None:
        return ""
    budget = top.cpu_ms + (trips - 1) * step
    return f"{run.cpu_ms / budget:.1f}x of {budget:.2f} ({trips})"


def report(
    runs: list[Run],
    sales: dict[str, dict],
    top: Run | None,
    command: str,
    loads: list[str],
    step: float | None = None,
) -> str:
    lines = [
        f"Run {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC on {platform.node()} "
        f"({os.cpu_count()} CPUs, Python {platform.python_version()}), `{command}`; "
        f"load average before each backend: {', '.join(loads)}",
        "",
        "CPU ms/op: CPU time of the server's processes and of its PostgreSQL backends, per "
        "successful operation (client: the load generator's own CPU per request).",
        "",
        "| backend | workers | what | c | req/s | p50 ms | p95 ms | p99 ms | non-2xx "
        "| CPU ms/op | of it PG | client ms/op | share of /cte | CPU vs /cte "
        "| CPU vs ceiling of equal round trips |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in [*runs, *([top] if top else [])]:
        pg = top is not None and r.backend == "postgresql"
        share = f"{100 * r.rate / top.rate:.0f} %" if pg and top is not None else ""
        versus = f"{r.cpu_ms / top.cpu_ms:.1f}x" if pg and top is not None and top.cpu_ms else ""
        lines.append(
            f"| {r.backend} | {r.workers} | {r.what} | {r.concurrency} | {r.rate:.0f} | "
            f"{r.p50_ms:.1f} | {r.p95_ms:.1f} | {r.p99_ms:.1f} | {r.non2xx} | {r.cpu_ms:.2f} | "
            f"{r.db_ms:.2f} | {r.client_ms:.2f} | {share} | {versus} | "
            f"{equal_trips(r, top, step)} |"
        )
    lines.append("")
    for backend, sale in sales.items():
        lines.append(
            f"Flash sale on {backend}: {sale['buyers']} buyers for 100 tickets on open "
            f"connections: all answered in {sale['seconds']:.2f} s (slowest answer "
            f"{sale['slowest_answer_s']:.2f} s); answers {sale['codes']}; tickets reserved "
            f"afterwards: {sale['reserved_tickets']}. Client CPU during the sale "
            f"{sale['client_cpu_s']:.2f} s; the same burst on GET /health took "
            f"{sale['health_burst_s']:.2f} s; connections the server had closed and the "
            f"client reopened: {sale['reopened']}."
        )
    return "\n".join(lines) + "\n"


async def bench(
    args: argparse.Namespace, tmp: Path
) -> tuple[list[Run], dict[str, dict], Run | None, list[str], float | None]:
    runs: list[Run] = []
    sales: dict[str, dict] = {}
    loads: list[str] = []
    top = step = None
    opts = Options(
        args.duration,
        CONCURRENCY,
        args.buyers,
        0 if args.skip_faces else args.ops,
        args.event_orders,
    )
    if not args.skip_sqlite:
        loads.append(f"sqlite {load_average()}")
        got, sale = await bench_backend("sqlite", f"sqlite:///{tmp / 'bench.db'}", 1, opts, tmp)
        runs += got
        if sale:
            sales["sqlite"] = sale
    if not args.skip_postgres:
        loads.append(f"postgresql {load_average()}")
        top, *more = await ceiling(args.duration, tmp, CEILING_LOADS)
        runs += more
        step = trip_cost(more)
        if not args.skip_balanced_ceiling:
            runs += await ceiling(args.duration, tmp, balanced=True)
        if args.ab_lean or args.ab:
            runs += await off_or_on(args.ab or "KASSA_LEAN_ROUTES", opts, tmp)
        else:
            url = await asyncio.to_thread(pg_recreate, "kassa_bench")
            got, sale = await bench_backend("postgresql", url, 2, opts, tmp)
            runs += got
            if sale:
                sales["postgresql"] = sale
        if args.scaling:
            scale = Options(args.duration, (32,), 0, 0)
            for workers in (1, 2, 4):
                loads.append(f"postgresql w={workers} {load_average()}")
                url = await asyncio.to_thread(pg_recreate, "kassa_bench")
                got, _ = await bench_backend("postgresql", url, workers, scale, tmp)
                runs += got
    return runs, sales, top, loads, step


async def off_or_on(setting: str, opts: Options, tmp: Path) -> list[Run]:
    """Reserve and cancel at c=32 and every face, on PostgreSQL, with the flag `setting` (e.g.
    `KASSA_LEAN_ROUTES`) off and on, in the order off, on, on, off: a machine that speeds up
    or slows down during the four runs moves both sides alike. `NAME=A,B` compares the
    values A and B of a setting instead of 0 and 1 (A, B, B, A)."""
    name, _, values = setting.partition("=")
    first, _, second = (values or "0,1").partition(",")
    runs: list[Run] = []
    for value in (first, second, second, first):
        url = await asyncio.to_thread(pg_recreate, "kassa_bench")
        both = Options(opts.seconds, (32,), 0, opts.faces_ops)
        got, _ = await bench_backend("postgresql", url, 2, both, tmp, {name: value})
        for run in got:
            run.what += f" ({name}={value})"
        runs += got
    return runs


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=int, default=10, help="seconds per wrk run")
    parser.add_argument("--skip-sqlite", action="store_true")
    parser.add_argument("--skip-postgres", action="store_true")
    parser.add_argument("--skip-faces", action="store_true", help="only the ticket reserve/cancel")
    parser.add_argument(
        "--skip-balanced-ceiling",
        action="store_true",
        help="no second ceiling run with a listening socket per worker",
    )
    parser.add_argument(
        "--ab-lean",
        action="store_true",
        help="= --ab KASSA_LEAN_ROUTES",
    )
    parser.add_argument(
        "--ab",
        metavar="SETTING",
        help="PostgreSQL: c=32 and the faces with the flag SETTING 0, 1, 1, 0 (no c=1/8); "
        "SETTING=A,B for the values A, B, B, A",
    )
    parser.add_argument("--ops", type=int, default=1000, help="operations per face phase")
    parser.add_argument("--buyers", type=int, default=400, help="flash sale buyers (0: none)")
    parser.add_argument(
        "--event-orders",
        type=int,
        default=2000,
        help="orders of the whole-event cancellation (0: none)",
    )
    parser.add_argument(
        "--scaling", action="store_true", help="also reserve/cancel at c=32 with 1, 2, 4 workers"
    )
    args = parser.parse_args()
    if not shutil.which("wrk"):
        print("wrk is missing: apt-get install wrk", file=sys.stderr)
        return 2
    command = "bench/run.py " + " ".join(sys.argv[1:])
    with tempfile.TemporaryDirectory(prefix="kassa-bench-") as name:
        tmp = Path(name)
        try:
            runs, sales, top, loads, step = asyncio.run(bench(args, tmp))
        except Exception:
            for log in tmp.glob("*.log"):
                print(f"--- {log.name}\n{log.read_text()[-3000:]}", file=sys.stderr)
            raise
    text = report(runs, sales, top, command.strip(), loads, step)
    out = BENCH / "results" / "latest.md"
    out.parent.mkdir(exist_ok=True)
    out.write_text(text)
    print("\n" + text)
    print(f"written to {out.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
