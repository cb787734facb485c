"""The delivery face (Yandex Eats calls Kassa as the restaurant), on SQLite and PostgreSQL."""

import asyncio
from decimal import Decimal
from typing import Any

import httpx
import orjson
import pytest

from kassa.app import demo
from kassa.store.db import Database
from kassa.web.responses import json_default
from tests.api.helpers import db_state
from tests.conftest import FakeClock

ORGANISER = {"Authorization": f"key {demo.ORG_KEY}"}
R = demo.RESTAURANT_ID
EXPIRED = {"reason": "Access token has been expired. You should request a new one"}


async def token(client: httpx.AsyncClient) -> dict[str, str]:
    response = await client.post(
        "/security/oauth/token",
        content=(
            f"client_id={demo.DELIVERY_CLIENT_ID}&client_secret={demo.DELIVERY_CLIENT_SECRET}"
            "&grant_type=client_credentials&scope=read write"
        ),
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


def order_body(eats_id: str = "190330-12345678", **items: Any) -> dict[str, Any]:
    lines = items or {"borscht": 2, "kompot": 1}
    return {
        "discriminator": "yandex",
        "platform": "YE",
        "eatsId": eats_id,
        "restaurantId": R,
        "deliveryInfo": {
            "clientName": "Ivan",
            "phoneNumber": "+79990000001",
            "courierArrivementDate": "2026-11-24T12:00:00.000000+03:00",
        },
        "paymentInfo": {"itemsCost": 820, "paymentType": "CARD"},
        "items": [
            {"id": item, "name": item, "quantity": Decimal(str(q)), "price": Decimal(100)}
            for item, q in lines.items()
        ],
        "persons": 1,
        "comment": "",
        "promos": [],
    }


async def send(
    client: httpx.AsyncClient,
    method: str,
    path: str,
    headers: dict[str, str],
    body: Any = None,
    content_type: str = "application/json",
) -> httpx.Response:
    content = orjson.dumps(body, default=json_default) if body is not None else None
    return await client.request(
        method, path, content=content, headers={**headers, "Content-Type": content_type}
    )


async def stock(client: httpx.AsyncClient) -> dict[str, Any]:
    menu = (await client.get(f"/api/v1/delivery/restaurants/{R}/menu", headers=ORGANISER)).json()
    return {
        i["id"]: Decimal(str(i["stock"])) if i["stock"] is not None else None for i in menu["items"]
    }


async def kitchen_order(client: httpx.AsyncClient, order_id: str) -> dict[str, Any]:
    """The order as the kitchen took it (Kassa's admin list): accepted and dropped lines."""
    found = (await client.get("/api/v1/delivery/orders", headers=ORGANISER)).json()
    (order,) = [o for o in found if o["orderId"] == order_id]
    return dict(order)


@pytest.fixture
async def auth(client: httpx.AsyncClient, demo_data: demo.DemoInfo) -> dict[str, str]:
    return await token(client)


async def test_token_and_its_errors(
    client: httpx.AsyncClient, demo_data: demo.DemoInfo, clock: FakeClock
) -> None:
    bad = await client.post(
        "/security/oauth/token",
        content="client_id=demo-eats&client_secret=nope&grant_type=client_credentials",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert bad.status_code == 400
    assert bad.json() == [{"code": 110, "description": "client_id or client_secret is not valid"}]
    headers = await token(client)
    assert (await client.get("/restaurants", headers=headers)).status_code == 200
    for wrong in ({}, {"Authorization": "Bearer nope"}, {"Authorization": "Basic x"}):
        response = await client.get("/restaurants", headers=wrong)
        assert response.status_code == 401 and response.json() == EXPIRED
    clock.advance(minutes=61)
    expired = await client.get("/restaurants", headers=headers)
    assert expired.status_code == 401 and expired.json() == EXPIRED


async def test_catalogue(client: httpx.AsyncClient, auth: dict[str, str]) -> None:
    places = (await client.get("/restaurants", headers=auth)).json()
    assert places == {
        "places": [{"id": R, "title": "Demo Kitchen", "address": "Tverskaya 1, Moscow"}]
    }
    composition = (await client.get(f"/menu/{R}/composition", headers=auth)).json()
    assert {i["id"] for i in composition["items"]} == {"borscht", "pelmeni", "bliny", "kompot"}
    availability = (await client.get(f"/menu/{R}/availability", headers=auth)).json()
    assert {"itemId": "bliny", "stock": 0} in availability["items"]
    assert (await client.get(f"/menu/{R}/promos", headers=auth)).json() == {"promoItems": []}
    missing = await client.get("/menu/nope/composition", headers=auth)
    assert missing.status_code == 404
    assert missing.json() == [{"code": 104, "description": "Restaurant nope not found"}]


async def test_full_flow_and_the_seed_delete_example(
    client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    before = await stock(client)
    created = await send(
        client, "POST", "/order", auth, order_body(), "application/vnd.eats.order.v2+json"
    )
    assert created.status_code == 200
    order_id = created.json()["orderId"]
    assert created.json() == {"result": "OK", "orderId": order_id}
    # Resending the same order answers the same id.
    again = await send(client, "POST", "/order", auth, order_body())
    assert again.json() == {"result": "OK", "orderId": order_id}
    assert (await stock(client))["borscht"] == before["borscht"] - 2
    read = await client.get(f"/order/{order_id}", headers=auth)
    assert read.json() == orjson.loads(orjson.dumps(order_body(), default=json_default)), (
        "the aggregator's order exactly as sent"
    )
    status = (await client.get(f"/order/{order_id}/status", headers=auth)).json()
    assert status["status"] == "NEW"
    for step in ("ACCEPTED_BY_RESTAURANT", "COOKING"):
        moved = await client.post(
            f"/api/v1/delivery/orders/{order_id}/status", headers=ORGANISER, json={"status": step}
        )
        assert moved.status_code == 200, moved.text
    status = (await client.get(f"/order/{order_id}/status", headers=auth)).json()
    assert (
        status["status"] == "COOKING" and "T" in status["updatedAt"] and "." in status["updatedAt"]
    )
    # The seed's DELETE example.
    gone = await send(
        client,
        "DELETE",
        f"/order/{order_id}",
        auth,
        {"eatsId": "190330-12345678", "comment": "Client refusal"},
    )
    assert gone.status_code == 200
    assert (await stock(client)) == before
    status = (await client.get(f"/order/{order_id}/status", headers=auth)).json()
    assert status["status"] == "CANCELLED" and status["comment"] == "Client refusal"
    timeline = (await client.get(f"/api/v1/orders/{order_id}/timeline", headers=ORGANISER)).json()
    assert [e["action"] for e in timeline["timeline"]][-1] == "delivery.cancelled"


async def test_out_of_stock_lines_are_dropped_not_failed(
    client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    created = await send(
        client,
        "POST",
        "/order",
        auth,
        order_body("190330-22222222", bliny=1, pelmeni=Decimal("1.5")),
    )
    assert created.status_code == 200
    read = (await client.get(f"/order/{created.json()['orderId']}", headers=auth)).json()
    assert [i["id"] for i in read["items"]] == ["bliny", "pelmeni"], "as the aggregator sent"
    kitchen = await kitchen_order(client, created.json()["orderId"])
    assert [i["id"] for i in kitchen["items"]] == ["pelmeni"]
    assert Decimal(str(kitchen["items"][0]["quantity"])) == Decimal("1.5")
    assert kitchen["droppedItems"][0]["id"] == "bliny"
    assert Decimal(str(kitchen["total"])) == Decimal("630.00")


async def test_put_reholds_stock(client: httpx.AsyncClient, auth: dict[str, str]) -> None:
    before = await stock(client)
    order_id = (
        await send(client, "POST", "/order", auth, order_body("190330-33333333", borscht=5))
    ).json()["orderId"]
    changed = await send(
        client,
        "PUT",
        f"/order/{order_id}",
        auth,
        order_body("190330-33333333", borscht=1, pelmeni=2),
    )
    assert changed.status_code == 200, changed.text
    now = await stock(client)
    assert Decimal(str(now["borscht"])) == Decimal(str(before["borscht"])) - 1
    assert Decimal(str(now["pelmeni"])) == Decimal(str(before["pelmeni"])) - 2


async def test_aggregator_pushes_and_the_machine(
    client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    order_id = (await send(client, "POST", "/order", auth, order_body("190330-44444444"))).json()[
        "orderId"
    ]
    for step in ("ACCEPTED_BY_RESTAURANT", "COOKING", "READY"):
        await client.post(
            f"/api/v1/delivery/orders/{order_id}/status", headers=ORGANISER, json={"status": step}
        )
    back = await client.post(
        f"/api/v1/delivery/orders/{order_id}/status", headers=ORGANISER, json={"status": "COOKING"}
    )
    assert back.status_code == 400
    taken = await send(
        client, "PUT", f"/order/{order_id}/status", auth, {"status": "TAKEN_BY_COURIER"}
    )
    assert taken.status_code == 204
    courier = await send(
        client,
        "PUT",
        f"/order/{order_id}/courier",
        auth,
        {
            "courier": {"name": "Oleg", "type": "pedestrian"},
            "order": {"orderNr": "190330-44444444"},
        },
    )
    assert courier.status_code == 200
    backwards = await send(
        client, "PUT", f"/order/{order_id}/status", auth, {"status": "TAKEN_BY_COURIER"}
    )
    assert backwards.status_code == 400 and backwards.json()[0]["code"] == 106
    delivered = await send(
        client, "PUT", f"/order/{order_id}/status", auth, {"status": "DELIVERED"}
    )
    assert delivered.status_code == 204
    late = await send(client, "DELETE", f"/order/{order_id}", auth, {"eatsId": "190330-44444444"})
    assert late.status_code == 400 and late.json()[0]["code"] == 106


async def test_cancel_after_the_courier_took_it_keeps_the_stock_consumed(
    client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    before = await stock(client)
    order_id = (
        await send(client, "POST", "/order", auth, order_body("190330-55555555", borscht=1))
    ).json()["orderId"]
    await send(client, "PUT", f"/order/{order_id}/status", auth, {"status": "TAKEN_BY_COURIER"})
    cancel = await send(
        client,
        "PUT",
        f"/order/{order_id}/status",
        auth,
        {"status": "CANCELLED", "reason": "client.does_not_want_to_wait", "attributes": ["paid"]},
    )
    assert cancel.status_code == 204
    assert Decimal(str((await stock(client))["borscht"])) == Decimal(str(before["borscht"])) - 1
    status = (await client.get(f"/order/{order_id}/status", headers=auth)).json()
    assert status["reason"] == "client.does_not_want_to_wait"


@pytest.mark.parametrize(
    ("method", "suffix", "body", "code"),
    [
        ("POST", "", {**order_body("1903-123"), "eatsId": "1903-123"}, 101),
        ("POST", "", {**order_body("190330-66666666"), "restaurantId": "nope"}, 104),
        ("POST", "", order_body("190330-66666667", caviar=1), 105),
        ("POST", "", {**order_body("190330-66666668"), "discriminator": "drone"}, 100),
        ("POST", "", {**order_body("190330-66666669"), "items": []}, 100),
        ("DELETE", "/{id}", {"eatsId": "190330-99999999"}, 102),
        ("DELETE", "/{id}", {"eatsId": "bad"}, 101),
        ("DELETE", "/{id}", {"eatsId": "190330-12345670", "comment": "x" * 501}, 103),
        ("PUT", "/{id}/status", {"status": "CANCELLED", "reason": "place.tired"}, 109),
        ("PUT", "/{id}/status", {"status": "COOKING"}, 106),
        ("PUT", "/{id}/status", {"status": "LOST"}, 100),
    ],
)
async def test_bad_input_changes_nothing(
    client: httpx.AsyncClient,
    auth: dict[str, str],
    db: Database,
    method: str,
    suffix: str,
    body: dict[str, Any],
    code: int,
) -> None:
    order_id = (await send(client, "POST", "/order", auth, order_body("190330-12345670"))).json()[
        "orderId"
    ]
    before = await db_state(db)
    response = await send(client, method, "/order" + suffix.replace("{id}", order_id), auth, body)
    assert response.status_code == 400, response.text
    [error] = response.json()
    assert error["code"] == code and error["description"]
    assert await db_state(db) == before


async def test_duplicate_with_other_contents_and_unknown_order(
    client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    await send(client, "POST", "/order", auth, order_body("190330-77777777"))
    other = await send(client, "POST", "/order", auth, order_body("190330-77777777", pelmeni=1))
    assert other.status_code == 400 and other.json()[0]["code"] == 107
    missing = await client.get("/order/nope", headers=auth)
    assert missing.status_code == 404 and missing.json() == [
        {"code": 404, "description": "Order nope not found"}
    ]


async def test_cancel_and_status_push_race_to_one_state(
    client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    before = await stock(client)
    order_id = (
        await send(client, "POST", "/order", auth, order_body("190330-88888888", borscht=3))
    ).json()["orderId"]
    calls = [send(client, "DELETE", f"/order/{order_id}", auth, {"eatsId": "190330-88888888"})]
    calls += [
        send(client, "PUT", f"/order/{order_id}/status", auth, {"status": "TAKEN_BY_COURIER"})
    ]
    calls += [send(client, "PUT", f"/order/{order_id}/status", auth, {"status": "DELIVERED"})]
    answers = await asyncio.gather(*calls)
    assert all(a.status_code in (200, 204, 400) for a in answers), [a.text for a in answers]
    status = (await client.get(f"/order/{order_id}/status", headers=auth)).json()["status"]
    left = Decimal(str((await stock(client))["borscht"]))
    if answers[0].status_code == 200:
        # The cancel came first (stock back) or after the courier took it (stock consumed).
        assert status == "CANCELLED"
        assert left in (Decimal(str(before["borscht"])), Decimal(str(before["borscht"])) - 3)
    else:
        assert status == "DELIVERED" and left == Decimal(str(before["borscht"])) - 3


async def test_a_delivered_order_earns_the_member_bonuses(
    client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    params = {"shop_id": demo.SHOP_ID, "shop_secret": demo.SHOP_SECRET, "identifier": demo.MEMBER}
    before = Decimal(
        str(
            (await client.get("/loyalty/bonuses/balance", params=params)).json()["payload"][
                "bonuses_balance"
            ]
        )
    )
    order_id = (
        await send(client, "POST", "/order", auth, order_body("190330-10101010", pelmeni=2))
    ).json()["orderId"]
    await send(client, "PUT", f"/order/{order_id}/status", auth, {"status": "DELIVERED"})
    after = Decimal(
        str(
            (await client.get("/loyalty/bonuses/balance", params=params)).json()["payload"][
                "bonuses_balance"
            ]
        )
    )
    assert after == before + 42  # 5 % of 840.00


async def test_the_aggregators_order_reads_back_as_sent_and_a_put_replaces_it(
    client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    """Issue 16: price 400 with a +30 modification, item promos and itemsCost 400 read back
    as 450.00 and lost the rest; a PUT of 2 x 300 read back as 2 x 350."""
    body = order_body("190330-45454545", borscht=1)
    body["items"][0].update(
        price=400,
        modifications=[
            {
                "id": "sour-cream",
                "group_id": "extras",
                "name": "Сметана",
                "quantity": 1,
                "price": 30,
            }
        ],
        promos=[{"type": "GIFT", "discount": 200, "partner_discount": 100, "yandex_discount": 100}],
        comboInfo={"id": "lunch", "componentId": "soup"},
    )
    body["paymentInfo"] = {"itemsCost": 400, "paymentType": "CARD"}
    body["deliveryInfo"]["pickupCode"] = "123"
    body["promos"] = [{"type": "GIFT", "discount": 50}]
    created = await send(client, "POST", "/order", auth, body)
    assert created.status_code == 200, created.text
    order_id = created.json()["orderId"]
    read = await client.get(f"/order/{order_id}", headers=auth)
    assert read.status_code == 200
    assert read.json() == orjson.loads(orjson.dumps(body, default=json_default))
    assert b'"price":400,' in read.content and b'"quantity":1' in read.content

    changed = order_body("190330-45454545", borscht=2)
    changed["items"][0]["price"] = 300
    changed["paymentInfo"] = {"itemsCost": 600, "paymentType": "CARD"}
    del changed["comment"]
    put = await send(client, "PUT", f"/order/{order_id}", auth, changed)
    assert put.status_code == 200, put.text
    again = (await client.get(f"/order/{order_id}", headers=auth)).json()
    assert again == orjson.loads(orjson.dumps(changed, default=json_default))
    assert "comment" not in again, "a PUT replaces the whole order"
    kitchen = await kitchen_order(client, order_id)
    assert [(i["id"], Decimal(str(i["quantity"]))) for i in kitchen["items"]] == [
        ("borscht", Decimal(2))
    ]


async def test_restaurants_availability_lists_every_restaurant_with_its_state(
    client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    answer = await client.get("/restaurants/availability", headers=auth)
    assert answer.status_code == 200, answer.text
    assert answer.json() == {"places": [{"id": R, "enabled": True}]}
    menu = (await client.get(f"/api/v1/delivery/restaurants/{R}/menu", headers=ORGANISER)).json()
    sold_out = [{**item, "stock": 0} for item in menu["items"]]
    put = await client.put(
        f"/api/v1/delivery/restaurants/{R}/menu", json={"items": sold_out}, headers=ORGANISER
    )
    assert put.status_code == 200, put.text
    closed = await client.get("/restaurants/availability", headers=auth)
    assert closed.json() == {"places": [{"id": R, "enabled": False}]}
    anonymous = await client.get("/restaurants/availability")
    assert anonymous.status_code == 401


async def test_a_basket_of_counted_items_is_held_and_given_back_line_by_line(
    client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    """Each counted line holds its own quantity (a finer one rounded up to a thousandth), an
    item not counted holds nothing, a line out of stock is dropped; a PUT and a DELETE give
    back every line held."""
    before = await stock(client)
    eats_id = "190330-60606060"
    body = order_body(eats_id, borscht=2, pelmeni=Decimal("1.5"), bliny=1, kompot=3)
    order_id = (await send(client, "POST", "/order", auth, body)).json()["orderId"]
    kitchen = await kitchen_order(client, order_id)
    assert sorted(i["id"] for i in kitchen["items"]) == ["borscht", "kompot", "pelmeni"]
    assert [i["id"] for i in kitchen["droppedItems"]] == ["bliny"]
    pelmeni = before["pelmeni"] - Decimal("1.5")
    assert await stock(client) == {**before, "borscht": before["borscht"] - 2, "pelmeni": pelmeni}
    body = order_body(eats_id, pelmeni=Decimal("0.0005"), borscht=1)
    changed = await send(client, "PUT", f"/order/{order_id}", auth, body)
    assert changed.status_code == 200, changed.text
    pelmeni = before["pelmeni"] - Decimal("0.001")
    assert await stock(client) == {**before, "borscht": before["borscht"] - 1, "pelmeni": pelmeni}
    gone = await send(client, "DELETE", f"/order/{order_id}", auth, {"eatsId": eats_id})
    assert gone.status_code == 200, gone.text
    assert await stock(client) == before


async def test_orders_racing_for_the_same_items_hold_exactly_what_there_is(
    client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    """Baskets naming the same counted items, in either order, race: each one answers, no
    item is held beyond its stock, and every hold is accounted for in the stock."""
    before = await stock(client)
    baskets = [{"borscht": 3, "pelmeni": 2}, {"pelmeni": 2, "borscht": 3}]
    bodies = [order_body(f"190330-5050505{n}", **baskets[n % 2]) for n in range(8)]
    answers = await asyncio.gather(*(send(client, "POST", "/order", auth, b) for b in bodies))
    assert all(a.status_code == 200 for a in answers), [a.text for a in answers]
    held = {"borscht": Decimal(0), "pelmeni": Decimal(0)}
    for answer in answers:
        for line in (await kitchen_order(client, answer.json()["orderId"]))["items"]:
            held[line["id"]] += Decimal(str(line["quantity"]))
    assert held["borscht"] == min(8, before["borscht"] // 3) * 3
    assert held["pelmeni"] == min(8, before["pelmeni"] // 2) * 2
    after = await stock(client)
    assert after == {**before, **{item: before[item] - held[item] for item in held}}
