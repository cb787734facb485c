"""The organiser's catalogue API: venues, events, sets, price rules, resizing."""

from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import Any

import httpx

from kassa.app import demo
from kassa.store.db import Database
from tests.api.helpers import (
    ISO_UTC_MICRO,
    OBJECT_ID,
    SIMPLE_EVENTS,
    Pristine,
    Tenant,
    assert_v1_error,
    create_order,
    db_state,
    event_tickets,
    vacancies,
)
from tests.conftest import FakeClock

STALLS = demo.STALLS_SET_ID
BALCONY = demo.BALCONY_SET_ID
EVENT = demo.EVENT_ID
DEMO_EVENTS = [demo.EVENT_ID, demo.V2_EVENT_ID]
EVENTS = "/v1/resources/events"


def ical(start: datetime, finish: datetime) -> str:
    return (
        "BEGIN:VEVENT\r\n"
        f"DTSTART;VALUE=DATE-TIME:{start:%Y%m%dT%H%M%SZ}\r\n"
        f"DTEND;VALUE=DATE-TIME:{finish:%Y%m%dT%H%M%SZ}\r\n"
        "END:VEVENT\r\n"
    )


def sets_url(event_id: str, set_id: str = "") -> str:
    return f"{EVENTS}/{event_id}/sets" + (f"/{set_id}" if set_id else "")


async def post(
    client: httpx.AsyncClient, url: str, headers: dict[str, str], body: dict[str, Any]
) -> dict[str, Any]:
    response = await client.post(url, headers=headers, json=body)
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


async def patch(
    client: httpx.AsyncClient, url: str, headers: dict[str, str], body: dict[str, Any]
) -> dict[str, Any]:
    response = await client.patch(url, headers=headers, json=body)
    assert response.status_code == 200, response.text
    changed: dict[str, Any] = response.json()
    return changed


async def one_set(
    client: httpx.AsyncClient, headers: dict[str, str], event_id: str, set_id: str
) -> dict[str, Any]:
    response = await client.get(sets_url(event_id), headers=headers)
    assert response.status_code == 200, response.text
    [found] = [s for s in response.json() if s["id"] == set_id]
    return dict(found)


