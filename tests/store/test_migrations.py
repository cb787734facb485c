"""Alembic migrations, on SQLite and on PostgreSQL: they build exactly the schema in tables.py.

Every test gets databases of its own: SQLite files under tmp_path, or PostgreSQL databases
`kassa_mig_<owner>_<random>` created and dropped through an admin connection (the `test` database
other tests use is never touched).
"""

import asyncio
import logging
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Coroutine, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, TypeVar

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect
from sqlalchemy.engine import Connection
from tests.conftest import create_pg_database, drop_pg_database_later

from kassa.store import migrate
from kassa.store.db import Database
from kassa.store.tables import metadata, organisations

BACKENDS = ["sqlite", "postgresql"]
PARTIAL_INDEXES = {
    "ix_tickets_vacant": "status = 'vacant'",
    "ix_orders_open_due": "status IN ('executed', 'in_progress')",
    "ix_outbox_pending": "delivered_at IS NULL",
    "ix_outbox_unsent_ticket_mail": "delivered_at IS NULL AND topic = 'tickets.email'",
    "ix_loyalty_coupons_free": "handed_out_at IS NULL AND status = 'active'",
    "ix_loyalty_coupons_device": "handed_out_to IS NOT NULL",
    "ix_webhook_deliveries_dead": "state = 'dead'",
    "ix_delivery_orders_kitchen": "status IN ('NEW', 'ACCEPTED_BY_RESTAURANT', 'COOKING', 'READY')",
    "ix_webhook_deliveries_due": "state = 'pending'",
    "ix_waiting_list_offers": "status = 'offered'",
    "uq_waiting_list_live_email": "status IN ('waiting', 'offered')",
}
T = TypeVar("T")
NewDatabase = Callable[[], str]


def blocking(coro: Coroutine[Any, Any, T]) -> T:
    """Run a coroutine from a sync test, on a thread of its own (the test loop stays put)."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coro).result()


def on_connection(url: str, work: Callable[[Connection], T]) -> T:
    return blocking(migrate.run_with_connection(url, work))


@pytest.fixture(params=BACKENDS)
def new_database(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[NewDatabase]:
    """Makes empty databases on one backend; all of them are removed afterwards."""
    if request.param == "sqlite":
        directory = tmp_path_factory.mktemp("migrations")
        yield lambda: f"sqlite:///{directory / uuid.uuid4().hex[:8]}.db"
        return
    admin_url: str = request.getfixturevalue("postgres_admin_url")
    created: list[str] = []

    def make() -> str:
        created.append(blocking(create_pg_database(admin_url, kind="mig")))
        return created[-1]

    yield make
    for url in created:
        drop_pg_database_later(admin_url, url)  # in the background: each DROP checkpoints


@pytest.fixture
def url(new_database: NewDatabase) -> str:
    return new_database()


@pytest.fixture
def reference_schema(new_database: NewDatabase) -> list[tuple[Any, ...]]:
    """The schema `metadata.create_all` builds, as `schema_of` describes it."""
    reference = new_database()

    def create_all(conn: Connection) -> None:
        metadata.create_all(conn)
        conn.commit()

    on_connection(reference, create_all)
    return schema_of(reference)


def schema_of(url: str) -> list[tuple[Any, ...]]:
    """Every table, column, constraint and index (with its WHERE) as the database reports it."""

    def read(conn: Connection) -> list[tuple[Any, ...]]:
        if conn.dialect.name == "sqlite":
            rows = conn.exec_driver_sql(
                "SELECT type, name, tbl_name, sql FROM sqlite_master"
                " WHERE name NOT LIKE 'sqlite_%' AND tbl_name != 'alembic_version'"
                " ORDER BY type, name"
            ).all()
            # A table rebuilt by a batch migration is stored with its name quoted: cosmetic.
            return [
                (kind, name, table, " ".join((sql or "").replace(f'"{name}"', name).split()))
                for kind, name, table, sql in rows
            ]
        columns = conn.exec_driver_sql(
            "SELECT table_name, ordinal_position, column_name, data_type,"
            " character_maximum_length, numeric_precision, numeric_scale, is_nullable,"
            " column_default FROM information_schema.columns"
            " WHERE table_schema = 'public' AND table_name != 'alembic_version'"
            " ORDER BY table_name, ordinal_position"
        ).all()
        constraints = conn.exec_driver_sql(
            "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid)"
            " FROM pg_constraint WHERE connamespace = 'public'::regnamespace"
            " AND conrelid::regclass::text != 'alembic_version' ORDER BY conname"
        ).all()
        indexes = conn.exec_driver_sql(
            "SELECT tablename, indexname, indexdef FROM pg_indexes"
            " WHERE schemaname = 'public' AND tablename != 'alembic_version' ORDER BY indexname"
        ).all()
        return [("column", *r) for r in columns] + [
            (kind, *r)
            for kind, rows in (("constraint", constraints), ("index", indexes))
            for r in rows
        ]

    return on_connection(url, read)


def differences(url: str) -> list[Any]:
    """What Alembic's autogenerate would change to make the database match tables.py."""

    def compare(conn: Connection) -> list[Any]:
        options = migrate.context_options(conn.dialect.name)
        found: list[Any] = compare_metadata(
            MigrationContext.configure(conn, opts=options), metadata
        )
        return found

    return on_connection(url, compare)


