"""Engines and the unit of work: one transaction per command, rolled back unless committed."""

import asyncio
import contextlib
from types import TracebackType
from typing import Any, Self

import asyncpg
from sqlalchemy import event
from sqlalchemy import exc as sa_exc
from sqlalchemy.engine import URL, Connection, make_url
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine
from sqlalchemy.pool import QueuePool
from sqlalchemy.util import await_, greenlet_spawn

from kassa.core.errors import DatabaseUnavailable
from kassa.store.raw import json_dumps as json_dumps
from kassa.store.raw import json_loads as json_loads
from kassa.store.repos import Repositories
from kassa.store.tx import Tx, translated

SQLITE_BUSY_TIMEOUT_MS = 30_000
PG_LOCK_TIMEOUT_MS = 5_000
# The connection budget of one process (see README, "Connection budget"): at most
# pool_size + max_overflow connections; a request waits POOL_TIMEOUT_S for one, then 503.
POOL_SIZE = 15
MAX_OVERFLOW = 0
POOL_TIMEOUT_S = 10.0
CONNECT_TIMEOUT_S = 5.0
# SQLSTATEs meaning "no connection for you now", not "your SQL is wrong": too many
# connections (53300), the server is starting or shutting down (57P01-57P03), and class 08.
_UNAVAILABLE_STATES = ("53300", "57P01", "57P02", "57P03", "08")


def normalize_url(url: str) -> URL:
    """Accept plain `postgresql://` and `sqlite:///` URLs and pick the async drivers."""
    parsed = make_url(url)
    if parsed.drivername in ("postgresql", "postgres", "postgresql+psycopg", "postgresql+psycopg2"):
        parsed = parsed.set(drivername="postgresql+asyncpg")
    elif parsed.drivername == "sqlite":
        parsed = parsed.set(drivername="sqlite+aiosqlite")
    return parsed


class Database:
    """One engine per process; SQLite gets immediate write transactions and a busy timeout."""

    def __init__(
        self,
        url: str,
        *,
        pool_size: int = POOL_SIZE,
        max_overflow: int = MAX_OVERFLOW,
        pool_timeout: float = POOL_TIMEOUT_S,
    ) -> None:
        self.url = normalize_url(url)
        self.is_sqlite = self.url.get_backend_name() == "sqlite"
        self.engine: AsyncEngine = (
            self._sqlite_engine()
            if self.is_sqlite
            else self._postgres_engine(pool_size, max_overflow, pool_timeout)
        )
        # SQLite has one writer at a time. Writers of this process queue here, so they wait
        # without polling; the busy timeout only arbitrates between processes.
        self.sqlite_writer = asyncio.Lock()

    def _postgres_engine(self, pool_size: int, max_overflow: int, timeout: float) -> AsyncEngine:
        settings = {"lock_timeout": str(PG_LOCK_TIMEOUT_MS), "application_name": "kassa"}
        return create_async_engine(
            self.url,
            json_serializer=json_dumps,
            json_deserializer=json_loads,
            pool_size=pool_size,
            max_overflow=max_overflow,
            pool_timeout=timeout,
            pool_pre_ping=False,
            connect_args={"server_settings": settings, "timeout": CONNECT_TIMEOUT_S},
        )

    def _sqlite_engine(self) -> AsyncEngine:
        engine = create_async_engine(
            self.url,
            connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000},
            # Every unit of work ends its transaction itself (commit, or rollback on exit): a
            # second rollback when the connection goes back to the pool would be one more hop
            # to the driver's thread per command, for nothing.
            pool_reset_on_return=None,
            json_serializer=json_dumps,
            json_deserializer=json_loads,
        )
        event.listen(engine.sync_engine, "connect", _sqlite_on_connect)
        event.listen(engine.sync_engine, "begin", _sqlite_on_begin)
        return engine

    def pool_use(self) -> tuple[int, int]:
        """(connections checked out of this process's pool now, the most it may open)."""
        pool = self.engine.pool
        if not isinstance(pool, QueuePool):  # pragma: no cover - every engine here pools
            return 0, 0
        # The pool keeps its overflow limit private; the budget is what README documents.
        budget = pool.size() + max(getattr(pool, "_max_overflow", 0), 0)
        return pool.checkedout(), budget

    def unit_of_work(self, *, write: bool = True) -> "UnitOfWork":
        """A transaction; `write=False` for reads that never take the SQLite write lock."""
        return UnitOfWork(self, write=write)

    async def dispose(self) -> None:
        await self.engine.dispose()


def is_unavailable(error: BaseException, *, connecting: bool = False) -> bool:
    """Whether `error` says the database is out of reach or out of connections (503), rather
    than that a statement failed (a bug or a conflict, which must not pass for an outage)."""
    if isinstance(error, sa_exc.TimeoutError):  # every pooled connection stayed busy
        return True
    if isinstance(error, sa_exc.DBAPIError):
        if error.connection_invalidated:
            return True
        state = getattr(error.orig, "sqlstate", None) or getattr(error.orig, "pgcode", None)
        if isinstance(state, str):
            return state.startswith(_UNAVAILABLE_STATES)
        if connecting and isinstance(error, sa_exc.InterfaceError):
            return True
        return _lost_connection(error.orig)
    return isinstance(error, (OSError, TimeoutError))  # refused, unreachable, DNS, timed out


