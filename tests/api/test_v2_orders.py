"""The v2 order API: the seed 002 examples replayed with the demo ids, and every action."""

import asyncio
from decimal import Decimal
from typing import Any

import httpx
import pytest

from kassa.app import demo
from kassa.store.db import Database
from tests.api.helpers import db_state, outbox_rows
from tests.conftest import FakeClock

EVENT = demo.V2_EVENT_ID
STALLS = demo.V2_STALLS_SET_ID  # 1000.00
BALCONY = demo.V2_BALCONY_SET_ID  # 500.00
PROMO100 = demo.PROMO100_ID
PROMO5 = demo.PROMO5_ID
ORDERS = "/v2/resources/orders"
CHECK = "/v2/services/promocodes/check"


def url(order_id: str) -> str:
    return f"{ORDERS}/{order_id}"


async def reserve(client: httpx.AsyncClient, headers: dict[str, str], **body: Any) -> Any:
    response = await client.post(ORDERS, headers=headers, json={"event": EVENT, **body})
    assert response.status_code == 200, response.text
    return response.json()


async def patch(
    client: httpx.AsyncClient, headers: dict[str, str], order_id: str, **body: Any
) -> httpx.Response:
    return await client.patch(url(order_id), headers=headers, json=body)


def money(value: str) -> Decimal:
    return Decimal(value)


async def test_create_answers_the_v2_envelope(
    client: httpx.AsyncClient, seller: dict[str, str]
) -> None:
    response = await client.post(
        ORDERS, headers=seller, json={"event": EVENT, "random": {STALLS: 1}}
    )
    assert response.status_code == 200
    assert response.headers["X-Partner"] == demo.PARTNER_ID
    body = response.json()
    assert set(body) == {"data", "refs"}
    data = body["data"]
    assert set(data) == {
        "created_at",
        "event",
        "expired_after",
        "id",
        "number",
        "org",
        "origin",
        "promocodes",
        "settings",
        "status",
        "tickets",
        "values",
        "vendor",
        "vendor_data",
    }
    assert data["status"] == "executed"
    assert data["origin"] == "api"
    assert data["event"] == EVENT and data["org"] == demo.ORG_ID
    assert data["vendor"] == demo.PARTNER_ID
    assert data["promocodes"] == [] and data["vendor_data"] == {}
    assert len(data["created_at"]) == len("2018-09-27 15:25:02")
    [ticket] = data["tickets"]
    assert set(ticket) == {
        "barcode",
        "discount",
        "extra",
        "full",
        "id",
        "nominal",
        "number",
        "price",
        "serial",
        "set",
        "status",
    }
    assert ticket["barcode"] is None and ticket["status"] == "reserved"
    assert (ticket["price"], ticket["discount"], ticket["nominal"]) == (
        "1000.00",
        "0.00",
        "1000.00",
    )
    assert ticket["serial"] == "BKC" and ticket["set"] == STALLS
    values = data["values"]
    assert values["price"] == "1000.00" and values["discount"] == "0.00"
    assert values["viral_promocodes"] == []
    assert values["sets_values"][BALCONY] == {
        "discount": "0.00",
        "id": BALCONY,
        "nominal": "500.00",
        "price": "500.00",
        "promocode": None,
    }
    refs = body["refs"]
    assert refs["events"][EVENT]["title"]["text"]
    assert set(refs["events"][EVENT]["lifetime"]) == {"start", "finish"}
    assert refs["sets"][STALLS] == {
        "id": STALLS,
        "name": "Партер",
        "price": "1000.00",
        "with_seats": False,
    }
    assert refs["partners"][demo.PARTNER_ID]["name"] == "Demo Seller"
    assert demo.VENUE_ID in refs["venues"]


