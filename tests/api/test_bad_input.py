"""Bad requests: each gets a 4xx in the v1 error format and changes nothing at all."""

from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from typing import Any

import httpx
import orjson
import pytest

from kassa.app import catalog, demo
from kassa.core.catalog import EventStatus
from kassa.core.tenancy import Principal
from kassa.store.db import Database
from tests.api.helpers import (
    ORDERS,
    Tenant,
    assert_v1_error,
    create_order,
    db_state,
    event_tickets,
    get_order,
    make_tenant,
    order_url,
)
from tests.conftest import FakeClock

STALLS = demo.STALLS_SET_ID
BALCONY = demo.BALCONY_SET_ID
EVENT = demo.EVENT_ID
UNKNOWN = "0123456789abcdef01234567"
LIMIT = 64 * 1024  # the test settings' max_body_bytes


@dataclass(frozen=True)
class World:
    """What the cases refer to: the demo event, a second event, another tenant, an order."""

    seller: dict[str, str]
    order: dict[str, Any]
    second_event: str
    second_set: str
    second_ticket: str
    vacant_ticket: str
    other: Tenant
    other_order: str


@pytest.fixture
async def world(
    client: httpx.AsyncClient, seller: dict[str, str], db: Database, clock: FakeClock
) -> World:
    now = clock()
    organiser = Principal(demo.ORG_ID)
    event = await catalog.create_event(
        db,
        organiser,
        now,
        title="Matinee",
        description=None,
        starts_at=now + timedelta(days=2),
        ends_at=now + timedelta(days=2, hours=2),
        timezone="UTC",
        status=EventStatus.PUBLIC,
    )
    second = await catalog.create_set(
        db, organiser, event.id, now, name="Only", price=Decimal("10.00"), capacity=3
    )
    other = await make_tenant(db, now, capacity=3)  # ANALYZEs, after the second event too
    order = await create_order(client, seller, EVENT, random={STALLS: 2})
    other_order = await create_order(client, other.seller, other.event_id, random={other.set_id: 1})
    second_tickets = await event_tickets(client, seller, event.id)
    vacant = await event_tickets(client, seller, EVENT, "vacant")
    return World(
        seller=seller,
        order=order,
        second_event=event.id,
        second_set=second.id,
        second_ticket=second_tickets[0]["id"],
        vacant_ticket=vacant[0]["id"],
        other=other,
        other_order=other_order["id"],
    )


def raw(content: bytes, content_type: str = "application/json") -> dict[str, Any]:
    return {"content": content, "headers": {"Content-Type": content_type}}


def js(body: Any) -> dict[str, Any]:
    return raw(orjson.dumps(body))


def many_ids(count: int) -> list[str]:
    return [f"{i:024x}" for i in range(count)]


Build = Callable[[World], tuple[str, str, dict[str, Any]]]


def create(body: Callable[[World], dict[str, Any]]) -> Build:
    return lambda w: ("POST", ORDERS, body(w))


def change(body: Callable[[World], dict[str, Any]]) -> Build:
    return lambda w: ("PATCH", order_url(w.order["id"]), body(w))


def on(method: str, url: Callable[[World], str], body: Callable[[World], dict[str, Any]]) -> Build:
    return lambda w: (method, url(w), body(w))


def ev(w: World, **rest: Any) -> dict[str, Any]:
    """A create body for the demo event."""
    return {"event": EVENT, **rest}


