"""Numbers, lengths and times no column holds, or that overflow later, refused where they
enter: a 4xx in the face's format (never a 500), and nothing changes. Before the fixes each of
these was a 500 on SQLite, PostgreSQL or both (IntegrityError, 64-bit overflow in the JSON
columns or the stock counter, a date with no UTC time, a two-letter column given "Russia")."""

import json
from dataclasses import dataclass
from typing import Any

import httpx
import orjson
import pytest

from kassa.app import demo
from kassa.store.db import Database
from kassa.web.responses import json_default
from tests.api.helpers import all_rows, assert_face_error
from tests.api.test_console import sign_in
from tests.api.test_delivery import order_body, token

EVENT = demo.EVENT_ID
STALLS = demo.STALLS_SET_ID
SELLER = {"Authorization": f"key {demo.PARTNER_KEY}"}
ORGANISER = {"Authorization": f"key {demo.ORG_KEY}"}
GOOD = {"start": "2031-01-01T10:00:00+00:00", "finish": "2031-01-01T12:00:00+00:00"}
NO_UTC_TIME = "9999-12-31T23:00:00-05:00"  # a valid ISO time whose UTC time is in year 10000
BEFORE_YEAR_ONE = "0001-01-01T01:00:00+05:00"
ORDER_ID = "0" * 24  # a delivery order the fixture places


@dataclass(frozen=True)
class Case:
    face: str
    method: str
    url: str
    body: Any = None  # JSON (Decimal exact), or raw bytes
    auth: str = "organiser"  # seller | organiser | bearer
    status: int = 400
    code: str | None = None


def _content(body: Any) -> bytes | None:
    if body is None or isinstance(body, bytes):
        return body
    return json.dumps(body, default=str).encode()  # orjson stops at 64-bit integers


def delivery_order(**changes: Any) -> dict[str, Any]:
    body = order_body("190330-87654321")
    body["items"][0].update(changes)
    return body