async def test_create_venue_event_and_set(
    client: httpx.AsyncClient, organiser: dict[str, str], seller: dict[str, str], clock: FakeClock
) -> None:
    now = clock()
    start, finish = now + timedelta(days=7), now + timedelta(days=7, hours=3)

    venue = await post(
        client,
        "/v1/resources/venues",
        organiser,
        {"name": "Club", "timezone": "Europe/Berlin", "address": "Str. 1", "city": "Berlin"},
    )

    assert OBJECT_ID.fullmatch(venue["id"])
    assert venue == {
        "id": venue["id"],
        "address": "Str. 1",
        "city": {"name": "Berlin", "timezone": "Europe/Berlin"},
        "country": "",
        "desc": None,
        "name": "Club",
        "point": None,
    }

    event = await post(
        client,
        EVENTS,
        organiser,
        {
            "title": {"text": "Late show", "desc": "Jazz"},
            "lifetime": {"start": start.isoformat(), "finish": finish.isoformat()},
            "timezone": "Europe/Berlin",
            "venue": venue["id"],
            "age_rating": 16,
        },
    )

    assert OBJECT_ID.fullmatch(event["id"])
    assert event["status"] == "draft"
    assert event["title"] == {"text": "Late show", "desc": "Jazz"}
    assert event["lifetime"] == ical(start, finish)
    assert event["venue"] == venue
    assert event["org"]["id"] == demo.ORG_ID
    assert event["org"]["name"] == "Demo Organiser"
    assert (event["age_rating"], event["timezone"]) == (16, "Europe/Berlin")
    assert (event["sets"], event["tickets_amount"], event["tickets_amount_vacant"]) == ([], 0, 0)
    assert ISO_UTC_MICRO.fullmatch(event["created_at"])

    created = await post(
        client,
        sets_url(event["id"]),
        organiser,
        {"name": "Dance floor", "price": "25.50", "amount": 25, "pos": 3},
    )

    assert OBJECT_ID.fullmatch(created["id"])
    assert (created["name"], created["pos"], created["seats"]) == ("Dance floor", 3, False)
    assert (created["amount"], created["amount_vacant"]) == (25, 25)
    assert (created["price"], created["price_org"], created["price_extra"]) == (
        "25.50",
        "25.50",
        "0.00",
    )
    [rule] = created["rules"]
    assert OBJECT_ID.fullmatch(rule["id"])
    assert (rule["current"], rule["price"]) == (True, "25.50")
    rows = await event_tickets(client, organiser, event["id"])
    assert len(rows) == 25
    assert {r["set"] for r in rows} == {created["id"]}
    assert {r["status"] for r in rows} == {"vacant"}
    assert len({r["id"] for r in rows}) == len({r["number"] for r in rows}) == 25
    assert len({r["serial"] for r in rows}) == 1

    # A draft is the organiser's alone; made public, sellers see it and can sell it.
    assert [
        e["id"] for e in (await client.get(SIMPLE_EVENTS, headers=seller)).json()
    ] == DEMO_EVENTS
    response = await client.post(
        "/v1/resources/orders",
        headers=organiser,
        json={"event": event["id"], "random": {created["id"]: 1}},
    )
    assert_v1_error(response, 400, "event_not_on_sale")
    published = await patch(client, f"{EVENTS}/{event['id']}", organiser, {"status": "public"})
    assert published["status"] == "public"
    listed = {e["id"]: e for e in (await client.get(SIMPLE_EVENTS, headers=seller)).json()}
    assert listed[event["id"]]["sets"][0]["amount"] == 25
    # Named tickets, not `random`: see test_orders.py::test_random_claims_exactly_*.
    order = await create_order(client, seller, event["id"], tickets=[rows[0]["id"], rows[1]["id"]])
    assert order["value"] == "51.00"
    assert order["rules"] == {created["id"]: rule["id"]}
    assert await vacancies(client, seller, event["id"]) == {created["id"]: 23}


async def test_update_event(
    client: httpx.AsyncClient, organiser: dict[str, str], clock: FakeClock, db: Database
) -> None:
    clock.advance(minutes=3)
    start = clock() + timedelta(days=60)

    changed = await patch(
        client,
        f"{EVENTS}/{EVENT}",
        organiser,
        {
            "title": {"text": "Demo concert (moved)", "desc": None},
            "lifetime": {
                "start": start.isoformat(),
                "finish": (start + timedelta(hours=2)).isoformat(),
            },
            "age_rating": 18,
        },
    )

    assert changed["title"] == {"text": "Demo concert (moved)", "desc": None}
    assert changed["lifetime"] == ical(start, start + timedelta(hours=2))
    assert changed["age_rating"] == 18
    assert changed["timezone"] == "Europe/Moscow"
    assert changed["updated_at"] == clock().isoformat(timespec="microseconds")
    assert changed["created_at"] != changed["updated_at"]
    read = await client.get(f"{EVENTS}/{EVENT}", headers=organiser)
    assert read.json() == changed

    before = await db_state(db)
    for body in (
        {"lifetime": {"start": start.isoformat(), "finish": start.isoformat()}},
        {"lifetime": {"start": "2030-01-01T10:00:00", "finish": "2030-01-01T12:00:00"}},
        {"status": "sold-out"},
        {"age_rating": "18"},
        {"title": {"text": ""}},
        {"venue": "not-an-id"},
    ):
        response = await client.patch(f"{EVENTS}/{EVENT}", headers=organiser, json=body)
        assert_v1_error(response, 400)
    assert await db_state(db) == before


async def test_update_event_with_an_unknown_venue_is_400(
    client: httpx.AsyncClient, organiser: dict[str, str], db: Database
) -> None:
    before = await db_state(db)

    response = await client.patch(f"{EVENTS}/{EVENT}", headers=organiser, json={"venue": "0" * 24})

    assert_v1_error(response, 400, "catalog_invalid")
    assert await db_state(db) == before


