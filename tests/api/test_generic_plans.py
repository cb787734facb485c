"""A write unit of work on PostgreSQL plans its statements once per connection (the generic
plan: `SET LOCAL plan_cache_mode` with its BEGIN, `kassa.store.tx._BEGIN`), whichever way
it begins: a plain SQL statement, a SQLAlchemy one, or a lock taken with the BEGIN. A
read-only unit of work keeps the server's default (the console's searches, whose best plan
can depend on the values), and so does every transaction after a write one on the same
connection: the setting ends with the transaction that set it, committed or not."""

from collections.abc import AsyncIterator

import httpx
import pytest
from sqlalchemy import text

from kassa.app import demo
from kassa.store.db import Database
from kassa.store.orders_hot import LOCK_SEEN
from kassa.store.raw import Sql
from kassa.store.waitlist import WaitlistRepo
from tests.api.helpers import create_order

SHOW = Sql("SHOW plan_cache_mode")


@pytest.fixture
async def one_connection(database_url: str, backend: str) -> AsyncIterator[Database]:
    """A pool of one connection, so every unit of work below runs on the same one."""
    if backend == "sqlite":
        pytest.skip("SQLite plans every statement as it prepares it: there is no plan cache")
    database = Database(database_url, pool_size=1, max_overflow=0)
    yield database
    await database.dispose()


async def shown(db: Database) -> str:
    async with db.unit_of_work(write=False) as uow:
        rows = await uow.tx.fetch(SHOW, [])
    return str(rows[0][0])


async def test_write_units_of_work_plan_generically_and_only_they(
    one_connection: Database,
) -> None:
    db = one_connection
    assert await shown(db) == "auto"
    async with db.unit_of_work() as uow:  # begun by a plain SQL statement
        assert (await uow.tx.fetch(SHOW, []))[0][0] == "force_generic_plan"
        await uow.commit()
    assert await shown(db) == "auto"
    async with db.unit_of_work() as uow:  # begun by a SQLAlchemy statement, rolled back
        assert await uow.tx.scalar(text("SHOW plan_cache_mode")) == "force_generic_plan"
    assert await shown(db) == "auto"


async def test_a_lock_taken_with_the_begin_plans_generically_too(
    one_connection: Database, client: httpx.AsyncClient, seller: dict[str, str]
) -> None:
    db = one_connection
    mine = await create_order(client, seller, demo.EVENT_ID, random={demo.STALLS_SET_ID: 1})
    async with db.unit_of_work() as uow:
        assert await uow.tx.begin_locking(LOCK_SEEN, [mine["id"], demo.ORG_ID, None]) is True
        assert (await uow.tx.fetch(SHOW, []))[0][0] == "force_generic_plan"
    assert await shown(db) == "auto"


async def scans_of(db: Database, index: str) -> int:
    async with db.unit_of_work(write=False) as uow:
        rows = await uow.tx.fetch(
            Sql("SELECT idx_scan FROM pg_stat_user_indexes WHERE indexrelname = $1"), [index]
        )
    return int(rows[0][0])


async def test_a_constant_still_matches_a_partial_index_under_the_generic_plan(
    one_connection: Database, client: httpx.AsyncClient, seller: dict[str, str]
) -> None:
    """A parameter cannot prove a partial index's predicate (`status = 'vacant'`) to a
    generic plan, a literal can (`kassa.store.types.fixed`): picking a set's vacant tickets
    in a write transaction goes by the set's vacant tickets, not through all tickets."""
    db = one_connection
    await create_order(client, seller, demo.EVENT_ID, random={demo.STALLS_SET_ID: 1})
    # A set's tickets mostly sold, as a set on sale for a while has them, and statistics
    # that say so: its vacant ones are then plainly the way to them (a few hundred rows in
    # all would leave the planner no clear choice).
    async with db.unit_of_work() as uow:
        await uow.tx.fetch(
            Sql(
                "INSERT INTO tickets (id, event_id, set_id, serial, number, status) "
                "SELECT substr(md5('sold' || g), 1, 24), $1, $2, 'S', 900000 + g, 'sold' "
                "FROM generate_series(1, 5000) AS g"
            ),
            [demo.EVENT_ID, demo.STALLS_SET_ID],
        )
        await uow.commit()
    async with db.unit_of_work() as uow:
        await uow.tx.fetch(Sql("ANALYZE tickets"), [])
        await uow.commit()
    before = await scans_of(db, "ix_tickets_vacant")
    async with db.unit_of_work() as uow:
        assert len(await WaitlistRepo(uow.tx).pick_vacant(demo.STALLS_SET_ID, 2)) == 2
        # This backend's counts reach the statistics when it next goes idle.
        await uow.tx.fetch(Sql("SELECT pg_stat_force_next_flush()"), [])
    assert await scans_of(db, "ix_tickets_vacant") > before
