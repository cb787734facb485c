"""Text PostgreSQL cannot store or Python cannot encode — a NUL, a lone surrogate, bytes that
are not UTF-8 — and JSON nested past any real payload, anywhere in a request (path, query,
form, JSON keys and values) of any face: a 400 in that face's error format, decided once at
the edge (kassa.web.guard), and nothing changes. Before the guard these were 500s on
PostgreSQL (and the deep JSON a RecursionError on the loyalty and delivery faces)."""

from dataclasses import dataclass, replace
from typing import Any
from urllib.parse import quote

import httpx
import orjson
import pytest

from kassa.app import demo
from kassa.store.db import Database
from kassa.web.responses import json_default
from tests.api.helpers import all_rows, assert_face_error
from tests.api.test_console import CSRF
from tests.api.test_delivery import order_body, token

EVENT = demo.EVENT_ID
STALLS = demo.STALLS_SET_ID
SELLER = {"Authorization": f"key {demo.PARTNER_KEY}"}
ORGANISER = {"Authorization": f"key {demo.ORG_KEY}"}
SHOP = {"shop_id": demo.SHOP_ID, "shop_secret": demo.SHOP_SECRET}
LIFETIME = {"start": "2031-01-01T10:00:00+00:00", "finish": "2031-01-01T12:00:00+00:00"}
NUL = "\\u0000"  # the JSON escape, as a client writes it
HIGH = "\\ud800"  # a lone high surrogate
LOW = "\\udc00"  # a lone low surrogate
DEEP = b"[" * 1000 + b"]" * 1000


def with_text(body: dict[str, Any], *path: str | int, text: str) -> bytes:
    """`body` as JSON with the string at `path` replaced by the raw JSON text `text`."""
    marker = "@@TEXT@@"
    target: Any = body
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = marker
    return orjson.dumps(body, default=json_default).replace(
        f'"{marker}"'.encode(), f'"{text}"'.encode()
    )


def v1_order(**customer: str) -> dict[str, Any]:
    return {"event": EVENT, "random": {STALLS: 1}, "customer": {"first_name": "Ann", **customer}}


def v2_order() -> dict[str, Any]:
    return {"event": EVENT, "random": {STALLS: 1}, "settings": {"customer": {"name": "Ann"}}}


def checkout(**rest: Any) -> dict[str, Any]:
    items = [{"product_id": "tea", "price": 100, "quantity": 1}]
    return {**SHOP, "identifier": demo.MEMBER, "order_id": "T-1", "cart_items": items, **rest}


@dataclass(frozen=True)
class Case:
    face: str
    method: str
    url: str
    content: bytes = b""
    content_type: str = "application/json"
    auth: str = "seller"  # seller | organiser | bearer | none
    code: str | None = "text_invalid"


def form(**fields: str) -> bytes:
    return "&".join(f"{k}={v}" for k, v in fields.items()).encode()


FORM = "application/x-www-form-urlencoded"
QUERY_SHOP = f"shop_id={demo.SHOP_ID}&shop_secret={demo.SHOP_SECRET}"
TOKEN_FORM = {
    "client_id": demo.DELIVERY_CLIENT_ID,
    "client_secret": demo.DELIVERY_CLIENT_SECRET,
    "grant_type": "client_credentials",
}

