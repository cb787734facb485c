"""Holds that run out: on read, by the worker's sweeper, and in the audit timeline."""

from datetime import timedelta
from typing import Any

import httpx
from sqlalchemy import select

from kassa.app import demo
from kassa.app.cancellation import expire_due
from kassa.store import tables
from kassa.store.db import Database
from tests.api.helpers import (
    ORDERS,
    assert_v1_error,
    create_order,
    db_state,
    event_tickets,
    get_order,
    order_url,
    patch_order,
    vacancies,
)
from tests.conftest import FakeClock

STALLS = demo.STALLS_SET_ID
BALCONY = demo.BALCONY_SET_ID
EVENT = demo.EVENT_ID


def iso(moment: Any) -> str:
    return str(moment.isoformat(timespec="microseconds"))


async def stored_statuses(db: Database) -> dict[str, str]:
    """{order_id: status} straight from the table: what is stored, not what a read shows."""
    async with db.engine.connect() as conn:
        if db.is_sqlite:
            conn = await conn.execution_options(kassa_write=False)
        rows = await conn.execute(select(tables.orders.c.id, tables.orders.c.status))
        return {row.id: row.status for row in rows}


async def timeline(
    client: httpx.AsyncClient, headers: dict[str, str], order_id: str
) -> list[dict[str, Any]]:
    response = await client.get(f"/api/v1/orders/{order_id}/timeline", headers=headers)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["order"] == order_id
    entries: list[dict[str, Any]] = body["timeline"]
    return entries


async def test_read_after_the_hold_shows_expired_and_frees_the_tickets(
    client: httpx.AsyncClient, seller: dict[str, str], clock: FakeClock
) -> None:
    order = await create_order(client, seller, EVENT, random={STALLS: 3, BALCONY: 1})
    clock.advance(minutes=9, seconds=59)
    assert (await get_order(client, seller, order["id"]))["status"] == "executed"
    assert await vacancies(client, seller, EVENT) == {STALLS: 197, BALCONY: 99}

    clock.advance(minutes=1, seconds=1)
    expired = await get_order(client, seller, order["id"])

    assert expired["status"] == "expired"
    assert expired["reserved_till"] == order["reserved_till"]
    assert expired["updated_at"] == iso(clock())
    # Like a canceled order, an expired one still lists what it held.
    assert sorted(expired["tickets"]) == sorted(order["tickets"])
    assert expired["value"] == "800.00"
    assert await vacancies(client, seller, EVENT) == {STALLS: 200, BALCONY: 100}
    assert await event_tickets(client, seller, EVENT, "reserved") == []
    statuses = {t["id"]: t["status"] for t in await event_tickets(client, seller, EVENT)}
    assert {statuses[t] for t in order["tickets"]} == {"vacant"}


async def test_expired_orders_cannot_be_changed(
    client: httpx.AsyncClient, seller: dict[str, str], clock: FakeClock, db: Database
) -> None:
    order = await create_order(client, seller, EVENT, random={STALLS: 1})
    clock.advance(minutes=11)
    await get_order(client, seller, order["id"])
    before = await db_state(db)

    for body, code in (
        ({"random": {STALLS: 2}}, "order_not_changeable"),
        ({"status": "in_progress"}, "order_status_transition_invalid"),
        ({"status": "canceled"}, "order_not_cancellable"),
        ({"customer": {"email": "late@example.com"}}, "order_not_changeable"),
    ):
        response = await client.patch(order_url(order["id"]), headers=seller, json=body)
        assert_v1_error(response, 400, code)
    assert await db_state(db) == before


async def test_a_change_after_the_hold_expires_first_and_is_refused(
    client: httpx.AsyncClient, seller: dict[str, str], clock: FakeClock
) -> None:
    order = await create_order(client, seller, EVENT, random={STALLS: 1})
    clock.advance(minutes=11)

    response = await client.patch(
        order_url(order["id"]), headers=seller, json={"random": {STALLS: 5}}
    )

    assert_v1_error(response, 400, "order_not_changeable")
    assert (await get_order(client, seller, order["id"]))["status"] == "expired"
    assert await vacancies(client, seller, EVENT) == {STALLS: 200, BALCONY: 100}


async def test_listing_shows_expired_orders_as_expired(
    client: httpx.AsyncClient, seller: dict[str, str], clock: FakeClock
) -> None:
    old = await create_order(client, seller, EVENT, random={STALLS: 1})
    clock.advance(minutes=6)
    fresh = await create_order(client, seller, EVENT, random={STALLS: 1})
    clock.advance(minutes=5)

    response = await client.get(ORDERS, headers=seller)

    assert [(o["id"], o["status"]) for o in response.json()] == [
        (fresh["id"], "executed"),
        (old["id"], "expired"),
    ]
    only_open = await client.get(ORDERS, headers=seller, params={"status": "executed"})
    assert [o["id"] for o in only_open.json()] == [fresh["id"]]
    assert only_open.headers["X-Total-Count"] == "1"
    assert await vacancies(client, seller, EVENT) == {STALLS: 199, BALCONY: 100}


