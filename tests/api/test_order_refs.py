"""Kassa's API finds an order by the face's own id as well as by Kassa's: a loyalty shop's
`order_id`, the aggregator's `eatsId`, a ticket order's number; only in the caller's
organisation, and never by guessing between two orders of one name."""

from collections.abc import Awaitable, Callable
from typing import Any

import httpx

from kassa.app import demo
from tests.api.helpers import Tenant
from tests.api.test_delivery import order_body, send, token
from tests.api.test_loyalty import cart, ok

ORGANISER = {"Authorization": f"key {demo.ORG_KEY}"}


def preview(ref: str) -> str:
    return f"/api/v1/orders/{ref}/cancellation"


async def checkout(client: httpx.AsyncClient, order_id: str, **auth: str) -> None:
    await ok(
        client,
        "apply",
        **auth,
        identifier=demo.MEMBER,
        order_id=order_id,
        cart_items=cart(("latte", "250", 2)),
    )
    await ok(client, "confirm", **auth, order_id=order_id)


async def test_a_loyalty_order_is_found_by_the_shops_order_id(
    client: httpx.AsyncClient, demo_data: demo.DemoInfo
) -> None:
    await checkout(client, "A-1")
    plan = await client.get(preview("A-1"), headers=ORGANISER)
    assert plan.status_code == 200, plan.text
    kassa_id = plan.json()["order"]
    assert kassa_id != "A-1" and plan.json()["face"] == "loyalty"
    timeline = (await client.get("/api/v1/orders/A-1/timeline", headers=ORGANISER)).json()
    assert timeline["order"] == kassa_id
    assert [e["action"] for e in timeline["timeline"]] == ["loyalty.applied", "loyalty.confirmed"]
    by_kassa_id = await client.get(preview(kassa_id), headers=ORGANISER)
    assert by_kassa_id.json() == plan.json()
    done = await client.post(preview("A-1"), headers=ORGANISER, json={"reason": "other"})
    assert done.status_code == 200, done.text
    assert done.json()["order"] == kassa_id and done.json()["to_status"] == "cancelled"


async def test_a_delivery_order_by_eats_id_and_a_ticket_order_by_number(
    client: httpx.AsyncClient, demo_data: demo.DemoInfo, seller: dict[str, str]
) -> None:
    bearer = await token(client)
    sent = await send(client, "POST", "/order", bearer, order_body("190330-55555555"))
    kassa_id = sent.json()["orderId"]
    plan = await client.get(preview("190330-55555555"), headers=ORGANISER)
    assert plan.status_code == 200, plan.text
    assert plan.json()["order"] == kassa_id and plan.json()["face"] == "delivery"

    reserved = await client.post(
        "/v1/resources/orders",
        json={"event": demo.EVENT_ID, "random": {demo.STALLS_SET_ID: 1}},
        headers=seller,
    )
    order = reserved.json()
    for key in (ORGANISER, seller):
        by_number = await client.get(preview(str(order["number"])), headers=key)
        assert by_number.status_code == 200, by_number.text
        assert by_number.json()["order"] == order["id"]
    timeline = await client.get(f"/api/v1/orders/{order['number']}/timeline", headers=seller)
    assert timeline.json()["order"] == order["id"]


async def test_another_tenants_face_ids_stay_not_found(
    client: httpx.AsyncClient,
    demo_data: demo.DemoInfo,
    seller: dict[str, str],
    new_tenant: Callable[..., Awaitable[Tenant]],
) -> None:
    await checkout(client, "A-7")
    bearer = await token(client)
    await send(client, "POST", "/order", bearer, order_body("190330-66666666"))
    reserved = await client.post(
        "/v1/resources/orders",
        json={"event": demo.EVENT_ID, "random": {demo.STALLS_SET_ID: 1}},
        headers=ORGANISER,
    )
    number = str(reserved.json()["number"])
    other = await new_tenant()
    for ref in ("A-7", "190330-66666666", number):
        for key in (other.organiser, other.seller):
            for path in (preview(ref), f"/api/v1/orders/{ref}/timeline"):
                answer = await client.get(path, headers=key)
                assert answer.status_code == 404, (ref, answer.text)
                assert answer.json()["code"] == "order_not_found"
    # The demo's seller did not sell the organiser's ticket order: not its to see by number.
    assert (await client.get(preview(number), headers=seller)).status_code == 404


async def test_one_order_id_in_two_shops_is_409_with_the_candidates(
    client: httpx.AsyncClient, demo_data: demo.DemoInfo
) -> None:
    made = await client.post(
        "/api/v1/loyalty/shops",
        headers=ORGANISER,
        json={"name": "Second shop", "program": {"earn_percent": "5"}},
    )
    assert made.status_code == 201, made.text
    second: dict[str, Any] = made.json()
    await checkout(client, "A-2")
    await checkout(client, "A-2", shop_id=second["shop_id"], shop_secret=second["shop_secret"])

    answer = await client.get(preview("A-2"), headers=ORGANISER)
    assert answer.status_code == 409, answer.text
    body = answer.json()
    assert body["code"] == "order_ambiguous"
    candidates = body["candidates"]
    assert [c["face"] for c in candidates] == ["loyalty", "loyalty"]
    assert all(c["id"] in body["reason"] for c in candidates)
    # Each candidate answers by Kassa's id; nothing was cancelled by the ambiguous call.
    refused = await client.post(preview("A-2"), headers=ORGANISER, json={"reason": "other"})
    assert refused.status_code == 409
    for c in candidates:
        plan = await client.get(preview(c["id"]), headers=ORGANISER)
        assert plan.status_code == 200 and plan.json()["from_status"] == "fulfilled"
