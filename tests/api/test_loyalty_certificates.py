"""REES46 certificates from pools over HTTP, on SQLite and PostgreSQL: the life of a
certificate, what checkout lets it pay, and the cancellation giving it back."""

from decimal import Decimal
from typing import Any

import httpx
import pytest

from tests.api.test_loyalty import ADMIN, AUTH, MEMBER, ORGANISER, REFERRED, ok
from tests.conftest import FakeClock

pytestmark = pytest.mark.usefixtures("demo_data")
C = "/loyalty/certificates"


async def _pool(client: httpx.AsyncClient, code: str, **extra: Any) -> dict[str, Any]:
    body = {"code": code, "name": f"Pool {code}", "nominal": "1000", **extra}
    answer = await client.post(f"{ADMIN}/certificate_pools", json=body, headers=ORGANISER)
    assert answer.status_code == 201, answer.text
    created: dict[str, Any] = answer.json()
    return created


async def _call(client: httpx.AsyncClient, method: str, path: str, **body: Any) -> dict[str, Any]:
    if method == "GET":
        answer = await client.get(C + path, params={**AUTH, **body})
    else:
        answer = await client.request(method, C + path, json={**AUTH, **body})
    assert answer.status_code == 200, answer.text
    assert answer.json()["status"] == "success" and answer.json()["success"] is True
    payload: dict[str, Any] = answer.json()["payload"]
    return payload


async def _fails(client: httpx.AsyncClient, method: str, path: str, **body: Any) -> str:
    answer = await client.request(method, C + path, json={**AUTH, **body})
    assert answer.status_code == 400, answer.text
    message: str = answer.json()["payload"]["message"]
    return message


CART = [{"product_id": "latte", "price": Decimal("1000"), "quantity": 1}]


async def test_a_certificate_is_issued_activated_blocked_spent_and_given_back(
    client: httpx.AsyncClient,
) -> None:
    pool = await _pool(client, "GIFT", expiration_days=365)
    assert pool["nominal"] == 1000 and pool["personal"] is False
    issued = await _call(client, "POST", "", identifier=MEMBER, code="GIFT")
    cert = issued["certificate"]
    assert cert["status"] == "created" and cert["balance"] == 1000
    assert cert["buyer_identifier"] == MEMBER and issued["pool"]["code"] == "GIFT"
    code = cert["code"]

    # Not active yet: checkout does not take it.
    est = await ok(client, "estimate", cart_items=CART, certificates=[code])
    assert est["order_to_pay"] == 1000
    active = await _call(client, "PATCH", "/activate", code=code, owner_name="Anna")
    assert active["certificate"]["status"] == "active"
    assert active["certificate"]["expiration_date"] is not None
    assert "only a created one" in await _fails(client, "PATCH", "/activate", code=code)

    await _call(client, "PATCH", "/block", code=code)
    est = await ok(client, "estimate", cart_items=CART, certificates=[code])
    assert est["order_to_pay"] == 1000, "a blocked certificate does not pay"
    await _call(client, "PATCH", "/unblock", code=code)

    cart = [{"product_id": "latte", "price": Decimal("400"), "quantity": 1}]
    paid = await ok(
        client, "apply", identifier=MEMBER, order_id="C-1", cart_items=cart, certificates=[code]
    )
    assert paid["order_to_pay"] == 0
    await ok(client, "confirm", order_id="C-1")
    left = await _call(client, "GET", "/balance", code=code)
    assert left["certificate"]["balance"] == 600
    moves = await _call(client, "GET", "/transactions", code=code)
    assert [
        (t["amount"], t["event"], t["order_id"], t["identifier"]) for t in moves["transactions"]
    ] == [(-400, "order", "C-1", MEMBER)]
    await ok(client, "cancel", order_id="C-1")
    back = await _call(client, "GET", "/transactions", code=code)
    assert [t["event"] for t in back["transactions"]] == ["order", "refund"]
    assert back["certificate"]["balance"] == 1000

    gone = await _call(client, "PATCH", "/deactivate", code=code)
    assert gone["certificate"]["status"] == "deactivated"
    assert "already" in await _fails(client, "PATCH", "/deactivate", code=code)
    assert "only a blocked one" in await _fails(client, "PATCH", "/unblock", code=code)
    est = await ok(client, "estimate", cart_items=CART, certificates=[code])
    assert est["order_to_pay"] == 1000


