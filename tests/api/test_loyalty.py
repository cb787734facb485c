"""The loyalty checkout face over HTTP, on SQLite and PostgreSQL, with the demo shop."""

import asyncio
import random
from decimal import Decimal
from typing import Any

import httpx
import orjson
import pytest

from kassa.app import demo
from kassa.store.db import Database
from kassa.web.responses import json_default
from tests.api.helpers import db_state

AUTH = {"shop_id": demo.SHOP_ID, "shop_secret": demo.SHOP_SECRET}
MEMBER = demo.MEMBER
REFERRED = demo.REFERRED_MEMBER
ORGANISER = {"Authorization": f"key {demo.ORG_KEY}"}
ADMIN = f"/api/v1/loyalty/shops/{demo.SHOP_ID}"


async def call(client: httpx.AsyncClient, name: str, **body: Any) -> httpx.Response:
    """POST with amounts as exact JSON numbers, as a till sends them."""
    content = orjson.dumps({**AUTH, **body}, default=json_default)
    return await client.post(
        f"/loyalty/checkout/{name}", content=content, headers={"Content-Type": "application/json"}
    )


async def raw_post(client: httpx.AsyncClient, body: dict[str, Any]) -> httpx.Response:
    return await client.post(
        "/loyalty/checkout/apply",
        content=orjson.dumps(body, default=json_default),
        headers={"Content-Type": "application/json"},
    )


async def ok(client: httpx.AsyncClient, name: str, **body: Any) -> dict[str, Any]:
    response = await call(client, name, **body)
    assert response.status_code == 200, response.text
    answer = response.json()
    assert answer["status"] == "success" and answer["success"] is True, answer
    payload: dict[str, Any] = answer["payload"]
    return payload


def cart(*items: tuple[str, str, int]) -> list[dict[str, Any]]:
    return [{"product_id": p, "price": Decimal(price), "quantity": q} for p, price, q in items]


async def ledger_state(client: httpx.AsyncClient, identifier: str) -> dict[str, Any]:
    response = await client.get(f"{ADMIN}/members/{identifier}", headers=ORGANISER)
    assert response.status_code == 200, response.text
    body = response.json()
    return {
        "bonuses": Decimal(str(body["bonuses_balance"])),
        "spent": Decimal(str(body["spent"])),
        "stickers": body["stickers_balance"],
    }


async def certificate_left(client: httpx.AsyncClient) -> Decimal:
    estimate = await ok(
        client, "estimate", certificates=[demo.CERTIFICATE], cart_items=cart(("big", "5000", 1))
    )
    return Decimal(str(estimate["certificates"][0]["amount"]))


@pytest.fixture
async def shop(client: httpx.AsyncClient, demo_data: demo.DemoInfo) -> None:
    """The demo shop with its members (seeded with the rest of the demo)."""


async def test_the_seed_cancel_example(client: httpx.AsyncClient, shop: None) -> None:
    await ok(
        client, "apply", order_id="ORD-1", identifier=MEMBER, cart_items=cart(("tea", "100", 1))
    )
    response = await call(client, "cancel", order_id="ORD-1")
    assert response.json() == {
        "status": "success",
        "success": True,
        "payload": {"order_id": "ORD-1", "identifier": MEMBER},
    }
    again = await call(client, "cancel", order_id="ORD-1")
    assert again.status_code == 400
    assert again.json() == {
        "status": "error",
        "success": False,
        "payload": {"message": "Could not cancel order in its current status"},
    }