async def test_seed_customer_example(client: httpx.AsyncClient, seller: dict[str, str]) -> None:
    order = (await reserve(client, seller, random={STALLS: 1}))["data"]
    customer = {
        "email": "hello@world.ru",
        "lang": "ru",
        "name": "Ivan Ivanov",
        "phone": "+79991234576",
    }
    response = await patch(client, seller, order["id"], settings={"customer": customer})
    assert response.status_code == 200
    settings = response.json()["data"]["settings"]
    assert settings == {"customer": customer, "invitation": False, "send_tickets": False}
    # v1 reads the same order.
    v1 = (await client.get(f"/v1/resources/orders/{order['id']}", headers=seller)).json()
    assert v1["customer"]["email"] == "hello@world.ru"


async def test_seed_vendor_data_and_send_tickets_examples(
    client: httpx.AsyncClient, seller: dict[str, str]
) -> None:
    order = (await reserve(client, seller, random={STALLS: 1}))["data"]
    vendor_data = {
        "order_id": "5bacf64ea0eb2f000c45160a",
        "raw": {"enable_call_to_customer": True, "call_counter": 3},
    }
    response = await patch(client, seller, order["id"], vendor_data=vendor_data)
    assert response.status_code == 200
    assert response.json()["data"]["vendor_data"] == vendor_data
    response = await patch(client, seller, order["id"], settings={"send_tickets": True})
    assert response.json()["data"]["settings"]["send_tickets"] is True
    again = (await client.get(url(order["id"]), headers=seller)).json()["data"]
    assert again["vendor_data"] == vendor_data and again["settings"]["send_tickets"] is True


async def test_seed_promocode_example_adds_up(
    client: httpx.AsyncClient, seller: dict[str, str]
) -> None:
    order = (await reserve(client, seller, random={STALLS: 1}))["data"]
    response = await patch(client, seller, order["id"], promocodes=["PROMO100"])
    assert response.status_code == 200
    body = response.json()
    assert "errors" not in body
    data = body["data"]
    assert data["promocodes"] == [PROMO100]
    [ticket] = data["tickets"]
    assert (ticket["price"], ticket["discount"], ticket["nominal"]) == (
        "1000.00",
        "100.00",
        "900.00",
    )
    assert money(ticket["full"]) == money(ticket["nominal"]) + money(ticket["extra"])
    values = data["values"]
    assert (values["price"], values["discount"], values["nominal"]) == (
        "1000.00",
        "100.00",
        "900.00",
    )
    assert values["sets_values"] == {
        STALLS: {
            "discount": "100.00",
            "id": STALLS,
            "nominal": "900.00",
            "price": "1000.00",
            "promocode": PROMO100,
        },
        BALCONY: {
            "discount": "100.00",
            "id": BALCONY,
            "nominal": "400.00",
            "price": "500.00",
            "promocode": PROMO100,
        },
    }
    assert body["refs"]["promocodes"] == {
        PROMO100: {
            "code": "promo100",
            "discount": {"fix": "100.00"},
            "id": PROMO100,
            "viral": False,
        }
    }


async def test_percentage_code_and_its_ref(
    client: httpx.AsyncClient, seller: dict[str, str]
) -> None:
    order = (await reserve(client, seller, random={STALLS: 1, BALCONY: 1}))["data"]
    body = (await patch(client, seller, order["id"], promocodes=["PROMO5%"])).json()
    discounts = {t["set"]: t["discount"] for t in body["data"]["tickets"]}
    assert discounts == {STALLS: "50.00", BALCONY: "25.00"}
    assert body["data"]["values"]["discount"] == "75.00"
    assert body["data"]["values"]["nominal"] == "1425.00"
    assert body["refs"]["promocodes"][PROMO5]["discount"] == {"percentage": "5%"}