# (case id, request, status, code); code None means "any code".
CASES: list[tuple[str, Build, int, str | None]] = [
    ("create-malformed-json", create(lambda w: raw(b"{bad")), 400, "json_invalid"),
    ("patch-malformed-json", change(lambda w: raw(b'{"random": {')), 400, "json_invalid"),
    ("create-empty-body", create(lambda w: raw(b"")), 400, None),
    ("create-array-body", create(lambda w: js([ev(w)])), 400, "validation_failed"),
    ("create-string-body", create(lambda w: js("event")), 400, "validation_failed"),
    ("create-number-body", create(lambda w: js(42)), 400, "validation_failed"),
    ("create-null-body", create(lambda w: js(None)), 400, None),
    ("patch-array-body", change(lambda w: js([{"status": "canceled"}])), 400, "validation_failed"),
    # A body that is not JSON at all: 415 (issue 16), in the v1 format like every refusal here.
    (
        "create-not-json",
        create(lambda w: raw(b"event=1", "text/plain")),
        415,
        "unsupported_media_type",
    ),
    ("count-string", create(lambda w: js(ev(w, random={STALLS: "1"}))), 400, "validation_failed"),
    ("count-float", create(lambda w: js(ev(w, random={STALLS: 1.5}))), 400, "validation_failed"),
    ("count-true", create(lambda w: js(ev(w, random={STALLS: True}))), 400, "validation_failed"),
    ("count-null", create(lambda w: js(ev(w, random={STALLS: None}))), 400, "validation_failed"),
    ("count-negative", create(lambda w: js(ev(w, random={STALLS: -1}))), 400, "validation_failed"),
    (
        "count-1e9-literal",
        create(
            lambda w: raw(
                b'{"event": "%s", "random": {"%s": 1e9}}' % (EVENT.encode(), STALLS.encode())
            )
        ),
        400,
        "validation_failed",
    ),
    (
        "count-huge-int",
        create(lambda w: js(ev(w, random={STALLS: 10**9}))),
        400,
        "validation_failed",
    ),
    (
        "count-bigger-than-int64",
        create(
            lambda w: raw(
                b'{"event": "%s", "random": {"%s": %d}}' % (EVENT.encode(), STALLS.encode(), 2**70)
            )
        ),
        400,
        "validation_failed",
    ),
    ("count-over-500", create(lambda w: js(ev(w, random={STALLS: 501}))), 400, "validation_failed"),
    (
        "counts-sum-over-500",
        create(lambda w: js(ev(w, random={STALLS: 200, BALCONY: 100, w.second_set: 201}))),
        400,
        "reservation_invalid",
    ),
    ("random-not-a-map", create(lambda w: js(ev(w, random=[STALLS]))), 400, "validation_failed"),
    (
        "random-bad-set-id",
        create(lambda w: js(ev(w, random={"stalls": 1}))),
        400,
        "validation_failed",
    ),
    ("random-unknown-set", create(lambda w: js(ev(w, random={UNKNOWN: 1}))), 400, "set_not_found"),
    (
        "random-set-of-another-event",
        create(lambda w: js(ev(w, random={w.second_set: 1}))),
        400,
        "set_not_found",
    ),
    (
        "random-set-of-another-organisation",
        create(lambda w: js(ev(w, random={w.other.set_id: 1}))),
        400,
        "set_not_found",
    ),
    (
        "tickets-string",
        create(lambda w: js(ev(w, tickets=w.vacant_ticket))),
        400,
        "validation_failed",
    ),
    (
        "tickets-map",
        create(lambda w: js(ev(w, tickets={w.vacant_ticket: 1}))),
        400,
        "validation_failed",
    ),
    ("tickets-number", create(lambda w: js(ev(w, tickets=5))), 400, "validation_failed"),
    ("tickets-bad-id", create(lambda w: js(ev(w, tickets=["x"]))), 400, "validation_failed"),
    ("tickets-501", create(lambda w: js(ev(w, tickets=many_ids(501)))), 400, "validation_failed"),
    (
        "tickets-repeated",
        create(lambda w: js(ev(w, tickets=[w.vacant_ticket, w.vacant_ticket]))),
        400,
        "reservation_invalid",
    ),
    (
        "tickets-unknown",
        create(lambda w: js(ev(w, tickets=[UNKNOWN]))),
        400,
        "ticket_not_in_event",
    ),
    (
        "tickets-of-another-event",
        create(lambda w: js(ev(w, tickets=[w.vacant_ticket, w.second_ticket]))),
        400,
        "ticket_not_in_event",
    ),
    (
        "tickets-and-random",
        create(lambda w: js(ev(w, tickets=[w.vacant_ticket], random={STALLS: 1}))),
        400,
        "reservation_invalid",
    ),
    ("neither-tickets-nor-random", create(lambda w: js(ev(w))), 400, "not_enough_tickets"),
    ("random-zero", create(lambda w: js(ev(w, random={STALLS: 0}))), 400, "not_enough_tickets"),
    (
        "all-or-nothing-more-than-exist",
        create(lambda w: js(ev(w, random={BALCONY: 101}, all_or_nothing=True))),
        400,
        "not_enough_tickets",
    ),
    (
        "all-or-nothing-more-than-exist-as-string",
        create(lambda w: js(ev(w, random={STALLS: 1, BALCONY: 101}, all_or_nothing="true"))),
        400,
        "not_enough_tickets",
    ),
    (
        "all-or-nothing-held-ticket",
        create(
            lambda w: js(ev(w, tickets=[w.vacant_ticket, *w.order["tickets"]], all_or_nothing=1))
        ),
        400,
        None,
    ),
    (
        "all-or-nothing-garbage",
        create(lambda w: js(ev(w, random={STALLS: 1}, all_or_nothing="maybe"))),
        400,
        "validation_failed",
    ),
    ("event-missing", create(lambda w: js({"random": {STALLS: 1}})), 400, "validation_failed"),
    (
        "event-bad-id",
        create(lambda w: js({"event": "concert", "random": {STALLS: 1}})),
        400,
        "validation_failed",
    ),
    (
        "event-unknown",
        create(lambda w: js({"event": UNKNOWN, "random": {STALLS: 1}})),
        400,
        "event_not_found",
    ),
    (
        "event-of-another-organisation",
        create(lambda w: js({"event": w.other.event_id, "random": {w.other.set_id: 1}})),
        400,
        "event_not_found",
    ),
    (
        "customer-bad-lang",
        create(lambda w: js(ev(w, random={STALLS: 1}, customer={"lang": "de"}))),
        400,
        "validation_failed",
    ),
    (
        "customer-not-object",
        create(lambda w: js(ev(w, random={STALLS: 1}, customer="Ann"))),
        400,
        "validation_failed",
    ),
    (
        "create-too-large",
        create(lambda w: js(ev(w, random={STALLS: 1}, customer={"first_name": "x" * LIMIT}))),
        413,
        "body_too_large",
    ),
    (
        "patch-too-large",
        change(lambda w: js({"payment": {"success_url": "https://x/" + "y" * LIMIT}})),
        413,
        "body_too_large",
    ),
    (
        "patch-count-string",
        change(lambda w: js({"random": {STALLS: "3"}})),
        400,
        "validation_failed",
    ),
    (
        "patch-count-float",
        change(lambda w: js({"random": {STALLS: 3.0}})),
        400,
        "validation_failed",
    ),
    (
        "patch-count-negative",
        change(lambda w: js({"random": {STALLS: -2}})),
        400,
        "validation_failed",
    ),
    (
        "patch-count-huge",
        change(lambda w: js({"random": {STALLS: 10**9}})),
        400,
        "validation_failed",
    ),
    ("patch-tickets-not-list", change(lambda w: js({"tickets": "all"})), 400, "validation_failed"),
    ("patch-unknown-set", change(lambda w: js({"random": {UNKNOWN: 1}})), 400, "set_not_found"),
    (
        "patch-set-of-another-event",
        change(lambda w: js({"random": {w.second_set: 1}})),
        400,
        "set_not_found",
    ),
    (
        "patch-ticket-of-another-event",
        change(lambda w: js({"tickets": [*w.order["tickets"], w.second_ticket]})),
        400,
        "ticket_not_in_event",
    ),
    (
        "patch-all-or-nothing-shortfall",
        change(lambda w: js({"random": {STALLS: 2, BALCONY: 101}, "all_or_nothing": "true"})),
        400,
        "not_enough_tickets",
    ),
    (
        "patch-tickets-and-random",
        change(lambda w: js({"tickets": w.order["tickets"], "random": {STALLS: 2}})),
        400,
        "reservation_invalid",
    ),
    (
        "patch-status-unknown",
        change(lambda w: js({"status": "refunded"})),
        400,
        "validation_failed",
    ),
    (
        "patch-status-expired",
        change(lambda w: js({"status": "expired"})),
        400,
        "order_status_transition_invalid",
    ),
    (
        "patch-status-done-skipping-payment",
        change(lambda w: js({"status": "done"})),
        400,
        "order_status_transition_invalid",
    ),
    (
        "patch-unknown-order",
        on("PATCH", lambda w: order_url(UNKNOWN), lambda w: js({"status": "canceled"})),
        404,
        "order_not_found",
    ),
    (
        "patch-malformed-order-id",
        on("PATCH", lambda w: order_url("not-an-order"), lambda w: js({"status": "canceled"})),
        404,
        None,
    ),
    (
        "patch-other-tenants-order",
        on("PATCH", lambda w: order_url(w.other_order), lambda w: js({"status": "canceled"})),
        404,
        "order_not_found",
    ),
    (
        "delete-other-tenants-order",
        on("DELETE", lambda w: order_url(w.other_order), lambda w: {}),
        404,
        "order_not_found",
    ),
    (
        "delete-unknown-order",
        on("DELETE", lambda w: order_url(UNKNOWN), lambda w: {}),
        404,
        "order_not_found",
    ),
    (
        "get-unknown-event-tickets",
        on("GET", lambda w: f"/v1/resources/events/{UNKNOWN}/tickets", lambda w: {}),
        404,
        "event_not_found",
    ),
    (
        "put-order",
        on("PUT", lambda w: order_url(w.order["id"]), lambda w: js({})),
        405,
        "method_not_allowed",
    ),
    ("unknown-path", on("GET", lambda w: "/v1/resources/nothing", lambda w: {}), 404, "not_found"),
]