async def test_a_full_checkout_leaves_every_ledger_where_it_started(
    client: httpx.AsyncClient, shop: None
) -> None:
    member_before = await ledger_state(client, MEMBER)
    certificate_before = await certificate_left(client)
    body = {
        "identifier": MEMBER,
        "charge_bonuses": True,
        "promo_codes": [demo.LOYALTY_PROMO, "NOT-A-CODE"],
        "certificates": [demo.CERTIFICATE],
        "payment_type": "card",
    }
    first_cart = cart(("latte", "250", 2), ("cake", "400.50", 1), ("coffee", "150", 6))
    estimate = await ok(client, "estimate", cart_items=first_cart, **body)
    assert estimate["order_id"] is None
    assert estimate["promo_codes"] == [demo.LOYALTY_PROMO]
    assert estimate["promo_codes_failed"] == [
        {"code": "NOT-A-CODE", "message": "Code is not valid"}
    ]
    assert_adds_up(estimate)
    applied = await ok(client, "apply", order_id="FULL-1", cart_items=first_cart, **body)
    assert applied["order_to_pay"] == estimate["order_to_pay"]
    # The cart changes before payment: apply again with the same order_id.
    second_cart = cart(("latte", "250", 3), ("coffee", "150", 6), ("cookie", "90", 2))
    applied = await ok(client, "apply", order_id="FULL-1", cart_items=second_cart, **body)
    assert_adds_up(applied)
    reserved = await ledger_state(client, MEMBER)
    assert reserved["bonuses"] == member_before["bonuses"] - Decimal(str(applied["bonuses_used"]))
    confirmed = await ok(client, "confirm", order_id="FULL-1")
    assert confirmed == {"order_id": "FULL-1", "identifier": MEMBER}
    after = await ledger_state(client, MEMBER)
    reward = Decimal(str(applied["bonuses_reward"]))
    assert reward > 0
    assert after["bonuses"] == reserved["bonuses"] + reward
    assert after["stickers"] == {"coffee": 6}
    # Confirm again: the same answer, no second reward.
    assert await ok(client, "confirm", order_id="FULL-1") == confirmed
    assert await ledger_state(client, MEMBER) == after
    # A partial return: two lattes and the cookies go back.
    changed = await ok(
        client,
        "change",
        order_id="FULL-1",
        cart_items=cart(("latte", "250", 1), ("coffee", "150", 6)),
    )
    assert Decimal(str(changed["order_total_change"])) < 0
    assert_adds_up(changed)
    details = (
        await client.get("/loyalty/checkout/details", params={**AUTH, "order_id": "FULL-1"})
    ).json()["payload"]
    assert details["status"] == "fulfilled" and details["order_to_pay"] == changed["order_to_pay"]
    await ok(client, "cancel", order_id="FULL-1")
    assert await ledger_state(client, MEMBER) == member_before
    assert await certificate_left(client) == certificate_before
    history = (
        await client.get("/loyalty/checkout/history", params={**AUTH, "identifier": MEMBER})
    ).json()["payload"]
    assert [o["status"] for o in history["orders"]] == ["cancelled"]


def assert_adds_up(payload: dict[str, Any]) -> None:
    items = payload["items"]
    total = sum(Decimal(str(i["total"])) for i in items)
    assert Decimal(str(payload["order_total"])) == total
    to_pay = sum(Decimal(str(i["total_to_pay"])) for i in items)
    assert Decimal(str(payload["order_to_pay"])) == to_pay
    saved = Decimal(str(payload["saved_total"]))
    assert total - saved == to_pay
    assert sum(Decimal(str(i["paid_with_bonuses"])) for i in items) == Decimal(
        str(payload["bonuses_used"])
    )
    assert sum(Decimal(str(i["bonuses_reward"])) for i in items) == Decimal(
        str(payload["bonuses_reward"])
    )


async def test_referral_discount_and_the_referrers_reward(
    client: httpx.AsyncClient, shop: None
) -> None:
    referrer_before = await ledger_state(client, MEMBER)
    payload = await ok(
        client, "apply", order_id="REF-1", identifier=REFERRED, cart_items=cart(("latte", "250", 4))
    )
    assert payload["referral_program"] is True
    assert payload["referrer_identifier"] == MEMBER
    assert Decimal(str(payload["saved_by_referral_discounts"])) == Decimal("100.00")
    assert Decimal(str(payload["bonuses_referrer_reward"])) == Decimal("300")
    await ok(client, "confirm", order_id="REF-1")
    rewarded = await ledger_state(client, MEMBER)
    assert rewarded["bonuses"] == referrer_before["bonuses"] + 300
    await ok(client, "cancel", order_id="REF-1")
    assert await ledger_state(client, MEMBER) == referrer_before


async def test_stickers_buy_a_free_coffee_and_come_back_on_cancel(
    client: httpx.AsyncClient, shop: None
) -> None:
    await ok(
        client, "apply", order_id="S-1", identifier=MEMBER, cart_items=cart(("coffee", "150", 6))
    )
    await ok(client, "confirm", order_id="S-1")
    free = await ok(
        client, "apply", order_id="S-2", identifier=MEMBER, cart_items=cart(("coffee", "150", 2))
    )
    assert free["used_stickers"] == {"coffee": 6}
    assert Decimal(str(free["saved_by_offers"])) == Decimal("150.00")
    await ok(client, "confirm", order_id="S-2")
    assert (await ledger_state(client, MEMBER))["stickers"] == {"coffee": 2}
    await ok(client, "cancel", order_id="S-2")
    assert (await ledger_state(client, MEMBER))["stickers"] == {"coffee": 6}