CASES: dict[str, Case] = {
    # ticketing v1: JSON values, keys, raw bytes, the path and the query
    "v1-customer-nul-escape": Case(
        "v1",
        "POST",
        "/v1/resources/orders",
        with_text(v1_order(), "customer", "first_name", text=f"A{NUL}"),
    ),
    "v1-customer-raw-nul": Case(
        "v1", "POST", "/v1/resources/orders", orjson.dumps(v1_order()).replace(b"Ann", b"A\x00n")
    ),
    "v1-customer-high-surrogate": Case(
        "v1", "POST", "/v1/resources/orders", with_text(v1_order(), "customer", "mobile", text=HIGH)
    ),
    "v1-customer-low-surrogate": Case(
        "v1",
        "POST",
        "/v1/resources/orders",
        with_text(v1_order(), "customer", "email", text=f"a{LOW}@b.c"),
    ),
    "v1-key-nul": Case(
        "v1",
        "POST",
        "/v1/resources/orders",
        orjson.dumps(v1_order()).replace(b'"first_name"', b'"first\\u0000name"'),
    ),
    "v1-body-not-utf8": Case(
        "v1", "POST", "/v1/resources/orders", orjson.dumps(v1_order()).replace(b"Ann", b"A\xffn")
    ),
    "v1-patch-order-path-nul": Case(
        "v1", "PATCH", "/v1/resources/orders/%00", b'{"status": "canceled"}'
    ),
    "v1-order-path-nul": Case("v1", "GET", "/v1/resources/orders/abc%00def"),
    "v1-event-path-surrogate-bytes": Case("v1", "GET", "/v1/resources/events/%ED%A0%80"),
    "v1-query-nul": Case("v1", "GET", "/v1/resources/orders?event=%00"),
    "v1-query-not-utf8": Case("v1", "GET", "/v1/resources/orders?status=%FF"),
    "v1-event-title-nul": Case(
        "v1",
        "POST",
        "/v1/resources/events",
        with_text({"title": {"text": "T"}, "lifetime": LIFETIME}, "title", "text", text=f"T{NUL}"),
        auth="organiser",
    ),
    "v1-set-name-nul": Case(
        "v1",
        "POST",
        f"/v1/resources/events/{EVENT}/sets",
        with_text({"name": "N", "price": "10.00", "amount": 5}, "name", text=NUL),
        auth="organiser",
    ),
    "v1-venue-city-surrogate": Case(
        "v1",
        "POST",
        "/v1/resources/venues",
        with_text({"name": "Hall", "city": "x"}, "city", text=HIGH),
        auth="organiser",
    ),
    "v1-promocode-nul": Case(
        "v1",
        "POST",
        f"/v1/resources/events/{EVENT}/promocodes",
        with_text({"code": "X", "discount": {"fix": "1.00"}}, "code", text=f"X{NUL}"),
        auth="organiser",
    ),
    "v1-deep-json": Case("v1", "POST", "/v1/resources/orders", DEEP, code="json_too_deep"),
    # Kassa's admin APIs answer in the v1 format
    "admin-restaurant-title-nul": Case(
        "v1",
        "POST",
        "/api/v1/delivery/restaurants",
        with_text({"title": "T"}, "title", text=NUL),
        auth="organiser",
    ),
    "admin-restaurant-path-nul": Case(
        "v1", "GET", "/api/v1/delivery/restaurants/%00/menu", auth="organiser"
    ),
    "admin-timeline-path-nul": Case("v1", "GET", "/api/v1/orders/%00/timeline", auth="organiser"),
    "admin-loyalty-member-path-nul": Case(
        "v1", "GET", f"/api/v1/loyalty/shops/{demo.SHOP_ID}/members/%00", auth="organiser"
    ),
    # ticketing v2
    "v2-customer-name-nul": Case(
        "v2",
        "POST",
        "/v2/resources/orders",
        with_text(v2_order(), "settings", "customer", "name", text=NUL),
    ),
    "v2-promocode-check-surrogate": Case(  # a v2 service: `{error, reason}`, as its spec shows
        "promo-check",
        "POST",
        "/v2/services/promocodes/check",
        with_text({"event": EVENT, "code": "x"}, "code", text=HIGH),
    ),
    "v2-order-path-nul": Case("v2", "GET", "/v2/resources/orders/%00"),
    "v2-deep-json": Case("v2", "POST", "/v2/resources/orders", DEEP, code="json_too_deep"),
    # loyalty (REES46)
    "loyalty-order-id-nul": Case(
        "loyalty",
        "POST",
        "/loyalty/checkout/apply",
        with_text(checkout(), "order_id", text=f"T{NUL}"),
        auth="none",
    ),
    "loyalty-shop-id-surrogate": Case(
        "loyalty",
        "POST",
        "/loyalty/checkout/confirm",
        with_text(checkout(), "shop_id", text=HIGH),
        auth="none",
    ),
    "loyalty-promo-code-nul": Case(
        "loyalty",
        "POST",
        "/loyalty/checkout/estimate",
        with_text(checkout(promo_codes=["x"]), "promo_codes", 0, text=NUL),
        auth="none",
    ),
    "loyalty-query-nul": Case(
        "loyalty",
        "GET",
        f"/loyalty/bonuses/balance?shop_id=%00&shop_secret=x&identifier={demo.MEMBER}",
        auth="none",
    ),
    "loyalty-deep-json": Case(
        "loyalty", "POST", "/loyalty/checkout/confirm", DEEP, auth="none", code=None
    ),
    "loyalty-deep-json-in-a-field": Case(
        "loyalty",
        "POST",
        "/loyalty/members/join",
        orjson.dumps({**SHOP, "identifier": "79990000077"})[:-1] + b',"x":' + DEEP + b"}",
        auth="none",
        code=None,
    ),
    # delivery (Yandex Eats): numbers are the face's, 100 = malformed request
    "delivery-client-name-nul": Case(
        "delivery",
        "POST",
        "/order",
        with_text(order_body(), "deliveryInfo", "clientName", text=f"Ivan{NUL}"),
        auth="bearer",
        code="100",
    ),
    "delivery-item-id-surrogate": Case(
        "delivery",
        "POST",
        "/order",
        orjson.dumps(order_body(), default=json_default).replace(b'"borscht"', b'"\\ud800"', 1),
        auth="bearer",
        code="100",
    ),
    "delivery-oauth-form-nul": Case(
        "delivery",
        "POST",
        "/security/oauth/token",
        form(**{**TOKEN_FORM, "client_id": "demo%00eats"}),
        FORM,
        auth="none",
        code="100",
    ),
    "delivery-oauth-form-not-utf8": Case(
        "delivery",
        "POST",
        "/security/oauth/token",
        form(**{**TOKEN_FORM, "client_secret": "%C3%28"}),
        FORM,
        auth="none",
        code="100",
    ),
    "delivery-order-path-nul": Case(
        "delivery", "GET", "/order/%00/status", auth="bearer", code="100"
    ),
    "delivery-menu-path-nul": Case(
        "delivery", "GET", "/menu/%00/availability", auth="bearer", code="100"
    ),
    "delivery-deep-json": Case("delivery", "POST", "/order", DEEP, auth="bearer", code="100"),
    # the console's forms
    "console-login-email-nul": Case(
        "console",
        "POST",
        "/console/login",
        form(email="a%00b", password="x"),
        FORM,
        auth="none",
        code=None,
    ),
    "console-path-nul": Case("console", "GET", "/console/orders/%00", auth="none", code=None),
}


