"""Tenant isolation, as a checklist: organisation B, with every credential it has (organiser
and seller keys, its aggregator's token, its shop's secret, its console operators), tries
every read and write of every face and of the console on organisation A's ids, and every
reference B may set on its own objects pointing at A's. Each attempt is answered as not found
in the face's own format, exactly as the same request naming an id nobody has, and nothing
in the database changes. (tests/api/test_tenancy.py covers keys, sellers and the catalogue
reads of the ticketing face in depth; this is the breadth across faces.)"""

import contextlib
import re
import sqlite3
import uuid
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import orjson
import pytest
from sqlalchemy import insert

from kassa.app import delivery, operators
from kassa.core.errors import OperatorInvalid
from kassa.store import tables
from kassa.store.db import Database
from kassa.store.migrate import upgrade
from kassa.web.errors import V2_PREFIX, is_delivery
from kassa.web.responses import json_default
from tests.api.helpers import EVERY_TABLE, db_state
from tests.api.world import PASSWORD, Side, build_side, delivery_body
from tests.conftest import (
    BACKENDS,
    FakeClock,
    create_pg_database,
    drop_pg_database,
    run_sync,
)

CSRF = re.compile(r'name="csrf" value="([^"]+)"')
FAR = {"start": "2031-01-01T18:00:00+00:00", "finish": "2031-01-01T21:00:00+00:00"}
EVENT_FORM = {
    "title": "Mine",
    "starts_at": "2031-01-01T18:00",
    "ends_at": "2031-01-01T21:00",
    "status": "draft",
}


@dataclass(frozen=True)
class Sides:
    """The two tenants as built once per backend, and when."""

    a: Side
    b: Side
    built_at: datetime


@dataclass(frozen=True)
class World:
    a: Side
    b: Side
    b_token: dict[str, str]  # B's aggregator, signed in on the delivery face


async def _build(url: str) -> Sides:
    db = Database(url, pool_size=2)
    try:
        now = datetime.now(UTC).replace(microsecond=0)
        a = await build_side(db, now, "a", "79990000001", "190330-00000001")
        b = await build_side(db, now, "b", "79990000002", "190330-00000002")
    finally:
        await db.dispose()
    return Sides(a, b, now)


# Two whole tenants take seconds to build and the checklist has a hundred rows: the world is
# built once per backend into a template database, and every test gets a copy of its own.
@pytest.fixture(scope="module")
def sqlite_world(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, Sides]:
    url = f"sqlite:///{tmp_path_factory.mktemp('world') / 'world.db'}"
    upgrade(url)
    return url, run_sync(_build(url))


@pytest.fixture(scope="module")
def postgresql_world(postgres_admin_url: str) -> Iterator[tuple[str, Sides]]:
    url = run_sync(create_pg_database(postgres_admin_url))
    upgrade(url)
    yield url, run_sync(_build(url))
    run_sync(drop_pg_database(postgres_admin_url, url))