async def test_a_patch_answers_with_what_a_read_then_shows(
    client: httpx.AsyncClient, seller: dict[str, str]
) -> None:
    """The PATCH renders the codes its transaction took or kept: the same as a read after."""
    order = (await reserve(client, seller, random={STALLS: 1, BALCONY: 1}))["data"]
    customer = {"name": "Ivan", "email": "ivan@example.com"}
    details = {"settings": {"customer": customer}, "vendor_data": {"order_id": "shop-1"}}
    taken = (await patch(client, seller, order["id"], **details, promocodes=["PROMO5%"])).json()
    assert taken == (await client.get(url(order["id"]), headers=seller)).json()
    assert taken["data"]["promocodes"] == [PROMO5] and PROMO5 in taken["refs"]["promocodes"]
    kept = (await patch(client, seller, order["id"], promocodes=["NOPE"])).json()
    assert kept.pop("errors")[0]["code"] == "promocode_not_found"
    assert kept == (await client.get(url(order["id"]), headers=seller)).json()
    assert kept["data"]["promocodes"] == [PROMO5] and PROMO5 in kept["refs"]["promocodes"]
    untouched = (await patch(client, seller, order["id"], vendor_data={"order_id": "2"})).json()
    assert untouched == (await client.get(url(order["id"]), headers=seller)).json()
    assert PROMO5 in untouched["refs"]["promocodes"]


async def test_a_failed_code_is_200_with_errors(
    client: httpx.AsyncClient, seller: dict[str, str]
) -> None:
    order = (await reserve(client, seller, random={STALLS: 1}))["data"]
    response = await patch(client, seller, order["id"], promocodes=["NOPE"])
    assert response.status_code == 200
    body = response.json()
    assert body["errors"] == [{"code": "promocode_not_found", "msg": "Promocode not found"}]
    assert body["data"]["promocodes"] == []
    assert body["data"]["values"]["discount"] == "0.00"


async def organiser_code(
    client: httpx.AsyncClient, organiser: dict[str, str], **body: Any
) -> dict[str, Any]:
    response = await client.post(
        f"/v1/resources/events/{EVENT}/promocodes", headers=organiser, json=body
    )
    assert response.status_code == 201, response.text
    result: dict[str, Any] = response.json()
    return result


async def uses(client: httpx.AsyncClient, organiser: dict[str, str], promo_id: str) -> int:
    response = await client.get(
        f"/v1/resources/events/{EVENT}/promocodes/{promo_id}", headers=organiser
    )
    used: int = response.json()["used"]
    return used


async def test_limited_code_is_given_back_by_cancel_and_expiry(
    client: httpx.AsyncClient,
    seller: dict[str, str],
    organiser: dict[str, str],
    clock: FakeClock,
) -> None:
    code = await organiser_code(client, organiser, code="ONCE", discount={"fix": "10.00"}, limit=1)
    first = (await reserve(client, seller, random={STALLS: 1}, promocodes=["once"]))["data"]
    assert first["promocodes"] == [code["id"]]
    assert await uses(client, organiser, code["id"]) == 1
    second = await reserve(client, seller, random={STALLS: 1}, promocodes=["ONCE"])
    assert second["errors"] == [{"code": "promocode_already_used", "msg": "Promocode already used"}]
    response = await patch(client, seller, first["id"], status="cancelled")
    assert response.json()["data"]["status"] == "cancelled"
    assert await uses(client, organiser, code["id"]) == 0
    # The use went back, so the second order can have it now.
    body = (await patch(client, seller, second["data"]["id"], promocodes=["Once"])).json()
    assert body["data"]["promocodes"] == [code["id"]] and "errors" not in body
    # An expiry gives it back too, never below zero.
    clock.advance(minutes=11)
    await client.get(url(second["data"]["id"]), headers=seller)
    assert await uses(client, organiser, code["id"]) == 0


async def test_min_tickets_code_comes_and_goes_with_the_count(
    client: httpx.AsyncClient, seller: dict[str, str], organiser: dict[str, str]
) -> None:
    code = await organiser_code(
        client, organiser, code="PAIR", discount={"fix": "50.00"}, tickets_count={"min": 2}
    )
    order = (await reserve(client, seller, random={STALLS: 1}))["data"]
    body = (await patch(client, seller, order["id"], promocodes=["PAIR"])).json()
    assert body["errors"] == [
        {
            "code": "promocode_limit_min_tickets",
            "msg": "Mimimum count of tickets in order for promocode activation is 2",
        }
    ]
    body = (
        await patch(client, seller, order["id"], random={STALLS: 2}, promocodes=["PAIR"])
    ).json()
    assert body["data"]["promocodes"] == [code["id"]]
    assert body["data"]["values"]["discount"] == "100.00"
    assert await uses(client, organiser, code["id"]) == 1
    # Dropping a ticket leaves too few: the code goes back and the discount with it.
    body = (await patch(client, seller, order["id"], random={STALLS: 1})).json()
    assert body["data"]["promocodes"] == []
    assert body["data"]["values"]["discount"] == "0.00"
    assert body["errors"][0]["code"] == "promocode_limit_min_tickets"
    assert await uses(client, organiser, code["id"]) == 0


