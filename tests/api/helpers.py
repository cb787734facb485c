"""Helpers of the API tests: request shortcuts, wire-format checks, database snapshots."""

import asyncio
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

import httpx
from sqlalchemy import Table, select, text

from kassa.app import catalog, tenants
from kassa.core.catalog import EventStatus
from kassa.core.pricing import FeePolicy
from kassa.core.tenancy import Principal
from kassa.store import tables
from kassa.store.db import Database

ORDERS = "/v1/resources/orders"
SIMPLE_EVENTS = "/v1/services/simple/events"
OBJECT_ID = re.compile(r"^[0-9a-f]{24}$")
MONEY = re.compile(r"^-?\d+\.\d{2}$")
ISO_UTC_MICRO = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}\+00:00$")
BARCODE = re.compile(r"^\d{16}$")

# Every table a request could touch; compared whole to prove that a refused request changed
# nothing at all.
STATE_TABLES = (
    tables.organisations,
    tables.partners,
    tables.api_keys,
    tables.venues,
    tables.events,
    tables.ticket_sets,
    tables.price_rules,
    tables.tickets,
    tables.orders,
    tables.order_lines,
    tables.audit_log,
    tables.outbox,
)
# Every table of the schema: for checks that span the faces (loyalty, delivery, console...).
EVERY_TABLE = tuple(tables.metadata.sorted_tables)


def order_url(order_id: str) -> str:
    return f"{ORDERS}/{order_id}"


def key_header(key: str) -> dict[str, str]:
    return {"Authorization": f"key {key}"}


async def analyze(db: Database) -> None:
    """Give PostgreSQL's planner the statistics a live database has (no-op on SQLite)."""
    if db.is_sqlite:
        return
    async with db.engine.connect() as conn:
        await conn.execute(text("ANALYZE tickets"))
        await conn.commit()


async def create_order(
    client: httpx.AsyncClient, headers: dict[str, str], event: str, **body: Any
) -> dict[str, Any]:
    """POST an order that must succeed; returns the order object."""
    response = await client.post(ORDERS, headers=headers, json={"event": event, **body})
    assert response.status_code == 201, response.text
    order: dict[str, Any] = response.json()
    return order


async def patch_order(
    client: httpx.AsyncClient, headers: dict[str, str], order_id: str, **body: Any
) -> dict[str, Any]:
    response = await client.patch(order_url(order_id), headers=headers, json=body)
    assert response.status_code == 200, response.text
    order: dict[str, Any] = response.json()
    return order


async def get_order(
    client: httpx.AsyncClient, headers: dict[str, str], order_id: str
) -> dict[str, Any]:
    response = await client.get(order_url(order_id), headers=headers)
    assert response.status_code == 200, response.text
    order: dict[str, Any] = response.json()
    return order


async def event_tickets(
    client: httpx.AsyncClient, headers: dict[str, str], event: str, status: str | None = None
) -> list[dict[str, Any]]:
    params = {"status": status} if status is not None else None
    response = await client.get(
        f"/v1/resources/events/{event}/tickets", headers=headers, params=params
    )
    assert response.status_code == 200, response.text
    rows: list[dict[str, Any]] = response.json()
    return rows


async def vacancies(
    client: httpx.AsyncClient, headers: dict[str, str], event: str
) -> dict[str, int]:
    """{set_id: amount_vacant} from the simple/events catalogue."""
    response = await client.get(SIMPLE_EVENTS, headers=headers)
    assert response.status_code == 200, response.text
    found = [e for e in response.json() if e["id"] == event]
    assert len(found) == 1, response.json()
    return {s["id"]: s["amount_vacant"] for s in found[0]["sets"]}


def assert_v1_error(response: httpx.Response, status: int, code: str | None = None) -> None:
    """The v1 error format: {"error": "HTTP...", "reason": "<text>", "code": "<code>"}."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert isinstance(body, dict), body
    assert re.fullmatch(r"HTTP[A-Za-z]+", body["error"]), body
    assert isinstance(body["reason"], str) and body["reason"], body
    assert isinstance(body["code"], str) and body["code"], body
    if code is not None:
        assert body["code"] == code, body


async def db_state(
    db: Database, of: Sequence[Table] = STATE_TABLES
) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table named (default: the ticketing ones), in primary-key order."""
    state: dict[str, list[tuple[Any, ...]]] = {}
    async with db.engine.connect() as conn:
        if db.is_sqlite:
            conn = await conn.execution_options(kassa_write=False)
        for table in of:
            query = select(table).order_by(*table.primary_key.columns)
            state[table.name] = [tuple(row) for row in await conn.execute(query)]
    return state


async def outbox_rows(db: Database, order_id: str | None = None) -> list[dict[str, Any]]:
    async with db.engine.connect() as conn:
        if db.is_sqlite:
            conn = await conn.execution_options(kassa_write=False)
        query = select(tables.outbox).order_by(tables.outbox.c.id)
        if order_id is not None:
            query = query.where(tables.outbox.c.order_id == order_id)
        return [dict(row._mapping) for row in await conn.execute(query)]


@dataclass(frozen=True)
class Pristine:
    """A client on a database of its own (see the `pristine` fixture)."""

    client: httpx.AsyncClient
    db: Database
    organiser: dict[str, str]


