"""Kassa's cancellation API: preview, apply exactly the preview, partial cancel, reasons."""

from decimal import Decimal
from typing import Any

import httpx

from kassa.app import demo
from kassa.store.db import Database
from tests.api.helpers import db_state

ORDERS = "/v2/resources/orders"


async def reserve(client: httpx.AsyncClient, seller: dict[str, str], n: int, **extra: Any) -> Any:
    body = {"event": demo.V2_EVENT_ID, "random": {demo.V2_STALLS_SET_ID: n}, **extra}
    return (await client.post(ORDERS, headers=seller, json=body)).json()["data"]


def url(order_id: str) -> str:
    return f"/api/v1/orders/{order_id}/cancellation"


async def test_preview_changes_nothing_and_apply_does_what_it_said(
    client: httpx.AsyncClient, seller: dict[str, str], db: Database
) -> None:
    order = await reserve(client, seller, 2, promocodes=["PROMO100"])
    before = await db_state(db)
    preview = (await client.get(url(order["id"]), headers=seller)).json()
    assert await db_state(db) == before
    assert preview["to_status"] == "canceled" and not preview["partial"]
    assert sorted(preview["release"]["tickets"]) == sorted(t["id"] for t in order["tickets"])
    assert preview["promocodes_given_back"] == [demo.PROMO100_ID]
    assert preview["refund"] == {"amount": "0.00"}  # not paid yet
    applied = await client.post(
        url(order["id"]),
        headers=seller,
        json={
            "reason": "customer_request",
            "comment": "changed plans",
            "version": preview["version"],
        },
    )
    assert applied.status_code == 200, applied.text
    assert applied.json()["release"] == preview["release"]
    timeline = (await client.get(f"/api/v1/orders/{order['id']}/timeline", headers=seller)).json()
    last = timeline["timeline"][-1]
    assert (
        last["action"] == "order.canceled" and last["reason"] == "customer_request: changed plans"
    )
    assert last["actor"] == demo.PARTNER_ID


async def test_a_stale_preview_is_refused_with_409(
    client: httpx.AsyncClient, seller: dict[str, str], db: Database
) -> None:
    order = await reserve(client, seller, 2)
    preview = (await client.get(url(order["id"]), headers=seller)).json()
    await client.patch(
        f"{ORDERS}/{order['id']}", headers=seller, json={"random": {demo.V2_STALLS_SET_ID: 1}}
    )
    before = await db_state(db)
    stale = await client.post(
        url(order["id"]), headers=seller, json={"reason": "other", "version": preview["version"]}
    )
    assert stale.status_code == 409 and stale.json()["code"] == "order_changed"
    assert await db_state(db) == before


async def test_partial_cancel_and_refund_of_a_done_order(
    client: httpx.AsyncClient, seller: dict[str, str]
) -> None:
    order = await reserve(client, seller, 3)
    first = order["tickets"][0]["id"]
    partial = await client.post(
        url(order["id"]), headers=seller, json={"reason": "customer_request", "tickets": [first]}
    )
    assert partial.status_code == 200 and partial.json()["partial"] is True
    data = (await client.get(f"{ORDERS}/{order['id']}", headers=seller)).json()["data"]
    assert data["status"] == "executed" and len(data["tickets"]) == 2
    done = (
        await client.patch(f"{ORDERS}/{order['id']}", headers=seller, json={"status": "done"})
    ).json()["data"]
    preview = (await client.get(url(order["id"]), headers=seller)).json()
    assert Decimal(preview["refund"]["amount"]) == Decimal(done["values"]["full"])
    refunded = await client.post(
        url(order["id"]),
        headers=seller,
        json={"reason": "event_cancelled", "version": preview["version"]},
    )
    assert refunded.status_code == 200
    after = (await client.get(f"{ORDERS}/{order['id']}", headers=seller)).json()["data"]
    assert after["status"] == "done" and after["tickets"] == []


