"""Tenant isolation, as a checklist: organisation B, with every credential it has (organiser
and seller keys, its aggregator's token, its shop's secret, its console operators), tries
every read and write of every face and of the console on organisation A's ids, and every
reference B may set on its own objects pointing at A's. Each attempt is answered as not found
in the face's own format, exactly as the same request naming an id nobody has, and nothing
in the database changes. (tests/api/test_tenancy.py covers keys, sellers and the catalogue
reads of the ticketing face in depth; this is the breadth across faces.)"""

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest
from sqlalchemy import insert

from kassa.app import delivery, operators
from kassa.core.errors import OperatorInvalid
from kassa.store import tables
from kassa.store.db import Database
from kassa.web.errors import V2_PREFIX, is_delivery
from kassa.web.responses import json_default
from tests.api.helpers import EVERY_TABLE, db_state
from tests.api.isolation_checklist import CHECKLIST, Try
from tests.api.world import PASSWORD, Side, build_side, delivery_body
from tests.conftest import (
    BACKENDS,
    FakeClock,
    PgSnapshot,
    copy_sqlite,
    create_migrated_pg_database,
    drop_pg_database_later,
    restore_pg,
    run_sync,
    snapshot_pg,
)

CSRF = re.compile(r'name="csrf" value="([^"]+)"')


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
# built once per backend, and every test gets it back as it was built (SQLite: a copy of the
# file; PostgreSQL: one database of the module, its rows put back before each test).
@pytest.fixture(scope="module")
def sqlite_world(
    tmp_path_factory: pytest.TempPathFactory, sqlite_template: Path
) -> tuple[str, Sides]:
    url = copy_sqlite(sqlite_template, tmp_path_factory.mktemp("world") / "world.db")
    return url, run_sync(_build(url))


@pytest.fixture(scope="module")
def postgresql_world(
    postgres_admin_url: str, postgres_template: str
) -> Iterator[tuple[str, Sides, PgSnapshot]]:
    url = run_sync(create_migrated_pg_database(postgres_admin_url, postgres_template))
    sides = run_sync(_build(url))
    yield url, sides, run_sync(snapshot_pg(url))
    drop_pg_database_later(postgres_admin_url, url)


@pytest.fixture(params=BACKENDS)
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """Overrides tests/conftest.py's: the two tenants' database, as it was built."""
    if request.param == "sqlite":
        template, _ = request.getfixturevalue("sqlite_world")
        return copy_sqlite(Path(template.removeprefix("sqlite:///")), tmp_path / "world.db")
    url, _, snapshot = request.getfixturevalue("postgresql_world")
    run_sync(restore_pg(url, snapshot))
    return str(url)


@pytest.fixture
async def world(
    request: pytest.FixtureRequest,
    database_url: str,
    client: httpx.AsyncClient,
    clock: FakeClock,
) -> World:
    backend = "sqlite" if database_url.startswith("sqlite") else "postgresql"
    sides = request.getfixturevalue(f"{backend}_world")[1]
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
    elif path == "/v2/services/promocodes/check":  # its spec's `{"error", "reason"}`
        assert set(body) == {"error", "reason"} and body["reason"], body
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
    missing = world.a.missing(world.b)

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