async def test_another_organisations_venue_cannot_be_used(
    client: httpx.AsyncClient,
    organiser: dict[str, str],
    new_tenant: Callable[..., Awaitable[Tenant]],
    clock: FakeClock,
    db: Database,
) -> None:
    other = await new_tenant()
    venue = await post(
        client, "/v1/resources/venues", other.organiser, {"name": "Private hall", "address": "X"}
    )
    now = clock()
    before = await db_state(db)

    response = await client.post(
        EVENTS,
        headers=organiser,
        json={
            "title": {"text": "Borrowed hall"},
            "lifetime": {
                "start": (now + timedelta(days=1)).isoformat(),
                "finish": (now + timedelta(days=1, hours=1)).isoformat(),
            },
            "venue": venue["id"],
        },
    )

    assert_v1_error(response, 400, "catalog_invalid")
    assert await db_state(db) == before


async def test_price_rule_window_switches_the_price(
    client: httpx.AsyncClient, organiser: dict[str, str], seller: dict[str, str], clock: FakeClock
) -> None:
    start = clock() + timedelta(hours=1)
    finish = start + timedelta(hours=1)

    with_rule = await post(
        client,
        f"{sets_url(EVENT, STALLS)}/rules",
        organiser,
        {"price": "80.00", "start": start.isoformat(), "finish": finish.isoformat()},
    )

    [open_rule, window] = sorted(with_rule["rules"], key=lambda r: r["id"] != demo.STALLS_RULE_ID)
    assert open_rule["id"] == demo.STALLS_RULE_ID
    assert window["cal"] == ical(start, finish)
    assert (window["price"], window["current"], open_rule["current"]) == ("80.00", False, True)
    assert with_rule["price"] == "100.00"

    before = await create_order(client, seller, EVENT, random={STALLS: 1})
    clock.advance(hours=1)
    inside = await create_order(client, seller, EVENT, random={STALLS: 2})
    listed = await one_set(client, seller, EVENT, STALLS)
    clock.advance(hours=1)
    after = await create_order(client, seller, EVENT, random={STALLS: 1})

    assert (before["value"], before["rules"]) == ("100.00", {STALLS: demo.STALLS_RULE_ID})
    assert (inside["value"], inside["rules"]) == ("160.00", {STALLS: window["id"]})
    assert listed["price"] == "80.00"
    assert {r["id"]: r["current"] for r in listed["rules"]} == {
        demo.STALLS_RULE_ID: False,
        window["id"]: True,
    }
    assert (after["value"], after["rules"]) == ("100.00", {STALLS: demo.STALLS_RULE_ID})
    # An order mixing sets names each set's rule.
    clock.advance(hours=-1, minutes=30)
    mixed = await create_order(client, seller, EVENT, random={STALLS: 1, BALCONY: 1})
    assert mixed["rules"] == {STALLS: window["id"], BALCONY: demo.BALCONY_RULE_ID}
    assert mixed["value"] == "580.00"


async def test_rule_with_a_bad_window_is_refused(
    client: httpx.AsyncClient, organiser: dict[str, str], clock: FakeClock, db: Database
) -> None:
    now = clock()
    before = await db_state(db)
    for body in (
        {"price": "10.00", "start": now.isoformat(), "finish": now.isoformat()},
        {"price": "-1.00"},
        {"price": "1.001"},
        {"price": "ten"},
        {"price": "10.00", "start": "tomorrow"},
    ):
        response = await client.post(
            f"{sets_url(EVENT, STALLS)}/rules", headers=organiser, json=body
        )
        assert_v1_error(response, 400)
    response = await client.post(
        f"{sets_url(EVENT, '0' * 24)}/rules", headers=organiser, json={"price": "1.00"}
    )
    assert_v1_error(response, 404, "set_not_found")
    assert await db_state(db) == before