@pytest.fixture
async def bearer(client: httpx.AsyncClient, demo_data: demo.DemoInfo) -> dict[str, str]:
    return await token(client)


def headers_for(case: Case, bearer: dict[str, str]) -> dict[str, str]:
    auth = {"seller": SELLER, "organiser": ORGANISER, "bearer": bearer, "none": {}}[case.auth]
    return {**auth, "Content-Type": case.content_type} if case.content else dict(auth)


@pytest.mark.parametrize("case", list(CASES.values()), ids=list(CASES))
async def test_text_no_database_can_store_is_400_in_the_face_format(
    client: httpx.AsyncClient, db: Database, bearer: dict[str, str], case: Case
) -> None:
    if case.face == "console":  # a real sign-in form: its CSRF cookie and token
        page = await client.get("/console/login")
        found = CSRF.search(page.text)
        assert found is not None
        case = replace(case, content=case.content + f"&csrf={found.group(1)}".encode())
    before = await all_rows(db)

    response = await client.request(
        case.method, case.url, content=case.content or None, headers=headers_for(case, bearer)
    )

    assert_face_error(response, case.face, 400, case.code)
    assert await all_rows(db) == before


async def test_a_surrogate_pair_is_text_and_is_kept(
    client: httpx.AsyncClient, demo_data: demo.DemoInfo
) -> None:
    body = with_text(v1_order(), "customer", "first_name", text="Ann \\ud83c\\udfab")

    response = await client.post(
        "/v1/resources/orders", content=body, headers={**SELLER, "Content-Type": "application/json"}
    )

    assert response.status_code == 201, response.text
    assert response.json()["customer"]["first_name"] == "Ann \N{TICKET}"


async def test_json_nested_to_the_limit_reaches_the_face(
    client: httpx.AsyncClient, demo_data: demo.DemoInfo
) -> None:
    nested: Any = "deep"
    for _ in range(31):
        nested = {"x": nested}
    body = orjson.dumps({**SHOP, "identifier": demo.MEMBER, "x": nested})

    response = await client.post(
        "/loyalty/members/status", content=body, headers={"Content-Type": "application/json"}
    )

    assert response.status_code == 200, response.text


async def test_a_percent_sign_and_plus_in_a_query_are_plain_text(
    client: httpx.AsyncClient, demo_data: demo.DemoInfo
) -> None:
    query = f"{QUERY_SHOP}&identifier={quote('+7 999 %')}"

    response = await client.get(f"/loyalty/bonuses/balance?{query}")

    assert_face_error(response, "loyalty", 400)
    assert "NUL" not in response.text and "UTF-8" not in response.text
