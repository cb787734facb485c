"""Round trips per operation of every face's hot path, in-process (no server, no load).

    PYTHONPATH=src .venv/bin/python bench/roundtrips.py postgresql://postgres@127.0.0.1:5432/kassa_rt
    PYTHONPATH=src .venv/bin/python bench/roundtrips.py sqlite:////tmp/kassa_rt.db

Counted at the driver: on PostgreSQL every asyncpg call that waits for the server (BEGIN,
COMMIT and ROLLBACK included; "SA" marks statements SQLAlchemy sent), on SQLite every hop to
aiosqlite's thread. Preparing a statement for the first time on a connection costs one more
round trip, once: it is not counted; nor is the PREPARE that lets a later unit of work send
its last writes with the COMMIT (`kassa.store.tx`): the operations run twice, on a pool of one
connection, and the second round is shown. The per-process caches are kept warm, as in a
server under load. The database named in the URL is
dropped and created anew (PostgreSQL) or the file replaced (SQLite). Runs against older code
too (PYTHONPATH), to compare.
"""

import asyncio
import contextlib
import os
import sys

import aiosqlite
import asyncpg
import asyncpg.connection
import asyncpg.prepared_stmt
import httpx
from sqlalchemy import event

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import faces

from kassa.app import demo, snapshots
from kassa.app.clock import utcnow
from kassa.config import Settings
from kassa.server import create_app
from kassa.store.db import Database
from kassa.store.migrate import upgrade

URL = sys.argv[1]
# The per-process caches stay warm for the whole run, however slow the machine (in a server
# under load they are, being used many times a second).
snapshots.Snapshots.__init__.__defaults__ = (3600.0,)
with contextlib.suppress(ImportError):  # older code has no read cache
    from kassa.app import readcache

    readcache.ReadCache.__init__.__defaults__ = (3600.0,)
log: list[str] = []
trips = [0]


def _count(cls: type, name: str, label) -> None:
    """Count each call of a driver method that waits for the database: a round trip on
    PostgreSQL (asyncpg), a hop to the driver's thread on SQLite (aiosqlite)."""
    inner = getattr(cls, name)

    async def counted(self, *args, **kwargs):
        trips[0] += 1
        text = label(self, args)
        if text:
            log.append(text[:110].replace("\n", " "))
        return await inner(self, *args, **kwargs)

    setattr(cls, name, counted)


def _text(_self, args):
    return str(args[0]) if args and isinstance(args[0], str) else ""


_count(asyncpg.connection.Connection, "execute", _text)  # BEGIN, COMMIT, ROLLBACK, raw writes
_count(asyncpg.connection.Connection, "fetch", _text)  # raw reads
_count(asyncpg.prepared_stmt.PreparedStatement, "fetch", lambda st, _: "SA " + st._query)
_count(aiosqlite.Connection, "_execute", lambda _s, args: f"hop {getattr(args[0], '__name__', '')}")


async def main():
    if URL.startswith("postgresql"):
        c = await asyncpg.connect(URL.rsplit("/", 1)[0] + "/test")
        name = URL.rsplit("/", 1)[1]
        await c.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        await c.execute(f"CREATE DATABASE {name}")
        await c.close()
    elif os.path.exists(URL.split(":///", 1)[1]):
        os.unlink(URL.split(":///", 1)[1])
    upgrade(URL)
    db = Database(URL, pool_size=1, max_overflow=0)
    await demo.seed(db, utcnow())

    sqlite = URL.startswith("sqlite")

    @event.listens_for(db.engine.sync_engine, "before_cursor_execute")
    def sent(conn, cursor, statement, params, context, executemany):
        if sqlite:
            log.append("SA " + statement[:100].replace("\n", " "))

    app = create_app(Settings(database_url=URL), db=db)
    for n in (1, 2):
        await one_round(app, n, quiet=n == 1, sqlite=sqlite)
    await db.dispose()