async def test_resize_a_set_up_and_down(
    client: httpx.AsyncClient, organiser: dict[str, str], db: Database
) -> None:
    grown = await patch(client, sets_url(EVENT, BALCONY), organiser, {"amount": 120})

    assert (grown["amount"], grown["amount_vacant"]) == (120, 120)
    rows = [r for r in await event_tickets(client, organiser, EVENT) if r["set"] == BALCONY]
    assert len(rows) == 120
    assert len({r["number"] for r in rows}) == 120

    order = await create_order(client, organiser, EVENT, random={BALCONY: 10})
    shrunk = await patch(client, sets_url(EVENT, BALCONY), organiser, {"amount": 105})

    assert (shrunk["amount"], shrunk["amount_vacant"]) == (105, 95)
    reserved = await event_tickets(client, organiser, EVENT, "reserved")
    assert sorted(r["id"] for r in reserved) == sorted(order["tickets"])

    before = await db_state(db)
    response = await client.patch(sets_url(EVENT, BALCONY), headers=organiser, json={"amount": 9})
    assert_v1_error(response, 400, "catalog_invalid")
    assert "10" in response.json()["reason"]
    assert await db_state(db) == before

    exact = await patch(client, sets_url(EVENT, BALCONY), organiser, {"amount": 10})
    assert (exact["amount"], exact["amount_vacant"]) == (10, 0)
    assert await vacancies(client, organiser, EVENT) == {STALLS: 200, BALCONY: 0}
    regrown = await patch(client, sets_url(EVENT, BALCONY), organiser, {"amount": 12})
    assert (regrown["amount"], regrown["amount_vacant"]) == (12, 2)
    numbers = [
        r["number"] for r in await event_tickets(client, organiser, EVENT) if r["set"] == BALCONY
    ]
    assert len(set(numbers)) == 12


async def test_resize_down_takes_exactly_the_surplus_on_a_new_database(
    pristine: Pristine,
) -> None:
    """remove_vacant_tickets has the LIMITed-subquery shape of claim_random; on a database
    without planner statistics it must still take exactly the surplus."""
    client, organiser = pristine.client, pristine.organiser

    shrunk = await patch(client, sets_url(EVENT, BALCONY), organiser, {"amount": 90})

    assert (shrunk["amount"], shrunk["amount_vacant"]) == (90, 90)
    rows = [r for r in await event_tickets(client, organiser, EVENT) if r["set"] == BALCONY]
    assert len(rows) == 90


async def test_reprice_a_set_keeps_the_price_of_placed_orders(
    client: httpx.AsyncClient, organiser: dict[str, str], seller: dict[str, str]
) -> None:
    placed = await create_order(client, seller, EVENT, random={STALLS: 2})

    repriced = await patch(
        client, sets_url(EVENT, STALLS), organiser, {"price": "150.00", "name": "Stalls"}
    )

    assert (repriced["price"], repriced["name"]) == ("150.00", "Stalls")
    assert [r["price"] for r in repriced["rules"]] == ["150.00"]
    fresh = await create_order(client, seller, EVENT, random={STALLS: 1})
    assert fresh["value"] == "150.00"
    assert fresh["rules"] == {STALLS: demo.STALLS_RULE_ID}
    kept = await client.get(f"/v1/resources/orders/{placed['id']}", headers=seller)
    assert kept.json()["value"] == "200.00"


async def test_bad_set_bodies_are_refused(
    client: httpx.AsyncClient, organiser: dict[str, str], db: Database
) -> None:
    before = await db_state(db)
    for body in (
        {"name": "x", "price": "1.00", "amount": -1},
        {"name": "x", "price": "1.00", "amount": 100_001},
        {"name": "x", "price": "1.00", "amount": "5"},
        {"name": "x", "price": "1.00", "amount": 5.5},
        {"name": "x", "price": "-1.00", "amount": 5},
        {"name": "", "price": "1.00", "amount": 5},
        {"price": "1.00", "amount": 5},
    ):
        response = await client.post(sets_url(EVENT), headers=organiser, json=body)
        assert_v1_error(response, 400)
    response = await client.post(
        sets_url("0" * 24), headers=organiser, json={"name": "x", "price": "1.00", "amount": 1}
    )
    assert_v1_error(response, 404, "event_not_found")
    response = await client.patch(sets_url(EVENT, "0" * 24), headers=organiser, json={"amount": 1})
    assert_v1_error(response, 404, "set_not_found")
    assert await db_state(db) == before
