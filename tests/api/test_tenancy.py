"""Who may see and change what: API keys, sellers, organisers, other organisations."""

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import replace
from datetime import timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from kassa.app import demo, tenants
from kassa.config import Settings
from kassa.store.db import Database
from tests.api.helpers import (
    ORDERS,
    SIMPLE_EVENTS,
    Tenant,
    assert_v1_error,
    create_order,
    db_state,
    get_order,
    key_header,
    order_url,
    vacancies,
)
from tests.conftest import FakeClock, create_app

STALLS = demo.STALLS_SET_ID
EVENT = demo.EVENT_ID
DEMO_EVENTS = [demo.EVENT_ID, demo.V2_EVENT_ID]
NewTenant = Callable[..., Awaitable[Tenant]]


@pytest.mark.parametrize(
    "authorization",
    [
        None,
        "",
        "key",
        "key ",
        "key not-a-key",
        "key 0123456789abcdef",
        "key 0123456789abcdef0123456789abcdeg",
        "key ffffffffffffffffffffffffffffffff",
        f"Bearer {demo.ORG_KEY}",
        demo.ORG_KEY,
        f"key {demo.ORG_KEY}x",
    ],
)
async def test_missing_or_garbage_keys_get_401(
    client: httpx.AsyncClient, demo_data: demo.DemoInfo, db: Database, authorization: str | None
) -> None:
    headers = {} if authorization is None else {"Authorization": authorization}
    before = await db_state(db)

    for method, url, body in (
        ("GET", ORDERS, None),
        ("POST", ORDERS, {"event": EVENT, "random": {STALLS: 1}}),
        ("GET", SIMPLE_EVENTS, None),
        ("GET", f"/v1/resources/events/{EVENT}/tickets", None),
        ("POST", "/v1/resources/events", {"title": {"text": "x"}}),
    ):
        response = await client.request(method, url, headers=headers, json=body)
        assert_v1_error(response, 401, "api_key_invalid")
        assert response.json()["error"] == "HTTPUnauthorized"
        assert response.headers["WWW-Authenticate"] == "key"
        assert "X-Partner" not in response.headers
    assert await db_state(db) == before


async def test_key_scheme_is_case_insensitive(
    client: httpx.AsyncClient, demo_data: demo.DemoInfo
) -> None:
    for scheme in ("Key", "KEY", "key"):
        response = await client.get(ORDERS, headers={"Authorization": f"{scheme} {demo.ORG_KEY}"})
        assert response.status_code == 200
        assert response.headers["X-Partner"] == demo.ORG_ID


async def test_revoked_key_gets_401(
    client: httpx.AsyncClient, demo_data: demo.DemoInfo, db: Database, clock: FakeClock
) -> None:
    issued = await tenants.issue_key(db, demo.ORG_ID, clock(), partner_id=demo.PARTNER_ID)
    assert await tenants.revoke_key(db, issued.key, clock())

    response = await client.get(ORDERS, headers=key_header(issued.key))

    assert_v1_error(response, 401, "api_key_invalid")
    assert not await tenants.revoke_key(db, issued.key, clock())


async def test_revoked_key_stops_within_the_auth_cache_ttl(
    demo_data: demo.DemoInfo, db: Database, clock: FakeClock, settings: Settings
) -> None:
    app = create_app(replace(settings, auth_cache_seconds=0.2), db=db, clock=clock)
    transport = httpx.ASGITransport(app=app)
    issued = await tenants.issue_key(db, demo.ORG_ID, clock(), partner_id=demo.PARTNER_ID)
    async with httpx.AsyncClient(transport=transport, base_url="http://kassa.test") as http:
        assert (await http.get(ORDERS, headers=key_header(issued.key))).status_code == 200
        await tenants.revoke_key(db, issued.key, clock())
        await asyncio.sleep(0.3)

        response = await http.get(ORDERS, headers=key_header(issued.key))

    assert_v1_error(response, 401, "api_key_invalid")


async def test_sellers_see_only_their_own_orders(
    client: httpx.AsyncClient,
    organiser: dict[str, str],
    seller: dict[str, str],
    db: Database,
    clock: FakeClock,
) -> None:
    other_id = await tenants.create_partner(db, demo.ORG_ID, "Second seller", clock())
    other = key_header((await tenants.issue_key(db, demo.ORG_ID, clock(), partner_id=other_id)).key)
    mine = await create_order(client, seller, EVENT, random={STALLS: 1})
    theirs = await create_order(client, other, EVENT, random={STALLS: 2})
    own = await create_order(client, organiser, EVENT, random={STALLS: 3})
    before = await db_state(db)

    for order_id in (theirs["id"], own["id"]):
        for method, url, body in (
            ("GET", order_url(order_id), None),
            ("GET", f"{order_url(order_id)}/tickets", None),
            ("GET", f"/api/v1/orders/{order_id}/timeline", None),
            ("PATCH", order_url(order_id), {"status": "canceled"}),
            ("PATCH", order_url(order_id), {"random": {STALLS: 0}}),
            ("DELETE", order_url(order_id), None),
        ):
            response = await client.request(method, url, headers=seller, json=body)
            assert_v1_error(response, 404, "order_not_found")
    assert await db_state(db) == before

    listed = await client.get(ORDERS, headers=seller)
    assert [o["id"] for o in listed.json()] == [mine["id"]]
    assert listed.headers["X-Total-Count"] == "1"
    other_listed = await client.get(ORDERS, headers=other)
    assert [o["id"] for o in other_listed.json()] == [theirs["id"]]
    everything = await client.get(ORDERS, headers=organiser)
    assert {o["id"] for o in everything.json()} == {mine["id"], theirs["id"], own["id"]}
    assert everything.headers["X-Total-Count"] == "3"
    for order in (mine, theirs, own):
        assert await get_order(client, organiser, order["id"]) == order
    # The organiser may act on any of its events' orders.
    canceled = await client.patch(
        order_url(theirs["id"]), headers=organiser, json={"status": "canceled"}
    )
    assert canceled.json()["status"] == "canceled"


