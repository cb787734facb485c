"""Instructions per v1 ticket reserve, in-process, counted by callgrind (repeatable on a busy
machine, where CPU time is not).

    URL=postgresql://postgres@127.0.0.1:5432/kassa_ir
    PYTHONPATH=src .venv/bin/python bench/instructions.py $URL setup
    PYTHONPATH=src valgrind --tool=callgrind --instr-atstart=no --callgrind-out-file=/tmp/ir.out \\
        .venv/bin/python bench/instructions.py $URL run 20

`setup` (natively: under valgrind it would take minutes) drops and creates the database with
the demo data; `run` warms up, switches callgrind's collection on for `N` reserves through the
ASGI app (`httpx.ASGITransport`, so the test client is counted too) and off again, then
cancels them. valgrind prints "Collected : <instructions>"; divide by N. User-space only: the
kernel's socket work and the PostgreSQL backend are not counted.
"""

import asyncio
import os
import subprocess
import sys

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


asyncio.run(setup() if MODE == "setup" else run())