@dataclass(frozen=True)
class Tenant:
    """An organisation of its own: organiser and seller keys, one public event, one set."""

    org_id: str
    partner_id: str
    organiser: dict[str, str]
    seller: dict[str, str]
    event_id: str
    set_id: str
    rule_id: str


async def make_tenant(
    db: Database,
    now: datetime,
    *,
    name: str = "Other Organiser",
    fee: FeePolicy | None = None,
    price: Decimal = Decimal("100.00"),
    capacity: int = 10,
    webhook_url: str | None = None,
    webhook_secret: str | None = None,
) -> Tenant:
    org_id = await tenants.create_organisation(db, name, fee or FeePolicy(), now)
    organiser_key = await tenants.issue_key(db, org_id, now, label="organiser")
    partner_id = await tenants.create_partner(
        db, org_id, f"{name} seller", now, webhook_url=webhook_url, webhook_secret=webhook_secret
    )
    seller_key = await tenants.issue_key(db, org_id, now, partner_id=partner_id, label="seller")
    organiser = Principal(org_id)
    starts = now + timedelta(days=10)
    event = await catalog.create_event(
        db,
        organiser,
        now,
        title=f"{name} show",
        description=None,
        starts_at=starts,
        ends_at=starts + timedelta(hours=2),
        timezone="UTC",
        status=EventStatus.PUBLIC,
    )
    ticket_set = await catalog.create_set(
        db, organiser, event.id, now, name="Main", price=price, capacity=capacity
    )
    await analyze(db)
    return Tenant(
        org_id=org_id,
        partner_id=partner_id,
        organiser=key_header(organiser_key.key),
        seller=key_header(seller_key.key),
        event_id=event.id,
        set_id=ticket_set.id,
        rule_id=ticket_set.rules[0].id,
    )


@dataclass
class Received:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class Receiver:
    """A real HTTP endpoint on 127.0.0.1 (asyncio streams, no framework): records every
    request and answers `status`."""

    status: int = 200
    requests: list[Received] = field(default_factory=list)
    url: str = ""
    _server: asyncio.Server | None = None

    async def __aenter__(self) -> "Receiver":
        self._server = await asyncio.start_server(self._handle, "127.0.0.1", 0)
        port = self._server.sockets[0].getsockname()[1]
        self.url = f"http://127.0.0.1:{port}/hooks/kassa"
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self._server is not None
        self._server.close()
        await self._server.wait_closed()

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            head = (await reader.readuntil(b"\r\n\r\n")).decode("latin-1")
            request_line, *header_lines = head.split("\r\n")
            method, path, _version = request_line.split(" ", 2)
            headers = {}
            for line in header_lines:
                if line:
                    name, _, value = line.partition(":")
                    headers[name.strip().lower()] = value.strip()
            body = await reader.readexactly(int(headers.get("content-length", "0")))
            self.requests.append(Received(method, path, headers, body))
            reply = b"ok" if self.status < 400 else b"receiver is down"
            reason = "OK" if self.status < 400 else "Internal Server Error"
            writer.write(
                f"HTTP/1.1 {self.status} {reason}\r\nContent-Type: text/plain\r\n"
                f"Content-Length: {len(reply)}\r\nConnection: close\r\n\r\n".encode()
                + reply
            )
            await writer.drain()
        finally:
            writer.close()


FACES = ("v1", "v2", "loyalty", "delivery", "console", "promo-check")


def assert_face_error(
    response: httpx.Response, face: str, status: int, code: str | None = None
) -> None:
    """An error in the face's own format: v1 (and Kassa's admin APIs) `{error, reason, code}`,
    v2 `{"errors": [...]}`, loyalty the REES46 envelope, delivery `[{code, description}]`
    (`code` then names the number), the console an HTML page."""
    assert response.status_code == status, response.text
    if face == "v1":
        assert_v1_error(response, status, code)
        return
    if face == "console":
        assert response.headers["content-type"].startswith("text/html"), response.text
        return
    assert response.headers["content-type"].startswith("application/json"), response.text
    body = response.json()
    if face == "promo-check":  # the v2 promo-code check: exactly `{"error", "reason"}`
        assert set(body) == {"error", "reason"} and body["reason"], body
        return
    if face == "v2":
        assert set(body) == {"errors"} and body["errors"], body
        assert all(isinstance(m, str) and m for m in body["errors"]), body
    elif face == "loyalty":
        assert body["status"] == "error" and body["success"] is False, body
        assert isinstance(body["payload"]["message"], str) and body["payload"]["message"], body
    elif face == "delivery":
        assert isinstance(body, list) and len(body) == 1, body
        assert isinstance(body[0]["code"], int) and body[0]["description"], body
        if code is not None:
            assert body[0]["code"] == int(code), body
    else:
        raise AssertionError(f"unknown face {face}")


async def all_rows(db: Database) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table of every face: a refused request changed nothing at all."""
    state: dict[str, list[tuple[Any, ...]]] = {}
    async with db.engine.connect() as conn:
        if db.is_sqlite:
            conn = await conn.execution_options(kassa_write=False)
        for table in tables.metadata.sorted_tables:
            rows = await conn.execute(select(table))
            state[table.name] = sorted((tuple(row) for row in rows), key=repr)
    return state
