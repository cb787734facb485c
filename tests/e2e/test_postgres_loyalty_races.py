"""Loyalty races on PostgreSQL with two server processes: checkouts of one member racing for
the same bonuses and certificate never overspend; commands racing on one order end consistent."""

import secrets
from decimal import Decimal
from typing import Any

import httpx
import pytest

from kassa.app import demo
from tests.e2e.conftest import KassaServer
from tests.e2e.helpers import ORGANISER, assert_no_5xx, burst, client

pytestmark = pytest.mark.race

AUTH = {"shop_id": demo.SHOP_ID, "shop_secret": demo.SHOP_SECRET}
ADMIN = f"/api/v1/loyalty/shops/{demo.SHOP_ID}"


async def new_member(http: httpx.AsyncClient, bonuses: int) -> str:
    identifier = "7" + "".join(secrets.choice("0123456789") for _ in range(10))
    joined = await http.post("/loyalty/members/join", json={**AUTH, "identifier": identifier})
    assert joined.status_code == 200, joined.text
    adjusted = await http.post(
        f"{ADMIN}/members/{identifier}/adjust",
        headers=ORGANISER,
        json={"amount": str(bonuses), "reason": "race test"},
    )
    assert adjusted.status_code == 200, adjusted.text
    return identifier


def post(name: str, body: dict[str, Any]) -> Any:
    async def call(http: httpx.AsyncClient) -> httpx.Response:
        return await http.post(f"/loyalty/checkout/{name}", json={**AUTH, **body})

    return call


async def balance(http: httpx.AsyncClient, identifier: str) -> Decimal:
    answer = await http.get("/loyalty/bonuses/balance", params={**AUTH, "identifier": identifier})
    return Decimal(str(answer.json()["payload"]["bonuses_balance"]))


async def test_twenty_checkouts_race_for_one_members_bonuses(pg: KassaServer) -> None:
    async with client(pg.base_url, {}) as http:
        identifier = await new_member(http, 1000)
    cart = [{"product_id": "tv", "price": 2000, "quantity": 1}]
    answers = await burst(
        pg.base_url,
        {},
        [
            post(
                "apply",
                {
                    "order_id": f"{identifier}-{i}",
                    "identifier": identifier,
                    "charge_bonuses": True,
                    "cart_items": cart,
                },
            )
            for i in range(20)
        ],
    )
    assert_no_5xx(answers)
    assert all(a.status_code == 200 for a in answers), [a.text for a in answers]
    spent = sum(Decimal(str(a.json()["payload"]["bonuses_used"])) for a in answers)
    assert spent == 1000
    async with client(pg.base_url, {}) as http:
        assert await balance(http, identifier) == 0
        for i in range(20):
            done = await http.post(
                "/loyalty/checkout/cancel", json={**AUTH, "order_id": f"{identifier}-{i}"}
            )
            assert done.status_code == 200
        assert await balance(http, identifier) == 1000
    pg.assert_alive_and_quiet()


async def test_confirms_and_cancels_race_on_one_order(pg: KassaServer) -> None:
    async with client(pg.base_url, {}) as http:
        identifier = await new_member(http, 500)
        order_id = f"{identifier}-one"
        applied = await http.post(
            "/loyalty/checkout/apply",
            json={
                **AUTH,
                "order_id": order_id,
                "identifier": identifier,
                "charge_bonuses": True,
                "cart_items": [{"product_id": "tv", "price": 1000, "quantity": 1}],
            },
        )
        assert applied.status_code == 200, applied.text
    calls = [post("confirm", {"order_id": order_id}) for _ in range(10)]
    calls += [post("cancel", {"order_id": order_id}) for _ in range(10)]
    answers = await burst(pg.base_url, {}, calls)
    assert_no_5xx(answers)
    assert [a.status_code for a in answers[10:]].count(200) == 1
    async with client(pg.base_url, {}) as http:
        details = await http.get("/loyalty/checkout/details", params={**AUTH, "order_id": order_id})
        assert details.json()["payload"]["status"] == "cancelled"
        assert await balance(http, identifier) == 500
    pg.assert_alive_and_quiet()
