"""A change's first lock goes with its BEGIN in one round trip (`Tx.begin_locking`: a simple
query, the ids in it as literals of a plain alphabet). Ids outside the alphabet never go in
as literals: they take the ordinary parameterised lock, and an order nobody has is 404 in
the face's own words whatever its id. A lock taken this way is ended like any other: a 409
leaves the connection clean for the next command."""

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from kassa.app import demo
from kassa.store.db import Database
from kassa.store.orders_hot import LOCK_SEEN
from tests.api.helpers import assert_v1_error, create_order, db_state, get_order, order_url

HOSTILE = [
    "x' OR '1'='1",
    "a\\'; DROP TABLE orders; --",
    "6b0d7b89b058aa4c8537995$1",
    "ünïcode",
    "x" * 65,  # the alphabet, but longer than any id
    "0123456789abcdef01234567",  # the alphabet: a literal, and no such order
]


@pytest.mark.parametrize("order_id", HOSTILE)
async def test_an_id_nobody_has_is_404_whatever_it_is_made_of(
    client: httpx.AsyncClient, seller: dict[str, str], db: Database, order_id: str
) -> None:
    mine = await create_order(client, seller, demo.EVENT_ID, random={demo.STALLS_SET_ID: 1})
    before = await db_state(db)
    path = order_url(order_id).replace("%", "%25").replace("?", "%3F").replace("#", "%23")
    assert_v1_error(await client.delete(path, headers=seller), 404, "order_not_found")
    cancellation = await client.post(
        f"/api/v1/orders/{path.rsplit('/', 1)[1]}/cancellation",
        headers=seller,
        json={"reason": "customer_request"},
    )
    assert cancellation.status_code == 404, cancellation.text
    assert await db_state(db) == before
    assert await get_order(client, seller, mine["id"]) == mine


async def test_begin_locking_says_whether_it_locked(
    db: Database, seller: dict[str, str], client: httpx.AsyncClient, backend: str
) -> None:
    mine = await create_order(client, seller, demo.EVENT_ID, random={demo.STALLS_SET_ID: 1})
    org, partner = demo.ORG_ID, demo.PARTNER_ID
    async with db.unit_of_work() as uow:
        found = await uow.tx.begin_locking(LOCK_SEEN, [mine["id"], org, partner])
        assert found is (None if backend == "sqlite" else True)
        # Begun: a second lock in the same unit of work goes the ordinary way.
        assert await uow.tx.begin_locking(LOCK_SEEN, [mine["id"], org, None]) is None
    async with db.unit_of_work() as uow:
        missing = await uow.tx.begin_locking(LOCK_SEEN, ["0123456789abcdef01234567", org, None])
        assert missing is (None if backend == "sqlite" else False)
    async with db.unit_of_work() as uow:  # a literal, quoted: it names no order
        hostile = await uow.tx.begin_locking(LOCK_SEEN, ["x' OR '1'='1", org, None])
        assert hostile is (None if backend == "sqlite" else False)
    async with db.unit_of_work() as uow:  # no literal for it: the caller locks the usual way
        assert await uow.tx.begin_locking(LOCK_SEEN, ["x\x00", org, None]) is None
    async with db.unit_of_work(write=False) as uow:
        assert await uow.tx.begin_locking(LOCK_SEEN, [mine["id"], org, None]) is None


async def test_a_lock_refused_at_begin_leaves_the_connection_clean(
    db: Database, seller: dict[str, str], client: httpx.AsyncClient, backend: str
) -> None:
    if backend == "sqlite":
        pytest.skip("SQLite has one writer at a time: no order is ever held beside a change")
    mine = await create_order(client, seller, demo.EVENT_ID, random={demo.STALLS_SET_ID: 1})
    async with db.engine.connect() as in_flight:
        await in_flight.execute(
            text("SELECT id FROM orders WHERE id = :id FOR UPDATE"), {"id": mine["id"]}
        )
        for _ in range(3):  # every pooled connection that tries ends its failed transaction
            with pytest.raises(DBAPIError) as refused:
                async with db.unit_of_work() as uow:
                    await uow.tx.begin_locking(LOCK_SEEN, [mine["id"], demo.ORG_ID, None])
            assert getattr(refused.value.orig, "sqlstate", None) == "55P03"
            busy = await client.delete(order_url(mine["id"]), headers=seller)
            assert busy.status_code == 409, busy.text
        await in_flight.rollback()
    assert await get_order(client, seller, mine["id"]) == mine
    done = await client.delete(order_url(mine["id"]), headers=seller)
    assert done.status_code == 200, done.text