def table_names(url: str) -> set[str]:
    return on_connection(url, lambda conn: set(inspect(conn).get_table_names()))


def index_predicates(url: str) -> dict[str, str]:
    """The WHERE clause of each partial index, as the database stored it."""

    def read(conn: Connection) -> dict[str, str]:
        if conn.dialect.name == "sqlite":
            rows = conn.exec_driver_sql(
                "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql LIKE '%WHERE%'"
            ).all()
        else:
            rows = conn.exec_driver_sql(
                "SELECT indexname, indexdef FROM pg_indexes"
                " WHERE schemaname = 'public' AND indexdef LIKE '%WHERE%'"
            ).all()
        return {name: sql.split(" WHERE ", 1)[1] for name, sql in rows}

    return on_connection(url, read)


def test_head_is_the_newest_revision() -> None:
    assert migrate.head() == "0025_audit_org"


def test_upgrade_from_empty_reaches_head(url: str) -> None:
    assert migrate.current(url) is None
    migrate.upgrade(url)
    assert migrate.current(url) == migrate.head()
    assert table_names(url) == set(metadata.tables) | {"alembic_version"}


def test_schema_is_exactly_what_create_all_builds(
    url: str, reference_schema: list[tuple[Any, ...]]
) -> None:
    migrate.upgrade(url)
    assert schema_of(url) == reference_schema


def test_autogenerate_finds_no_differences(url: str) -> None:
    migrate.upgrade(url)
    assert differences(url) == []


def test_autogenerate_comparison_does_notice_a_difference(url: str) -> None:
    """The check above means something: a missing index is reported."""
    migrate.upgrade(url)

    def drop_index(conn: Connection) -> None:
        conn.exec_driver_sql("DROP INDEX ix_partners_org_id")
        conn.commit()

    on_connection(url, drop_index)
    diff = differences(url)
    assert [(d[0], d[1].name) for d in diff] == [("add_index", "ix_partners_org_id")]


def test_partial_indexes_keep_their_where_clauses(url: str) -> None:
    migrate.upgrade(url)
    found = index_predicates(url)
    assert set(found) == set(PARTIAL_INDEXES)
    if url.startswith("sqlite"):
        assert found == PARTIAL_INDEXES
    else:
        # PostgreSQL stores the predicate in its own words; check the substance.
        assert found["ix_outbox_pending"] == "(delivered_at IS NULL)"
        assert "'tickets.email'" in found["ix_outbox_unsent_ticket_mail"]
        assert "'vacant'" in found["ix_tickets_vacant"]
        assert "'executed'" in found["ix_orders_open_due"]
        assert "'in_progress'" in found["ix_orders_open_due"]
        assert "'offered'" in found["ix_waiting_list_offers"]
        assert "'waiting'" in found["uq_waiting_list_live_email"]


