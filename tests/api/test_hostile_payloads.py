"""The safety net: every face's main write endpoints fed hostile payloads — NUL, lone
surrogates, deep nesting, 1e999, integers past 64 bits, wrong types, bytes that are not
UTF-8 — in every top-level field and as the whole body. Whatever they are, the answer is
never a 5xx, and a refusal is in the face's own error format."""

from dataclasses import dataclass
from typing import Any

import httpx
import orjson
import pytest

from kassa.app import demo
from kassa.web.responses import json_default
from tests.api.helpers import assert_face_error
from tests.api.test_console import CSRF
from tests.api.test_delivery import order_body, token

EVENT = demo.EVENT_ID
STALLS = demo.STALLS_SET_ID
SELLER = {"Authorization": f"key {demo.PARTNER_KEY}"}
ORGANISER = {"Authorization": f"key {demo.ORG_KEY}"}
SHOP = {"shop_id": demo.SHOP_ID, "shop_secret": demo.SHOP_SECRET}
LIFETIME = {"start": "2031-01-01T10:00:00+00:00", "finish": "2031-01-01T12:00:00+00:00"}
CART = [{"product_id": "tea", "price": 100, "quantity": 1}]

# JSON texts put in place of one field's value
VALUES: dict[str, bytes] = {
    "nul": b'"a\\u0000b"',
    "high-surrogate": b'"\\ud800"',
    "low-surrogate": b'"x\\udfff"',
    "deep": b"[" * 100 + b"]" * 100,
    "1e999": b"1e999",
    "-1e999": b"-1e999",
    "1e999999": b"1e999999",
    "10e30": b"1" + b"0" * 30,
    "2e64": str(2**64).encode(),
    "-2e63-1": str(-(2**63) - 1).encode(),
    "NaN-string": b'"NaN"',
    "sNaN-string": b'"sNaN"',
    "Infinity-string": b'"Infinity"',
    "true": b"true",
    "null": b"null",
    "empty-list": b"[]",
    "object": b'{"$gt": ""}',
    "long-string": b'"' + b"x" * 5000 + b'"',
    "far-date": b'"9999-12-31T23:00:00-05:00"',
}
# whole bodies
BODIES: dict[str, bytes] = {
    "deep-1000": b"[" * 1000 + b"]" * 1000,
    "deep-object-1000": b'{"a":' * 1000 + b"1" + b"}" * 1000,
    "raw-nul": b'{"a": "\x00"}',
    "not-utf8": b'{"a": "\xff\xfe"}',
    "array": b"[1, 2]",
    "string": b'"x"',
    "number": b"1e999",
    "truncated": b'{"a": ',
}


@dataclass(frozen=True)
class Endpoint:
    face: str
    method: str
    url: str
    body: dict[str, Any]
    auth: str = "organiser"  # seller | organiser | bearer | none


