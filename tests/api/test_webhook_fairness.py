"""One organisation's dead webhook endpoint does not delay another organisation's events: a
pass delivers to its endpoints concurrently, a few in flight to each, and an endpoint that
timed out is not tried again in the same pass. Real receivers on loopback, both backends."""

import asyncio
import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from kassa.app.outbox import PER_ENDPOINT, backoff, drain
from kassa.app.worker import run_once
from kassa.config import Settings
from kassa.store import tables
from kassa.store.db import Database
from tests.api.helpers import Tenant, create_order, patch_order
from tests.conftest import FakeClock

TIMEOUT = 1.0  # the worker's webhook timeout in these tests, seconds
SLOW_EVENTS = 6
HOOKS = "/api/v1/webhooks/endpoints"
NewTenant = Callable[..., Awaitable[Tenant]]


@dataclass
class Arrival:
    at: float  # the event loop's clock
    headers: dict[str, str]
    body: bytes


@dataclass
class TimedReceiver:
    """A real HTTP endpoint on 127.0.0.1 noting when each request arrived and how many were
    in flight at once. `stall`: answer nothing until the test ends (a dead endpoint);
    `delay`: answer 200 after that many seconds; `refused`: order ids answered 500."""

    stall: bool = False
    delay: float = 0.0
    refused: set[str] = field(default_factory=set)
    arrivals: list[Arrival] = field(default_factory=list)
    in_flight: int = 0
    most_in_flight: int = 0
    url: str = ""
    _released: asyncio.Event = field(default_factory=asyncio.Event)
    _server: asyncio.Server | None = None

    async def __aenter__(self) -> "TimedReceiver":
        self._server = await asyncio.start_server(self._handle, "127.0.0.1", 0)
        self.url = f"http://127.0.0.1:{self._server.sockets[0].getsockname()[1]}/hook"
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self._server is not None
        self._released.set()
        self._server.close()
        await self._server.wait_closed()

    def revive(self) -> None:
        """Answer at once from now on (stalled requests get their answer too)."""
        self.stall = False
        self._released.set()

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            head = (await reader.readuntil(b"\r\n\r\n")).decode("latin-1")
            headers = {}
            for line in head.split("\r\n")[1:]:
                if line:
                    name, _, value = line.partition(":")
                    headers[name.strip().lower()] = value.strip()
            body = await reader.readexactly(int(headers.get("content-length", "0")))
            self.arrivals.append(Arrival(asyncio.get_running_loop().time(), headers, body))
            self.in_flight += 1
            self.most_in_flight = max(self.most_in_flight, self.in_flight)
            try:
                if self.stall:
                    await self._released.wait()
                await asyncio.sleep(self.delay)
            finally:
                self.in_flight -= 1
            status = "500 Internal Server Error" if self._refuses(body) else "200 OK"
            writer.write(
                f"HTTP/1.1 {status}\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok".encode()
            )
            await writer.drain()
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        finally:
            writer.close()

    def _refuses(self, body: bytes) -> bool:
        return bool(self.refused) and json.loads(body)["order"]["id"] in self.refused

    def event_ids(self) -> list[str]:
        return [a.headers["x-kassa-event-id"] for a in self.arrivals]


async def register(client: httpx.AsyncClient, tenant: Tenant, url: str) -> None:
    made = await client.post(HOOKS, headers=tenant.organiser, json={"url": url, "events": ["*"]})
    assert made.status_code == 201, made.text


async def delivery_rows(db: Database) -> list[dict[str, Any]]:
    async with db.engine.connect() as conn:
        if db.is_sqlite:
            conn = await conn.execution_options(kassa_write=False)
        query = select(tables.webhook_deliveries).order_by(tables.webhook_deliveries.c.id)
        return [dict(row._mapping) for row in await conn.execute(query)]


async def place(client: httpx.AsyncClient, tenant: Tenant) -> dict[str, Any]:
    return await create_order(client, tenant.seller, tenant.event_id, random={tenant.set_id: 1})


@pytest.mark.parametrize("kind", ["registered endpoint", "partner webhook_url"])
async def test_a_dead_endpoint_does_not_delay_another_organisations_event(
    kind: str,
    client: httpx.AsyncClient,
    new_tenant: NewTenant,
    db: Database,
    clock: FakeClock,
) -> None:
    async with TimedReceiver(stall=True) as dead, TimedReceiver() as fast:
        if kind == "registered endpoint":
            slow_org = await new_tenant(name="Slow Organiser")
            fast_org = await new_tenant(name="Fast Organiser")
            await register(client, slow_org, dead.url)
            await register(client, fast_org, fast.url)
        else:
            slow_org = await new_tenant(name="Slow Organiser", webhook_url=dead.url)
            fast_org = await new_tenant(name="Fast Organiser", webhook_url=fast.url)
        for _ in range(SLOW_EVENTS):  # older than the fast event: first in line
            await place(client, slow_org)
        fast_order = await place(client, fast_org)
        loop = asyncio.get_running_loop()
        async with httpx.AsyncClient(timeout=TIMEOUT, trust_env=False) as http:
            started = loop.time()
            result = await drain(db, http, clock())
            took = loop.time() - started

            [arrival] = fast.arrivals
            delay = arrival.at - started
            print(
                f"\n{kind}: timeout {TIMEOUT:.1f} s, {SLOW_EVENTS} events to a dead endpoint; "
                f"the other organisation's event arrived after {delay:.3f} s, the pass took "
                f"{took:.3f} s, the dead endpoint got {len(dead.arrivals)} requests "
                f"(one at a time it would be >= {SLOW_EVENTS * TIMEOUT:.1f} s)"
            )
            assert json.loads(arrival.body)["order"]["id"] == fast_order["id"]
            assert delay < 2 * TIMEOUT
            assert took < 3 * TIMEOUT  # one timeout for the dead endpoint, not six
            assert 1 <= len(dead.arrivals) <= PER_ENDPOINT
            assert result.failed == SLOW_EVENTS

            # Its events back off like any failure and follow, each once, when it answers.
            dead.revive()
            tried = set(dead.event_ids())
            later = await drain(db, http, clock.advance(seconds=backoff(0).total_seconds()))
            assert (later.delivered, later.failed) == (SLOW_EVENTS, 0)
        answered = dead.event_ids()[len(tried) :]
        assert len(answered) == len(set(answered)) == SLOW_EVENTS
        assert len(fast.arrivals) == 1