async def test_bad_reasons_tickets_and_strangers(
    client: httpx.AsyncClient, seller: dict[str, str], new_tenant: Any
) -> None:
    order = await reserve(client, seller, 1)
    unknown = await client.post(url(order["id"]), headers=seller, json={"reason": "bored"})
    assert unknown.status_code == 400 and unknown.json()["code"] == "reason_unknown"
    foreign = await client.post(
        url(order["id"]), headers=seller, json={"reason": "other", "tickets": ["f" * 24]}
    )
    assert foreign.status_code == 400 and foreign.json()["reason"] == "bad tickets"
    other = await new_tenant()
    assert (await client.get(url(order["id"]), headers=other.seller)).status_code == 404


async def test_a_partial_cancel_gives_back_a_code_that_no_longer_applies(
    client: httpx.AsyncClient, seller: dict[str, str], organiser: dict[str, str]
) -> None:
    made = await client.post(
        f"/v1/resources/events/{demo.V2_EVENT_ID}/promocodes",
        headers=organiser,
        json={"code": "PAIRONLY", "discount": {"fix": "100.00"}, "tickets_count": {"min": 2}},
    )
    code = made.json()
    order = await reserve(client, seller, 2, promocodes=["PAIRONLY"])
    assert order["promocodes"] == [code["id"]]
    cut = await client.post(
        url(order["id"]),
        headers=seller,
        json={"reason": "customer_request", "tickets": [order["tickets"][0]["id"]]},
    )
    assert cut.status_code == 200, cut.text
    data = (await client.get(f"{ORDERS}/{order['id']}", headers=seller)).json()["data"]
    assert data["promocodes"] == [] and data["values"]["discount"] == "0.00"
    used = await client.get(
        f"/v1/resources/events/{demo.V2_EVENT_ID}/promocodes/{code['id']}", headers=organiser
    )
    assert used.json()["used"] == 0


async def test_webhook_aliases(client: httpx.AsyncClient, organiser: dict[str, str]) -> None:
    from kassa.core.webhooks import Endpoint

    endpoint = Endpoint("e", "o", "http://x", "s", ("order.created", "refund.*"), True)
    assert endpoint.wants("order.placed") and endpoint.wants("refund.approved")
    assert not endpoint.wants("order.done") and not endpoint.wants("loyalty.applied")


async def test_a_delivery_order_is_previewed_and_cancelled_through_kassas_api(
    client: httpx.AsyncClient, organiser: dict[str, str], demo_data: demo.DemoInfo
) -> None:
    from tests.api.test_delivery import order_body, send, stock, token

    auth = await token(client)
    before = await stock(client)
    created = await send(client, "POST", "/order", auth, order_body("190330-90909090", borscht=2))
    order_id = created.json()["orderId"]
    held = await stock(client)
    assert held["borscht"] == before["borscht"] - 2

    preview = await client.get(url(order_id), headers=organiser)
    assert preview.status_code == 200, preview.text
    plan = preview.json()
    assert plan["face"] == "delivery"
    assert plan["to_status"] == "CANCELLED"
    assert [(i["id"], Decimal(str(i["quantity"]))) for i in plan["release"]["items"]] == [
        ("borscht", Decimal(2))
    ]
    assert await stock(client) == held  # a preview changes nothing

    # The restaurant moves the order on: the old preview is refused, the stock stays held.
    moved = await client.post(
        f"/api/v1/delivery/orders/{order_id}/status",
        json={"status": "ACCEPTED_BY_RESTAURANT"},
        headers=organiser,
    )
    assert moved.status_code == 200, moved.text
    stale = await client.post(
        url(order_id),
        json={"reason": "place.missing_dish", "version": plan["version"]},
        headers=organiser,
    )
    assert stale.status_code == 409, stale.text
    assert stale.json()["code"] == "order_changed"
    assert await stock(client) == held

    fresh = (await client.get(url(order_id), headers=organiser)).json()
    done = await client.post(
        url(order_id),
        json={"reason": "place.missing_dish", "comment": "no beets", "version": fresh["version"]},
        headers=organiser,
    )
    assert done.status_code == 200, done.text
    assert await stock(client) == before
    status = await send(client, "GET", f"/order/{order_id}/status", auth)
    assert status.json()["status"] == "CANCELLED"
    timeline = (await client.get(f"/api/v1/orders/{order_id}/timeline", headers=organiser)).json()
    last = timeline["timeline"][-1]
    assert last["to_status"] == "CANCELLED"
    assert last["actor"] == demo.ORG_ID
    # Cancelled: nothing more to preview.
    assert (await client.get(url(order_id), headers=organiser)).status_code == 400