ENDPOINTS: dict[str, Endpoint] = {
    "v1-create-order": Endpoint(
        "v1",
        "POST",
        "/v1/resources/orders",
        {"event": EVENT, "random": {STALLS: 1}, "customer": {"first_name": "A"}},
        "seller",
    ),
    "v1-change-order": Endpoint(
        "v1",
        "PATCH",
        "/v1/resources/orders/{ticket_order}",
        {"random": {STALLS: 1}, "customer": {"first_name": "A"}, "status": "in_progress"},
        "seller",
    ),
    "v1-create-event": Endpoint(
        "v1",
        "POST",
        "/v1/resources/events",
        {"title": {"text": "T"}, "lifetime": LIFETIME, "timezone": "UTC", "age_rating": 0},
    ),
    "v1-create-set": Endpoint(
        "v1",
        "POST",
        f"/v1/resources/events/{EVENT}/sets",
        {"name": "N", "price": "10.00", "amount": 2},
    ),
    "v1-create-venue": Endpoint(
        "v1", "POST", "/v1/resources/venues", {"name": "V", "city": "C", "country": "RU"}
    ),
    "v1-create-promocode": Endpoint(
        "v1",
        "POST",
        f"/v1/resources/events/{EVENT}/promocodes",
        {"code": "HOSTILE", "discount": {"fix": "1.00"}, "limit": 3},
    ),
    "v2-create-order": Endpoint(
        "v2",
        "POST",
        "/v2/resources/orders",
        {
            "event": EVENT,
            "random": {STALLS: 1},
            "vendor_data": {"raw": {"n": 1}},
            "promocodes": ["PROMO100"],
        },
        "seller",
    ),
    "v2-change-order": Endpoint(
        "v2",
        "PATCH",
        "/v2/resources/orders/{ticket_order}",
        {"settings": {"customer": {"name": "N"}}, "promocodes": ["PROMO100"]},
        "seller",
    ),
    "v2-refund-request": Endpoint(
        "v2",
        "POST",
        "/v2/resources/refund_requests",
        {"order": "{ticket_order}", "culprit": "user", "tickets": []},
        "seller",
    ),
    "loyalty-apply": Endpoint(
        "loyalty",
        "POST",
        "/loyalty/checkout/apply",
        {
            **SHOP,
            "identifier": demo.MEMBER,
            "order_id": "H-1",
            "cart_items": CART,
            "promo_codes": ["SALE10"],
            "bonuses_amount": 1,
        },
        "none",
    ),
    "loyalty-confirm": Endpoint(
        "loyalty", "POST", "/loyalty/checkout/confirm", {**SHOP, "order_id": "H-1"}, "none"
    ),
    "loyalty-join": Endpoint(
        "loyalty",
        "POST",
        "/loyalty/members/join",
        {**SHOP, "identifier": "79990000099", "referral_code": "x"},
        "none",
    ),
    "delivery-create-order": Endpoint(
        "delivery", "POST", "/order", order_body("190330-11112222"), "bearer"
    ),
    "delivery-change-order": Endpoint(
        "delivery",
        "PUT",
        "/order/{delivery_order}",
        {"items": [{"id": "borscht", "quantity": 1}], "comment": "c"},
        "bearer",
    ),
    "delivery-push-status": Endpoint(
        "delivery",
        "PUT",
        "/order/{delivery_order}/status",
        {"status": "TAKEN_BY_COURIER", "comment": "c"},
        "bearer",
    ),
    "delivery-courier": Endpoint(
        "delivery",
        "PUT",
        "/order/{delivery_order}/courier",
        {"courier": {"name": "C", "phone": "+7"}, "latitude": 55.7, "longitude": 37.6},
        "bearer",
    ),
    "delivery-cancel": Endpoint(
        "delivery",
        "DELETE",
        "/order/{delivery_order}",
        {"eatsId": "190330-12345678", "comment": "c"},
        "bearer",
    ),
    "admin-restaurant": Endpoint(
        "v1", "POST", "/api/v1/delivery/restaurants", {"title": "T", "address": "A"}
    ),
    "admin-menu": Endpoint(
        "v1",
        "PUT",
        f"/api/v1/delivery/restaurants/{demo.RESTAURANT_ID}/menu",
        {"items": [{"id": "z", "name": "Z", "price": 1, "stock": 1}]},
    ),
    "admin-kitchen-step": Endpoint(
        "v1", "POST", "/api/v1/delivery/orders/{delivery_order}/status", {"status": "COOKING"}
    ),
    "admin-cancellation": Endpoint(
        "v1",
        "POST",
        "/api/v1/orders/{ticket_order}/cancellation",
        {"reason": "other", "comment": "c"},
    ),
    "admin-webhook-endpoint": Endpoint(
        "v1",
        "POST",
        "/api/v1/webhooks/endpoints",
        {"url": "https://example.com/h", "events": ["order.*"]},
    ),
    "admin-loyalty-adjust": Endpoint(
        "v1",
        "POST",
        f"/api/v1/loyalty/shops/{demo.SHOP_ID}/members/{demo.MEMBER}/adjust",
        {"amount": 5, "reason": "r"},
    ),
}


