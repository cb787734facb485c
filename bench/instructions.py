"""Instructions per v1 ticket reserve, in-process, counted by callgrind (repeatable on a busy
machine, where CPU time is not).

    URL=postgresql://postgres@127.0.0.1:5432/kassa_ir
    PYTHONPATH=src .venv/bin/python bench/instructions.py $URL setup
    PYTHONPATH=src valgrind --tool=callgrind --instr-atstart=no --callgrind-out-file=/tmp/ir.out \\
        .venv/bin/python bench/instructions.py $URL run 20

`setup` (natively: under valgrind it would take minutes) drops and creates the database with
the demo data; `run` warms up, switches callgrind's collection on for `N` reserves through the
ASGI app (`httpx.ASGITransport`, so the test client is counted too) and off again, then
cancels them (a full garbage collection just before the window). valgrind prints
"Collected : <instructions>"; divide by N. User-space only: the kernel's socket work and the
PostgreSQL backend are not counted.

`run-asgi` is the same loop with the app called directly (a prepared ASGI scope and body, the
answer collected): the server's instructions alone, without httpx's (which are about a third
of `run`'s); `cancel-asgi` counts the v1 cancels (`DELETE`) of those reserves instead.
`estimate` counts N loyalty `POST /checkout/estimate` calls the same way.

`cpu-asgi` runs no callgrind: six rounds of N reserves then their N cancels, one at a time
through the ASGI app, and prints the median CPU time per operation of this process (user and
system: the kernel's side of each round trip is there) and of its PostgreSQL backends (read from
/proc, so only with PostgreSQL on this machine), and the wall time. The backends are the
client backends of the bench database, other than the one that lists them.

    PYTHONPATH=src .venv/bin/python bench/instructions.py $URL setup
    PYTHONPATH=src .venv/bin/python bench/instructions.py $URL cpu-asgi 200
"""

import asyncio
import gc
import json
import os
import subprocess
import sys
from typing import Any

import asyncpg
import httpx

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import faces

from kassa.app import demo, readcache, snapshots
from kassa.app.clock import utcnow
from kassa.config import Settings
from kassa.server import create_app
from kassa.store.db import Database
from kassa.store.migrate import upgrade

URL, MODE = sys.argv[1], sys.argv[2]
N = int(sys.argv[3]) if len(sys.argv) > 3 else 20
# The per-process caches stay warm, as in a server under load.
snapshots.Snapshots.__init__.__defaults__ = (3600.0,)
readcache.ReadCache.__init__.__defaults__ = (3600.0,)


async def setup() -> None:
    admin = await asyncpg.connect(URL.rsplit("/", 1)[0] + "/test")
    name = URL.rsplit("/", 1)[1]
    await admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
    await admin.execute(f"CREATE DATABASE {name}")
    await admin.close()
    upgrade(URL)
    db = Database(URL)
    await demo.seed(db, utcnow())
    await db.dispose()


def collect(on: bool) -> None:
    if on:
        # A full collection now, so that one of the warm-up's garbage does not land in the
        # window by chance (it moved a 20-call count by a third).
        gc.collect()
    switch = "on" if on else "off"
    subprocess.run(["callgrind_control", "-i", switch, str(os.getpid())], capture_output=True)


async def run() -> None:
    db = Database(URL)
    app = create_app(Settings(database_url=URL), db=db)
    body = {"event": demo.EVENT_ID, "random": {demo.STALLS_SET_ID: 1}}
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://k") as h:

        async def reserve() -> str:
            r = await h.post("/v1/resources/orders", headers=faces.SELLER, json=body)
            assert r.status_code == 201, r.text
            return str(r.json()["id"])

        async def cancel(order_id: str) -> None:
            r = await h.delete(f"/v1/resources/orders/{order_id}", headers=faces.SELLER)
            assert r.status_code == 200, r.text

        for _ in range(5):
            await cancel(await reserve())
        collect(True)
        made = [await reserve() for _ in range(N)]
        collect(False)
        for order_id in made:
            await cancel(order_id)
    await db.dispose()


async def asgi_call(
    app: Any, method: str, path: str, headers: dict[str, str], body: bytes
) -> tuple[int, bytes]:
    """One request straight into the ASGI app, as uvicorn would hand it over."""
    scope = {
        "type": "http",
        "asgi": {"version": "3.0", "spec_version": "2.3"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [(k.lower().encode(), v.encode()) for k, v in headers.items()]
        + [(b"content-length", str(len(body)).encode()), (b"host", b"k")],
        "client": ("127.0.0.1", 5000),
        "server": ("k", 80),
        "state": {},
    }
    sent = False

    async def receive() -> dict[str, Any]:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        await asyncio.Event().wait()
        return {"type": "http.disconnect"}

    status, chunks = 0, []

    async def send(message: dict[str, Any]) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]
        elif message["type"] == "http.response.body":
            chunks.append(message.get("body", b""))

    await app(scope, receive, send)
    return status, b"".join(chunks)