def test_upgrade_twice_is_a_no_op(url: str, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="alembic")
    migrate.upgrade(url)
    assert "Running upgrade  -> 0001_initial" in caplog.text
    before = schema_of(url)

    async def insert_organisation() -> None:
        db = Database(url, pool_size=1)
        try:
            async with db.engine.begin() as conn:
                await conn.execute(organisations.insert(), _organisation())
        finally:
            await db.dispose()

    blocking(insert_organisation())
    caplog.clear()
    migrate.upgrade(url)
    migrate.upgrade(url, "0001_initial")

    assert "Running upgrade" not in caplog.text
    assert migrate.current(url) == migrate.head()
    assert schema_of(url) == before
    count = on_connection(
        url, lambda c: c.exec_driver_sql("SELECT count(*) FROM organisations").scalar_one()
    )
    assert count == 1


def test_downgrade_to_base_then_upgrade_again(
    url: str, reference_schema: list[tuple[Any, ...]]
) -> None:
    migrate.upgrade(url)
    migrate.downgrade(url, "base")
    assert migrate.current(url) is None
    assert table_names(url) == {"alembic_version"}

    migrate.upgrade(url)
    assert migrate.current(url) == migrate.head()
    assert schema_of(url) == reference_schema
    assert differences(url) == []


async def test_upgrade_async_inside_a_running_loop(url: str) -> None:
    await migrate.upgrade_async(url)
    assert await migrate.current_async(url) == migrate.head()
    await migrate.upgrade_async(url)
    assert await migrate.current_async(url) == migrate.head()


async def test_sync_upgrade_inside_a_running_loop(url: str) -> None:
    """Sync callers inside a loop get a thread of their own instead of a RuntimeError."""
    migrate.upgrade(url)
    assert migrate.current(url) == migrate.head()


RACE_SCRIPT = """
import sys, time
from kassa.store.migrate import upgrade
url, start = sys.argv[1], float(sys.argv[2])
time.sleep(max(0.0, start - time.time()))
upgrade(url)
"""