async def test_a_coupon_issued_on_confirm_is_voided_by_cancel(
    client: httpx.AsyncClient, shop: None, db: Database
) -> None:
    await ok(
        client, "apply", order_id="C-1", identifier=MEMBER, cart_items=cart(("set", "3500", 1))
    )
    await ok(client, "confirm", order_id="C-1")
    from sqlalchemy import select

    from kassa.store.tables import loyalty_coupons

    async with db.unit_of_work(write=False) as uow:
        [coupon] = (await uow.tx.execute(select(loyalty_coupons))).all()
    assert coupon.status == "active" and coupon.issued_by == "C-1"
    used = await ok(
        client,
        "estimate",
        identifier=MEMBER,
        promo_codes=[coupon.code],
        cart_items=cart(("tea", "500", 1)),
    )
    assert Decimal(str(used["saved_by_discounts"])) == Decimal("300.00")
    other = await ok(
        client,
        "estimate",
        identifier=REFERRED,
        promo_codes=[coupon.code],
        cart_items=cart(("tea", "500", 1)),
    )
    assert other["promo_codes_failed"] == [{"code": coupon.code, "message": "Code is not valid"}]
    await ok(client, "cancel", order_id="C-1")
    async with db.unit_of_work(write=False) as uow:
        [coupon] = (await uow.tx.execute(select(loyalty_coupons))).all()
    assert coupon.status == "voided"


async def test_state_machine_messages(client: httpx.AsyncClient, shop: None) -> None:
    await ok(client, "apply", order_id="M-1", identifier=MEMBER, cart_items=cart(("tea", "100", 1)))
    change = await call(client, "change", order_id="M-1", cart_items=cart(("tea", "100", 1)))
    assert change.json()["payload"]["message"] == "Could not change order in its current status"
    await ok(client, "confirm", order_id="M-1")
    again = await call(
        client, "apply", order_id="M-1", identifier=MEMBER, cart_items=cart(("tea", "100", 1))
    )
    assert again.status_code == 400
    assert again.json()["payload"]["message"] == "Could not apply order in its current status"
    await ok(client, "cancel", order_id="M-1")
    confirm = await call(client, "confirm", order_id="M-1")
    assert confirm.json()["payload"]["message"] == "Could not confirm order in its current status"


@pytest.mark.parametrize(
    ("body", "status", "message"),
    [
        (
            {"identifier": "89990000001", "cart_items": cart(("a", "1", 1))},
            400,
            "Identifier is not valid",
        ),
        ({"identifier": "7999", "cart_items": cart(("a", "1", 1))}, 400, "Identifier is not valid"),
        ({"cart_items": []}, 400, "Cart is empty"),
        (
            {"cart_items": cart(("a", "1", 1), ("a", "2", 1))},
            400,
            "Cart contains line items with the same product ID",
        ),
        ({"cart_items": cart(("a", "0", 1))}, 400, "price"),
        ({"cart_items": cart(("a", "1", 0))}, 400, "quantity"),
        ({"cart_items": cart(("a", "-5", 1))}, 400, "price"),
        (
            {"charge_bonuses": True, "cart_items": cart(("a", "1", 1))},
            400,
            "Loyalty program member is not found",
        ),
        (
            {
                "identifier": "79991112233",
                "charge_bonuses": True,
                "cart_items": cart(("a", "1", 1)),
            },
            400,
            "Loyalty program member is not found",
        ),
    ],
)
async def test_bad_checkout_input(
    client: httpx.AsyncClient,
    shop: None,
    db: Database,
    body: dict[str, Any],
    status: int,
    message: str,
) -> None:
    before = await db_state(db)
    for name in ("estimate", "apply"):
        response = await call(client, name, order_id="BAD-1", **body)
        assert response.status_code == status, response.text
        answer = response.json()
        assert answer["status"] == "error" and answer["success"] is False
        assert message in answer["payload"]["message"], answer
    assert await db_state(db) == before