def ticket_calls(app: Any) -> tuple[Any, Any]:
    """`reserve()` (a v1 order of one ticket; its id) and `cancel(order_id)` (v1 DELETE),
    straight into the ASGI app."""
    body = json.dumps({"event": demo.EVENT_ID, "random": {demo.STALLS_SET_ID: 1}}).encode()
    headers = {**faces.SELLER, "Content-Type": "application/json"}

    async def reserve() -> str:
        status, answer = await asgi_call(app, "POST", "/v1/resources/orders", headers, body)
        assert status == 201, answer
        return str(json.loads(answer)["id"])

    async def cancel(order_id: str) -> None:
        path = f"/v1/resources/orders/{order_id}"
        status, answer = await asgi_call(app, "DELETE", path, faces.SELLER, b"")
        assert status == 200, answer

    return reserve, cancel


async def run_asgi(cancels: bool = False) -> None:
    db = Database(URL)
    app = create_app(Settings(database_url=URL), db=db)
    reserve, cancel = ticket_calls(app)

    async with lifespan(app):
        for _ in range(5):
            await cancel(await reserve())
        collect(not cancels)
        made = [await reserve() for _ in range(N)]
        collect(cancels)
        for order_id in made:
            await cancel(order_id)
        collect(False)
    await db.dispose()


def lifespan(app: Any) -> Any:
    return app.router.lifespan_context(app)


async def estimate() -> None:
    db = Database(URL)
    app = create_app(Settings(database_url=URL), db=db)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://k") as h:
        member = {**faces.SHOP, "identifier": "79992009999"}
        r = await h.post("/loyalty/members/join", json=member)
        assert r.status_code in (200, 201, 409), r.text
        cart = [
            {"product_id": "coffee", "price": 250, "quantity": 1},
            {"product_id": "cake", "price": 180, "quantity": 2},
        ]
        body = {**member, "cart_items": cart}

        async def once() -> None:
            r = await h.post("/loyalty/checkout/estimate", json=body)
            assert r.status_code == 200, r.text

        for _ in range(5):
            await once()
        collect(True)
        for _ in range(N):
            await once()
        collect(False)
    await db.dispose()


async def cancel_asgi() -> None:
    await run_asgi(cancels=True)


def backend_cpu(pids: list[int]) -> float:
    """CPU seconds (user and system) of these processes so far, from /proc."""
    total = 0
    for pid in pids:
        with open(f"/proc/{pid}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
        total += int(fields[11]) + int(fields[12])
    return total / os.sysconf("SC_CLK_TCK")


async def cpu_asgi() -> None:
    import statistics
    import time

    db = Database(URL)
    app = create_app(Settings(database_url=URL), db=db)
    reserve, cancel = ticket_calls(app)

    figures: dict[str, list[tuple[float, float, float]]] = {"reserve": [], "cancel": []}
    async with lifespan(app):
        for _ in range(40):  # warm: caches, prepared statements
            await cancel(await reserve())
        lister = await asyncpg.connect(URL)
        pids = [
            row[0]
            for row in await lister.fetch(
                "SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
                "AND backend_type = 'client backend' AND pid <> pg_backend_pid()"
            )
        ]
        await lister.close()
        for _ in range(6):
            gc.collect()
            marks = [(time.process_time(), backend_cpu(pids), time.perf_counter())]
            made = [await reserve() for _ in range(N)]
            marks.append((time.process_time(), backend_cpu(pids), time.perf_counter()))
            for order_id in made:
                await cancel(order_id)
            marks.append((time.process_time(), backend_cpu(pids), time.perf_counter()))
            for what, (a, b) in zip(figures, [(0, 1), (1, 2)], strict=True):
                figures[what].append(
                    tuple((marks[b][i] - marks[a][i]) / N * 1000 for i in range(3))  # type: ignore[arg-type]
                )
    await db.dispose()
    for what, rounds in figures.items():
        python, backend, wall = (statistics.median(r[i] for r in rounds) for i in range(3))
        print(
            f"{what}: this process {python:.3f} ms, PostgreSQL backends {backend:.3f} ms, "
            f"wall {wall:.3f} ms per operation (median of {len(rounds)} rounds of {N})"
        )


MODES = {
    "setup": setup,
    "run": run,
    "run-asgi": run_asgi,
    "cancel-asgi": cancel_asgi,
    "estimate": estimate,
    "cpu-asgi": cpu_asgi,
}
asyncio.run(MODES[MODE]())
