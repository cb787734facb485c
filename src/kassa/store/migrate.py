"""Schema migrations: Alembic scripts in `migrations/`, run from code (no alembic.ini needed).

`upgrade(url)` is for sync callers (the CLI); `await upgrade_async(url)` for code already in
an event loop. Both take the same URLs as `Database` (plain `sqlite:///` and `postgresql://`).

Several processes may migrate at once (`kassa serve --workers 2`, a worker, the CLI). On
PostgreSQL they queue on one session-level advisory lock; on SQLite every migration
transaction starts with BEGIN IMMEDIATE, so they queue on the database's write lock. Either
way the next process reads the version table only after the previous one committed, and
finds nothing left to do.
"""

import asyncio
import contextlib
from collections.abc import Callable, Coroutine
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypeVar

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import event, text
from sqlalchemy.engine import Connection
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from sqlalchemy.pool import NullPool

from kassa.store.db import SQLITE_BUSY_TIMEOUT_MS, normalize_url
from kassa.store.tables import metadata

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
# The pg_advisory_lock key every migrating process queues on (b"kassa-mg" as a bigint).
PG_MIGRATION_LOCK_KEY = int.from_bytes(b"kassa-mg", "big")

T = TypeVar("T")


def alembic_config(connection: Connection | None = None) -> Config:
    """An Alembic config pointing at the packaged scripts; env.py migrates `connection`."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("path_separator", "os")
    config.attributes["connection"] = connection
    return config


def head() -> str:
    """The newest revision the packaged scripts know."""
    revision = ScriptDirectory.from_config(alembic_config()).get_current_head()
    if revision is None:  # pragma: no cover - the package always ships 0001
        raise RuntimeError("no migration scripts found")
    return revision


def context_options(dialect_name: str) -> dict[str, Any]:
    """Options for Alembic's MigrationContext, shared by env.py and schema comparisons."""
    return {
        "target_metadata": metadata,
        "compare_type": True,
        # SQLite cannot ALTER most things: Alembic rebuilds the table instead ("batch").
        "render_as_batch": dialect_name == "sqlite",
        # True on SQLite too: migration_engine() hands transaction control to SQLAlchemy
        # (BEGIN IMMEDIATE), so DDL there is transactional and a failed step leaves no trace.
        "transactional_ddl": True,
        "include_object": _comparable,
    }


# Expression indexes: PostgreSQL reflects their SQL in its own words and SQLite not at all,
# so autogenerate cannot compare them; tests/store/test_migrations.py checks them directly.
EXPRESSION_INDEXES = frozenset(
    {"ix_orders_buyer_email", "ix_orders_buyer_phone", "ix_delivery_orders_phone"}
)


def _comparable(obj: Any, name: str | None, type_: str, reflected: bool, compare_to: Any) -> bool:
    return not (type_ == "index" and name in EXPRESSION_INDEXES)


def migration_engine(url: str) -> AsyncEngine:
    """An engine for migrating: no pool, no lock timeout, and foreign keys left to the DDL.

    Unlike `Database`, SQLite foreign keys stay OFF here: a batch migration drops and
    recreates tables, which must not cascade into or be refused by the rows that point at them.
    """
    parsed = normalize_url(url)
    if parsed.get_backend_name() == "sqlite":
        engine = create_async_engine(
            parsed,
            poolclass=NullPool,
            connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000},
        )
        event.listen(engine.sync_engine, "connect", _sqlite_on_connect)
        event.listen(engine.sync_engine, "begin", _sqlite_on_begin)
        return engine
    return create_async_engine(
        parsed,
        poolclass=NullPool,
        connect_args={"server_settings": {"application_name": "kassa-migrate"}},
    )


def _sqlite_on_connect(dbapi_connection: Any, _record: Any) -> None:
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cursor.close()


def _sqlite_on_begin(conn: Any) -> None:
    conn.exec_driver_sql("BEGIN IMMEDIATE")


async def run_with_connection(url: str, work: Callable[[Connection], T]) -> T:
    """Run `work` on a sync connection to `url`, holding the migration lock on PostgreSQL.

    `work` commits what it means to keep (Alembic does); the rest is rolled back.
    """
    engine = migration_engine(url)
    try:
        async with engine.connect() as conn:
            postgres = conn.dialect.name == "postgresql"
            if postgres:
                # Waits (no timeout) while another process migrates. Committed at once, so
                # Alembic gets a connection outside any transaction and manages its own.
                lock = text("SELECT pg_advisory_lock(:key)")
                await conn.execute(lock, {"key": PG_MIGRATION_LOCK_KEY})
                await conn.commit()
            try:
                return await conn.run_sync(work)
            finally:
                if postgres:
                    # Closing the connection (NullPool) releases the lock anyway; this just
                    # does it promptly, and must not hide the error that brought us here.
                    with contextlib.suppress(SQLAlchemyError):
                        await conn.rollback()
                        unlock = text("SELECT pg_advisory_unlock(:key)")
                        await conn.execute(unlock, {"key": PG_MIGRATION_LOCK_KEY})
                        await conn.commit()
    finally:
        await engine.dispose()


async def upgrade_async(url: str, revision: str = "head") -> None:
    """Bring the schema at `url` up to `revision`, from inside a running event loop."""

    def work(connection: Connection) -> None:
        command.upgrade(alembic_config(connection), revision)

    await run_with_connection(url, work)


async def downgrade_async(url: str, revision: str) -> None:
    """Take the schema at `url` down to `revision` ("base": nothing left but the version table)."""

    def work(connection: Connection) -> None:
        command.downgrade(alembic_config(connection), revision)

    await run_with_connection(url, work)


async def current_async(url: str) -> str | None:
    """The revision the database at `url` is at; None if it was never migrated."""

    def work(connection: Connection) -> str | None:
        return MigrationContext.configure(connection).get_current_revision()

    engine = migration_engine(url)
    try:
        async with engine.connect() as conn:
            return await conn.run_sync(work)
    finally:
        await engine.dispose()


def upgrade(url: str, revision: str = "head") -> None:
    """Bring the schema at `url` up to `revision` (sync: for the CLI and process start-up)."""
    _run(upgrade_async(url, revision))


def downgrade(url: str, revision: str) -> None:
    """Take the schema at `url` down to `revision` (sync)."""
    _run(downgrade_async(url, revision))


def current(url: str) -> str | None:
    """The revision the database at `url` is at; None if it was never migrated (sync)."""
    return _run(current_async(url))


def _run(coro: Coroutine[Any, Any, T]) -> T:
    """Run to completion on a loop of its own; inside a running loop, on another thread.

    The loop is never made the thread's current one, so a caller's loop (the CLI's, a test
    runner's) is left as it was.
    """
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return _run_on_new_loop(coro)
    with ThreadPoolExecutor(1, thread_name_prefix="kassa-migrate") as pool:
        return pool.submit(_run_on_new_loop, coro).result()


def _run_on_new_loop(coro: Coroutine[Any, Any, T]) -> T:
    with asyncio.Runner(loop_factory=asyncio.new_event_loop) as runner:
        return runner.run(coro)
