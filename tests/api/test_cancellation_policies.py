"""Cancellation policies over HTTP: set and read them (tenant-isolated), and Kassa's
cancellation API and the console charging them: the fee kept, the deadline, the override;
partner faces stay free. SQLite and PostgreSQL."""

from decimal import Decimal
from typing import Any

import httpx
import pytest

from kassa.app import demo
from kassa.core.pricing import FeePolicy
from kassa.store.db import Database
from tests.api.helpers import db_state
from tests.api.test_console import sign_in
from tests.api.test_delivery import token
from tests.api.test_loyalty import cart
from tests.api.test_one_engine import (
    BIG_CART,
    ORGANISER,
    SELLER,
    V2_ORDERS,
    cancel_entries,
    delivery_order,
    loyalty_order,
    ticket_ids,
    v2_order,
)
from tests.conftest import FakeClock

EVENT_POLICY = f"/api/v1/events/{demo.V2_EVENT_ID}/cancellation_policy"
PAID = {
    "fixed_fee": "50.00",
    "percent": "10",
    "per_ticket": "20.00",
    "keep_service_fee": True,
    "hours_before_start": 24,
}


def url(order_id: str) -> str:
    return f"/api/v1/orders/{order_id}/cancellation"


async def put(client: httpx.AsyncClient, path: str, body: dict[str, Any], **kw: Any) -> Any:
    answer = await client.put(path, headers=kw.get("headers", ORGANISER), json=body)
    assert answer.status_code == 200, answer.text
    return answer.json()


async def test_the_organiser_sets_reads_and_drops_an_events_policy(
    client: httpx.AsyncClient, demo_data: demo.DemoInfo
) -> None:
    free = (await client.get(EVENT_POLICY, headers=SELLER)).json()
    assert free["updated_at"] is None and free["paid"]["fixed_fee"] == "0.00"
    assert free["event"] == demo.V2_EVENT_ID and free["unpaid"]["allowed"] is True
    body = {"unpaid": {"allowed": False}, "paid": PAID}
    saved = await put(client, EVENT_POLICY, body)
    assert saved["paid"] == {**PAID, "allowed": True} and saved["updated_at"] is not None
    assert (await client.get(EVENT_POLICY, headers=SELLER)).json() == saved
    denied = await client.put(EVENT_POLICY, headers=SELLER, json=body)
    assert denied.status_code == 403
    bad = await client.put(EVENT_POLICY, headers=ORGANISER, json={"paid": {"percent": "120"}})
    assert bad.status_code in (400, 422)
    shop_terms = {"paid": {"per_ticket": "1.00"}}  # no tickets in a shop
    shop = f"/api/v1/shops/{demo.SHOP_ID}/cancellation_policy"
    assert (await client.put(shop, headers=ORGANISER, json=shop_terms)).status_code in (400, 422)
    assert (await client.delete(EVENT_POLICY, headers=ORGANISER)).status_code == 204
    assert (await client.get(EVENT_POLICY, headers=ORGANISER)).json()["updated_at"] is None


@pytest.mark.parametrize(
    "path",
    [
        f"/api/v1/events/{demo.V2_EVENT_ID}/cancellation_policy",
        f"/api/v1/restaurants/{demo.RESTAURANT_ID}/cancellation_policy",
        f"/api/v1/shops/{demo.SHOP_ID}/cancellation_policy",
        "/api/v1/events/000000000000000000000000/cancellation_policy",
    ],
)
async def test_another_organisations_owner_is_a_404(
    client: httpx.AsyncClient, demo_data: demo.DemoInfo, new_tenant: Any, path: str
) -> None:
    other = await new_tenant()
    assert (await client.get(path, headers=other.organiser)).status_code == 404
    assert (await client.put(path, headers=other.organiser, json={})).status_code == 404
    assert (await client.delete(path, headers=other.organiser)).status_code == 404