async def test_max_tickets_and_set_restriction(
    client: httpx.AsyncClient, seller: dict[str, str], organiser: dict[str, str]
) -> None:
    await organiser_code(
        client,
        organiser,
        code="STALLS2",
        discount={"percentage": "10"},
        sets=[STALLS],
        tickets_count={"max": 2},
    )
    body = await reserve(client, seller, random={STALLS: 3, BALCONY: 1}, promocodes=["stalls2"])
    discounts = sorted((t["set"], t["discount"]) for t in body["data"]["tickets"])
    assert discounts == sorted(
        [(STALLS, "100.00"), (STALLS, "100.00"), (STALLS, "0.00"), (BALCONY, "0.00")]
    )
    assert body["data"]["values"]["sets_values"][BALCONY]["promocode"] is None


async def test_done_is_final_and_gets_code_and_barcodes(
    client: httpx.AsyncClient, seller: dict[str, str]
) -> None:
    order = (await reserve(client, seller, random={STALLS: 2}))["data"]
    response = await patch(client, seller, order["id"], status="done")
    assert response.status_code == 200
    data = response.json()["data"]
    assert data["status"] == "done"
    assert len(data["code"]) == 8 and data["done_at"]
    assert all(t["barcode"] and t["status"] == "sold" for t in data["tickets"])
    for body in ({"status": "cancelled"}, {"vendor_data": {"order_id": "x"}}, {"status": "done"}):
        response = await patch(client, seller, order["id"], **body)
        assert response.status_code == 400
        assert response.json() == {"errors": ["Incorrect status done for this operation"]}
    v1 = (await client.get(f"/v1/resources/orders/{order['id']}", headers=seller)).json()
    assert v1["status"] == "done" and v1["values"]["full"] == data["values"]["full"]


async def test_cancelled_reads_the_same_in_v1_and_v2(
    client: httpx.AsyncClient, seller: dict[str, str]
) -> None:
    order = (await reserve(client, seller, random={STALLS: 1}))["data"]
    data = (await patch(client, seller, order["id"], status="cancelled")).json()["data"]
    assert data["status"] == "cancelled"
    v1 = (await client.get(f"/v1/resources/orders/{order['id']}", headers=seller)).json()
    assert v1["status"] == "canceled"
    assert v1["tickets"] == [t["id"] for t in data["tickets"]]


