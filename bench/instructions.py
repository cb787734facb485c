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

`cpu-faces` does the same for the heavier faces, each beside the v1 reserve and cancel, in
chains over the same objects as bench/faces.py's phases (v2 POST, PATCH with a promo code,
Kassa's preview and apply; loyalty apply, confirm, cancel over 64 members), N of each per
round (N ≤ 99: the v2 orders of two tickets come from a set of 200). `PROFILE="kassa apply"`
(any step's name or its start) also runs cProfile over that step's timed rounds and writes
/tmp/profile-kassa-apply.out (`python -m pstats`).

    PYTHONPATH=src .venv/bin/python bench/instructions.py $URL cpu-faces 60

`ROUNDS=20` times twenty rounds instead of six (medians of more rounds, for an A/B).
`IR_STEP="loyalty apply"` (under callgrind, as `run` above, with `ROUNDS=1`) switches the
count on for that step's calls only: its instructions, repeatable where CPU time is not.

    ROUNDS=1 IR_STEP="loyalty apply" PYTHONPATH=src valgrind --tool=callgrind \\
        --instr-atstart=no --callgrind-out-file=/tmp/ir.out \\
        .venv/bin/python bench/instructions.py $URL cpu-faces 20
"""

import asyncio
import gc
import json
import os
import subprocess
import sys
from typing import Any

import httpx

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import faces
from inprocess import backends, cpu_seconds, fresh_database

from kassa.app import demo, readcache, snapshots
from kassa.app.clock import utcnow
from kassa.config import Settings
from kassa.server import create_app
from kassa.store.db import Database

URL, MODE = sys.argv[1], sys.argv[2]
N = int(sys.argv[3]) if len(sys.argv) > 3 else 20
IR_STEP = os.environ.get("IR_STEP")  # cpu-faces under callgrind: the step whose calls count
# The per-process caches stay warm, as in a server under load.
snapshots.Snapshots.__init__.__defaults__ = (3600.0,)
readcache.ReadCache.__init__.__defaults__ = (3600.0,)


async def setup() -> None:
    await fresh_database(URL)
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
        pids = await backends(URL)
        for _ in range(6):
            gc.collect()
            marks = [(time.process_time(), cpu_seconds(pids), time.perf_counter())]
            made = [await reserve() for _ in range(N)]
            marks.append((time.process_time(), cpu_seconds(pids), time.perf_counter()))
            for order_id in made:
                await cancel(order_id)
            marks.append((time.process_time(), cpu_seconds(pids), time.perf_counter()))
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


async def cpu_faces() -> None:
    """`cpu-faces`: like `cpu-asgi`, for the heavier faces beside the v1 reserve and cancel."""
    import cProfile
    import statistics

    db = Database(URL)
    app = create_app(Settings(database_url=URL), db=db)
    reserve, cancel = ticket_calls(app)
    json_headers = {"Content-Type": "application/json"}

    async def call(method: str, path: str, headers: dict[str, str], body: Any = None) -> Any:
        data = json.dumps(body).encode() if body is not None else b""
        status, answer = await asgi_call(app, method, path, {**headers, **json_headers}, data)
        assert 200 <= status < 300, (method, path, status, answer[:300])
        return json.loads(answer) if answer else None

    members = [{**faces.SHOP, "identifier": f"7999300{n:04d}"} for n in range(faces.MEMBERS)]
    chains = _chains(call, reserve, cancel, members)
    figures: dict[str, list[tuple[float, ...]]] = {}
    profile = os.environ.get("PROFILE")  # e.g. "kassa apply": cProfile that step's rounds
    profiler = cProfile.Profile()
    async with lifespan(app):
        for member in members:
            await call("POST", "/loyalty/members/join", {}, member)
        await call(
            "POST",
            f"/v1/resources/events/{demo.V2_EVENT_ID}/promocodes",
            faces.ORG,
            {"code": "BENCH10", "discount": {"percentage": "10"}},
        )
        for warm in (True,) + (False,) * int(os.environ.get("ROUNDS", "6")):
            await _round(chains, warm, figures, profile, profiler)
    await db.dispose()
    if profile:
        profiler.dump_stats(f"/tmp/profile-{profile.replace(' ', '-')}.out")
    header = f"{'process':>8} {'backend':>8} {'sum':>6} {'wall':>6}"
    print(f"{'per operation, ms (round trips)':28} {header}")
    for what, rounds in figures.items():
        python, backend, wall = (statistics.median(r[i] for r in rounds) for i in range(3))
        print(f"{what:28} {python:8.3f} {backend:8.3f} {python + backend:6.3f} {wall:6.3f}")


def _chains(
    call: Any, reserve: Any, cancel: Any, members: list[dict[str, str]]
) -> list[list[tuple[str, Any]]]:
    """The steps of `cpu-faces`, in chains over the same objects. The loyalty applies go round
    `members` (64, as bench/faces.py), whose ledgers grow with them."""
    import itertools

    numbers = itertools.count()
    cart = [
        {"product_id": "coffee", "price": 250, "quantity": 1},
        {"product_id": "cake", "price": 180, "quantity": 2},
    ]
    patch = {
        "settings": {"customer": {"name": "Ivan", "email": "ivan@example.com"}},
        "vendor_data": {"order_id": "shop-1"},
        "promocodes": ["BENCH10"],
    }

    async def v2_post(_: Any) -> str:
        body = {"event": demo.V2_EVENT_ID, "random": {demo.V2_STALLS_SET_ID: 2}}
        return str((await call("POST", "/v2/resources/orders", faces.SELLER, body))["data"]["id"])

    async def v2_patch(order_id: str) -> str:
        await call("PATCH", f"/v2/resources/orders/{order_id}", faces.SELLER, patch)
        return order_id

    async def preview(order_id: str) -> tuple[str, str]:
        found = await call("GET", f"/api/v1/orders/{order_id}/cancellation", faces.SELLER)
        return order_id, str(found["version"])

    async def apply(pair: tuple[str, str]) -> None:
        body = {"reason": "customer_request", "version": pair[1]}
        await call("POST", f"/api/v1/orders/{pair[0]}/cancellation", faces.SELLER, body)

    async def loyalty_apply(_: Any) -> str:
        order_id = f"C-{next(numbers)}"
        member = members[int(order_id[2:]) % len(members)]
        body = {**member, "cart_items": cart, "order_id": order_id}
        await call("POST", "/loyalty/checkout/apply", {}, body)
        return order_id

    async def loyalty_confirm(order_id: str) -> str:
        await call("POST", "/loyalty/checkout/confirm", {}, {**faces.SHOP, "order_id": order_id})
        return order_id

    async def loyalty_cancel(order_id: str) -> None:
        await call("POST", "/loyalty/checkout/cancel", {}, {**faces.SHOP, "order_id": order_id})

    async def v1_reserve(_: Any) -> str:
        return await reserve()

    chains = [
        [("v1 reserve (1)", v1_reserve), ("v1 cancel (3)", cancel)],
        [
            ("v2 POST (1)", v2_post),
            ("v2 PATCH (3)", v2_patch),
            ("kassa preview (1)", preview),
            ("kassa apply (3)", apply),
        ],
        [
            ("loyalty apply (3)", loyalty_apply),
            ("loyalty confirm (3)", loyalty_confirm),
            ("loyalty cancel (3)", loyalty_cancel),
        ],
    ]
    return chains


async def _round(
    chains: list[list[tuple[str, Any]]],
    warm: bool,
    figures: dict[str, list[tuple[float, ...]]],
    profile: str | None,
    profiler: Any,
) -> None:
    """Each chain once over N objects, each step timed (unless `warm`) into `figures`."""
    import time

    pids = await backends(URL)
    for chain in chains:
        items: list[Any] = list(range(N))
        for what, step in chain:
            gc.collect()
            profiled = not warm and what.startswith(profile or "\0")
            counted = not warm and what.startswith(IR_STEP or "\0")
            before = (time.process_time(), cpu_seconds(pids), time.perf_counter())
            if profiled:
                profiler.enable()
            if counted:
                collect(True)
            items = [await step(item) for item in items]
            if counted:
                collect(False)
            if profiled:
                profiler.disable()
            after = (time.process_time(), cpu_seconds(pids), time.perf_counter())
            if not warm:
                figures.setdefault(what, []).append(
                    tuple((after[i] - before[i]) / N * 1000 for i in range(3))
                )


MODES = {
    "cpu-faces": cpu_faces,
    "setup": setup,
    "run": run,
    "run-asgi": run_asgi,
    "cancel-asgi": cancel_asgi,
    "estimate": estimate,
    "cpu-asgi": cpu_asgi,
}
asyncio.run(MODES[MODE]())