async def test_a_sold_orders_cancel_keeps_the_fee_and_refunds_the_rest(
    client: httpx.AsyncClient, new_tenant: Any, clock: FakeClock
) -> None:
    tenant = await new_tenant(fee=FeePolicy(fixed=Decimal("5.00")), price=Decimal("100.00"))
    policy = f"/api/v1/events/{tenant.event_id}/cancellation_policy"
    await put(client, policy, {"paid": PAID}, headers=tenant.organiser)
    body = {"event": tenant.event_id, "random": {tenant.set_id: 3}}
    order = (await client.post(V2_ORDERS, headers=tenant.seller, json=body)).json()["data"]
    paid = await client.patch(
        f"{V2_ORDERS}/{order['id']}", headers=tenant.seller, json={"status": "done"}
    )
    assert paid.status_code == 200, paid.text
    one = ticket_ids(order)[0]
    preview = await client.get(url(order["id"]), headers=tenant.seller, params={"tickets": one})
    plan = preview.json()
    # 105.00 back: 50 fixed + 10.50 (10 %) + 20 per ticket + 5 service fee = 85.50 kept
    assert plan["fee"]["amount"] == "85.50" and plan["refund"]["amount"] == "19.50"
    assert plan["fee"]["policy"] == "event" and plan["fee"]["terms"] == "paid"
    assert plan["fee"]["allowed"] is True and plan["fee"]["deadline"] is not None
    done = await client.post(
        url(order["id"]),
        headers=tenant.seller,
        json={"reason": "customer_request", "tickets": [one], "version": plan["version"]},
    )
    assert done.status_code == 200, done.text
    assert done.json()["fee"] == plan["fee"] and done.json()["refund"] == plan["refund"]
    rest = (await client.get(url(order["id"]), headers=tenant.seller)).json()
    assert rest["fee"]["amount"] == "121.00"  # 50 + 21 + 40 + 10 on 210.00
    assert rest["refund"]["amount"] == "89.00"


async def test_a_policy_changed_since_the_preview_is_a_changed_order(
    client: httpx.AsyncClient, demo_data: demo.DemoInfo, db: Database
) -> None:
    sold = await v2_order(client, 2, promo=None, done=True)
    plan = (await client.get(url(sold["id"]), headers=SELLER)).json()
    await put(client, EVENT_POLICY, {"paid": {"fixed_fee": "1.00"}})
    before = await db_state(db)
    stale = await client.post(
        url(sold["id"]), headers=SELLER, json={"reason": "other", "version": plan["version"]}
    )
    assert stale.status_code == 409 and stale.json()["code"] == "order_changed"
    assert await db_state(db) == before


async def test_past_the_deadline_only_the_organisers_override_cancels(
    client: httpx.AsyncClient, demo_data: demo.DemoInfo, db: Database, clock: FakeClock
) -> None:
    sold = await v2_order(client, 2, promo=None, done=True)
    held = await v2_order(client, 1, promo=None)
    await put(
        client,
        EVENT_POLICY,
        {"unpaid": {"allowed": False}, "paid": {"hours_before_start": 24 * 90, "percent": "5"}},
    )
    plan = (await client.get(url(sold["id"]), headers=SELLER)).json()
    assert plan["fee"]["allowed"] is False
    before = await db_state(db)
    refused = await client.post(url(sold["id"]), headers=SELLER, json={"reason": "other"})
    assert refused.status_code == 409, refused.text
    assert refused.json()["code"] == "cancellation_closed"
    assert refused.json()["deadline"] == plan["fee"]["deadline"]
    closed = await client.post(url(held["id"]), headers=SELLER, json={"reason": "other"})
    assert closed.status_code == 409 and closed.json()["code"] == "cancellation_closed"
    override = {"reason": "the artist fell ill", "fee": "3.00"}
    by_seller = await client.post(
        url(sold["id"]), headers=SELLER, json={"reason": "other", "override": override}
    )
    assert by_seller.status_code == 403
    assert await db_state(db) == before
    done = await client.post(
        url(sold["id"]),
        headers=ORGANISER,
        json={"reason": "event_changed", "override": override, "version": plan["version"]},
    )
    assert done.status_code == 200, done.text
    fee = done.json()["fee"]
    assert fee["amount"] == "3.00" and fee["policy_amount"] == plan["fee"]["policy_amount"]
    assert fee["override"] == {"by": demo.ORG_ID, "reason": "the artist fell ill"}
    gross = Decimal(plan["refund"]["amount"]) + Decimal(plan["fee"]["amount"])
    assert Decimal(done.json()["refund"]["amount"]) == gross - Decimal("3.00") > 0
    entry = (await cancel_entries(client, sold["id"]))[-1]
    assert entry["details"]["fee"]["override"]["reason"] == "the artist fell ill"


async def test_partner_faces_stay_free_under_a_policy(
    client: httpx.AsyncClient, demo_data: demo.DemoInfo
) -> None:
    await put(client, EVENT_POLICY, {"unpaid": {"allowed": False}, "paid": {"fixed_fee": "9"}})
    held = await v2_order(client, 1, promo=None)
    gone = await client.patch(
        f"{V2_ORDERS}/{held['id']}", headers=SELLER, json={"status": "cancelled"}
    )
    assert gone.status_code == 200, gone.text
    entry = (await cancel_entries(client, held["id"]))[-1]
    assert entry["details"]["fee"]["policy"] is None  # the partner's release is free