@pytest.mark.parametrize(
    ("build", "status", "code"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
async def test_bad_request_is_refused_and_changes_nothing(
    client: httpx.AsyncClient,
    world: World,
    db: Database,
    build: Build,
    status: int,
    code: str | None,
) -> None:
    method, url, kwargs = build(world)
    headers = {**world.seller, **kwargs.pop("headers", {})}
    before = await db_state(db)

    response = await client.request(method, url, headers=headers, **kwargs)

    assert_v1_error(response, status, code)
    assert await db_state(db) == before
    assert await get_order(client, world.seller, world.order["id"]) == world.order


async def test_other_tenants_order_id_is_404_everywhere(
    client: httpx.AsyncClient, world: World, db: Database
) -> None:
    other_order = await create_order(
        client, world.other.seller, world.other.event_id, random={world.other.set_id: 1}
    )
    before = await db_state(db)

    for method, suffix in (("GET", ""), ("GET", "/tickets"), ("DELETE", "")):
        response = await client.request(
            method, order_url(other_order["id"]) + suffix, headers=world.seller
        )
        assert_v1_error(response, 404, "order_not_found")
    assert await db_state(db) == before


async def streamed(chunks: list[bytes]) -> AsyncIterator[bytes]:
    for chunk in chunks:
        yield chunk


async def test_streamed_oversized_body_is_413(
    client: httpx.AsyncClient, world: World, db: Database
) -> None:
    before = await db_state(db)
    body = orjson.dumps(
        {"event": EVENT, "random": {STALLS: 1}, "customer": {"first_name": "x" * LIMIT}}
    )
    chunks = [body[i : i + 8192] for i in range(0, len(body), 8192)]

    response = await client.post(
        ORDERS,
        headers={**world.seller, "Content-Type": "application/json"},
        content=streamed(chunks),
    )

    assert await db_state(db) == before
    assert_v1_error(response, 413, "body_too_large")


async def test_body_just_under_the_limit_is_accepted(
    client: httpx.AsyncClient, world: World
) -> None:
    skeleton = orjson.dumps({"event": EVENT, "random": {STALLS: 1}, "payment": {"system": ""}})
    padding = b" " * (LIMIT - len(skeleton))
    body = skeleton[:-1] + padding + skeleton[-1:]
    assert len(body) == LIMIT

    response = await client.post(
        ORDERS, headers={**world.seller, "Content-Type": "application/json"}, content=body
    )

    assert response.status_code == 201, response.text