async def test_auth_and_unknown_orders(client: httpx.AsyncClient, shop: None) -> None:
    body = {"order_id": "X", "cart_items": cart(("a", "1", 1))}
    wrong_shop = await raw_post(client, {"shop_id": "nope", "shop_secret": "x", **body})
    assert wrong_shop.status_code == 401
    assert wrong_shop.json()["payload"]["message"] == "Shop not found"
    wrong_secret = await raw_post(client, {"shop_id": demo.SHOP_ID, "shop_secret": "nope", **body})
    assert wrong_secret.status_code == 403
    assert wrong_secret.json()["payload"]["message"] == "API secret is not correct"
    missing = await client.get("/loyalty/checkout/details", params={**AUTH, "order_id": "ABC"})
    assert missing.status_code == 404
    assert missing.json()["payload"]["message"] == "Order ABC not found"
    member = await client.get(
        "/loyalty/bonuses/balance", params={**AUTH, "identifier": "79990009999"}
    )
    assert member.json()["payload"]["message"] == "Loyalty program member is not found"
    malformed = await client.post("/loyalty/checkout/estimate", content=b"{nope")
    assert malformed.status_code == 400 and malformed.json()["status"] == "error"


async def test_members_join_status_and_balance(client: httpx.AsyncClient, shop: None) -> None:
    joined = await client.post("/loyalty/members/join", json={**AUTH, "identifier": "79995550000"})
    assert joined.json()["status"] == "success"
    twice = await client.post("/loyalty/members/join", json={**AUTH, "identifier": "79995550000"})
    assert twice.status_code == 400
    status = (
        await client.get("/loyalty/members/status", params={**AUTH, "identifier": MEMBER})
    ).json()["payload"]
    assert status["level"] == "Base" and Decimal(str(status["bonuses_balance"])) == 1000
    balance = (
        await client.post("/loyalty/bonuses/balance", json={**AUTH, "identifier": REFERRED})
    ).json()["payload"]
    assert Decimal(str(balance["bonuses_balance"])) == 0


async def test_place_then_cancel_never_moves_a_balance(
    client: httpx.AsyncClient, shop: None
) -> None:
    """Random carts, codes, certificates and bonuses: apply (+confirm) then cancel, each time
    every member's and the certificate's balance is back where it was."""
    rng = random.Random(7)
    start = {m: await ledger_state(client, m) for m in (MEMBER, REFERRED)}
    certificate = await certificate_left(client)
    for n in range(8):
        items = [
            {
                "product_id": f"p{i}",
                "price": Decimal(rng.randint(1, 300000)) / 100,
                "quantity": rng.randint(1, 4),
                "bonusable": rng.random() > 0.2,
                "discountable": rng.random() > 0.2,
            }
            for i in range(rng.randint(1, 5))
        ]
        body = {
            "order_id": f"RND-{n}",
            "identifier": rng.choice([MEMBER, REFERRED]),
            "charge_bonuses": rng.random() > 0.3,
            "promo_codes": [demo.LOYALTY_PROMO] if rng.random() > 0.5 else [],
            "certificates": [demo.CERTIFICATE] if rng.random() > 0.5 else [],
            "cart_items": items,
        }
        payload = await ok(client, "apply", **body)
        assert_adds_up(payload)
        if rng.random() > 0.4:
            await ok(client, "confirm", order_id=body["order_id"])
        await ok(client, "cancel", order_id=body["order_id"])
        assert {m: await ledger_state(client, m) for m in start} == start
        assert await certificate_left(client) == certificate


async def test_racing_applies_never_overspend_bonuses(
    client: httpx.AsyncClient, shop: None
) -> None:
    """Ten orders of one member each try to spend as much as they may: together they never
    spend more than the 1000 bonuses the member has."""
    answers = await asyncio.gather(
        *(
            call(
                client,
                "apply",
                order_id=f"RACE-{i}",
                identifier=MEMBER,
                charge_bonuses=True,
                cart_items=cart(("tv", "2000", 1)),
            )
            for i in range(10)
        )
    )
    assert all(a.status_code == 200 for a in answers), [a.text for a in answers]
    spent = sum(Decimal(str(a.json()["payload"]["bonuses_used"])) for a in answers)
    assert spent == Decimal("1000")
    assert (await ledger_state(client, MEMBER))["bonuses"] == 0