CASES: dict[str, Case] = {
    # venues: the columns are name 200, address 500, country the ISO alpha-2 code
    "venue-country-a-name": Case(
        "v1",
        "POST",
        "/v1/resources/venues",
        {"name": "Hall", "country": "Russia"},
        code="validation_failed",
    ),
    "venue-country-three-letters": Case(
        "v1",
        "POST",
        "/v1/resources/venues",
        {"name": "Hall", "country": "RUS"},
        code="validation_failed",
    ),
    "venue-name-201": Case(
        "v1", "POST", "/v1/resources/venues", {"name": "x" * 201}, code="validation_failed"
    ),
    "venue-address-501": Case(
        "v1",
        "POST",
        "/v1/resources/venues",
        {"name": "Hall", "address": "x" * 501},
        code="validation_failed",
    ),
    "venue-made-up-timezone": Case(
        "v1",
        "POST",
        "/v1/resources/venues",
        {"name": "Hall", "timezone": "Mars/Phobos"},
        code="catalog_invalid",
    ),
    # events, rules, promo codes: times without a UTC time, zones the PDF cannot use
    "event-made-up-timezone": Case(
        "v1",
        "POST",
        "/v1/resources/events",
        {"title": {"text": "T"}, "lifetime": GOOD, "timezone": "Moscow"},
        code="catalog_invalid",
    ),
    "event-patch-made-up-timezone": Case(
        "v1",
        "PATCH",
        f"/v1/resources/events/{EVENT}",
        {"timezone": "Nowhere/Else"},
        code="catalog_invalid",
    ),
    "event-finish-past-year-9999": Case(
        "v1",
        "POST",
        "/v1/resources/events",
        {"title": {"text": "T"}, "lifetime": {**GOOD, "finish": NO_UTC_TIME}},
        code="validation_failed",
    ),
    "event-patch-start-before-year-1": Case(
        "v1",
        "PATCH",
        f"/v1/resources/events/{EVENT}",
        {"lifetime": {**GOOD, "start": BEFORE_YEAR_ONE}},
        code="validation_failed",
    ),
    "rule-start-past-year-9999": Case(
        "v1",
        "POST",
        f"/v1/resources/events/{EVENT}/sets/{STALLS}/rules",
        {"price": "5.00", "start": NO_UTC_TIME},
        code="validation_failed",
    ),
    "promocode-finish-past-year-9999": Case(
        "v1",
        "POST",
        f"/v1/resources/events/{EVENT}/promocodes",
        {"code": "LATE", "discount": {"fix": "1.00"}, "lifetime": {"finish": NO_UTC_TIME}},
        code="validation_failed",
    ),
    "promocode-key-longer-than-the-column": Case(  # "ß" matches as "ss": 128 characters
        "v1",
        "POST",
        f"/v1/resources/events/{EVENT}/promocodes",
        {"code": "ß" * 64, "discount": {"fix": "1.00"}},
        code="promocode_invalid",
    ),
    "orders-created-at-past-year-9999": Case(
        "v1",
        "GET",
        f"/v1/resources/orders?created_at={NO_UTC_TIME}",
        auth="seller",
        code="query_invalid",
    ),
    # v2: the seller's raw data is kept in a JSON column (64-bit integers)
    "v2-raw-int-10e30": Case(
        "v2",
        "POST",
        "/v2/resources/orders",
        {"event": EVENT, "random": {STALLS: 1}, "vendor_data": {"raw": {"n": 10**30}}},
        auth="seller",
    ),
    "v2-raw-int-2e63": Case(
        "v2",
        "POST",
        "/v2/resources/orders",
        {"event": EVENT, "random": {STALLS: 1}, "vendor_data": {"raw": {"n": -(2**63) - 1}}},
        auth="seller",
    ),
    "v2-export-created-before-year-1": Case(
        "v2",
        "POST",
        "/v2/resources/orders/export",
        {"email": "a@b.cc", "created_at": "0001-01-01 00:00:00+05:00"},
        auth="seller",
    ),
    "v2-orders-created-past-year-9999": Case(
        "v2", "GET", f"/v2/resources/orders?created_at={NO_UTC_TIME}", auth="seller"
    ),
    # delivery: quantities (stock in thousandths, a BIGINT), prices, anything kept as sent
    "delivery-quantity-10e30": Case(
        "delivery", "POST", "/order", delivery_order(quantity=10**30), "bearer", code="100"
    ),
    "delivery-quantity-1e999": Case(
        "delivery",
        "POST",
        "/order",
        orjson.dumps(order_body("190330-87654321"), default=json_default).replace(
            b'"quantity":2', b'"quantity":1e999'
        ),
        "bearer",
        code="100",
    ),
    "delivery-quantity-2e63": Case(
        "delivery", "POST", "/order", delivery_order(quantity=2**63), "bearer", code="100"
    ),
    "delivery-modification-price-10e30": Case(
        "delivery",
        "POST",
        "/order",
        delivery_order(modifications=[{"id": "m", "price": 10**30, "quantity": 1}]),
        "bearer",
        code="100",
    ),
    "delivery-modification-quantity-negative": Case(
        "delivery",
        "POST",
        "/order",
        delivery_order(modifications=[{"id": "m", "price": 10, "quantity": -1}]),
        "bearer",
        code="100",
    ),
    "delivery-discriminator-a-list": Case(
        "delivery",
        "POST",
        "/order",
        {**delivery_order(), "discriminator": ["yandex"]},
        "bearer",
        code="100",
    ),
    "delivery-client-name-10e30": Case(
        "delivery",
        "POST",
        "/order",
        {**delivery_order(), "deliveryInfo": {"clientName": 10**30}},
        "bearer",
        code="100",
    ),
    "delivery-change-quantity-2e63": Case(
        "delivery",
        "PUT",
        f"/order/{ORDER_ID}",
        {"items": [{"id": "borscht", "quantity": 2**63}]},
        "bearer",
        code="100",
    ),
    "delivery-courier-latitude-10e30": Case(
        "delivery",
        "PUT",
        f"/order/{ORDER_ID}/courier",
        {"courier": {"name": "C"}, "latitude": 10**30},
        "bearer",
        code="100",
    ),
    "delivery-courier-exponent-1e999999": Case(
        "delivery",
        "PUT",
        f"/order/{ORDER_ID}/courier",
        b'{"courier": {"name": "C"}, "latitude": 1e999999}',
        "bearer",
        code="100",
    ),
    # Kassa's admin APIs
    "restaurant-id-taken": Case(
        "v1",
        "POST",
        "/api/v1/delivery/restaurants",
        {"title": "Again", "id": demo.RESTAURANT_ID},
        status=409,
        code="restaurant_exists",
    ),
    "delivery-orders-unknown-status": Case(
        "v1", "GET", "/api/v1/delivery/orders?status=NOPE", code="query_invalid"
    ),
    "webhook-delivery-id-2e63": Case(
        "v1",
        "POST",
        f"/api/v1/webhooks/deliveries/{2**63}/replay",
        status=404,
        code="not_found",
    ),
    "webhook-delivery-id-2e64": Case(
        "v1",
        "POST",
        f"/api/v1/webhooks/deliveries/{2**64}/replay",
        status=404,
        code="not_found",
    ),
}