async def test_a_loyalty_order_is_previewed_and_cancelled_through_kassas_api(
    client: httpx.AsyncClient, organiser: dict[str, str], db: Database, demo_data: demo.DemoInfo
) -> None:
    from tests.api.test_loyalty import cart, ledger_state, ok

    before = await ledger_state(client, demo.MEMBER)
    applied_payload = await ok(
        client,
        "apply",
        order_id="KASSA-API-1",
        identifier=demo.MEMBER,
        charge_bonuses=True,
        cart_items=cart(("latte", "250", 4)),
    )
    await ok(client, "confirm", order_id="KASSA-API-1")
    spent = Decimal(str(applied_payload["bonuses_used"]))
    earned = Decimal(str(applied_payload["bonuses_reward"]))
    assert spent > 0
    async with db.unit_of_work(write=False) as uow:
        found = await uow.loyalty.order(demo.SHOP_ID, "KASSA-API-1")
    assert found is not None

    preview = await client.get(url(found.id), headers=organiser)
    assert preview.status_code == 200, preview.text
    plan = preview.json()
    assert plan["face"] == "loyalty"
    assert Decimal(plan["loyalty"]["bonuses_returned"]) == spent
    assert Decimal(plan["loyalty"]["bonuses_revoked"]) == earned
    assert await ledger_state(client, demo.MEMBER) != before

    partial = await client.post(
        url(found.id), json={"reason": "customer_request", "tickets": ["a" * 24]}, headers=organiser
    )
    assert partial.status_code == 400
    applied = await client.post(
        url(found.id),
        json={"reason": "customer_request", "version": plan["version"]},
        headers=organiser,
    )
    assert applied.status_code == 200, applied.text
    assert await ledger_state(client, demo.MEMBER) == before
    again = await client.post(url(found.id), json={"reason": "customer_request"}, headers=organiser)
    assert again.status_code == 400


async def test_other_tenants_and_sellers_cannot_preview_another_faces_orders(
    client: httpx.AsyncClient,
    organiser: dict[str, str],
    seller: dict[str, str],
    demo_data: demo.DemoInfo,
) -> None:
    from tests.api.test_delivery import order_body, send, token

    auth = await token(client)
    created = await send(client, "POST", "/order", auth, order_body("190330-91919191"))
    order_id = created.json()["orderId"]
    assert (await client.get(url(order_id), headers=seller)).status_code == 404
    unknown = await client.get(url("f" * 24), headers=organiser)
    assert unknown.status_code == 404