def with_value(body: dict[str, Any], key: str, value: bytes) -> bytes:
    marker = b'"@@HOSTILE@@"'
    return orjson.dumps({**body, key: "@@HOSTILE@@"}, default=json_default).replace(marker, value)


def payloads(body: dict[str, Any]) -> list[tuple[str, bytes]]:
    every_field = [
        (f"{key}={name}", with_value(body, key, value))
        for key in body
        for name, value in VALUES.items()
    ]
    return every_field + list(BODIES.items())


@pytest.fixture
async def world(client: httpx.AsyncClient, demo_data: demo.DemoInfo) -> dict[str, Any]:
    bearer = await token(client)
    ticket = await client.post(
        "/v1/resources/orders", json={"event": EVENT, "random": {STALLS: 1}}, headers=SELLER
    )
    delivery = await client.post(
        "/order",
        content=orjson.dumps(order_body(), default=json_default),
        headers={**bearer, "Content-Type": "application/json"},
    )
    assert ticket.status_code == 201 and delivery.status_code == 200, delivery.text
    return {
        "bearer": bearer,
        "ticket_order": ticket.json()["id"],
        "delivery_order": delivery.json()["orderId"],
    }


def _fill(text: str, world: dict[str, Any]) -> str:
    for name in ("ticket_order", "delivery_order"):
        text = text.replace("{" + name + "}", world[name])
    return text


@pytest.mark.parametrize("endpoint", list(ENDPOINTS.values()), ids=list(ENDPOINTS))
async def test_hostile_payloads_never_get_a_5xx(
    client: httpx.AsyncClient, world: dict[str, Any], endpoint: Endpoint
) -> None:
    auth = {"seller": SELLER, "organiser": ORGANISER, "bearer": world["bearer"], "none": {}}[
        endpoint.auth
    ]
    body = orjson.loads(_fill(orjson.dumps(endpoint.body, default=json_default).decode(), world))
    failures = []
    for name, content in payloads(body):
        response = await client.request(
            endpoint.method,
            _fill(endpoint.url, world),
            content=content,
            headers={**auth, "Content-Type": "application/json"},
        )
        if response.status_code >= 500:
            failures.append(f"{name}: {response.status_code} {response.text[:200]}")
        elif response.status_code >= 400:
            try:
                assert_face_error(response, endpoint.face, response.status_code)
            except AssertionError as wrong:
                failures.append(f"{name}: not the {endpoint.face} format: {wrong}")
    assert failures == []


@pytest.mark.parametrize("field", ["client_id", "client_secret", "grant_type", "scope"])
async def test_hostile_oauth_forms_never_get_a_5xx(
    client: httpx.AsyncClient, demo_data: demo.DemoInfo, field: str
) -> None:
    good = {
        "client_id": demo.DELIVERY_CLIENT_ID,
        "client_secret": demo.DELIVERY_CLIENT_SECRET,
        "grant_type": "client_credentials",
        "scope": "read",
    }
    for value in ("%00", "%ED%A0%80", "%FF", "x" * 5000, "%5B%5D", ""):
        form = "&".join(f"{k}={value if k == field else v}" for k, v in good.items())
        response = await client.post(
            "/security/oauth/token",
            content=form.encode(),
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        )
        assert response.status_code < 500, (value, response.text)
        if response.status_code >= 400:
            assert_face_error(response, "delivery", response.status_code)


async def test_hostile_console_sign_in_forms_never_get_a_5xx(
    client: httpx.AsyncClient, demo_data: demo.DemoInfo
) -> None:
    page = await client.get("/console/login")
    found = CSRF.search(page.text)
    assert found is not None
    for value in ("%00", "%ED%A0%80", "%FF", "x" * 5000, "a%40b"):
        for field in ("email", "password", "next"):
            fields = {"email": "a@b.c", "password": "p", "next": "", field: value}
            form = "&".join(f"{k}={v}" for k, v in fields.items()) + f"&csrf={found.group(1)}"
            response = await client.post(
                "/console/login",
                content=form.encode(),
                headers={"Content-Type": "application/x-www-form-urlencoded"},
            )
            assert response.status_code < 500, (field, value, response.text[:300])