async def test_sweeper_expires_exactly_the_due_orders(
    client: httpx.AsyncClient,
    organiser: dict[str, str],
    seller: dict[str, str],
    clock: FakeClock,
    db: Database,
) -> None:
    start = clock()
    first = await create_order(client, seller, EVENT, random={STALLS: 2})
    paying = await create_order(client, organiser, EVENT, random={BALCONY: 1})
    await patch_order(client, organiser, paying["id"], status="in_progress")
    clock.advance(minutes=5)
    later = await create_order(client, seller, EVENT, random={STALLS: 1})
    done = await create_order(client, organiser, EVENT, random={STALLS: 1})
    await patch_order(client, organiser, done["id"], status="in_progress")
    await patch_order(client, organiser, done["id"], status="done")

    assert await expire_due(db, start + timedelta(minutes=9)) == 0
    assert await expire_due(db, start + timedelta(minutes=10)) == 1
    stored = await stored_statuses(db)
    assert stored[first["id"]] == "expired"
    assert (stored[paying["id"]], stored[later["id"]], stored[done["id"]]) == (
        "in_progress",
        "executed",
        "done",
    )
    assert await vacancies(client, seller, EVENT) == {STALLS: 198, BALCONY: 99}

    assert await expire_due(db, start + timedelta(minutes=15)) == 1
    assert (await stored_statuses(db))[later["id"]] == "expired"
    assert await expire_due(db, start + timedelta(minutes=15)) == 0
    assert await expire_due(db, start + timedelta(hours=12, minutes=1)) == 1
    assert (await stored_statuses(db))[paying["id"]] == "expired"
    assert await expire_due(db, start + timedelta(days=30)) == 0
    assert (await stored_statuses(db))[done["id"]] == "done"
    assert await vacancies(client, seller, EVENT) == {STALLS: 199, BALCONY: 100}


async def test_timeline_lists_placed_to_expired_with_system_actor(
    client: httpx.AsyncClient, seller: dict[str, str], organiser: dict[str, str], clock: FakeClock
) -> None:
    start = clock()
    order = await create_order(client, seller, EVENT, random={STALLS: 1})
    clock.advance(minutes=2)
    grown = await patch_order(client, seller, order["id"], random={STALLS: 2})
    clock.advance(minutes=1)
    await patch_order(client, seller, order["id"], customer={"email": "t@example.com"})
    clock.advance(minutes=10)
    await get_order(client, seller, order["id"])

    entries = await timeline(client, seller, order["id"])

    assert [(e["action"], e["actor"], e["from_status"], e["to_status"]) for e in entries] == [
        ("order.placed", demo.PARTNER_ID, None, "executed"),
        ("order.reservation_changed", demo.PARTNER_ID, "executed", "executed"),
        ("order.details_changed", demo.PARTNER_ID, "executed", "executed"),
        ("order.expired", "system", "executed", "expired"),
    ]
    assert [e["at"] for e in entries] == [
        iso(start),
        iso(start + timedelta(minutes=2)),
        iso(start + timedelta(minutes=3)),
        iso(start + timedelta(minutes=13)),
    ]
    assert entries[0]["details"] == {"tickets": order["tickets"]}
    added = [t for t in grown["tickets"] if t not in order["tickets"]]
    assert entries[1]["details"] == {"released": [], "reserved": added}
    assert entries[-1]["reason"] == "expired"  # the reason code
    assert sorted(entries[-1]["details"]["release"]["tickets"]) == sorted(grown["tickets"])
    # The organiser reads the same timeline.
    assert await timeline(client, organiser, order["id"]) == entries


async def test_timeline_of_a_paid_then_refused_cancel(
    client: httpx.AsyncClient, organiser: dict[str, str], clock: FakeClock, db: Database
) -> None:
    order = await create_order(client, organiser, EVENT, random={BALCONY: 1})
    await patch_order(client, organiser, order["id"], status="in_progress")
    await patch_order(client, organiser, order["id"], status="done")
    response = await client.patch(
        order_url(order["id"]), headers=organiser, json={"status": "canceled"}
    )
    assert_v1_error(response, 400)
    assert await expire_due(db, clock() + timedelta(days=1)) == 0

    entries = await timeline(client, organiser, order["id"])

    assert [(e["action"], e["actor"], e["to_status"]) for e in entries] == [
        ("order.placed", demo.ORG_ID, "executed"),
        ("order.in_progress", demo.ORG_ID, "in_progress"),
        ("order.done", demo.ORG_ID, "done"),
    ]


async def test_sweeper_expiry_shows_in_the_timeline(
    client: httpx.AsyncClient, seller: dict[str, str], clock: FakeClock, db: Database
) -> None:
    order = await create_order(client, seller, EVENT, random={STALLS: 1})

    assert await expire_due(db, clock() + timedelta(minutes=10)) == 1

    entries = await timeline(client, seller, order["id"])
    assert [(e["action"], e["actor"]) for e in entries] == [
        ("order.placed", demo.PARTNER_ID),
        ("order.expired", "system"),
    ]
    assert entries[-1]["at"] == iso(clock() + timedelta(minutes=10))


async def test_delete_after_the_hold_is_like_patch_canceled(
    client: httpx.AsyncClient, seller: dict[str, str], clock: FakeClock
) -> None:
    patched = await create_order(client, seller, EVENT, random={STALLS: 1})
    deleted = await create_order(client, seller, EVENT, random={STALLS: 1})
    clock.advance(minutes=11)

    by_patch = await client.patch(
        order_url(patched["id"]), headers=seller, json={"status": "canceled"}
    )
    by_delete = await client.delete(order_url(deleted["id"]), headers=seller)

    assert_v1_error(by_patch, 400, "order_not_cancellable")
    assert (await get_order(client, seller, patched["id"]))["status"] == "expired"
    assert (await get_order(client, seller, deleted["id"]))["status"] == "expired"
    assert_v1_error(by_delete, 400, "order_not_cancellable")
