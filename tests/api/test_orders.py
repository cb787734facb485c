"""The v1 order resource end to end: create, read, list, PATCH, status machine, DELETE."""

from datetime import datetime, timedelta
from typing import Any

import httpx

from kassa.app import demo
from kassa.store.db import Database
from tests.api.helpers import (
    BARCODE,
    ISO_UTC_MICRO,
    MONEY,
    OBJECT_ID,
    ORDERS,
    SIMPLE_EVENTS,
    Pristine,
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

# The order of seed 000 (/work/shared/spec/seeds/000_fc479757fdfa86bb.txt), the 201 answer to
# POST /v1/resources/orders {"event": ..., "random": {set: 1}}. Ours must match it field for
# field: the same keys, nested the same way, with values of the same types and formats.
SEED_ORDER: dict[str, Any] = {
    "id": "56a7717ff06c5a28629386b3",
    "created_at": "2016-01-26T13:15:43.289000+00:00",
    "customer": {"lang": "ru"},
    "deal": None,
    "event": "56a6253df06c5a059a93802e",
    "number": 497291910,
    "org": "56810047f06c5a6ac62f4e1d",
    "payment": {"failure_url": None, "success_url": None, "system": None},
    "promocodes": [],
    "reserved_till": "2016-01-26T13:25:43.302000+00:00",
    "rules": {"56a6254bf06c5a059b93800c": "56a6254bf06c5a059b93800b"},
    "status": "executed",
    "tickets": ["56a6253df06c5a059a9380ac"],
    "updated_at": "2016-01-26T13:15:43.302000+00:00",
    "value": "100.00",
    "value_extra": "0.00",
    "values": {"extra": "0.00", "full": "100.00", "nominal": "100.00"},
    "vendor": "56810047f06c5a6ac62f4e1d",
}
# The seed's `payment` predates `redirect_url`, which the v1 order object lists
# (ticketing.md 1.3): Kassa always sends it, null unless the seller gave one.
PAYMENT = {**SEED_ORDER["payment"], "redirect_url": None}
ID_FIELDS = {"id", "event", "org", "vendor"}
TIME_FIELDS = {"created_at", "updated_at", "reserved_till"}
MONEY_FIELDS = {"value", "value_extra"}


def iso(moment: datetime) -> str:
    return moment.isoformat(timespec="microseconds")


def assert_like_seed(order: dict[str, Any]) -> None:
    """Same keys and value types as the seed's order, and the same string formats."""
    assert set(order) == set(SEED_ORDER)
    for name, expected in SEED_ORDER.items():
        value = order[name]
        if expected is None:
            assert value is None, name
        else:
            assert type(value) is type(expected), (name, value)
    assert set(order["customer"]) >= {"lang"}
    assert set(order["payment"]) == set(PAYMENT)
    assert set(order["values"]) == set(SEED_ORDER["values"])
    for name in ID_FIELDS:
        assert OBJECT_ID.fullmatch(order[name]), (name, order[name])
    for name in TIME_FIELDS:
        assert ISO_UTC_MICRO.fullmatch(order[name]), (name, order[name])
    for name in MONEY_FIELDS:
        assert MONEY.fullmatch(order[name]), (name, order[name])
    for name, amount in order["values"].items():
        assert MONEY.fullmatch(amount), (name, amount)
    assert all(OBJECT_ID.fullmatch(t) for t in order["tickets"])
    for set_id, rule_id in order["rules"].items():
        assert OBJECT_ID.fullmatch(set_id) and OBJECT_ID.fullmatch(rule_id)
    assert order["number"] > 0


async def test_create_matches_the_seed_order_field_for_field(
    client: httpx.AsyncClient, organiser: dict[str, str], clock: FakeClock
) -> None:
    response = await client.post(
        ORDERS, headers=organiser, json={"event": EVENT, "random": {STALLS: 1}}
    )

    assert response.status_code == 201
    assert response.headers["content-type"] == "application/json; charset=UTF-8"  # as seed 000
    assert response.headers["X-Partner"] == demo.ORG_ID
    order = response.json()
    assert_like_seed(order)
    now = clock()
    assert order == {
        **SEED_ORDER,
        "payment": PAYMENT,
        "id": order["id"],
        "number": order["number"],
        "tickets": order["tickets"],
        "created_at": iso(now),
        "updated_at": iso(now),
        "reserved_till": iso(now + timedelta(minutes=10)),
    }
    assert len(order["tickets"]) == 1


async def test_seller_order_names_the_seller_as_vendor_and_partner(
    client: httpx.AsyncClient, seller: dict[str, str]
) -> None:
    response = await client.post(
        ORDERS,
        headers=seller,
        json={
            "event": EVENT,
            "random": {BALCONY: 2},
            "customer": {"email": "a@example.com", "first_name": "Ann"},
            "payment": {"system": "api/BASE"},
        },
    )

    assert response.status_code == 201
    assert response.headers["X-Partner"] == demo.PARTNER_ID
    order = response.json()
    assert_like_seed(order)
    assert order["vendor"] == demo.PARTNER_ID
    assert order["org"] == demo.ORG_ID
    assert order["customer"] == {"lang": "ru", "email": "a@example.com", "first_name": "Ann"}
    assert order["payment"] == {**PAYMENT, "system": "api/BASE"}
    assert order["rules"] == {BALCONY: demo.BALCONY_RULE_ID}
    assert order["value"] == "1000.00"
    assert order["values"] == {"extra": "0.00", "full": "1000.00", "nominal": "1000.00"}


async def test_order_numbers_are_distinct_and_increasing(
    client: httpx.AsyncClient, organiser: dict[str, str]
) -> None:
    first = await create_order(client, organiser, EVENT, random={STALLS: 1})
    second = await create_order(client, organiser, EVENT, random={STALLS: 1})

    assert second["number"] > first["number"]
    assert second["id"] != first["id"]
    assert set(first["tickets"]).isdisjoint(second["tickets"])


async def test_read_returns_the_created_order(
    client: httpx.AsyncClient, organiser: dict[str, str], seller: dict[str, str]
) -> None:
    created = await create_order(client, seller, EVENT, random={STALLS: 2})

    response = await client.get(order_url(created["id"]), headers=seller)

    assert response.status_code == 200
    assert response.headers["X-Partner"] == demo.PARTNER_ID
    assert response.json() == created
    # The organiser sees the seller's order too, and is named as the caller.
    by_organiser = await client.get(order_url(created["id"]), headers=organiser)
    assert by_organiser.status_code == 200
    assert by_organiser.headers["X-Partner"] == demo.ORG_ID
    assert by_organiser.json() == created


async def test_list_filters_pages_and_counts(
    client: httpx.AsyncClient,
    organiser: dict[str, str],
    seller: dict[str, str],
    clock: FakeClock,
) -> None:
    t0 = clock()
    a = await create_order(client, seller, EVENT, random={STALLS: 1})
    t1 = clock.advance(minutes=1)
    b = await create_order(client, organiser, EVENT, random={BALCONY: 1})
    t2 = clock.advance(minutes=1)
    c = await create_order(client, seller, EVENT, random={STALLS: 2})
    await patch_order(client, seller, c["id"], status="canceled")

    async def listing(headers: dict[str, str], **params: Any) -> tuple[list[str], str]:
        response = await client.get(ORDERS, headers=headers, params=params)
        assert response.status_code == 200, response.text
        assert isinstance(response.json(), list)
        return [o["id"] for o in response.json()], response.headers["X-Total-Count"]

    assert await listing(organiser) == ([c["id"], b["id"], a["id"]], "3")
    assert await listing(seller) == ([c["id"], a["id"]], "2")
    assert await listing(organiser, status="canceled") == ([c["id"]], "1")
    assert await listing(organiser, status="executed") == ([b["id"], a["id"]], "2")
    assert await listing(organiser, status="executed,canceled") == (
        [c["id"], b["id"], a["id"]],
        "3",
    )
    assert await listing(organiser, event=EVENT) == ([c["id"], b["id"], a["id"]], "3")
    assert await listing(organiser, event="0" * 24) == ([], "0")
    assert await listing(organiser, created_at=f"{iso(t1)},{iso(t2)}") == ([c["id"], b["id"]], "2")
    assert await listing(organiser, created_at=f"{iso(t0)},{iso(t0)}") == ([a["id"]], "1")
    assert await listing(organiser, created_at=iso(t1)) == ([c["id"], b["id"]], "2")
    assert await listing(organiser, page_size=2) == ([c["id"], b["id"]], "3")
    assert await listing(organiser, page_size=2, page=2) == ([a["id"]], "3")
    assert await listing(organiser, page_size=2, page=3) == ([], "3")
    # Listed orders are the full v1 objects.
    response = await client.get(ORDERS, headers=seller, params={"status": "canceled"})
    assert response.json() == [await get_order(client, seller, c["id"])]
    assert response.headers["X-Partner"] == demo.PARTNER_ID


async def test_list_refuses_bad_filters(
    client: httpx.AsyncClient, organiser: dict[str, str]
) -> None:
    for params in (
        {"status": "paid"},
        {"created_at": "yesterday"},
        {"created_at": "2026-01-01T00:00:00"},
        {"page_size": 201},
        {"page": 0},
    ):
        response = await client.get(ORDERS, headers=organiser, params=params)
        assert_v1_error(response, 400)


async def test_random_sets_desired_totals_and_absent_sets_drop_to_zero(
    client: httpx.AsyncClient, organiser: dict[str, str]
) -> None:
    order = await create_order(client, organiser, EVENT, random={STALLS: 1})
    first_ticket = order["tickets"][0]

    grown = await patch_order(client, organiser, order["id"], random={STALLS: 3, BALCONY: 2})

    assert len(grown["tickets"]) == 5
    assert first_ticket in grown["tickets"]
    assert grown["rules"] == {STALLS: demo.STALLS_RULE_ID, BALCONY: demo.BALCONY_RULE_ID}
    assert grown["value"] == "1300.00"
    assert grown["values"] == {"extra": "0.00", "full": "1300.00", "nominal": "1300.00"}
    assert await vacancies(client, organiser, EVENT) == {STALLS: 197, BALCONY: 98}

    # Totals, not increments: the same request again changes nothing.
    again = await patch_order(client, organiser, order["id"], random={STALLS: 3, BALCONY: 2})
    assert sorted(again["tickets"]) == sorted(grown["tickets"])

    # Stalls is absent: it drops to zero; balcony shrinks to one of the tickets it held.
    shrunk = await patch_order(client, organiser, order["id"], random={BALCONY: 1})

    assert len(shrunk["tickets"]) == 1
    assert shrunk["tickets"][0] in grown["tickets"]
    assert first_ticket not in shrunk["tickets"]
    assert shrunk["rules"] == {BALCONY: demo.BALCONY_RULE_ID}
    assert shrunk["value"] == "500.00"
    assert await vacancies(client, organiser, EVENT) == {STALLS: 200, BALCONY: 99}
    reserved = await event_tickets(client, organiser, EVENT, "reserved")
    assert [t["id"] for t in reserved] == shrunk["tickets"]


async def test_tickets_is_the_full_desired_list(
    client: httpx.AsyncClient, organiser: dict[str, str]
) -> None:
    vacant = await event_tickets(client, organiser, EVENT, "vacant")
    a, b, c = (t["id"] for t in vacant[:3])
    order = await create_order(client, organiser, EVENT, tickets=[a, b])
    assert sorted(order["tickets"]) == sorted([a, b])

    changed = await patch_order(client, organiser, order["id"], tickets=[b, c])

    assert sorted(changed["tickets"]) == sorted([b, c])
    statuses = {t["id"]: t["status"] for t in await event_tickets(client, organiser, EVENT)}
    assert (statuses[a], statuses[b], statuses[c]) == ("vacant", "reserved", "reserved")
    # A ticket someone else holds is simply missing without all_or_nothing.
    other = await create_order(client, organiser, EVENT, tickets=[a])
    partial = await patch_order(client, organiser, order["id"], tickets=[a, b, c])
    assert sorted(partial["tickets"]) == sorted([b, c])
    assert (await get_order(client, organiser, other["id"]))["tickets"] == [a]


async def test_all_or_nothing_shortfall_leaves_the_order_untouched(
    client: httpx.AsyncClient, organiser: dict[str, str], db: Database
) -> None:
    order = await create_order(client, organiser, EVENT, random={STALLS: 2})
    before = await db_state(db)

    for flag in (True, "true"):
        response = await client.patch(
            order_url(order["id"]),
            headers=organiser,
            json={"random": {STALLS: 1, BALCONY: 101}, "all_or_nothing": flag},
        )
        assert_v1_error(response, 400, "not_enough_tickets")
        assert await db_state(db) == before
        assert await get_order(client, organiser, order["id"]) == order

    # The same shortfall on create: no order at all.
    response = await client.post(
        ORDERS,
        headers=organiser,
        json={"event": EVENT, "random": {BALCONY: 101}, "all_or_nothing": "true"},
    )
    assert_v1_error(response, 400, "not_enough_tickets")
    assert await db_state(db) == before


async def test_without_all_or_nothing_a_shortfall_takes_what_there_is(
    client: httpx.AsyncClient, organiser: dict[str, str]
) -> None:
    order = await create_order(client, organiser, EVENT, random={BALCONY: 101})

    assert len(order["tickets"]) == 100
    assert order["value"] == "50000.00"
    assert await vacancies(client, organiser, EVENT) == {STALLS: 200, BALCONY: 0}
    response = await client.post(
        ORDERS, headers=organiser, json={"event": EVENT, "random": {BALCONY: 1}}
    )
    assert_v1_error(response, 400, "not_enough_tickets")


async def test_tickets_and_random_together_are_refused(
    client: httpx.AsyncClient, organiser: dict[str, str], db: Database
) -> None:
    order = await create_order(client, organiser, EVENT, random={STALLS: 1})
    before = await db_state(db)
    body = {"random": {STALLS: 2}, "tickets": order["tickets"]}

    patched = await client.patch(order_url(order["id"]), headers=organiser, json=body)
    created = await client.post(ORDERS, headers=organiser, json={"event": EVENT, **body})

    for response in (patched, created):
        assert_v1_error(response, 400, "reservation_invalid")
        assert response.json()["reason"] == "Only one of tickets or random can be set"
    assert await db_state(db) == before


async def test_status_machine_executed_in_progress_done(
    client: httpx.AsyncClient, seller: dict[str, str], clock: FakeClock
) -> None:
    order = await create_order(client, seller, EVENT, random={STALLS: 2})
    clock.advance(minutes=5)

    paying = await patch_order(client, seller, order["id"], status="in_progress")

    assert paying["status"] == "in_progress"
    assert paying["reserved_till"] == iso(clock() + timedelta(hours=12))
    assert paying["updated_at"] == iso(clock())
    assert paying["created_at"] == order["created_at"]
    # Payment takes longer than the 10-minute hold: the order does not expire meanwhile.
    clock.advance(minutes=30)
    assert (await get_order(client, seller, order["id"]))["status"] == "in_progress"

    done = await patch_order(client, seller, order["id"], status="done")

    assert done["status"] == "done"
    assert sorted(done["tickets"]) == sorted(order["tickets"])
    sold = await event_tickets(client, seller, EVENT, "sold")
    assert sorted(t["id"] for t in sold) == sorted(order["tickets"])
    assert await vacancies(client, seller, EVENT) == {STALLS: 198, BALCONY: 100}


async def test_status_changes_against_the_diagram_are_refused(
    client: httpx.AsyncClient, organiser: dict[str, str], db: Database
) -> None:
    order = await create_order(client, organiser, EVENT, random={STALLS: 1})
    before = await db_state(db)

    # v1 pays through in_progress: executed -> done directly is not on the diagram.
    for status in ("done", "expired"):
        response = await client.patch(
            order_url(order["id"]), headers=organiser, json={"status": status}
        )
        assert_v1_error(response, 400, "order_status_transition_invalid")
        assert await db_state(db) == before

    await patch_order(client, organiser, order["id"], status="in_progress")
    for status in ("executed", "expired"):
        response = await client.patch(
            order_url(order["id"]), headers=organiser, json={"status": status}
        )
        assert_v1_error(response, 400, "order_status_transition_invalid")

    done = await patch_order(client, organiser, order["id"], status="done")
    after_done = await db_state(db)
    for status, code in (
        ("canceled", "order_not_cancellable"),
        ("in_progress", "order_status_transition_invalid"),
        ("expired", "order_status_transition_invalid"),
    ):
        response = await client.patch(
            order_url(order["id"]), headers=organiser, json={"status": status}
        )
        assert_v1_error(response, 400, code)
    assert_v1_error(await client.delete(order_url(order["id"]), headers=organiser), 400)
    assert await db_state(db) == after_done
    assert await get_order(client, organiser, order["id"]) == done


async def test_unknown_status_value_is_refused(
    client: httpx.AsyncClient, organiser: dict[str, str]
) -> None:
    order = await create_order(client, organiser, EVENT, random={STALLS: 1})
    for status in ("cancelled", "paid", "", 3):
        response = await client.patch(
            order_url(order["id"]), headers=organiser, json={"status": status}
        )
        assert_v1_error(response, 400, "validation_failed")


async def test_cancel_from_executed_and_from_in_progress(
    client: httpx.AsyncClient, organiser: dict[str, str], clock: FakeClock
) -> None:
    executed = await create_order(client, organiser, EVENT, random={STALLS: 1})
    paying = await create_order(client, organiser, EVENT, random={BALCONY: 3})
    await patch_order(client, organiser, paying["id"], status="in_progress")
    assert await vacancies(client, organiser, EVENT) == {STALLS: 199, BALCONY: 97}
    clock.advance(minutes=1)

    canceled = await patch_order(client, organiser, executed["id"], status="canceled")
    canceled_paying = await patch_order(client, organiser, paying["id"], status="canceled")

    # As in the seed: the canceled order still lists its tickets and values.
    assert canceled == {**executed, "status": "canceled", "updated_at": iso(clock())}
    assert canceled_paying["status"] == "canceled"
    assert sorted(canceled_paying["tickets"]) == sorted(paying["tickets"])
    assert await vacancies(client, organiser, EVENT) == {STALLS: 200, BALCONY: 100}
    assert await event_tickets(client, organiser, EVENT, "reserved") == []


async def test_in_progress_may_drop_tickets_but_not_add_them(
    client: httpx.AsyncClient, seller: dict[str, str], db: Database
) -> None:
    order = await create_order(client, seller, EVENT, random={STALLS: 3})
    paying = await patch_order(client, seller, order["id"], status="in_progress")
    before = await db_state(db)

    for body in (
        {"random": {STALLS: 4}},
        {"random": {STALLS: 3, BALCONY: 1}},
        {
            "tickets": [
                *order["tickets"],
                (await event_tickets(client, seller, EVENT, "vacant"))[0]["id"],
            ]
        },
    ):
        response = await client.patch(order_url(order["id"]), headers=seller, json=body)
        assert_v1_error(response, 400, "order_not_changeable")
        assert await db_state(db) == before

    dropped = await patch_order(client, seller, order["id"], random={STALLS: 1})

    assert dropped["status"] == "in_progress"
    assert dropped["reserved_till"] == paying["reserved_till"]
    assert len(dropped["tickets"]) == 1
    assert dropped["value"] == "100.00"
    assert await vacancies(client, seller, EVENT) == {STALLS: 199, BALCONY: 100}
    done = await patch_order(client, seller, order["id"], status="done")
    assert done["tickets"] == dropped["tickets"]


async def test_delete_cancels_and_answers_an_empty_object(
    client: httpx.AsyncClient, seller: dict[str, str]
) -> None:
    order = await create_order(client, seller, EVENT, random={STALLS: 4})
    assert await vacancies(client, seller, EVENT) == {STALLS: 196, BALCONY: 100}

    response = await client.delete(order_url(order["id"]), headers=seller)

    assert response.status_code == 200
    assert response.json() == {}
    assert response.headers["X-Partner"] == demo.PARTNER_ID
    assert (await get_order(client, seller, order["id"]))["status"] == "canceled"
    assert await vacancies(client, seller, EVENT) == {STALLS: 200, BALCONY: 100}
    statuses = {t["id"]: t["status"] for t in await event_tickets(client, seller, EVENT)}
    assert {statuses[t] for t in order["tickets"]} == {"vacant"}
    # A second DELETE: the order is no longer open.
    assert_v1_error(
        await client.delete(order_url(order["id"]), headers=seller), 400, "order_not_cancellable"
    )


async def test_order_tickets_get_unique_barcodes_once_done(
    client: httpx.AsyncClient, seller: dict[str, str]
) -> None:
    order = await create_order(client, seller, EVENT, random={STALLS: 3, BALCONY: 2})
    url = f"{order_url(order['id'])}/tickets"

    held = await client.get(url, headers=seller)

    assert held.status_code == 200
    assert held.headers["X-Partner"] == demo.PARTNER_ID
    rows = held.json()
    assert sorted(r["id"] for r in rows) == sorted(order["tickets"])
    for row in rows:
        assert {"id", "barcode", "number", "serial", "seat", "set"} <= set(row)
        assert row["barcode"] is None
        assert isinstance(row["number"], int)
        assert isinstance(row["serial"], str) and row["serial"]
        assert row["seat"] is None
    assert sorted(r["set"] for r in rows) == sorted([STALLS] * 3 + [BALCONY] * 2)

    await patch_order(client, seller, order["id"], status="in_progress")
    assert {r["barcode"] for r in (await client.get(url, headers=seller)).json()} == {None}
    await patch_order(client, seller, order["id"], status="done")

    sold = (await client.get(url, headers=seller)).json()
    barcodes = [r["barcode"] for r in sold]
    assert all(isinstance(b, str) and BARCODE.fullmatch(b) for b in barcodes), barcodes
    assert len(set(barcodes)) == 5
    assert [r["id"] for r in sold] == [r["id"] for r in rows]
    assert (await client.get(url, headers=seller)).json() == sold  # stable on re-read


async def test_event_tickets_filter_and_counts(
    client: httpx.AsyncClient, organiser: dict[str, str]
) -> None:
    everything = await event_tickets(client, organiser, EVENT)
    assert len(everything) == 300
    assert {t["status"] for t in everything} == {"vacant"}
    assert len({t["id"] for t in everything}) == 300
    assert sum(t["set"] == STALLS for t in everything) == 200
    row = everything[0]
    assert set(row) == {"id", "number", "reserved_till", "seat", "serial", "set", "status"}

    held = await create_order(client, organiser, EVENT, random={STALLS: 2})
    paid = await create_order(client, organiser, EVENT, random={BALCONY: 1})
    await patch_order(client, organiser, paid["id"], status="in_progress")
    await patch_order(client, organiser, paid["id"], status="done")

    reserved = await event_tickets(client, organiser, EVENT, "reserved")
    assert sorted(t["id"] for t in reserved) == sorted(held["tickets"])
    assert {t["reserved_till"] for t in reserved} == {held["reserved_till"]}
    sold = await event_tickets(client, organiser, EVENT, "sold")
    assert [t["id"] for t in sold] == paid["tickets"]
    assert sold[0]["reserved_till"] is None
    assert len(await event_tickets(client, organiser, EVENT, "vacant")) == 297
    assert len(await event_tickets(client, organiser, EVENT, "reserved,sold")) == 3
    assert len(await event_tickets(client, organiser, EVENT)) == 300
    assert await event_tickets(client, organiser, EVENT, "pending") == []
    response = await client.get(
        f"/v1/resources/events/{EVENT}/tickets", headers=organiser, params={"status": "lost"}
    )
    assert_v1_error(response, 400, "query_invalid")


async def test_set_vacancies_follow_reservations(
    client: httpx.AsyncClient, organiser: dict[str, str], seller: dict[str, str]
) -> None:
    response = await client.get(SIMPLE_EVENTS, headers=seller)
    assert response.status_code == 200
    assert response.headers["X-Partner"] == demo.PARTNER_ID
    [event] = [e for e in response.json() if e["id"] == EVENT]
    assert event["id"] == EVENT
    assert (event["tickets_amount"], event["tickets_amount_vacant"]) == (300, 300)
    sets = {s["id"]: s for s in event["sets"]}
    assert sets[STALLS]["name"] == "Партер"
    assert (sets[STALLS]["amount"], sets[STALLS]["amount_vacant"]) == (200, 200)
    assert sets[STALLS]["price"] == "100.00"
    assert sets[BALCONY]["name"] == "Балкон"
    assert (sets[BALCONY]["amount"], sets[BALCONY]["amount_vacant"]) == (100, 100)
    assert sets[BALCONY]["price"] == "500.00"

    first = await create_order(client, seller, EVENT, random={STALLS: 5, BALCONY: 1})
    second = await create_order(client, organiser, EVENT, random={STALLS: 2})
    assert await vacancies(client, seller, EVENT) == {STALLS: 193, BALCONY: 99}

    await patch_order(client, seller, first["id"], status="canceled")
    assert await vacancies(client, seller, EVENT) == {STALLS: 198, BALCONY: 100}
    await client.delete(order_url(second["id"]), headers=organiser)
    [event] = [
        e for e in (await client.get(SIMPLE_EVENTS, headers=seller)).json() if e["id"] == EVENT
    ]
    assert (event["tickets_amount"], event["tickets_amount_vacant"]) == (300, 300)


async def test_customer_details_change_only_while_executed(
    client: httpx.AsyncClient, seller: dict[str, str], db: Database
) -> None:
    order = await create_order(client, seller, EVENT, random={STALLS: 1})

    changed = await patch_order(
        client, seller, order["id"], customer={"email": "b@example.com", "lang": "en"}
    )

    assert changed["customer"] == {"lang": "en", "email": "b@example.com"}
    await patch_order(client, seller, order["id"], status="in_progress")
    before = await db_state(db)
    response = await client.patch(
        order_url(order["id"]), headers=seller, json={"customer": {"email": "c@example.com"}}
    )
    assert_v1_error(response, 400, "order_not_changeable")
    assert await db_state(db) == before


async def test_random_claims_exactly_the_count_on_a_new_database(pristine: Pristine) -> None:
    """The demo's own curl line, on a fresh deployment: one ticket asked, one reserved."""
    client, organiser = pristine.client, pristine.organiser

    order = await create_order(client, organiser, EVENT, random={STALLS: 1})

    assert len(order["tickets"]) == 1
    assert order["value"] == "100.00"
    assert await vacancies(client, organiser, EVENT) == {STALLS: 199, BALCONY: 100}
    grown = await patch_order(client, organiser, order["id"], random={STALLS: 3, BALCONY: 1})
    assert len(grown["tickets"]) == 4
    assert await vacancies(client, organiser, EVENT) == {STALLS: 197, BALCONY: 99}