async def one_round(app, n: int, *, quiet: bool, sqlite: bool) -> None:
    """Every face's operation once; `quiet`: counted but not shown."""
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://k") as h:

        async def show(name, coro):
            log.clear()
            trips[0] = 0
            r = await coro
            if quiet:
                return r
            kind = "thread hops" if sqlite else "round trips"
            print(f"== {name}: {r.status_code} {trips[0]} {kind}")
            expected = {label: n for label, n in faces.ROUND_TRIPS.values()}.get(name)
            if not sqlite and expected is not None and expected != trips[0]:
                print(f"   !! bench/faces.py ROUND_TRIPS says {expected}: bring it up to date")
            for line in log:
                print("   ", line)
            return r

        t = (
            await h.post(
                "/security/oauth/token",
                content=(
                    f"client_id={faces.DELIVERY_CLIENT[0]}"
                    f"&client_secret={faces.DELIVERY_CLIENT[1]}"
                    "&grant_type=client_credentials&scope=read write"
                ),
                headers={"Content-Type": "application/x-www-form-urlencoded"},
            )
        ).json()
        auth = {"Authorization": f"Bearer {t['access_token']}"}
        body = {
            "discriminator": "yandex",
            "platform": "YE",
            "eatsId": f"261130-0000{n}001",
            "restaurantId": faces.RESTAURANT,
            "deliveryInfo": {
                "clientName": "Ivan",
                "phoneNumber": "+79990000001",
                "courierArrivementDate": "2026-11-24T12:00:00.000000+03:00",
            },
            "paymentInfo": {"itemsCost": 240, "paymentType": "CARD"},
            "items": [{"id": "kompot", "name": "kompot", "quantity": 2, "price": 120}],
            "persons": 1,
            "comment": "",
            "promos": [],
        }
        await h.post("/order", headers=auth, json={**body, "eatsId": f"261130-0000{n}009"})
        r = await show("delivery POST", h.post("/order", headers=auth, json=body))
        oid = r.json()["orderId"]
        await show(
            "delivery DELIVERED",
            h.put(f"/order/{oid}/status", headers=auth, json={"status": "DELIVERED"}),
        )
        r = await h.post("/order", headers=auth, json={**body, "eatsId": f"261130-0000{n}002"})
        oid = r.json()["orderId"]
        await show(
            "delivery DELETE",
            h.request(
                "DELETE",
                f"/order/{oid}",
                headers=auth,
                json={"eatsId": f"261130-0000{n}002", "comment": "x"},
            ),
        )
        cart = [{"product_id": "coffee", "price": 250, "quantity": 1}]
        m = f"7999200000{n}"
        await h.post("/loyalty/members/join", json={**faces.SHOP, "identifier": m})
        await h.post(
            "/loyalty/checkout/estimate", json={**faces.SHOP, "identifier": m, "cart_items": cart}
        )
        await show(
            "loyalty estimate",
            h.post(
                "/loyalty/checkout/estimate",
                json={**faces.SHOP, "identifier": m, "cart_items": cart},
            ),
        )
        await show(
            "loyalty apply",
            h.post(
                "/loyalty/checkout/apply",
                json={**faces.SHOP, "identifier": m, "cart_items": cart, "order_id": f"B-{n}"},
            ),
        )
        await show(
            "loyalty confirm",
            h.post("/loyalty/checkout/confirm", json={**faces.SHOP, "order_id": f"B-{n}"}),
        )
        await show(
            "loyalty cancel",
            h.post("/loyalty/checkout/cancel", json={**faces.SHOP, "order_id": f"B-{n}"}),
        )
        ev = demo.V2_EVENT_ID
        st = demo.V2_STALLS_SET_ID
        r = await h.post(
            "/v2/resources/orders", headers=faces.SELLER, json={"event": ev, "random": {st: 2}}
        )
        r = await show(
            "v2 POST",
            h.post(
                "/v2/resources/orders", headers=faces.SELLER, json={"event": ev, "random": {st: 2}}
            ),
        )
        o = r.json()["data"]["id"]
        await show(
            "v2 PATCH",
            h.patch(
                f"/v2/resources/orders/{o}",
                headers=faces.SELLER,
                json={
                    "settings": {"customer": {"name": "Ivan", "email": "ivan@example.com"}},
                    "vendor_data": {"order_id": "shop-1"},
                    "promocodes": ["PROMO100"],
                },
            ),
        )
        r = await show(
            "kassa preview", h.get(f"/api/v1/orders/{o}/cancellation", headers=faces.SELLER)
        )
        await show(
            "kassa apply",
            h.post(
                f"/api/v1/orders/{o}/cancellation",
                headers=faces.SELLER,
                json={"reason": "customer_request", "version": r.json()["version"]},
            ),
        )
        r = await h.post(
            "/v1/resources/orders", headers=faces.SELLER, json={"event": ev, "random": {st: 1}}
        )
        r = await show(
            "v1 reserve",
            h.post(
                "/v1/resources/orders", headers=faces.SELLER, json={"event": ev, "random": {st: 1}}
            ),
        )
        await show(
            "v1 cancel", h.delete(f"/v1/resources/orders/{r.json()['id']}", headers=faces.SELLER)
        )


asyncio.run(main())