def _lost_connection(orig: BaseException | None) -> bool:
    """The driver's own words for a connection that went away under a statement."""
    cause = orig.__cause__ if orig is not None else None
    gone = (OSError, TimeoutError, asyncpg.ConnectionDoesNotExistError)
    return isinstance(orig, gone) or isinstance(cause, gone)


def _sqlite_on_connect(dbapi_connection: Any, _record: Any) -> None:
    # Take transaction control from the driver so BEGIN IMMEDIATE can be issued ourselves.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def _sqlite_on_begin(conn: Any) -> None:
    # Writers take the lock at BEGIN, so two writers never deadlock upgrading a read lock:
    # the second one waits its turn (busy timeout) instead of failing "database is locked".
    write = conn.get_execution_options().get("kassa_write", True)
    statement = "BEGIN IMMEDIATE" if write else "BEGIN"
    # One call in aiosqlite's thread (a cursor through SQLAlchemy costs three).
    adapter = conn.connection.dbapi_connection
    driver = adapter._connection
    try:
        await_(driver._execute(_run_closed, driver._conn, statement))
    except Exception as error:
        raise translated(adapter, error, statement, ()) from error


def _run_closed(connection: Any, statement: str) -> None:
    connection.execute(statement).close()


class UnitOfWork(Repositories):
    """`async with db.unit_of_work() as uow: ...; await uow.commit()`; no commit, no change."""

    def __init__(self, db: Database, *, write: bool) -> None:
        self._db = db
        self._write = write
        self._committed = False

    async def __aenter__(self) -> Self:
        self._serialized = self._db.is_sqlite and self._write
        if self._serialized:
            await self._db.sqlite_writer.acquire()
        try:
            # One hop into SQLAlchemy's greenlet for the whole opening (each hop costs a
            # greenlet and its frame stack: BENCHMARKS.md, sixth pass).
            sync, adapter = await greenlet_spawn(self._open)
        except BaseException:
            if self._serialized:
                self._db.sqlite_writer.release()
            raise
        self._conn = AsyncConnection(self._db.engine, sync)
        self.tx = Tx(self._conn, adapter, is_sqlite=self._db.is_sqlite, read_only=not self._write)
        super().__init__(self.tx, is_sqlite=self._db.is_sqlite)
        return self

    def _open(self) -> tuple[Connection, Any]:
        """(In SQLAlchemy's greenlet.) A pooled connection in a new transaction, and its
        driver adapter; DatabaseUnavailable when none comes."""
        try:
            conn = self._db.engine.sync_engine.connect()
        except Exception as error:
            if is_unavailable(error, connecting=True):
                raise DatabaseUnavailable(_UNAVAILABLE) from error
            raise
        try:
            if self._db.is_sqlite:
                conn.execution_options(kassa_write=self._write)
            elif not self._write:
                # Under READ COMMITTED (PostgreSQL's default, and Kassa's) every statement
                # takes its own snapshot inside a transaction as well: a read-only unit of
                # work gains nothing from BEGIN ... ROLLBACK but two round trips. `Tx`
                # refuses writes in it, so nothing can be committed statement by statement.
                conn.execution_options(isolation_level="AUTOCOMMIT")
            conn.begin()
            return conn, conn.connection.dbapi_connection
        except BaseException as error:
            with contextlib.suppress(Exception):
                conn.close()
            if isinstance(error, sa_exc.DBAPIError) and is_unavailable(error):
                raise DatabaseUnavailable(_UNAVAILABLE) from error
            raise

    async def commit(self) -> None:
        if self._db.is_sqlite:
            await self.tx.flush()
            await self._conn.commit()
        else:
            # On the driver (`Tx.commit`): the last writes and the COMMIT in one round trip
            # when they can; nothing to send when the command's one statement ran outside a
            # transaction block (`Tx.fetch_whole`): closing the connection ends SQLAlchemy's.
            await self.tx.commit()
        self._committed = True

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        # A connection lost mid-command is an outage (503), not a failed statement: only
        # SQLAlchemy's own errors are judged, never what the command's other code raised.
        lost = isinstance(exc, (sa_exc.DBAPIError, sa_exc.TimeoutError)) and is_unavailable(exc)
        try:
            await greenlet_spawn(self._close, lost)
        finally:
            if self._serialized:
                self._db.sqlite_writer.release()
        if lost:
            raise DatabaseUnavailable(_UNAVAILABLE) from exc

    def _close(self, lost: bool) -> None:
        """(In SQLAlchemy's greenlet.) Roll back what was not committed, give the connection
        back to the pool."""
        conn = self._conn.sync_connection
        assert conn is not None
        try:
            if not self._committed:
                conn.rollback()
        except (sa_exc.SQLAlchemyError, OSError):  # the lost connection cannot roll back
            if not lost:
                raise
        finally:
            if lost:
                with contextlib.suppress(Exception):  # a dead connection: the pool drops it
                    conn.close()
            else:
                conn.close()


_UNAVAILABLE = "The database is unavailable or busy; nothing was changed, try again shortly"