async def _second_sellers_order(
    client: httpx.AsyncClient, db: Database, clock: FakeClock
) -> tuple[dict[str, str], dict[str, Any]]:
    """A second seller of the demo organisation (its key header) and an order it made."""
    other_id = await tenants.create_partner(db, demo.ORG_ID, "Second seller", clock())
    other = key_header((await tenants.issue_key(db, demo.ORG_ID, clock(), partner_id=other_id)).key)
    return other, await create_order(client, other, EVENT, random={STALLS: 1})


@asynccontextmanager
async def _in_flight(db: Database, order_id: str) -> AsyncIterator[AsyncConnection]:
    """A change in flight on the order: its row locked by another transaction until rollback."""
    async with db.engine.connect() as in_flight:
        await in_flight.begin()
        await in_flight.execute(
            text("SELECT id FROM orders WHERE id = :id FOR UPDATE"), {"id": order_id}
        )
        yield in_flight


async def test_a_change_in_flight_is_409_only_to_those_who_see_the_order(
    client: httpx.AsyncClient,
    seller: dict[str, str],
    db: Database,
    clock: FakeClock,
    backend: str,
) -> None:
    """Another tenant's PATCH of an order being changed is 404, as ever: it is refused before
    any lock, so it neither learns by a 409 that the order exists nor holds up its owner."""
    if backend == "sqlite":
        pytest.skip("SQLite has one writer at a time: no order is ever held beside a change")
    other, theirs = await _second_sellers_order(client, db, clock)
    async with _in_flight(db, theirs["id"]) as in_flight:
        for body in ({"customer": {"email": "x@example.com"}}, {"status": "canceled"}):
            response = await client.patch(order_url(theirs["id"]), headers=seller, json=body)
            assert_v1_error(response, 404, "order_not_found")
        busy = await client.patch(
            order_url(theirs["id"]), headers=other, json={"customer": {"email": "x@example.com"}}
        )
        assert busy.status_code == 409, busy.text
        await in_flight.rollback()
    assert await get_order(client, other, theirs["id"]) == theirs


async def test_a_cancel_of_an_order_in_flight_is_409_only_to_those_who_see_it(
    client: httpx.AsyncClient,
    seller: dict[str, str],
    db: Database,
    clock: FakeClock,
    backend: str,
) -> None:
    """The one engine's lock names its caller too: another tenant's cancel (v1 DELETE, Kassa's
    cancellation API) of an order being changed is 404, never a 409 that tells it exists."""
    if backend == "sqlite":
        pytest.skip("SQLite has one writer at a time: no order is ever held beside a change")
    other, theirs = await _second_sellers_order(client, db, clock)
    cancellation = f"/api/v1/orders/{theirs['id']}/cancellation"
    async with _in_flight(db, theirs["id"]) as in_flight:
        stranger = await client.delete(order_url(theirs["id"]), headers=seller)
        assert_v1_error(stranger, 404, "order_not_found")
        stranger = await client.post(
            cancellation, headers=seller, json={"reason": "customer_request"}
        )
        assert_v1_error(stranger, 404, "order_not_found")
        busy = await client.post(cancellation, headers=other, json={"reason": "customer_request"})
        assert busy.status_code == 409, busy.text
        await in_flight.rollback()
    assert await get_order(client, other, theirs["id"]) == theirs


async def test_another_organisations_orders_do_not_exist(
    client: httpx.AsyncClient,
    organiser: dict[str, str],
    seller: dict[str, str],
    new_tenant: NewTenant,
    db: Database,
) -> None:
    other = await new_tenant()
    by_organiser = await create_order(
        client, other.organiser, other.event_id, random={other.set_id: 2}
    )
    by_seller = await create_order(client, other.seller, other.event_id, random={other.set_id: 1})
    before = await db_state(db)

    for order in (by_organiser, by_seller):
        for headers in (organiser, seller):
            for method, url, body in (
                ("GET", order_url(order["id"]), None),
                ("GET", f"{order_url(order['id'])}/tickets", None),
                ("GET", f"/api/v1/orders/{order['id']}/timeline", None),
                ("PATCH", order_url(order["id"]), {"status": "canceled"}),
                ("PATCH", order_url(order["id"]), {"random": {other.set_id: 5}}),
                ("PATCH", order_url(order["id"]), {"customer": {"email": "x@example.com"}}),
                ("DELETE", order_url(order["id"]), None),
            ):
                response = await client.request(method, url, headers=headers, json=body)
                assert_v1_error(response, 404, "order_not_found")
                assert order["id"] in response.json()["reason"]
    assert await db_state(db) == before
    for headers in (organiser, seller):
        assert (await client.get(ORDERS, headers=headers)).json() == []
    assert await get_order(client, other.organiser, by_organiser["id"]) == by_organiser
    assert await get_order(client, other.seller, by_seller["id"]) == by_seller
    assert await vacancies(client, other.organiser, other.event_id) == {other.set_id: 7}