async def test_apply_confirm_cancel_racing_on_one_order(
    client: httpx.AsyncClient, shop: None
) -> None:
    before = await ledger_state(client, MEMBER)
    await ok(
        client,
        "apply",
        order_id="ONE",
        identifier=MEMBER,
        charge_bonuses=True,
        cart_items=cart(("tv", "2000", 1)),
    )
    calls = [call(client, "confirm", order_id="ONE") for _ in range(4)]
    calls += [call(client, "cancel", order_id="ONE") for _ in range(4)]
    answers = await asyncio.gather(*calls)
    assert all(a.status_code in (200, 400) for a in answers)
    details = (
        await client.get("/loyalty/checkout/details", params={**AUTH, "order_id": "ONE"})
    ).json()
    # A cancel is allowed from Created and Fulfilled, so exactly one cancel wins whatever the
    # order of arrival; confirms after it are refused; the ledgers end where they started.
    assert details["payload"]["status"] == "cancelled"
    assert [a.status_code for a in answers[4:]].count(200) == 1
    for refused in (a for a in answers if a.status_code == 400):
        assert refused.json()["payload"]["message"] in (
            "Could not cancel order in its current status",
            "Could not confirm order in its current status",
        )
    assert await ledger_state(client, MEMBER) == before


async def test_a_done_ticket_order_earns_bonuses_and_refunds_take_them_back(
    client: httpx.AsyncClient, shop: None, seller: dict[str, str]
) -> None:
    linked = await client.put(f"{ADMIN}/events/{demo.V2_EVENT_ID}", headers=ORGANISER)
    assert linked.status_code == 200, linked.text
    forbidden = await client.put(f"{ADMIN}/events/{demo.V2_EVENT_ID}", headers=seller)
    assert forbidden.status_code == 403
    before = (await ledger_state(client, MEMBER))["bonuses"]
    order = (
        await client.post(
            "/v2/resources/orders",
            headers=seller,
            json={
                "event": demo.V2_EVENT_ID,
                "random": {demo.V2_STALLS_SET_ID: 2},
                "settings": {"customer": {"phone": "+7 999 000-00-01", "name": "Member"}},
            },
        )
    ).json()["data"]
    done = await client.patch(
        f"/v2/resources/orders/{order['id']}", headers=seller, json={"status": "done"}
    )
    assert done.status_code == 200
    assert (await ledger_state(client, MEMBER))["bonuses"] == before + 100  # 5 % of 2000.00
    tickets = [t["id"] for t in done.json()["data"]["tickets"]]
    for n, ticket in enumerate(tickets, start=1):
        refund = await client.post(
            "/v2/resources/refund_requests",
            headers=seller,
            json={"order": order["id"], "culprit": "user", "tickets": [ticket]},
        )
        approved = await client.patch(
            f"/v2/resources/refund_requests/{refund.json()['data']['id']}",
            headers=ORGANISER,
            json={"status": "approved"},
        )
        assert approved.status_code == 200, approved.text
        assert (await ledger_state(client, MEMBER))["bonuses"] == before + 100 - 50 * n


async def test_racing_applies_never_overspend_a_certificate(
    client: httpx.AsyncClient, shop: None
) -> None:
    answers = await asyncio.gather(
        *(
            call(
                client,
                "apply",
                order_id=f"CERT-{i}",
                certificates=[demo.CERTIFICATE],
                cart_items=cart(("tv", "400", 1)),
            )
            for i in range(6)
        )
    )
    assert all(a.status_code == 200 for a in answers), [a.text for a in answers]
    used = [
        sum(Decimal(str(c["amount"])) for c in a.json()["payload"]["certificates"]) for a in answers
    ]
    assert sum(used) == Decimal("1000.00")
    assert sorted(used) == [0, 0, 0, Decimal("200.00"), Decimal("400.00"), Decimal("400.00")]
    empty = await ok(
        client, "estimate", certificates=[demo.CERTIFICATE], cart_items=cart(("tv", "10", 1))
    )
    assert empty["certificates_failed"] == [
        {"code": demo.CERTIFICATE, "message": "Certificate balance is empty"}
    ]


async def test_an_event_is_unlinked_only_through_the_shop_it_is_linked_to(
    client: httpx.AsyncClient, shop: None
) -> None:
    linked = await client.put(f"{ADMIN}/events/{demo.V2_EVENT_ID}", headers=ORGANISER)
    assert linked.status_code == 200, linked.text
    other = await client.post(
        "/api/v1/loyalty/shops", json={"name": "Second shop"}, headers=ORGANISER
    )
    assert other.status_code == 201, other.text
    elsewhere = f"/api/v1/loyalty/shops/{other.json()['shop_id']}/events/{demo.V2_EVENT_ID}"
    refused = await client.delete(elsewhere, headers=ORGANISER)
    assert refused.status_code == 404, refused.text
    still = await client.delete(f"{ADMIN}/events/{demo.V2_EVENT_ID}", headers=ORGANISER)
    assert still.status_code in (200, 204), still.text