@pytest.mark.race
def test_processes_upgrading_at_once_all_succeed(url: str) -> None:
    """`kassa serve --workers N` and a worker may all migrate at start-up, at the same moment."""
    start = time.time() + 3  # every process has imported everything by then
    processes = [
        subprocess.Popen(
            [sys.executable, "-c", RACE_SCRIPT, url, str(start)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(4)
    ]
    failures = []
    for process in processes:
        _out, err = process.communicate(timeout=120)
        if process.returncode != 0:
            failures.append(err)
    assert failures == []
    assert migrate.current(url) == migrate.head()
    assert differences(url) == []


def _organisation() -> dict[str, Any]:
    return {
        "id": "org_migration_test",
        "name": "Migrations",
        "fee_percent": Decimal("1.5"),
        "fee_fixed": Decimal("10.00"),
        "created_at": datetime.now(UTC),
    }


def test_expression_indexes_exist_and_serve_the_console_search(url: str) -> None:
    """Autogenerate cannot compare expression indexes, so: they exist after the migrations,
    and the planner uses them for the console's search by buyer e-mail."""
    from sqlalchemy import select

    from kassa.store.tables import orders
    from kassa.store.types import BuyerEmail

    migrate.upgrade(url)

    def read(conn: Connection) -> tuple[set[str], str]:
        listing = (
            "SELECT name FROM sqlite_master WHERE type = 'index'"
            if conn.dialect.name == "sqlite"
            else "SELECT indexname FROM pg_indexes"
        )
        names = {row[0] for row in conn.exec_driver_sql(listing)}
        query = select(orders.c.id).where(
            orders.c.org_id == "a" * 24, BuyerEmail(orders.c.customer) == "x@example.com"
        )
        compiled = query.compile(conn, compile_kwargs={"literal_binds": True})
        if conn.dialect.name == "sqlite":
            plan = " ".join(str(r) for r in conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {compiled}"))
        else:
            conn.exec_driver_sql("SET enable_seqscan = off")
            plan = " ".join(str(r) for r in conn.exec_driver_sql(f"EXPLAIN {compiled}"))
        return names, plan

    names, plan = on_connection(url, read)
    assert names >= migrate.EXPRESSION_INDEXES
    assert "ix_orders_buyer_email" in plan, plan


def test_restaurant_shop_key_detaches_dangling_and_foreign_shops(url: str) -> None:
    """0010 adds restaurants.shop_id -> loyalty_shops.id over a database that has a restaurant
    naming a shop that never existed and one naming another organisation's shop (what the API
    let a tenant write before): both are detached, a restaurant's own shop stays."""
    migrate.upgrade(url, "0009_operators")
    now = datetime.now(UTC).isoformat(" ")

    def seed(conn: Connection) -> None:
        for org in ("org_a", "org_b"):
            conn.exec_driver_sql(
                "INSERT INTO organisations (id, name, fee_percent, fee_fixed, created_at)"
                f" VALUES ('{org}', '{org}', 0, 0, '{now}')"
            )
            conn.exec_driver_sql(
                "INSERT INTO loyalty_shops (id, org_id, name, secret_hash, program, created_at)"
                f" VALUES ('shop_{org}', '{org}', 'Shop', 'x', '{{}}', '{now}')"
            )
        for restaurant, org, shop in (
            ("own", "org_a", "'shop_org_a'"),
            ("none", "org_a", "NULL"),
            ("dangling", "org_a", "'no_such_shop'"),
            ("foreign", "org_b", "'shop_org_a'"),
        ):
            conn.exec_driver_sql(
                "INSERT INTO restaurants (id, org_id, title, address, shop_id, created_at)"
                f" VALUES ('{restaurant}', '{org}', 'R', '', {shop}, '{now}')"
            )
        conn.commit()

    on_connection(url, seed)
    migrate.upgrade(url)

    def shops(conn: Connection) -> dict[str, str | None]:
        rows = conn.exec_driver_sql("SELECT id, shop_id FROM restaurants").all()
        return {row[0]: row[1] for row in rows}

    assert on_connection(url, shops) == {
        "own": "shop_org_a",
        "none": None,
        "dangling": None,
        "foreign": None,
    }
    assert differences(url) == []


def test_a_backlog_is_claimed_from_the_pending_indexes_without_a_sort(url: str) -> None:
    """With a long delivered history ahead of a backlog of due messages (analysed, as a
    database that has run a while is), the worker's claims of the outbox and of webhook
    deliveries read their pending indexes in id order, with no sort of the backlog, and a
    cancel's look for an order's unsent ticket mail takes its own index."""
    from sqlalchemy import insert

    from kassa.store import journal, webhooks
    from kassa.store.tables import TICKET_MAIL_TOPIC, outbox, webhook_deliveries

    migrate.upgrade(url)
    now = datetime.now(UTC)
    history, backlog = 20_000, 3_000

    def message(n: int) -> dict[str, Any]:
        return {
            "topic": TICKET_MAIL_TOPIC if n % 2 else "order.cancelled",
            "org_id": "o" * 24,
            "order_id": f"{n:024d}",
            "payload": {},
            "created_at": now,
            "available_at": now,
            "attempts": 0,
            "delivered_at": now if n < history else None,
        }

    def delivery(n: int) -> dict[str, Any]:
        return {
            "endpoint_id": "e" * 24,
            "event_id": n,
            "topic": "order.cancelled",
            "payload": {},
            "state": "delivered" if n < history else "pending",
            "attempts": 0,
            "available_at": now,
            "created_at": now,
        }

    def plans(conn: Connection) -> list[str]:
        every = range(history + backlog)
        conn.execute(insert(outbox), [message(n) for n in every])
        conn.execute(insert(webhook_deliveries), [delivery(n) for n in every])
        conn.commit()
        sqlite = conn.dialect.name == "sqlite"
        conn.exec_driver_sql("ANALYZE" if sqlite else "ANALYZE outbox, webhook_deliveries")
        queries = [
            journal.claim_query(now, 50),
            webhooks.claim_query(now, 50, skip_locked=not sqlite),
            journal.unsent_query(f"{history + 1:024d}", TICKET_MAIL_TOPIC),
        ]
        explain = "EXPLAIN QUERY PLAN" if sqlite else "EXPLAIN"
        found = []
        for query in queries:
            compiled = query.compile(conn, compile_kwargs={"literal_binds": True})
            found.append(" ".join(str(r) for r in conn.exec_driver_sql(f"{explain} {compiled}")))
        return found

    outbox_claim, deliveries_claim, unsent = on_connection(url, plans)
    for plan, index in (
        (outbox_claim, "ix_outbox_pending"),
        (deliveries_claim, "ix_webhook_deliveries_due"),
    ):
        assert index in plan, plan
        assert "Sort" not in plan and "TEMP B-TREE" not in plan, plan
    assert "ix_outbox_unsent_ticket_mail" in unsent, unsent


def test_a_promo_list_hands_out_codes_from_its_index_without_a_sort(url: str) -> None:
    """A list of many free codes (analysed): the next free code is read in hand-out order
    from the list's index, first in or last in, with no sort of the list, and a device's
    code is found by the device's index."""
    from sqlalchemy import insert

    from kassa.core.promo_lists import PromoList
    from kassa.store.loyalty_codes import free_query, held_query
    from kassa.store.tables import loyalty_coupons

    migrate.upgrade(url)
    now = datetime.now(UTC)
    free, held = 20_000, 2_000

    def code(n: int) -> dict[str, Any]:
        out = n < held
        return {
            "id": f"{n:024d}",
            "shop_id": "s" * 32,
            "code": f"CODE{n}",
            "kind": "fixed",
            "value": Decimal("100.00"),
            "issued_by": "list:l1",
            "status": "active",
            "expires_at": now,
            "created_at": now,
            "list_id": "l1",
            "handed_out_at": now if out else None,
            "handed_out_to": f"device-{n}" if out else None,
        }

    def plans(conn: Connection) -> list[str]:
        conn.execute(insert(loyalty_coupons), [code(n) for n in range(free + held)])
        conn.commit()
        sqlite = conn.dialect.name == "sqlite"
        conn.exec_driver_sql("ANALYZE" if sqlite else "ANALYZE loyalty_coupons")
        explain = "EXPLAIN QUERY PLAN" if sqlite else "EXPLAIN"
        found = []
        for order in ("fifo", "lifo"):
            promo_list = PromoList("s" * 32, "l1", "List", "fixed", Decimal(100), order, now)
            for query in (
                free_query(promo_list, skip_locked=not sqlite),
                held_query(promo_list, "device-7"),
            ):
                compiled = query.compile(conn, compile_kwargs={"literal_binds": True})
                plan = conn.exec_driver_sql(f"{explain} {compiled}")
                found.append(" ".join(str(r) for r in plan))
        return found

    fifo, fifo_held, lifo, lifo_held = on_connection(url, plans)
    for plan in (fifo, lifo):
        assert "ix_loyalty_coupons_free" in plan, plan
        assert "Sort" not in plan and "TEMP B-TREE" not in plan, plan
    for plan in (fifo_held, lifo_held):
        assert "ix_loyalty_coupons_device" in plan, plan


def test_reads_of_a_long_history_use_their_indexes(url: str) -> None:
    """Each read below runs often (the kitchen board every 3 s, the worker's purge every pass,
    the monitoring scrape, the console's pages) over a table that keeps its history: with
    20,000 rows of history (analysed), each is served by its index, and the two pages read
    their rows in order from it (no sort of the shop's members or the decided requests)."""
    from sqlalchemy import insert

    from kassa.app.console import BOARD
    from kassa.core.selfservice import RequestStatus
    from kassa.store.delivery import orders_query
    from kassa.store.idempotency import purge_query
    from kassa.store.loyalty import members_query
    from kassa.store.ops import dead_count_query
    from kassa.store.selfservice import requests_query
    from kassa.store.selfservice_tables import cancellation_requests
    from kassa.store.tables import (
        delivery_orders,
        idempotency_keys,
        loyalty_members,
        loyalty_shops,
        webhook_deliveries,
    )

    migrate.upgrade(url)
    now = datetime.now(UTC)
    org, shop, n = _organisation(), "s" * 32, 20_000

    def fill(conn: Connection) -> None:
        conn.execute(insert(organisations), [org])
        shop_row = {"id": shop, "org_id": org["id"], "name": "S", "secret_hash": "h" * 64}
        conn.execute(insert(loyalty_shops), [{**shop_row, "program": {}, "created_at": now}])
        rows: dict[Any, list[dict[str, Any]]] = {
            delivery_orders: [],
            idempotency_keys: [],
            loyalty_members: [],
            webhook_deliveries: [],
            cancellation_requests: [],
        }
        for i in range(n):
            rows[delivery_orders].append(
                {"id": f"{i:024d}", "org_id": org["id"], "restaurant_id": "r", "eats_id": f"{i}"}
                | {"discriminator": "yandex", "status": "DELIVERED" if i > 20 else "NEW"}
                | {"request": {}, "lines": [], "dropped": [], "created_at": now, "updated_at": now}
            )
            rows[idempotency_keys].append(
                {"scope": "s", "key": f"k{i}", "fingerprint": "f", "state": "done"}
                | {"created_at": now}
            )
            rows[loyalty_members].append(
                {"id": f"{i:024d}", "shop_id": shop, "identifier": f"{i:011d}"}
                | {"referral_code": f"R{i}", "created_at": now}
            )
            rows[webhook_deliveries].append(
                {"endpoint_id": "e" * 24, "event_id": i, "topic": "order.cancelled"}
                | {"payload": {}, "state": "dead" if i < 5 else "delivered", "attempts": 1}
                | {"available_at": now, "created_at": now}
            )
            rows[cancellation_requests].append(
                {"id": f"{i:024d}", "order_id": f"{i:024d}", "org_id": org["id"]}
                | {"event_id": "e" * 24, "tickets": [], "status": "approved"}
                | {"requested_at": now}
            )
        for table, values in rows.items():
            conn.execute(insert(table), values)
        conn.commit()
        conn.exec_driver_sql("ANALYZE")

    def plans(conn: Connection) -> list[str]:
        fill(conn)
        explain = "EXPLAIN QUERY PLAN" if conn.dialect.name == "sqlite" else "EXPLAIN"
        decided = [RequestStatus.APPROVED, RequestStatus.DECLINED]
        queries = [
            orders_query(org["id"], BOARD),
            purge_query(datetime(2000, 1, 1, tzinfo=UTC), 500),
            dead_count_query(),
            members_query(shop, offset=0, limit=25),
            requests_query(org["id"], decided, 100),
        ]
        found = []
        for query in queries:
            compiled = query.compile(conn, compile_kwargs={"literal_binds": True})
            found.append(" ".join(str(r) for r in conn.exec_driver_sql(f"{explain} {compiled}")))
        return found

    board, purge, dead, members, decided = on_connection(url, plans)
    assert "ix_delivery_orders_kitchen" in board, board
    assert "ix_idempotency_keys_created" in purge, purge
    assert "ix_webhook_deliveries_dead" in dead, dead
    for plan, index in (
        (members, "ix_loyalty_members_shop_created"),
        (decided, "ix_cancellation_requests_org_requested"),
    ):
        assert index in plan, plan
        assert "Sort" not in plan and "TEMP B-TREE" not in plan, plan


def test_the_dashboard_reads_one_organisations_period_from_the_audit_index(url: str) -> None:
    """An organisation with a long history of audit rows (analysed): the dashboard's day by
    day counts of a recent period read that organisation's rows of the period from
    `ix_audit_log_org_at`, not every row of every order it ever had."""
    from datetime import timedelta

    from sqlalchemy import insert

    from kassa.core.console import OrderFilter
    from kassa.store.console import ConsoleRepo
    from kassa.store.tables import audit_log

    migrate.upgrade(url)
    now = datetime.now(UTC)
    org = _organisation()["id"]

    def row(n: int) -> dict[str, Any]:
        return {
            "order_id": f"{n:024d}",
            "org_id": org if n % 4 else "another-org",
            "at": now - timedelta(days=400 if n > 40 else 1),
            "actor": "seller",
            "action": "order.done",
            "from_status": "executed",
            "to_status": "done",
            "details": {},
        }

    def plan(conn: Connection) -> str:
        conn.execute(insert(audit_log), [row(n) for n in range(20_000)])
        conn.commit()
        sqlite = conn.dialect.name == "sqlite"
        conn.exec_driver_sql("ANALYZE" if sqlite else "ANALYZE audit_log")
        query = ConsoleRepo(None, is_sqlite=sqlite).daily_query(  # type: ignore[arg-type]
            OrderFilter(org), now - timedelta(days=30)
        )
        compiled = query.compile(conn, compile_kwargs={"literal_binds": True})
        explain = "EXPLAIN QUERY PLAN" if sqlite else "EXPLAIN"
        return " ".join(str(r) for r in conn.exec_driver_sql(f"{explain} {compiled}"))

    found = on_connection(url, plan)
    assert "ix_audit_log_org_at" in found, found


def test_audit_rows_take_their_orders_organisation(url: str) -> None:
    """0025 gives the audit rows already there their order's organisation: a ticket order's,
    a delivery order's, a loyalty order's shop's; a row whose order is nowhere keeps none."""
    from sqlalchemy import insert, select

    from kassa.store.tables import (
        audit_log,
        delivery_orders,
        events,
        loyalty_orders,
        loyalty_shops,
        orders,
    )

    migrate.upgrade(url, "0024_reads_of_history")
    now = datetime.now(UTC)
    stamps = {"created_at": now, "updated_at": now}

    def seed(conn: Connection) -> None:
        for org in ("org_a", "org_b"):
            conn.execute(insert(organisations), [{**_organisation(), "id": org}])
        conn.execute(
            insert(events),
            [
                {"id": "event", "org_id": "org_a", "title": "E", "starts_at": now}
                | {"ends_at": now, "timezone": "UTC", "status": "public", **stamps}
            ],
        )
        conn.execute(
            insert(orders),
            [
                {"id": "ticket", "event_id": "event", "org_id": "org_a", "vendor_id": "org_a"}
                | {"status": "done", "origin": "api", "customer": {}, "payment": {}}
                | {"reserved_till": now, **stamps}
            ],
        )
        conn.execute(
            insert(delivery_orders),
            [
                {"id": "delivery", "org_id": "org_b", "restaurant_id": "r", "eats_id": "1"}
                | {"discriminator": "yandex", "status": "NEW", "request": {}, "lines": []}
                | {"dropped": [], **stamps}
            ],
        )
        conn.execute(
            insert(loyalty_shops),
            [
                {"id": "shop", "org_id": "org_b", "name": "S", "secret_hash": "h", "program": {}}
                | {"created_at": now}
            ],
        )
        conn.execute(
            insert(loyalty_orders),
            [
                {"id": "loyalty", "shop_id": "shop", "order_id": "B-1", "status": "applied"}
                | {"request": {}, "result": {}, **stamps}
            ],
        )
        entry = {"at": now, "actor": "a", "action": "order.done", "details": {}}
        conn.execute(
            insert(audit_log),
            [{"order_id": o, **entry} for o in ("ticket", "delivery", "loyalty", "nowhere")],
        )
        conn.commit()

    on_connection(url, seed)
    migrate.upgrade(url)

    def found(conn: Connection) -> dict[str, str | None]:
        rows = conn.execute(select(audit_log.c.order_id, audit_log.c.org_id)).all()
        return {row[0]: row[1] for row in rows}

    assert on_connection(url, found) == {
        "ticket": "org_a",
        "delivery": "org_b",
        "loyalty": "org_b",
        "nowhere": None,
    }