async def test_part_of_a_delivery_order_is_cancelled_through_kassas_api(
    client: httpx.AsyncClient, organiser: dict[str, str], demo_data: demo.DemoInfo
) -> None:
    from tests.api.test_delivery import order_body, send, stock, token

    auth = await token(client)
    before = await stock(client)
    created = await send(
        client, "POST", "/order", auth, order_body("190330-92929292", borscht=3, kompot=1)
    )
    order_id = created.json()["orderId"]
    preview = await client.get(url(order_id), params={"items": "borscht:2"}, headers=organiser)
    assert preview.status_code == 200, preview.text
    plan = preview.json()
    assert plan["partial"] is True
    assert plan["to_status"] == "NEW"
    assert [(i["id"], Decimal(str(i["quantity"]))) for i in plan["release"]["items"]] == [
        ("borscht", Decimal(2))
    ]
    too_many = await client.post(
        url(order_id),
        json={"reason": "out_of_stock", "items": [{"id": "borscht", "quantity": 4}]},
        headers=organiser,
    )
    assert too_many.status_code == 400
    bad_query = await client.get(url(order_id), params={"items": "borscht"}, headers=organiser)
    assert bad_query.status_code == 400
    applied = await client.post(
        url(order_id),
        json={
            "reason": "out_of_stock",
            "items": [{"id": "borscht", "quantity": 2}],
            "version": plan["version"],
        },
        headers=organiser,
    )
    assert applied.status_code == 200, applied.text
    after = await stock(client)
    assert after["borscht"] == before["borscht"] - 1
    kitchen = (await client.get("/api/v1/delivery/orders", headers=organiser)).json()
    (read,) = [o for o in kitchen if o["orderId"] == order_id]
    lines = {i["id"]: Decimal(str(i["quantity"])) for i in read["items"]}
    assert lines == {"borscht": Decimal(1), "kompot": Decimal(1)}
    echoed = await send(client, "GET", f"/order/{order_id}", auth)
    assert [i["quantity"] for i in echoed.json()["items"]] == [3, 1], "the aggregator's order"
    stale = await client.post(
        url(order_id),
        json={
            "reason": "out_of_stock",
            "items": [{"id": "kompot", "quantity": 1}],
            "version": plan["version"],
        },
        headers=organiser,
    )
    assert stale.status_code == 409
    whole = await client.post(url(order_id), json={"reason": "other"}, headers=organiser)
    assert whole.status_code == 200
    assert await stock(client) == before
    actions = [
        e["action"]
        for e in (
            await client.get(f"/api/v1/orders/{order_id}/timeline", headers=organiser)
        ).json()["timeline"]
    ]
    assert actions[-2:] == ["delivery.partially_cancelled", "delivery.cancelled"]


async def test_part_of_a_loyalty_order_is_cancelled_and_the_rewards_follow(
    client: httpx.AsyncClient, organiser: dict[str, str], db: Database, demo_data: demo.DemoInfo
) -> None:
    from tests.api.test_loyalty import cart, ledger_state, ok

    before = await ledger_state(client, demo.MEMBER)
    await ok(
        client,
        "apply",
        order_id="KASSA-API-2",
        identifier=demo.MEMBER,
        cart_items=cart(("latte", "250", 4), ("cake", "400", 1)),
    )
    await ok(client, "confirm", order_id="KASSA-API-2")
    confirmed = await ledger_state(client, demo.MEMBER)
    earned = confirmed["bonuses"] - before["bonuses"]
    assert earned > 0
    async with db.unit_of_work(write=False) as uow:
        found = await uow.loyalty.order(demo.SHOP_ID, "KASSA-API-2")
    assert found is not None
    preview = await client.get(url(found.id), params={"items": "latte:2"}, headers=organiser)
    assert preview.status_code == 200, preview.text
    plan = preview.json()
    assert plan["partial"] is True
    revoked = Decimal(plan["loyalty"]["bonuses_revoked"])
    assert Decimal(0) < revoked < earned
    assert Decimal(plan["refund"]["amount"]) > 0
    assert await ledger_state(client, demo.MEMBER) == confirmed
    applied = await client.post(
        url(found.id),
        json={
            "reason": "customer_request",
            "items": [{"id": "latte", "quantity": 2}],
            "version": plan["version"],
        },
        headers=organiser,
    )
    assert applied.status_code == 200, applied.text
    after = await ledger_state(client, demo.MEMBER)
    assert after["bonuses"] == confirmed["bonuses"] - revoked
    whole = await client.post(url(found.id), json={"reason": "other"}, headers=organiser)
    assert whole.status_code == 200, whole.text
    assert await ledger_state(client, demo.MEMBER) == before


async def test_the_openapi_document_shows_the_one_plan_for_preview_and_apply(
    client: httpx.AsyncClient,
) -> None:
    schema = (await client.get("/openapi.json")).json()
    plan = schema["components"]["schemas"]["CancellationPlan"]
    assert {"order", "face", "version", "release", "loyalty", "refund", "notify"} <= set(
        plan["properties"]
    )
    assert plan["properties"]["face"]["enum"] == ["tickets", "delivery", "loyalty"]
    ops = schema["paths"]["/api/v1/orders/{order_id}/cancellation"]
    for method in ("get", "post"):
        answer = ops[method]["responses"]["200"]["content"]["application/json"]["schema"]
        assert answer == {"$ref": "#/components/schemas/CancellationPlan"}