async def test_a_rejected_patch_changes_nothing(
    client: httpx.AsyncClient,
    seller: dict[str, str],
    organiser: dict[str, str],
    db: Database,
) -> None:
    code = await organiser_code(client, organiser, code="ALL", discount={"fix": "1.00"}, limit=5)
    order = (await reserve(client, seller, random={STALLS: 1}))["data"]
    other_ticket = (
        await client.get(f"/v1/resources/events/{demo.EVENT_ID}/tickets", headers=seller)
    ).json()[0]["id"]
    before = await db_state(db)
    response = await patch(
        client,
        seller,
        order["id"],
        promocodes=["ALL"],
        vendor_data={"order_id": "mine"},
        tickets=[other_ticket],
    )
    assert response.status_code == 400
    assert response.json() == {
        "errors": [f"ticket (id = {other_ticket}) does not belong to current event"]
    }
    assert await db_state(db) == before
    assert await uses(client, organiser, code["id"]) == 0


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"vendor_data": {"order_id": "x" * 65}}, "vendor_data.order_id"),
        ({"vendor_data": {"raw": {f"k{i}": "v" for i in range(21)}}}, "vendor_data.raw"),
        ({"vendor_data": {"raw": {"k" * 41: "v"}}}, "vendor_data.raw"),
        ({"vendor_data": {"raw": {"k": "v" * 129}}}, "vendor_data.raw"),
        ({"vendor_data": {"raw": {"k": {"nested": "no"}}}}, "vendor_data.raw"),
        ({"vendor_data": {"raw": {"k": 1.5}}}, "vendor_data.raw"),
        ({"settings": {"customer": {"email": "not an email"}}}, "settings.customer.email"),
        ({"settings": {"customer": {"lang": "de"}}}, "settings.customer.lang"),
        ({"teleport": True}, "teleport"),
        ({"status": "in_progress"}, "status"),
        ({"random": {STALLS: 1}, "tickets": []}, "Only one of tickets or random can be set"),
        ({"expired_after": "2030-01-01 00:00:00"}, "expired_after is not changable"),
        ({"promocodes": "PROMO100"}, "promocodes"),
    ],
)
async def test_bad_input_is_400_in_the_v2_format(
    client: httpx.AsyncClient,
    seller: dict[str, str],
    db: Database,
    body: dict[str, Any],
    message: str,
) -> None:
    order = (await reserve(client, seller, random={STALLS: 1}))["data"]
    before = await db_state(db)
    response = await patch(client, seller, order["id"], **body)
    assert response.status_code == 400, response.text
    errors = response.json()["errors"]
    assert any(message in e for e in errors), errors
    assert await db_state(db) == before


async def test_unknown_order_and_auth_in_the_v2_format(
    client: httpx.AsyncClient, seller: dict[str, str]
) -> None:
    response = await client.get(url("0" * 24), headers=seller)
    assert response.status_code == 404
    assert response.json() == {"errors": [f"Order {'0' * 24} not found"]}
    response = await client.get(url("0" * 24))
    assert response.status_code == 401
    assert "errors" in response.json()
    response = await client.post(ORDERS, headers=seller, json={"event": "f" * 24, "random": {}})
    assert response.status_code == 400


async def test_list_filters_and_pagination(
    client: httpx.AsyncClient, seller: dict[str, str]
) -> None:
    made = [(await reserve(client, seller, random={STALLS: 1}))["data"] for _ in range(3)]
    await patch(client, seller, made[0]["id"], status="cancelled")
    await patch(
        client, seller, made[1]["id"], settings={"customer": {"email": "a@b.ru", "name": "A"}}
    )
    body = (await client.get(ORDERS, headers=seller, params={"page_size": 2})).json()
    assert body["pagination"] == {"page": 1, "page_size": 2, "total": 3}
    assert [o["id"] for o in body["data"]] == [made[2]["id"], made[1]["id"]]
    assert EVENT in body["refs"]["events"]
    page2 = (await client.get(ORDERS, headers=seller, params={"page_size": 2, "page": 2})).json()
    assert [o["id"] for o in page2["data"]] == [made[0]["id"]]
    cancelled = (await client.get(ORDERS, headers=seller, params={"status": "cancelled"})).json()
    assert [o["id"] for o in cancelled["data"]] == [made[0]["id"]]
    with_customer = (
        await client.get(ORDERS, headers=seller, params={"only_with_customer": "true"})
    ).json()
    assert [o["id"] for o in with_customer["data"]] == [made[1]["id"]]
    other_event = (
        await client.get(ORDERS, headers=seller, params={"events": demo.EVENT_ID})
    ).json()
    assert other_event["data"] == []
    for params in ({"page_size": 201}, {"page_size": 0}, {"status": "lost"}):
        response = await client.get(ORDERS, headers=seller, params=params)
        assert response.status_code == 400, params