async def test_an_endpoint_gets_a_few_at_once_and_each_orders_events_in_sequence(
    client: httpx.AsyncClient, new_tenant: NewTenant, db: Database, clock: FakeClock
) -> None:
    async with TimedReceiver(delay=0.2) as receiver:
        tenant = await new_tenant()
        await register(client, tenant, receiver.url)
        orders = [await place(client, tenant) for _ in range(4)]
        for order in orders:
            await patch_order(client, tenant.seller, order["id"], status="canceled")
        async with httpx.AsyncClient(timeout=5, trust_env=False) as http:
            result = await drain(db, http, clock())

    assert (result.failed, len(receiver.arrivals)) == (0, 8)
    assert receiver.most_in_flight == PER_ENDPOINT
    seen = [json.loads(a.body) for a in receiver.arrivals]
    for order in orders:
        topics = [e["type"] for e in seen if e["order"]["id"] == order["id"]]
        assert topics == ["order.placed", "order.canceled"]
    rows = await delivery_rows(db)
    assert [(r["state"], r["attempts"]) for r in rows] == [("delivered", 1)] * 8


async def test_two_workers_at_once_deliver_each_event_once(
    client: httpx.AsyncClient,
    new_tenant: NewTenant,
    db: Database,
    database_url: str,
    clock: FakeClock,
) -> None:
    other_worker = Database(database_url, pool_size=4)
    try:
        async with TimedReceiver(delay=0.05) as receiver:
            tenants = [await new_tenant(name=f"Organiser {n}") for n in range(3)]
            for tenant in tenants:
                await register(client, tenant, receiver.url)
                for _ in range(4):
                    await place(client, tenant)
            async with httpx.AsyncClient(timeout=5, trust_env=False) as http:
                one, two = await asyncio.gather(
                    drain(db, http, clock(), batch=7), drain(other_worker, http, clock(), batch=7)
                )
                rest = await drain(db, http, clock())
    finally:
        await other_worker.dispose()

    ids = receiver.event_ids()
    assert len(ids) == len(set(ids)) == 12
    assert one.failed + two.failed + rest.failed == 0
    assert [r["state"] for r in await delivery_rows(db)] == ["delivered"] * 12


async def test_the_worker_bounds_each_endpoint_as_its_settings_say(
    client: httpx.AsyncClient, new_tenant: NewTenant, db: Database, clock: FakeClock
) -> None:
    settings = Settings.from_env({"KASSA_WEBHOOK_PER_ENDPOINT": "3"})
    assert (Settings().webhook_per_endpoint, settings.webhook_per_endpoint) == (2, 3)
    async with TimedReceiver(delay=0.2) as receiver:
        tenant = await new_tenant()
        await register(client, tenant, receiver.url)
        for _ in range(6):
            await place(client, tenant)
        async with httpx.AsyncClient(timeout=5, trust_env=False) as http:
            await run_once(db, http, clock=clock, per_endpoint=settings.webhook_per_endpoint)

    assert (len(receiver.arrivals), receiver.most_in_flight) == (6, 3)


async def test_a_refused_event_holds_back_its_orders_later_events_but_no_other_order(
    client: httpx.AsyncClient, new_tenant: NewTenant, db: Database, clock: FakeClock
) -> None:
    async with TimedReceiver() as receiver:
        tenant = await new_tenant()
        await register(client, tenant, receiver.url)
        refused, other = await place(client, tenant), await place(client, tenant)
        for order in (refused, other):
            await patch_order(client, tenant.seller, order["id"], status="canceled")
        receiver.refused = {refused["id"]}
        async with httpx.AsyncClient(timeout=5, trust_env=False) as http:
            first = await drain(db, http, clock())
            rows = await delivery_rows(db)
            receiver.refused = set()
            second = await drain(db, http, clock.advance(seconds=5))

    # (The four outbox messages themselves count as delivered: no webhook_url of their own.)
    assert (first.delivered, first.failed, second.delivered, second.failed) == (6, 2, 2, 0)
    by_order = {(r["payload"]["order"]["id"], r["topic"]): r for r in rows}
    placed = by_order[(refused["id"], "order.placed")]
    canceled = by_order[(refused["id"], "order.canceled")]
    assert placed["last_error"].startswith("HTTP 500")
    assert canceled["last_error"].startswith(f"not sent: an earlier event of order {refused['id']}")
    assert canceled["available_at"] >= placed["available_at"]
    assert by_order[(other["id"], "order.placed")]["state"] == "delivered"
    assert by_order[(other["id"], "order.canceled")]["state"] == "delivered"
    seen = [json.loads(a.body) for a in receiver.arrivals]
    assert [e["type"] for e in seen if e["order"]["id"] == refused["id"]] == [
        "order.placed",  # refused
        "order.placed",
        "order.canceled",
    ]
