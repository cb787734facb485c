"""Every number of a loyalty program is bounded where it enters: the loyalty admin face
answers 400 in its own format and keeps the program as it was; a program at the bounds still
lets every later join, adjust and confirm of the shop through. SQLite and PostgreSQL."""

from typing import Any

import httpx
import pytest

from kassa.app import demo
from tests.api.test_loyalty import ADMIN, AUTH, ORGANISER, cart, ok

STICKER = {"product_id": "coffee", "per_unit": 1, "needed": 6, "reward_product_id": "coffee"}
COUPON = {"min_order_total": "3000", "kind": "fix", "value": "300", "valid_days": 30}
LEVEL = {"name": "Gold", "min_spent": "10000", "discount_percent": "5"}

BAD = [
    {"earn_percent": "abc"},
    {"earn_percent": 1e30},
    {"earn_percent": "NaN"},
    {"spend_cap_percent": "sNaN"},
    {"spend_cap_percent": "Infinity"},
    {"earn_percent": "-1"},
    {"earn_percent": "100.01"},
    {"earn_percent": True},
    {"earn_percent": [5]},
    {"welcome_bonuses": 1e30},
    {"welcome_bonuses": "10000000000.01"},
    {"welcome_bonuses": "NaN"},
    {"bonus_expiry_days": 100000000},
    {"bonus_expiry_days": 1e8},
    {"bonus_expiry_days": "abc"},
    {"bonus_expiry_days": 0},
    {"bonus_expiry_days": 3651},
    {"bonus_expiry_days": 30.5},
    {"bonus_expiry_days": True},
    {"referral": {"referee_discount_percent": "NaN"}},
    {"referral": {"referrer_reward": "1e30"}},
    {"referral": "yes"},
    {"levels": [{**LEVEL, "discount_percent": "sNaN"}]},
    {"levels": [{**LEVEL, "min_spent": 1e30}]},
    {"levels": [{**LEVEL, "name": ""}]},
    {"levels": [LEVEL] * 101},
    {"levels": "Gold"},
    {"stickers": [{**STICKER, "per_unit": 10**20}]},
    {"stickers": [{**STICKER, "per_unit": 1000001}]},
    {"stickers": [{**STICKER, "needed": 0}]},
    {"stickers": [{**STICKER, "needed": "NaN"}]},
    {"stickers": [{**STICKER, "per_unit": 1.5}]},
    {"coupons": [{**COUPON, "valid_days": 1e8}]},
    {"coupons": [{**COUPON, "valid_days": 100000000}]},
    {"coupons": [{**COUPON, "value": "NaN"}]},
    {"coupons": [{**COUPON, "value": 1e30}]},
    {"coupons": [{**COUPON, "kind": "percent", "value": "101"}]},
    {"coupons": [{**COUPON, "min_order_total": "-1"}]},
    {"coupons": [{**COUPON, "kind": "gift"}]},
    {"coupons": ["fix"]},
]


async def program(client: httpx.AsyncClient) -> dict[str, Any]:
    shops = (await client.get(f"{ADMIN.rsplit('/', 1)[0]}", headers=ORGANISER)).json()
    [shop] = [s for s in shops if s["shop_id"] == demo.SHOP_ID]
    found: dict[str, Any] = shop["program"]
    return found


def _refused(answer: httpx.Response) -> None:
    assert answer.status_code == 400, answer.text
    body = answer.json()
    assert body["error"] == "HTTPBadRequest" and body["code"] == "loyalty_invalid", body
    assert body["reason"].startswith("program is not valid: "), body
    assert "class" not in body["reason"], body  # no decimal internals


@pytest.mark.parametrize("bad", BAD, ids=[str(b)[:60] for b in BAD])
async def test_an_unbounded_program_value_is_refused_with_400(
    client: httpx.AsyncClient, demo_data: demo.DemoInfo, bad: dict[str, Any]
) -> None:
    before = await program(client)
    _refused(await client.put(f"{ADMIN}/program", json=bad, headers=ORGANISER))
    assert await program(client) == before
    _refused(
        await client.post(
            "/api/v1/loyalty/shops", json={"name": "bounds", "program": bad}, headers=ORGANISER
        )
    )


async def test_a_program_at_its_bounds_still_serves_join_adjust_and_confirm(
    client: httpx.AsyncClient, demo_data: demo.DemoInfo
) -> None:
    widest = {
        "earn_percent": "100",
        "spend_cap_percent": "100",
        "bonus_expiry_days": 3650,
        "welcome_bonuses": "10000000000",
        "levels": [{"name": "Top", "min_spent": "10000000000", "discount_percent": "100"}],
        "referral": {"referee_discount_percent": "100", "referrer_reward": "10000000000"},
        "stickers": [{**STICKER, "per_unit": 1000000, "needed": 1000000}],
        "coupons": [{**COUPON, "valid_days": 3650, "value": "10000000000"}],
    }
    answer = await client.put(f"{ADMIN}/program", json=widest, headers=ORGANISER)
    assert answer.status_code == 200, answer.text
    joined = await client.post("/loyalty/members/join", json={**AUTH, "identifier": "79995550009"})
    assert joined.status_code == 200, joined.text
    adjusted = await client.post(
        f"{ADMIN}/members/79995550009/adjust",
        headers=ORGANISER,
        json={"amount": "-5", "reason": "bounds"},
    )
    assert adjusted.status_code == 200, adjusted.text
    body = {"identifier": "79995550009", "charge_bonuses": True}
    await ok(client, "apply", order_id="BOUNDS-1", cart_items=cart(("coffee", "3000", 2)), **body)
    await ok(client, "confirm", order_id="BOUNDS-1")
    await ok(client, "cancel", order_id="BOUNDS-1")


async def test_a_promo_code_that_outgrows_its_column_when_upper_cased_is_refused(
    client: httpx.AsyncClient, demo_data: demo.DemoInfo
) -> None:
    """Codes are stored upper-cased, and "ß" upper-cases to "SS": 64 of them are 128."""
    body = {"code": "ß" * 64, "kind": "fix", "value": 100}
    answer = await client.post(f"{ADMIN}/promo_codes", json=body, headers=ORGANISER)
    assert answer.status_code == 400, answer.text
    fits = await client.post(
        f"{ADMIN}/promo_codes", json={**body, "code": "ß" * 32}, headers=ORGANISER
    )
    assert fits.status_code == 201, fits.text
    assert fits.json()["code"] == "SS" * 32