async def test_export_queues_a_csv_mail(
    client: httpx.AsyncClient, seller: dict[str, str], db: Database
) -> None:
    order = (await reserve(client, seller, random={STALLS: 1}))["data"]
    response = await client.post(f"{ORDERS}/export", headers=seller, json={"email": "me@shop.ru"})
    assert response.status_code == 200 and response.content == b""
    [message] = [m for m in await outbox_rows(db) if m["topic"] == "orders.export"]
    assert message["payload"] == {"email": "me@shop.ru", "order_ids": [order["id"]]}
    response = await client.post(f"{ORDERS}/export", headers=seller, json={})
    assert response.status_code == 400


async def test_promocode_check_service(client: httpx.AsyncClient, seller: dict[str, str]) -> None:
    response = await client.post(CHECK, headers=seller, json={"event": EVENT, "code": "PROMO100"})
    assert response.status_code == 200
    body = response.json()
    assert body["data"] == {"discount": {"fix": "100.00"}, "sets": [], "tickets_count": {}}
    assert body["refs"]["sets"][STALLS] == {"id": STALLS, "name": "Партер", "price": "1000.00"}
    response = await client.post(CHECK, headers=seller, json={"event": EVENT, "code": "NOPE"})
    assert response.status_code == 400
    assert response.json()["error"] == "HTTPBadRequest"
    assert response.json()["reason"] == "Promocode not found"


async def test_organiser_manages_codes(
    client: httpx.AsyncClient,
    organiser: dict[str, str],
    seller: dict[str, str],
) -> None:
    base = f"/v1/resources/events/{EVENT}/promocodes"
    listed = (await client.get(base, headers=organiser)).json()
    assert {p["code"] for p in listed} == {"promo100", "promo5%"}
    duplicate = await client.post(
        base, headers=organiser, json={"code": "PROMO100", "discount": {"fix": "1.00"}}
    )
    assert duplicate.status_code == 409
    for bad in (
        {"code": "X", "discount": {"fix": "0"}},
        {"code": "X", "discount": {"percentage": "101"}},
        {"code": "X", "discount": {"fix": "1.00", "percentage": "5"}},
        {"code": "X", "discount": {"fix": "1.00"}, "sets": ["f" * 24]},
        {"code": "X", "discount": {"fix": "1.00"}, "tickets_count": {"min": 3, "max": 2}},
        {"code": "", "discount": {"fix": "1.00"}},
    ):
        response = await client.post(base, headers=organiser, json=bad)
        assert response.status_code == 400, bad
    response = await client.post(base, headers=seller, json={"code": "S", "discount": {"fix": "1"}})
    assert response.status_code == 403
    changed = await client.patch(f"{base}/{PROMO100}", headers=organiser, json={"active": False})
    assert changed.status_code == 200 and changed.json()["active"] is False
    order = await reserve(client, seller, random={STALLS: 1}, promocodes=["PROMO100"])
    assert order["errors"][0]["code"] == "promocode_not_found"


async def test_another_organisers_codes_are_out_of_reach(
    client: httpx.AsyncClient, new_tenant: Any, organiser: dict[str, str]
) -> None:
    other = await new_tenant()
    response = await client.get(
        f"/v1/resources/events/{other.event_id}/promocodes", headers=organiser
    )
    assert response.status_code == 404
    response = await client.get(
        f"/v1/resources/events/{EVENT}/promocodes/{PROMO100}", headers=other.organiser
    )
    assert response.status_code == 404


async def test_the_last_use_is_taken_once_under_concurrency(
    client: httpx.AsyncClient, seller: dict[str, str], organiser: dict[str, str]
) -> None:
    code = await organiser_code(client, organiser, code="LAST", discount={"fix": "5.00"}, limit=1)
    orders = [(await reserve(client, seller, random={STALLS: 1}))["data"] for _ in range(8)]
    answers = await asyncio.gather(
        *(patch(client, seller, o["id"], promocodes=["LAST"]) for o in orders)
    )
    assert all(a.status_code == 200 for a in answers)
    holders = [a for a in answers if a.json()["data"]["promocodes"] == [code["id"]]]
    assert len(holders) == 1
    assert await uses(client, organiser, code["id"]) == 1
