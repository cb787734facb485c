"""When the database is out of connections or out of reach, every face answers 503 with
`Retry-After`, in its own format, and nothing else turns into a 503 (PostgreSQL: the pool is
made tiny on purpose; a closed port stands for a database that is down)."""

import socket
from collections.abc import AsyncIterator

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from kassa.app import demo
from kassa.config import Settings
from kassa.core.errors import DatabaseUnavailable
from kassa.store.db import Database, is_unavailable
from tests.conftest import FakeClock, create_app, empty_database, run_sync

ORGANISER = {"Authorization": f"key {demo.ORG_KEY}"}
DELIVERY_TOKEN = (
    f"client_id={demo.DELIVERY_CLIENT_ID}&client_secret={demo.DELIVERY_CLIENT_SECRET}"
    "&grant_type=client_credentials&scope=read write"
)
LOYALTY_CART = {
    "shop_id": demo.SHOP_ID,
    "shop_secret": demo.SHOP_SECRET,
    "cart_items": [{"id": "1", "name": "Latte", "price": 250, "quantity": 1}],
}


async def call_every_face(http: httpx.AsyncClient) -> dict[str, httpx.Response]:
    """One call of each face that needs the database at once."""
    http.cookies.set("kassa_session", "x" * 40)  # a console session to look up
    return {
        "v1": await http.get(f"/v1/resources/events/{demo.EVENT_ID}", headers=ORGANISER),
        "v2": await http.get("/v2/resources/orders", headers=ORGANISER),
        "loyalty": await http.post("/loyalty/checkout/estimate", json=LOYALTY_CART),
        "delivery": await http.post(
            "/security/oauth/token",
            content=DELIVERY_TOKEN,
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        ),
        "console": await http.get("/console/orders"),
        "idempotent": await http.post(
            "/v1/resources/orders",
            json={"event": demo.EVENT_ID, "random": {demo.STALLS_SET_ID: 1}},
            headers={**ORGANISER, "Idempotency-Key": "flash-1"},
        ),
    }


def assert_unavailable_in_each_format(answers: dict[str, httpx.Response]) -> None:
    for face, answer in answers.items():
        assert answer.status_code == 503, (face, answer.text)
        assert answer.headers.get("retry-after") == "1", face
    assert answers["v1"].json()["code"] == "database_unavailable"
    assert answers["v1"].json()["error"] == "HTTPServiceUnavailable"
    assert answers["idempotent"].json()["code"] == "database_unavailable"
    assert list(answers["v2"].json()) == ["errors"]
    loyalty = answers["loyalty"].json()
    assert (loyalty["status"], loyalty["success"]) == ("error", False)
    assert "database" in loyalty["payload"]["message"]
    [problem] = answers["delivery"].json()
    assert set(problem) == {"code", "description"}
    assert "text/html" in answers["console"].headers["content-type"]


@pytest.fixture
async def tiny_pool(postgresql_url: str, clock: FakeClock) -> AsyncIterator[Database]:
    """The demo on PostgreSQL behind a pool of ONE connection that waits 0.2 s at most."""
    run_sync(empty_database(postgresql_url))
    db = Database(postgresql_url, pool_size=1, max_overflow=0, pool_timeout=0.2)
    await demo.seed(db, clock())
    yield db
    await db.dispose()


def client_of(db: Database, clock: FakeClock) -> httpx.AsyncClient:
    app = create_app(Settings(database_url=str(db.url)), db=db, clock=clock)
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://kassa.test")


async def test_an_exhausted_pool_answers_503_in_each_faces_format(
    tiny_pool: Database, clock: FakeClock
) -> None:
    async with client_of(tiny_pool, clock) as http:
        async with tiny_pool.unit_of_work(write=False):  # holds the one connection
            answers = await call_every_face(http)
        assert_unavailable_in_each_format(answers)
        again = await http.get(f"/v1/resources/events/{demo.EVENT_ID}", headers=ORGANISER)
        assert again.status_code == 200  # the connection is back: so is the service
        retried = await http.post(
            "/v1/resources/orders",
            json={"event": demo.EVENT_ID, "random": {demo.STALLS_SET_ID: 1}},
            headers={**ORGANISER, "Idempotency-Key": "flash-1"},
        )
        assert retried.status_code == 201, retried.text  # the 503 kept nothing under the key


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port  # closed again: nothing listens there


async def test_a_database_that_is_down_answers_503(clock: FakeClock) -> None:
    db = Database(f"postgresql://kassa@127.0.0.1:{closed_port()}/kassa", pool_timeout=0.2)
    try:
        async with client_of(db, clock) as http:
            answers = await call_every_face(http)
    finally:
        await db.dispose()
    assert_unavailable_in_each_format(answers)


async def test_a_wrong_statement_is_no_outage(db: Database) -> None:
    with pytest.raises(DBAPIError) as raised:
        async with db.unit_of_work(write=False) as uow:
            await uow.tx.execute(text("SELECT no_such_column FROM operators"))
    assert not isinstance(raised.value, DatabaseUnavailable)


class DriverError(Exception):
    def __init__(self, sqlstate: str) -> None:
        self.sqlstate = sqlstate


@pytest.mark.parametrize(
    ("sqlstate", "outage"),
    [
        ("53300", True),  # too many connections
        ("57P03", True),  # the server is starting up
        ("57P01", True),  # the server is shutting down
        ("08006", True),  # connection failure
        ("42703", False),  # no such column: a bug
        ("23505", False),  # unique violation: a conflict
        ("55P03", False),  # lock timeout: a conflict the command handles
        ("40001", False),  # serialization failure
    ],
)
def test_only_connection_troubles_count_as_an_outage(sqlstate: str, outage: bool) -> None:
    error = DBAPIError("SELECT 1", None, DriverError(sqlstate))
    assert is_unavailable(error) is outage