@pytest.fixture(params=BACKENDS)
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """Overrides tests/conftest.py's: a fresh copy of the two tenants' database."""
    template, _ = request.getfixturevalue(f"{request.param}_world")
    if request.param == "sqlite":
        copy = tmp_path / "world.db"
        with (
            contextlib.closing(sqlite3.connect(template.removeprefix("sqlite:///"))) as source,
            contextlib.closing(sqlite3.connect(copy)) as target,
        ):
            source.backup(target)
        yield f"sqlite:///{copy}"
        return
    admin_url = request.getfixturevalue("postgres_admin_url")
    name = f"kassa_world_{uuid.uuid4().hex[:12]}"
    run_sync(_admin(admin_url, f'CREATE DATABASE "{name}" TEMPLATE "{template.rsplit("/", 1)[1]}"'))
    yield admin_url.rsplit("/", 1)[0] + "/" + name
    run_sync(_admin(admin_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


async def _admin(admin_url: str, sql: str) -> None:
    conn = await asyncpg.connect(admin_url)
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


@pytest.fixture
async def world(
    request: pytest.FixtureRequest,
    database_url: str,
    client: httpx.AsyncClient,
    clock: FakeClock,
) -> World:
    backend = "sqlite" if database_url.startswith("sqlite") else "postgresql"
    _, sides = request.getfixturevalue(f"{backend}_world")
    clock.now = sides.built_at  # the holds and tokens of the world are as fresh as it is
    return World(sides.a, sides.b, await aggregator_token(client, sides.b))


async def aggregator_token(client: httpx.AsyncClient, side: Side) -> dict[str, str]:
    response = await client.post(
        "/security/oauth/token",
        data={
            "client_id": side.client_id,
            "client_secret": side.client_secret,
            "grant_type": "client_credentials",
        },
    )
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


@dataclass(frozen=True)
class Try:
    """B (`who`: org, seller, token, shop, or a console account) sends this naming A's ids."""

    who: str
    method: str
    path: str
    body: Any = None
    status: int = 404
    code: str | int | None = None  # Kassa's error code, or the delivery face's number

    def __str__(self) -> str:
        return f"{self.who} {self.method} {self.path}"


CANCEL = {"reason": "customer_request"}
SET = "/v1/resources/events/{a.event}/sets/{a.set}"
A_PROMO = "/v1/resources/events/{a.event}/promocodes/{a.promo}"
ORDER_IDS = ("{a.order}", "{a.delivery_order}", "{a.loyalty_kassa_id}")

TICKETING_V1 = [
    Try("seller", "GET", "/v1/resources/orders/{a.order}", code="order_not_found"),
    Try("org", "GET", "/v1/resources/orders/{a.order}", code="order_not_found"),
    Try("org", "GET", "/v1/resources/orders/{a.order}/tickets", code="order_not_found"),
    Try("org", "PATCH", "/v1/resources/orders/{a.order}", {"status": "canceled"}),
    Try("seller", "PATCH", "/v1/resources/orders/{a.order}", {"random": {"{a.set}": 1}}),
    Try("seller", "PATCH", "/v1/resources/orders/{a.done_order}", {"status": "canceled"}),
    Try("org", "DELETE", "/v1/resources/orders/{a.order}", code="order_not_found"),
    # References in a body: A's event, A's set on B's event, A's ticket in B's order.
    Try(
        "seller",
        "POST",
        "/v1/resources/orders",
        {"event": "{a.event}", "random": {"{a.set}": 1}},
        400,
        "event_not_found",
    ),
    Try(
        "seller",
        "POST",
        "/v1/resources/orders",
        {"event": "{b.event}", "random": {"{a.set}": 1}},
        400,
        "set_not_found",
    ),
    Try(
        "seller",
        "POST",
        "/v1/resources/orders",
        {"event": "{b.event}", "tickets": ["{a.ticket}"]},
        400,
        "ticket_not_in_event",
    ),
    Try(
        "seller",
        "PATCH",
        "/v1/resources/orders/{b.order}",
        {"tickets": ["{a.ticket}"]},
        400,
        "ticket_not_in_event",
    ),
]

CATALOGUE = [
    Try("seller", "GET", "/v1/resources/events/{a.event}", code="event_not_found"),
    Try("org", "GET", "/v1/resources/events/{a.event}/sets", code="event_not_found"),
    Try("org", "GET", "/v1/resources/events/{a.event}/tickets", code="event_not_found"),
    Try("org", "PATCH", "/v1/resources/events/{a.event}", {"age_rating": 18}),
    Try(
        "org",
        "POST",
        "/v1/resources/events/{a.event}/sets",
        {"name": "X", "price": "1.00", "amount": 1},
    ),
    Try("org", "PATCH", SET, {"name": "Mine"}, code="event_not_found"),
    Try("org", "PATCH", "/v1/resources/events/{b.event}/sets/{a.set}", {"name": "Mine"}),
    Try("org", "POST", SET + "/rules", {"price": "1.00"}, code="event_not_found"),
    Try("org", "POST", "/v1/resources/events/{b.event}/sets/{a.set}/rules", {"price": "1.00"}),
    Try("org", "DELETE", SET + "/rules/{a.rule}", code="event_not_found"),
    Try("org", "DELETE", "/v1/resources/events/{b.event}/sets/{b.set}/rules/{a.rule}"),
    # An event's venue: A's venue on B's new event, or on B's event.
    Try(
        "org",
        "POST",
        "/v1/resources/events",
        {"title": {"text": "Mine"}, "lifetime": FAR, "venue": "{a.venue}"},
        400,
    ),
    Try("org", "PATCH", "/v1/resources/events/{b.event}", {"venue": "{a.venue}"}, 400),
]

PROMOCODES = [
    Try("org", "GET", "/v1/resources/events/{a.event}/promocodes", code="event_not_found"),
    Try(
        "org",
        "POST",
        "/v1/resources/events/{a.event}/promocodes",
        {"code": "MINE", "discount": {"fix": "1.00"}},
    ),
    Try("org", "GET", A_PROMO, code="event_not_found"),
    Try("org", "PATCH", A_PROMO, {"active": False}, code="event_not_found"),
    Try("org", "GET", "/v1/resources/events/{b.event}/promocodes/{a.promo}"),
    Try("org", "PATCH", "/v1/resources/events/{b.event}/promocodes/{a.promo}", {"limit": 1}),
    # A code's sets: A's set on B's event's code.
    Try(
        "org",
        "POST",
        "/v1/resources/events/{b.event}/promocodes",
        {"code": "MINE", "discount": {"fix": "1.00"}, "sets": ["{a.set}"]},
        400,
        "promocode_invalid",
    ),
    Try(
        "org",
        "PATCH",
        "/v1/resources/events/{b.event}/promocodes/{b.promo}",
        {"sets": ["{a.set}"]},
        400,
        "promocode_invalid",
    ),
    Try(
        "seller",
        "POST",
        "/v2/services/promocodes/check",
        {"event": "{a.event}", "code": "{a.promo_code}"},
    ),
]

TICKETING_V2 = [
    Try("seller", "GET", "/v2/resources/orders/{a.order}"),
    Try("seller", "PATCH", "/v2/resources/orders/{a.order}", {"status": "cancelled"}),
    Try("org", "PATCH", "/v2/resources/orders/{a.order}", {"promocodes": ["{a.promo_code}"]}),
    Try("seller", "POST", "/v2/resources/orders", {"event": "{a.event}", "random": {}}, 400),
    Try("seller", "GET", "/v2/resources/refund_requests/{a.refund}"),
    Try("org", "PATCH", "/v2/resources/refund_requests/{a.refund}", {"status": "approved"}),
    Try(
        "seller",
        "POST",
        "/v2/resources/refund_requests",
        {"order": "{a.done_order}", "culprit": "user", "tickets": ["{a.done_ticket}"]},
    ),
    Try(
        "seller",
        "POST",
        "/v2/resources/refund_requests",
        {"order": "{b.done_order}", "culprit": "user", "tickets": ["{a.done_ticket}"]},
        400,
    ),
]

KASSA_API = [
    *(Try("org", "GET", f"/api/v1/orders/{i}/timeline", code="order_not_found") for i in ORDER_IDS),
    *(Try("org", "GET", f"/api/v1/orders/{i}/cancellation") for i in ORDER_IDS),
    *(Try("org", "POST", f"/api/v1/orders/{i}/cancellation", CANCEL) for i in ORDER_IDS),
    Try("seller", "POST", "/api/v1/orders/{a.order}/cancellation", CANCEL),
]

DELIVERY_ADMIN = [
    Try("org", "GET", "/api/v1/delivery/restaurants/{a.restaurant}/menu"),
    Try(
        "org",
        "PUT",
        "/api/v1/delivery/restaurants/{a.restaurant}/menu",
        {"items": [{"id": "borscht", "name": "Mine", "price": "1.00", "stock": "0"}]},
        code="restaurant_not_found",
    ),
    Try(
        "org",
        "POST",
        "/api/v1/delivery/orders/{a.delivery_order}/status",
        {"status": "ACCEPTED_BY_RESTAURANT"},
        code="delivery_order_not_found",
    ),
    # A restaurant's loyalty shop (the attack of test_a_restaurant_cannot_earn_in_...).
    Try(
        "org",
        "POST",
        "/api/v1/delivery/restaurants",
        {"title": "Trap", "id": "trap", "loyalty_shop": "{a.shop}"},
        400,
        "shop_unknown",
    ),
]

LOYALTY_ADMIN = [
    Try("org", "PUT", "/api/v1/loyalty/shops/{a.shop}/program", {"earn_percent": "90"}),
    Try(
        "org",
        "POST",
        "/api/v1/loyalty/shops/{a.shop}/promo_codes",
        {"code": "MINE", "kind": "fix", "value": "1"},
    ),
    Try("org", "POST", "/api/v1/loyalty/shops/{a.shop}/certificates", {"amount": "1000"}),
    Try("org", "GET", "/api/v1/loyalty/shops/{a.shop}/members/{a.member}"),
    Try(
        "org",
        "POST",
        "/api/v1/loyalty/shops/{a.shop}/members/{a.member}/adjust",
        {"amount": "5000", "reason": "mine"},
    ),
    Try("org", "GET", "/api/v1/loyalty/shops/{b.shop}/members/{a.member}"),
    # An event's shop: A's shop for B's event, A's event in B's shop.
    Try("org", "PUT", "/api/v1/loyalty/shops/{a.shop}/events/{b.event}"),
    Try("org", "PUT", "/api/v1/loyalty/shops/{b.shop}/events/{a.event}", code="event_not_found"),
    Try("org", "DELETE", "/api/v1/loyalty/shops/{a.shop}/events/{a.event}"),
    Try("org", "DELETE", "/api/v1/loyalty/shops/{b.shop}/events/{a.event}"),
]

WEBHOOKS_API = [
    Try("org", "DELETE", "/api/v1/webhooks/endpoints/{a.endpoint}", code="not_found"),
    Try("org", "POST", "/api/v1/webhooks/deliveries/{a.webhook_delivery}/replay"),
]

DELIVERY_FACE = [
    Try("token", "GET", "/order/{a.delivery_order}", code=404),
    Try(
        "token",
        "PUT",
        "/order/{a.delivery_order}",
        {"eatsId": "{a.eats_id}", "items": [{"id": "borscht", "quantity": 9, "price": 350}]},
    ),
    Try("token", "DELETE", "/order/{a.delivery_order}", {"eatsId": "{a.eats_id}", "comment": ""}),
    Try("token", "GET", "/order/{a.delivery_order}/status", code=404),
    Try("token", "PUT", "/order/{a.delivery_order}/status", {"status": "DELIVERED"}, code=404),
    Try(
        "token",
        "PUT",
        "/order/{a.delivery_order}/status",
        {"status": "CANCELLED", "reason": "place.missing_dish"},
    ),
    Try("token", "PUT", "/order/{a.delivery_order}/courier", {"name": "Mine"}, code=404),
    Try("token", "GET", "/menu/{a.restaurant}/composition", code=104),
    Try("token", "GET", "/menu/{a.restaurant}/availability", code=104),
    Try("token", "GET", "/menu/{a.restaurant}/promos", code=104),
    # An order's restaurant: A's, in B's aggregator's order.
    Try(
        "token",
        "POST",
        "/order",
        delivery_body("190330-99999999", "{a.restaurant}", "79990000002"),
        400,
        104,
    ),
]

LOYALTY_FACE = [
    Try("shop", "GET", "/loyalty/checkout/details", {"order_id": "{a.loyalty_order}"}),
    Try("shop", "POST", "/loyalty/checkout/confirm", {"order_id": "{a.loyalty_order}"}),
    Try("shop", "POST", "/loyalty/checkout/cancel", {"order_id": "{a.loyalty_order}"}),
    Try(
        "shop",
        "POST",
        "/loyalty/checkout/change",
        {
            "order_id": "{a.loyalty_order}",
            "cart_items": [{"product_id": "latte", "price": 250, "quantity": 1}],
        },
    ),
    Try("shop", "GET", "/loyalty/bonuses/balance", {"identifier": "{a.member}"}),
    Try("shop", "POST", "/loyalty/bonuses/balance", {"identifier": "{a.member}"}),
    Try("shop", "GET", "/loyalty/members/status", {"identifier": "{a.member}"}),
    Try("shop", "GET", "/loyalty/checkout/history", {"identifier": "{a.member}"}),
    # A's codes at B's till: A's certificate and promo code (a code that does not apply is
    # reported in the estimate, which still answers 200), and A's member's referral code.
    Try(
        "shop",
        "POST",
        "/loyalty/checkout/estimate",
        {
            "identifier": "{b.member}",
            "certificates": ["{a.certificate}"],
            "promo_codes": ["{a.shop_promo}"],
            "cart_items": [{"product_id": "latte", "price": 250, "quantity": 1}],
        },
        200,
    ),
    Try(
        "shop",
        "POST",
        "/loyalty/members/join",
        {"identifier": "79990000077", "referral_code": "{a.referral_code}"},
        400,
    ),
]

TICKET_PAGE = "/console/orders/tickets/{a.order}"
DELIVERY_PAGE = "/console/orders/delivery/{a.delivery_order}"
LOYALTY_PAGE = "/console/orders/loyalty/{a.loyalty_kassa_id}"
EVENT_PAGE = "/console/events/{a.event}"
CONSOLE = [
    Try("admin", "GET", TICKET_PAGE),
    Try("admin", "GET", TICKET_PAGE + "/cancellation"),
    Try("admin", "POST", TICKET_PAGE + "/cancellation", CANCEL),
    Try("admin", "POST", TICKET_PAGE + "/confirm", {}),
    Try("admin", "POST", TICKET_PAGE + "/resend", {"email": "me@b.test"}),
    Try("admin", "GET", DELIVERY_PAGE),
    Try("admin", "POST", DELIVERY_PAGE + "/status", {"status": "ACCEPTED_BY_RESTAURANT"}),
    Try("admin", "POST", DELIVERY_PAGE + "/cancel", CANCEL),
    Try("admin", "GET", DELIVERY_PAGE + "/partial", {"qty-borscht": "1"}),
    Try("admin", "POST", DELIVERY_PAGE + "/partial", {"qty-borscht": "1", **CANCEL}),
    Try("kitchen", "GET", DELIVERY_PAGE),
    Try("kitchen", "POST", DELIVERY_PAGE + "/status", {"status": "ACCEPTED_BY_RESTAURANT"}),
    Try("admin", "GET", LOYALTY_PAGE),
    Try("admin", "POST", LOYALTY_PAGE + "/cancel", CANCEL),
    Try("till", "GET", LOYALTY_PAGE),
    Try("till", "POST", LOYALTY_PAGE + "/partial", {"qty-latte": "1", **CANCEL}),
    Try("admin", "GET", EVENT_PAGE),
    Try("admin", "POST", EVENT_PAGE, EVENT_FORM),
    Try("admin", "POST", EVENT_PAGE + "/sets", {"name": "X", "price": "1", "capacity": "1"}),
    Try(
        "admin", "POST", EVENT_PAGE + "/sets/{a.set}", {"name": "X", "price": "1", "capacity": "1"}
    ),
    Try("admin", "POST", "/console/events/{b.event}/sets/{a.set}", {"price": "1", "capacity": "1"}),
    Try("admin", "POST", EVENT_PAGE + "/sets/{a.set}/rules", {"price": "1"}),
    Try("admin", "POST", "/console/events/{b.event}/sets/{a.set}/rules", {"price": "1"}),
    Try("admin", "POST", EVENT_PAGE + "/sets/{a.set}/rules/{a.rule}/delete", {}),
    Try("admin", "POST", "/console/events/{b.event}/sets/{b.set}/rules/{a.rule}/delete", {}),
    Try("admin", "POST", EVENT_PAGE + "/promocodes", {"code": "X", "kind": "fix", "value": "1"}),
    Try("admin", "POST", EVENT_PAGE + "/promocodes/{a.promo}", {"active": "0"}),
    Try("admin", "POST", "/console/events/{b.event}/promocodes/{a.promo}", {"active": "0"}),
    Try("admin", "GET", "/console/kitchen/{a.restaurant}/board"),
    Try("kitchen", "GET", "/console/kitchen/{a.restaurant}/board"),
    Try(
        "admin",
        "POST",
        "/console/loyalty/{a.shop}/members/{a.member}/adjust",
        {"amount": "5000", "reason": "mine"},
    ),
    Try(
        "till",
        "POST",
        "/console/loyalty/{a.shop}/members/{a.member}/adjust",
        {"amount": "5000", "reason": "mine"},
    ),
    Try("admin", "POST", "/console/webhooks/endpoints/{a.endpoint}/remove", {}),
    Try("admin", "POST", "/console/webhooks/deliveries/{a.webhook_delivery}/replay", {}),
    Try("admin", "POST", "/console/operators/{a.operator_ids[viewer]}/disable", {}),
    # An operator's restaurant or shop: A's, on B's new operator.
    Try(
        "admin",
        "POST",
        "/console/operators",
        {
            "email": "cook@b.test",
            "role": "operator",
            "password": "long-enough",
            "restaurant": "{a.restaurant}",
        },
        400,
    ),
    Try(
        "admin",
        "POST",
        "/console/operators",
        {
            "email": "till2@b.test",
            "role": "operator",
            "password": "long-enough",
            "shop": "{a.shop}",
        },
        400,
    ),
]

CHECKLIST = [
    *TICKETING_V1,
    *CATALOGUE,
    *PROMOCODES,
    *TICKETING_V2,
    *KASSA_API,
    *DELIVERY_ADMIN,
    *LOYALTY_ADMIN,
    *WEBHOOKS_API,
    *DELIVERY_FACE,
    *LOYALTY_FACE,
    *CONSOLE,
]


def render(template: Any, a: Side, b: Side) -> Any:
    """The template with `{a.x}` and `{b.x}` filled in, in strings, keys and lists alike."""
    if isinstance(template, str):
        return template.format(a=a, b=b)
    if isinstance(template, Mapping):
        return {render(k, a, b): render(v, a, b) for k, v in template.items()}
    if isinstance(template, list):
        return [render(v, a, b) for v in template]
    return template


async def sign_in(client: httpx.AsyncClient, email: str) -> str:
    """A console session for `email`; returns its CSRF token."""
    client.cookies.clear()
    form = await client.get("/console/login")
    token = CSRF.search(form.text)
    assert token is not None
    answer = await client.post(
        "/console/login",
        data={"email": email, "password": PASSWORD, "csrf": token.group(1), "next": ""},
    )
    assert answer.status_code == 303, answer.text
    found = CSRF.search((await client.get("/console/orders")).text)
    assert found is not None
    return found.group(1)


async def send(
    client: httpx.AsyncClient, world: World, row: Try, a: Side, csrf: str
) -> httpx.Response:
    """Send the row as B, naming `a`'s ids."""
    b = world.b
    path, body = render(row.path, a, b), render(row.body, a, b)
    if row.who in ("org", "seller", "token"):
        headers = {"org": b.organiser, "seller": b.seller, "token": world.b_token}[row.who]
        content = orjson.dumps(body, default=json_default) if body is not None else None
        headers = {**headers, "Content-Type": "application/json"}
        return await client.request(row.method, path, content=content, headers=headers)
    if row.who == "shop":
        if row.method == "GET":
            return await client.get(path, params={**b.shop_auth, **body})
        return await client.post(path, json={**b.shop_auth, **body})
    if row.method == "GET":
        return await client.get(path, params=body)
    return await client.post(path, data={**body, "csrf": csrf})


def assert_face_format(path: str, response: httpx.Response, row: Try) -> None:
    """The answer is the face's own not-found (or bad-reference) error."""
    assert response.status_code == row.status, (str(row), response.text)
    if response.status_code == 200:
        return  # a face's own "not applied" answer; the comparison with a missing id decides
    if path.startswith("/console"):
        assert response.headers["content-type"].startswith("text/html"), response.text
        return
    body = response.json()
    if is_delivery(path):
        assert isinstance(body, list) and set(body[0]) == {"code", "description"}, body
        assert row.code is None or body[0]["code"] == row.code, body
    elif path.startswith("/loyalty/"):
        assert body["status"] == "error" and body["success"] is False, body
        assert body["payload"]["message"], body
    elif path.startswith(V2_PREFIX):
        assert set(body) == {"errors"} and body["errors"], body
    else:
        assert set(body) >= {"error", "reason", "code"}, body
        assert row.code is None or body["code"] == row.code, body


def normalised(response: httpx.Response, side: Side) -> tuple[int, str]:
    """The answer with the side's ids blanked: A's and a missing id's must read the same."""
    text = response.text
    values = [str(v) for v in vars(side).values() if isinstance(v, str) and v != side.tag]
    values += list(side.operator_ids.values())
    for value in sorted(values, key=len, reverse=True):
        text = re.sub(rf"(?<![\w-]){re.escape(value)}(?![\w-])", "<id>", text)
    return response.status_code, text


@pytest.mark.parametrize("row", CHECKLIST, ids=str)
async def test_another_tenants_ids_are_not_found(
    client: httpx.AsyncClient, db: Database, world: World, row: Try
) -> None:
    csrf = (
        ""
        if row.who in ("org", "seller", "token", "shop")
        else await sign_in(client, world.b.email(row.who))
    )
    before = await db_state(db, EVERY_TABLE)
    missing = world.a.missing()

    crossed = await send(client, world, row, world.a, csrf)
    unknown = await send(client, world, row, missing, csrf)

    assert_face_format(render(row.path, world.a, world.b), crossed, row)
    assert normalised(crossed, world.a) == normalised(unknown, missing)
    assert await db_state(db, EVERY_TABLE) == before


async def balance(client: httpx.AsyncClient, side: Side) -> Decimal:
    params = {**side.shop_auth, "identifier": side.member}
    answer = await client.get("/loyalty/bonuses/balance", params=params)
    assert answer.status_code == 200, answer.text
    return Decimal(str(answer.json()["payload"]["bonuses_balance"]))


async def deliver(client: httpx.AsyncClient, world: World, restaurant: str, eats_id: str) -> None:
    """B's aggregator orders for A's member's phone at `restaurant` and delivers it."""
    body = delivery_body(eats_id, restaurant, world.a.member)
    content = orjson.dumps(body, default=json_default)
    headers = {**world.b_token, "Content-Type": "application/json"}
    made = await client.post("/order", content=content, headers=headers)
    assert made.status_code == 200, made.text
    order_id = made.json()["orderId"]
    moved = await client.put(
        f"/order/{order_id}/status", json={"status": "DELIVERED"}, headers=world.b_token
    )
    assert moved.status_code == 204, moved.text


async def test_a_restaurant_cannot_earn_in_another_tenants_shop(
    client: httpx.AsyncClient, db: Database, world: World
) -> None:
    """The reported attack: B's restaurant names A's shop, B's aggregator delivers an order
    for A's member's phone, and A's member would gain bonuses in A's shop."""
    a, b = world.a, world.b
    start = await balance(client, a)
    refused = await client.post(
        "/api/v1/delivery/restaurants",
        json={"title": "Trap", "id": "trap", "loyalty_shop": a.shop},
        headers=b.organiser,
    )
    assert refused.status_code == 400, refused.text
    assert refused.json()["code"] == "shop_unknown"
    assert "trap" not in {r.id for r in await delivery.restaurants(db, b.org)}
    # B's own restaurant, with a menu, and its own shop: an order there earns only in B's shop.
    made = await client.post(
        "/api/v1/delivery/restaurants",
        json={"title": "Honest", "id": "honest", "loyalty_shop": b.shop},
        headers=b.organiser,
    )
    assert made.status_code == 201, made.text
    menu = {"items": [{"id": "borscht", "name": "Borscht", "price": "350.00"}]}
    put = await client.put(
        "/api/v1/delivery/restaurants/honest/menu", json=menu, headers=b.organiser
    )
    assert put.status_code == 200, put.text
    await deliver(client, world, "honest", "190330-55555555")
    assert await balance(client, a) == start


async def test_a_restaurant_row_naming_another_tenants_shop_earns_nothing(
    client: httpx.AsyncClient, db: Database, world: World, clock: FakeClock
) -> None:
    """A row written before the check (the key only proves the shop exists): a delivered
    order never pays bonuses into a shop of another organisation."""
    async with db.engine.begin() as conn:
        await conn.execute(
            insert(tables.restaurants).values(
                id="old-trap",
                org_id=world.b.org,
                title="Old trap",
                address="",
                shop_id=world.a.shop,
                created_at=clock(),
            )
        )
        await conn.execute(
            insert(tables.menu_items).values(
                restaurant_id="old-trap",
                id="borscht",
                name="Borscht",
                category="Soups",
                price=Decimal(350),
                stock_milli=None,
            )
        )
    start = await balance(client, world.a)

    await deliver(client, world, "old-trap", "190330-66666666")

    assert await balance(client, world.a) == start


async def test_a_restaurant_id_already_taken_is_a_conflict_and_changes_nothing(
    client: httpx.AsyncClient, db: Database, world: World
) -> None:
    """Restaurant ids are global: B choosing A's id gets 409 (not a 500), A's stays A's."""
    before = await db_state(db, EVERY_TABLE)
    for shop in (None, world.b.shop):
        taken = await client.post(
            "/api/v1/delivery/restaurants",
            json={"title": "Mine", "id": world.a.restaurant, "loyalty_shop": shop},
            headers=world.b.organiser,
        )
        assert taken.status_code == 409, taken.text
        assert taken.json()["code"] == "restaurant_exists"
    assert await db_state(db, EVERY_TABLE) == before


async def test_an_operator_cannot_be_narrowed_to_another_tenants_restaurant_or_shop(
    db: Database, world: World, clock: FakeClock
) -> None:
    """`kassa operators create --org B --restaurant <A's>` (and the console's form) refuse,
    with the same words as for a restaurant or shop nobody has."""
    before = await db_state(db, EVERY_TABLE)
    for place in ({"restaurant_id": world.a.restaurant}, {"shop_id": world.a.shop}):
        with pytest.raises(OperatorInvalid, match="is not this organisation's"):
            await operators.create_operator(
                db,
                org_id=world.b.org,
                email="sneaky@b.test",
                role="admin",
                password="long-enough",
                now=clock(),
                **place,  # type: ignore[arg-type]
            )
    assert await db_state(db, EVERY_TABLE) == before


async def test_lists_show_nothing_of_another_tenant(
    client: httpx.AsyncClient, world: World
) -> None:
    """Filters naming A's ids narrow B's own lists; they never reach A's rows."""
    a, b = world.a, world.b
    for path, params in (
        ("/v1/resources/orders", {"event": a.event}),
        ("/v2/resources/orders", {"events": a.event}),
        ("/v2/resources/refund_requests", {"events": a.event}),
        ("/api/v1/delivery/orders", {}),
        ("/api/v1/loyalty/shops", {}),
        ("/api/v1/webhooks/endpoints", {}),
        ("/api/v1/webhooks/deliveries", {}),
    ):
        answer = await client.get(path, params=params, headers=b.organiser)
        assert answer.status_code == 200, (path, answer.text)
        for value in (a.org, a.order, a.done_order, a.refund, a.shop, a.endpoint, a.eats_id):
            assert value not in answer.text, (path, value)
    places = await client.get("/restaurants", headers=world.b_token)
    assert a.restaurant not in places.text