async def test_personal_flexible_and_delayed_pools(
    client: httpx.AsyncClient, clock: FakeClock
) -> None:
    await _pool(
        client,
        "PERSONAL",
        personal=True,
        flexible_nominal=True,
        max_flexible_nominal="5000",
        activation_delay=1,
    )
    issued = await _call(client, "POST", "", identifier=REFERRED, code="PERSONAL", nominal=2500)
    code = issued["certificate"]["code"]
    assert issued["certificate"]["nominal"] == 2500
    assert "owner_identifier" in await _fails(client, "PATCH", "/activate", code=code)
    scheduled = await _call(client, "PATCH", "/activate", code=code, owner_identifier=MEMBER)
    assert scheduled["certificate"]["status"] == "scheduled"
    est = await ok(client, "estimate", identifier=MEMBER, cart_items=CART, certificates=[code])
    assert est["order_to_pay"] == 1000, "not active before the delay"
    clock.advance(days=1, seconds=1)
    mine = await ok(client, "estimate", identifier=MEMBER, cart_items=CART, certificates=[code])
    assert mine["order_to_pay"] == 0
    theirs = await ok(client, "estimate", identifier=REFERRED, cart_items=CART, certificates=[code])
    assert theirs["certificates_failed"] == [{"code": code, "message": "Certificate is not valid"}]
    assert theirs["order_to_pay"] == 900, "the referee's 10 %, and no certificate: not theirs"
    owned = await _call(client, "GET", "/by-user", identifier=MEMBER)
    assert [c["certificate"]["code"] for c in owned["certificates"]] == [code]
    assert owned["certificates"][0]["certificate"]["status"] == "active"
    too_much = await client.post(
        C, json={**AUTH, "identifier": MEMBER, "code": "PERSONAL", "nominal": 9000}
    )
    assert too_much.status_code == 400


async def test_promo_pools_pay_a_share_once_per_order(client: httpx.AsyncClient) -> None:
    await _pool(client, "PROMO", promo=True, payable_order_share=30, min_order_value="500")
    codes = []
    for _ in range(2):
        issued = await _call(client, "POST", "", identifier=MEMBER, code="PROMO")
        await _call(client, "PATCH", "/activate", code=issued["certificate"]["code"])
        codes.append(issued["certificate"]["code"])
    est = await ok(client, "estimate", cart_items=CART, certificates=codes)
    assert est["order_to_pay"] == 700, "30 % of 1000, and only one promo certificate"
    assert est["certificates_failed"] == [
        {"code": codes[1], "message": "Only one promo certificate per order"}
    ]
    small = [{"product_id": "latte", "price": Decimal("400"), "quantity": 1}]
    low = await ok(client, "estimate", cart_items=small, certificates=codes[:1])
    assert low["order_to_pay"] == 400, "under the pool's minimum order"
    assert low["certificates_failed"][0]["message"] == "Order value is too low for the certificate"


async def test_a_pools_certificates_by_date_and_bad_input(client: httpx.AsyncClient) -> None:
    await _pool(client, "LIST")
    issued = await _call(client, "POST", "", identifier=MEMBER, code="LIST")
    day = issued["certificate"]["created_date"][:10]
    found = await _call(client, "GET", "", code="LIST", event="created", date_from=day, date_to=day)
    assert [c["code"] for c in found["certificates"]] == [issued["certificate"]["code"]]
    none = await _call(
        client, "GET", "", code="LIST", event="activated", date_from=day, date_to=day
    )
    assert none["certificates"] == []
    bad_event = await client.get(
        C, params={**AUTH, "code": "LIST", "event": "x", "date_from": day, "date_to": day}
    )
    assert bad_event.status_code == 400
    assert bad_event.json()["payload"]["message"] == "Parameter `event` is not valid"
    assert await _fails(client, "POST", "", identifier=MEMBER, code="NOPE") == "Code is not valid"
    assert await _fails(client, "PATCH", "/block", code="NOPE") == "Code is not valid"
    fixed = await client.post(C, json={**AUTH, "identifier": MEMBER, "code": "LIST", "nominal": 5})
    assert fixed.status_code == 400
    duplicate = await client.post(
        f"{ADMIN}/certificate_pools",
        json={"code": "LIST", "name": "again", "nominal": "1"},
        headers=ORGANISER,
    )
    assert duplicate.status_code == 400


async def test_the_demo_certificate_still_pays(client: httpx.AsyncClient) -> None:
    balance = await _call(client, "GET", "/balance", code="GIFT-1000")
    assert balance["certificate"]["status"] == "active" and balance["pool"] is None
    est = await ok(client, "estimate", cart_items=CART, certificates=["GIFT-1000"])
    assert est["order_to_pay"] == 0