async def test_a_restaurants_and_a_shops_policies_charge_their_orders(
    client: httpx.AsyncClient, db: Database, demo_data: demo.DemoInfo, clock: FakeClock
) -> None:
    restaurant = f"/api/v1/restaurants/{demo.RESTAURANT_ID}/cancellation_policy"
    saved = await put(client, restaurant, {"paid": {"fixed_fee": "10.00", "hours_after_order": 1}})
    assert saved["paid"] == {
        "allowed": True,
        "hours_after_order": 1,
        "fixed_fee": "10.00",
        "percent": "0",
    }
    auth = await token(client)
    kitchen = await delivery_order(client, auth, borscht=2)
    plan = (await client.get(url(kitchen), headers=ORGANISER)).json()
    assert plan["fee"]["amount"] == "10.00" and plan["fee"]["policy"] == "restaurant"
    clock.advance(hours=2)
    late = await client.post(url(kitchen), headers=ORGANISER, json={"reason": "out_of_stock"})
    assert late.status_code == 409 and late.json()["code"] == "cancellation_closed"

    shop = f"/api/v1/shops/{demo.SHOP_ID}/cancellation_policy"
    await put(client, shop, {"paid": {"percent": "10"}})
    order_id = await loyalty_order(client, db, "POLICY-1", cart(*BIG_CART))
    plan = (await client.get(url(order_id), headers=ORGANISER)).json()
    gross = Decimal(plan["refund"]["amount"]) + Decimal(plan["fee"]["amount"])
    assert Decimal(plan["fee"]["amount"]) == (gross / 10).quantize(Decimal("0.01"))
    assert plan["fee"]["policy"] == "shop" and plan["fee"]["terms"] == "paid"
    done = await client.post(url(order_id), headers=ORGANISER, json={"reason": "other"})
    assert done.status_code == 200 and done.json()["fee"] == plan["fee"]


async def test_the_console_shows_the_fee_and_cancels_with_an_override(
    client: httpx.AsyncClient, demo_data: demo.DemoInfo
) -> None:
    await put(client, EVENT_POLICY, {"paid": {"fixed_fee": "25.00", "hours_before_start": 24 * 90}})
    sold = await v2_order(client, 2, promo=None, done=True)
    _, csrf = await sign_in(client)
    path = f"/console/orders/tickets/{sold['id']}/cancellation"
    page = await client.get(path, params={"whole": "1"})
    assert page.status_code == 200
    assert 'id="preview-fee">25.00' in page.text and 'id="preview-closed"' in page.text
    plan = (await client.get(url(sold["id"]), headers=ORGANISER)).json()
    form = {"csrf": csrf, "version": plan["version"], "reason": "event_changed"}
    refused = await client.post(path, data=form)
    assert refused.status_code == 409
    no_reason = await client.post(path, data={**form, "override": "1"})
    assert no_reason.status_code == 400
    done = await client.post(
        path, data={**form, "override": "1", "override_reason": "goodwill", "override_fee": ""}
    )
    assert done.status_code == 303, done.text
    entry = (await cancel_entries(client, sold["id"]))[-1]
    assert entry["details"]["fee"]["amount"] == "0.00"
    assert entry["details"]["fee"]["override"] == {
        "by": f"operator:{demo.OPERATOR_EMAIL}",
        "reason": "goodwill",
    }


async def test_the_openapi_document_shows_the_policies_and_the_plans_fee(
    client: httpx.AsyncClient,
) -> None:
    schema = (await client.get("/openapi.json")).json()
    schemas = schema["components"]["schemas"]
    assert "fee" in schemas["CancellationPlan"]["required"]
    assert {"amount", "policy_amount", "allowed", "override"} <= set(
        schemas["PlanFee"]["properties"]
    )
    for owner, model in (("events", "Event"), ("restaurants", "Order"), ("shops", "Order")):
        ops = schema["paths"][f"/api/v1/{owner}/{{owner_id}}/cancellation_policy"]
        assert set(ops) >= {"get", "put", "delete"}
        body = ops["put"]["requestBody"]["content"]["application/json"]["schema"]
        assert body == {"$ref": f"#/components/schemas/{model}Policy"}
        answer = ops["get"]["responses"]["200"]["content"]["application/json"]["schema"]
        assert answer["$ref"].endswith("PolicyOut")