async def test_another_organisations_catalogue_is_out_of_reach(
    client: httpx.AsyncClient,
    organiser: dict[str, str],
    seller: dict[str, str],
    new_tenant: NewTenant,
    db: Database,
) -> None:
    other = await new_tenant()
    other_tickets = (
        await client.get(f"/v1/resources/events/{other.event_id}/tickets", headers=other.seller)
    ).json()
    mine = await create_order(client, seller, EVENT, random={STALLS: 1})
    before = await db_state(db)

    for headers in (organiser, seller):
        response = await client.post(
            ORDERS, headers=headers, json={"event": other.event_id, "random": {other.set_id: 1}}
        )
        assert_v1_error(response, 400, "event_not_found")
        response = await client.post(
            ORDERS, headers=headers, json={"event": EVENT, "random": {other.set_id: 1}}
        )
        assert_v1_error(response, 400, "set_not_found")
        response = await client.patch(
            order_url(mine["id"]), headers=headers, json={"tickets": [other_tickets[0]["id"]]}
        )
        assert_v1_error(response, 400, "ticket_not_in_event")
        for url in (
            f"/v1/resources/events/{other.event_id}",
            f"/v1/resources/events/{other.event_id}/tickets",
            f"/v1/resources/events/{other.event_id}/sets",
        ):
            assert_v1_error(await client.get(url, headers=headers), 404, "event_not_found")
        catalogue = (await client.get(SIMPLE_EVENTS, headers=headers)).json()
        assert [e["id"] for e in catalogue] == DEMO_EVENTS
    response = await client.patch(
        f"/v1/resources/events/{other.event_id}", headers=organiser, json={"age_rating": 18}
    )
    assert_v1_error(response, 404, "event_not_found")
    response = await client.post(
        f"/v1/resources/events/{other.event_id}/sets",
        headers=organiser,
        json={"name": "Mine now", "price": "1.00", "amount": 5},
    )
    assert_v1_error(response, 404, "event_not_found")
    assert await db_state(db) == before


async def test_sellers_cannot_change_the_catalogue(
    client: httpx.AsyncClient, seller: dict[str, str], db: Database, clock: FakeClock
) -> None:
    now = clock()
    lifetime = {
        "start": (now + timedelta(days=1)).isoformat(),
        "finish": (now + timedelta(days=1, hours=1)).isoformat(),
    }
    before = await db_state(db)
    sets = f"/v1/resources/events/{EVENT}/sets"

    for method, url, body in (
        ("POST", "/v1/resources/events", {"title": {"text": "Mine"}, "lifetime": lifetime}),
        ("PATCH", f"/v1/resources/events/{EVENT}", {"status": "cancelled"}),
        ("POST", sets, {"name": "VIP", "price": "1.00", "amount": 1}),
        ("PATCH", f"{sets}/{STALLS}", {"amount": 1}),
        ("POST", f"{sets}/{STALLS}/rules", {"price": "1.00"}),
        ("POST", "/v1/resources/venues", {"name": "Garage"}),
    ):
        response = await client.request(method, url, headers=seller, json=body)
        assert_v1_error(response, 403, "action_forbidden")
        assert response.json()["error"] == "HTTPForbidden"
    assert await db_state(db) == before


async def test_sellers_do_not_see_draft_events(
    client: httpx.AsyncClient, organiser: dict[str, str], seller: dict[str, str], clock: FakeClock
) -> None:
    now = clock()
    response = await client.post(
        "/v1/resources/events",
        headers=organiser,
        json={
            "title": {"text": "Secret gig"},
            "lifetime": {
                "start": (now + timedelta(days=1)).isoformat(),
                "finish": (now + timedelta(days=1, hours=1)).isoformat(),
            },
        },
    )
    assert response.status_code == 201
    draft = response.json()
    assert draft["status"] == "draft"

    assert_v1_error(
        await client.get(f"/v1/resources/events/{draft['id']}", headers=seller),
        404,
        "event_not_found",
    )
    assert [
        e["id"] for e in (await client.get(SIMPLE_EVENTS, headers=seller)).json()
    ] == DEMO_EVENTS
    organisers_view = (await client.get(SIMPLE_EVENTS, headers=organiser)).json()
    assert {e["id"] for e in organisers_view} == {*DEMO_EVENTS, draft["id"]}