@pytest.fixture
async def bearer(client: httpx.AsyncClient, demo_data: demo.DemoInfo) -> dict[str, str]:
    return await token(client)


@pytest.fixture
async def delivery_order_id(client: httpx.AsyncClient, bearer: dict[str, str]) -> str:
    response = await client.post(
        "/order",
        content=orjson.dumps(order_body(), default=json_default),
        headers={**bearer, "Content-Type": "application/json"},
    )
    assert response.status_code == 200, response.text
    order_id: str = response.json()["orderId"]
    return order_id


@pytest.mark.parametrize("case", list(CASES.values()), ids=list(CASES))
async def test_a_number_or_length_no_column_holds_is_refused(
    client: httpx.AsyncClient,
    db: Database,
    bearer: dict[str, str],
    delivery_order_id: str,
    case: Case,
) -> None:
    auth = {"seller": SELLER, "organiser": ORGANISER, "bearer": bearer}[case.auth]
    before = await all_rows(db)

    response = await client.request(
        case.method,
        case.url.replace(ORDER_ID, delivery_order_id),
        content=_content(case.body),
        headers={**auth, "Content-Type": "application/json"},
    )

    assert_face_error(response, case.face, case.status, case.code)
    assert await all_rows(db) == before


async def test_a_venue_country_is_its_two_letter_code(
    client: httpx.AsyncClient, demo_data: demo.DemoInfo
) -> None:
    response = await client.post(
        "/v1/resources/venues",
        json={"name": "Hall", "country": "ru", "timezone": "Europe/Moscow"},
        headers=ORGANISER,
    )

    assert response.status_code == 201, response.text
    assert response.json()["country"] == "RU"


async def test_console_catalogue_forms_refuse_what_no_column_holds(
    client: httpx.AsyncClient, db: Database, demo_data: demo.DemoInfo
) -> None:
    _, csrf = await sign_in(client)
    event_url = f"/console/events/{demo.EVENT_ID}"
    before = await all_rows(db)

    for url, form in (
        (f"{event_url}/sets", {"name": "Floor", "price": "1e30", "capacity": "4"}),
        (f"{event_url}/sets/{STALLS}/rules", {"price": "5", "starts_at": NO_UTC_TIME}),
        (
            "/console/events",
            {
                "title": "T",
                "starts_at": "2031-01-01T10:00",
                "ends_at": "2031-01-01T12:00",
                "timezone": "Mars/Phobos",
            },
        ),
    ):
        response = await client.post(url, data={"csrf": csrf, **form})
        assert_face_error(response, "console", 400)

    assert await all_rows(db) == before
