"""The connection a unit of work's repositories share, with staged writes.

A command's last writes (the order's lines, the ticket moves of a cancel, the audit row, the
outbox message) need no answer from the database. Repositories `stage` them instead of
executing them; the stage is flushed before the next read and at commit. On PostgreSQL a
flush of several statements is ONE round trip: the statements become data-modifying CTEs of
a single statement (`WITH w0 AS (UPDATE ...), w1 AS (INSERT ...) INSERT ...`). On SQLite,
where there is no network, they simply run one after another.

Hot paths may also run plain SQL (`kassa.store.raw`): `fetch` reads, `stage_sql` stages a
write. On PostgreSQL they run on the asyncpg connection itself, in the same transaction, and a
flush of raw writes is one statement of CTEs too; on SQLite a whole flush is ONE call in the
driver's thread. Driver errors are raised as SQLAlchemy's, so callers see one kind of error
whichever path ran. At commit, a flush of raw writes goes with the COMMIT in ONE round trip
once its statement is PREPAREd on the connection (`Tx.commit`).

Statements inside one PostgreSQL statement share a snapshot and do not see each other's
changes, so a statement on a table that already has a staged UPDATE or DELETE (or an UPDATE
after a staged INSERT) flushes the stage first: the result is always what running them one by
one would give. Only INSERTs into the same table are combined.
"""

import contextlib
import weakref
from collections.abc import Callable, Sequence
from typing import Any, TypeVar, TypeVarTuple, overload

import asyncpg
from sqlalchemy import CursorResult, Delete, Insert, Update
from sqlalchemy import exc as sa_exc
from sqlalchemy.engine import ScalarResult
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.sql import Executable
from sqlalchemy.sql.selectable import TypedReturnsRows

from kassa.store.raw import Sql, combined, for_sqlite, pg_literals

_T = TypeVar("_T")
_Ts = TypeVarTuple("_Ts")

Staged = Insert | Update | Delete


class RawWrite:
    __slots__ = ("args", "sql")

    def __init__(self, sql: Sql, args: Sequence[Any]) -> None:
        self.sql = sql
        self.args = args


# A write transaction's statements run on PostgreSQL's generic plan, made once per prepared
# statement and connection, instead of a custom plan made at every execution: the statements
# here look rows up by key, where the two plans are the same, and planning was a fifth of
# PostgreSQL's CPU in a cancel (BENCHMARKS.md, seventh pass). Read-only units of work (the
# console's searches and lists, whose best plan can depend on the values) keep the default.
_GENERIC = "SET LOCAL plan_cache_mode = force_generic_plan"
# The BEGIN of a write transaction for the adapter's isolation level (None: the server's
# default), as asyncpg would send it, with the setting above in the same round trip.
_BEGIN = {
    None: f"BEGIN; {_GENERIC}",
    "read_committed": f"BEGIN ISOLATION LEVEL READ COMMITTED; {_GENERIC}",
}


# SQL-level prepared statements (PREPARE) of each PostgreSQL connection: statement text -> name.
# `EXECUTE name(literals)` goes in a simple query beside BEGIN or COMMIT, in the same round trip
# (asyncpg's own prepared statements need a round trip of their own: it does not pipeline),
# and PostgreSQL neither parses nor plans the statement again (BENCHMARKS.md, eighth pass).
# PREPARE is outside transactions (an aborted one keeps it), so it is sent alone, outside one:
# a name is known here only once the server has it.
_NAMED: "weakref.WeakKeyDictionary[Any, dict[str, str | None]]" = weakref.WeakKeyDictionary()
_MAX_NAMED = 200  # per connection: the hot paths use a few dozen


def _named(connection: Any, text: str) -> str | None:
    names = _NAMED.get(connection)
    return None if names is None else names.get(text)


async def _prepare(connection: Any, text: str) -> None:
    """PREPARE `text` on `connection` (outside a transaction), once: a statement tried before
    on this connection, whatever came of it, is not tried again (so a failure cannot cost a
    round trip per command), and neither is one past `_MAX_NAMED`. Errors are the caller's."""
    names = _NAMED.setdefault(connection, {})
    if text in names or len(names) >= _MAX_NAMED:
        return
    name = f"kassa_{len(names) + 1}"
    names[text] = None
    await connection.execute(f"PREPARE {name} AS {text}")
    names[text] = name


def _executed(connection: Any, text: str, args: Sequence[Any]) -> str | None:
    """`EXECUTE name(literals)` of `text` prepared on `connection`, or None (not prepared,
    an argument without a literal, or a server whose strings would read a literal otherwise)."""
    name = _named(connection, text)
    if name is None or connection.get_settings().standard_conforming_strings != "on":
        return None
    if not args:
        return f"EXECUTE {name}"
    literals = pg_literals(args)
    return None if literals is None else f"EXECUTE {name}({literals})"


def _ensure_committed(status: str) -> None:
    """PostgreSQL answers a COMMIT of a failed transaction with ROLLBACK: raise then."""
    if status != "COMMIT":
        raise asyncpg.InFailedSQLTransactionError(f"COMMIT ended in {status}")


def _joined(writes: Sequence[RawWrite]) -> tuple[str, list[Any]]:
    """Raw writes as ONE statement of data-modifying CTEs, and its arguments."""
    text = combined(tuple(w.sql.text for w in writes), tuple(len(w.args) for w in writes))
    return text, [a for w in writes for a in w.args]


class _Begun:
    """The transaction a `Tx.begin_locking` query began, held by SQLAlchemy's asyncpg adapter
    as it holds asyncpg's own: something to commit or to roll back."""

    __slots__ = ("_connection",)

    def __init__(self, connection: Any) -> None:
        self._connection = connection

    async def commit(self) -> None:
        _ensure_committed(await self._connection.execute("COMMIT"))

    async def rollback(self) -> None:
        await self._connection.execute("ROLLBACK")


def _refuse_write(statement: object) -> None:
    # On PostgreSQL a read-only unit of work runs without a transaction block (`UnitOfWork`):
    # a write there would be committed at once, whatever the command did next.
    raise RuntimeError(f"a write in a read-only unit of work: {statement}")


class Tx:
    def __init__(
        self, conn: AsyncConnection, adapter: Any, *, is_sqlite: bool, read_only: bool = False
    ) -> None:
        self.conn = conn
        self.adapter = adapter  # the driver connection's SQLAlchemy adapter
        self.is_sqlite = is_sqlite
        self.read_only = read_only  # a read-only unit of work: writes are a programming error
        # Sets whose waiting list this transaction has seen empty since its last change here
        # (read with an order: `kassa.store.orders_hot.one`; used by `WaitlistRepo`).
        self.unwaited: set[str] = set()
        # Events' starts and policies read with an order (`orders_hot.one(..., policy=True)`),
        # each taken once by `PoliciesRepo.of_event`.
        self.event_policies: dict[str, Any] = {}
        # Promo codes (None: no such code) read with an order, by (event, code key), each
        # taken once by `PromoRepo.by_code`.
        self.promocodes_ahead: dict[tuple[str, str], Any] = {}
        self._staged: list[Staged | RawWrite] = []
        self._tables: dict[str, bool] = {}  # table -> only INSERTs staged on it so far

    @overload
    async def execute(  # type: ignore[overload-overlap]
        self, statement: TypedReturnsRows[*_Ts], parameters: Any = None
    ) -> CursorResult[*_Ts]: ...

    @overload
    async def execute(self, statement: Executable, parameters: Any = None) -> CursorResult[Any]: ...

    async def execute(self, statement: Executable, parameters: Any = None) -> CursorResult[Any]:
        if self.read_only and isinstance(statement, Staged):
            _refuse_write(statement)
        await self.flush()
        await self._driver()  # our BEGIN, not the one SQLAlchemy would send lazily
        return await self.conn.execute(statement, parameters)

    @overload
    async def scalar(self, statement: TypedReturnsRows[_T]) -> _T | None: ...

    @overload
    async def scalar(self, statement: Executable) -> Any: ...

    async def scalar(self, statement: Executable) -> Any:
        await self.flush()
        await self._driver()
        return await self.conn.scalar(statement)

    @overload
    async def scalars(self, statement: TypedReturnsRows[_T]) -> ScalarResult[_T]: ...

    @overload
    async def scalars(self, statement: Executable) -> ScalarResult[Any]: ...

    async def scalars(self, statement: Executable) -> ScalarResult[Any]:
        await self.flush()
        await self._driver()
        return await self.conn.scalars(statement)

    async def stage(self, statement: Staged) -> None:
        """Run `statement` later, with the other staged ones, before any read or the commit."""
        if self.read_only:
            _refuse_write(statement)
        table = statement.table.name  # type: ignore[union-attr]
        await self._note(table, isinstance(statement, Insert))
        self._staged.append(statement)

    async def stage_sql(self, sql: Sql, args: Sequence[Any]) -> None:
        """`stage` for a plain SQL write of `kassa.store.raw`."""
        assert sql.table is not None
        if self.read_only:
            _refuse_write(sql.text)
        await self._note(sql.table, sql.insert)
        self._staged.append(RawWrite(sql, args))

    async def _note(self, table: str, insert_only: bool) -> None:
        if table in self._tables and not (insert_only and self._tables[table]):
            await self.flush()
        self._tables[table] = self._tables.get(table, True) and insert_only

    async def fetch(self, sql: Sql, args: Sequence[Any]) -> list[Any]:
        """Rows (tuples) of a plain SQL statement, after the staged writes."""
        await self.flush()
        return await self._run(sql.text, args, rows=True)

    async def fetch_whole(self, sql: Sql, args: Sequence[Any]) -> list[Any]:
        """PostgreSQL: rows of a statement that is the command's whole work. When nothing ran
        in the unit of work yet, it runs alone, outside a transaction block (one statement
        is atomic by itself): no BEGIN and no COMMIT round trips, and the unit of work's
        commit and rollback then have nothing to send. Otherwise it runs in the transaction
        like `fetch`, and the commit sends COMMIT as usual."""
        assert not self.is_sqlite
        await self.flush()
        adapter = self.adapter
        if adapter._transaction is not None or adapter.isolation_level == "autocommit":
            return await self._run(sql.text, args, rows=True)
        try:
            return list(await adapter._connection.fetch(sql.text, *args))
        except Exception as error:
            raise translated(adapter, error, sql.text, args) from error

    async def begin_locking(self, sql: Sql, args: Sequence[str | None]) -> bool | None:
        """PostgreSQL, when a unit of work's first statement locks a row: BEGIN and the lock in
        ONE round trip (a simple query: BEGIN, then `EXECUTE` of the lock, PREPAREd on the
        connection the first time, with the arguments as literals). Whether a row was locked;
        None when it cannot go this way (SQLite, read-only, a transaction already begun or
        writes staged, an argument without a literal): the caller then locks the usual way."""
        if self.is_sqlite or self.read_only or self._staged:
            return None
        adapter = self.adapter
        begin = _BEGIN.get(adapter.isolation_level)
        if adapter._transaction is not None or begin is None:
            return None
        connection = adapter._connection
        try:
            await _prepare(connection, sql.text)
        except Exception as error:
            raise translated(adapter, error, sql.text, args) from error
        execute = _executed(connection, sql.text, args)
        if execute is None:
            return None
        status = await self._begin(f"{begin}; {execute}", sql.text, args)
        return int(status.rsplit(" ", 1)[-1]) > 0

    async def _begin(self, query: str, text: str, args: Sequence[Any]) -> str:
        """PostgreSQL: send `query`, which begins the transaction (and may go on); the status
        of its last statement. From here on the unit of work ends the transaction, even when
        `query` failed after its BEGIN (a refused lock). `text` and `args` name it in errors."""
        adapter = self.adapter
        connection = adapter._connection
        adapter._transaction = _Begun(connection)
        try:
            return str(await connection.execute(query))
        except Exception as error:
            raise translated(adapter, error, text, args) from error

    async def locked(self, sql: Sql, args: Sequence[str | None]) -> bool:
        """Whether the row lock `sql` found its row: with the BEGIN when it can
        (`begin_locking`), else as any statement."""
        first = await self.begin_locking(sql, args)
        return first if first is not None else bool(await self.fetch(sql, args))

    async def sqlite_call(self, work: Callable[[Any], _T]) -> _T:
        """SQLite: `work(connection)` in ONE call to the driver's thread, in the transaction;
        `work` runs statements on the `sqlite3` connection and must not block on anything else."""
        assert self.is_sqlite
        await self.flush()
        adapter = await self._driver()
        driver = adapter._connection
        try:
            result: _T = await driver._execute(work, driver._conn)
        except Exception as error:
            raise translated(
                adapter, error, getattr(work, "__name__", "sqlite_call"), ()
            ) from error
        return result

    async def fetch_batch(self, statements: list[tuple[Sql, Sequence[Any]]]) -> list[list[Any]]:
        """SQLite only: several statements in ONE call to the driver's thread, the rows of each."""
        assert self.is_sqlite
        await self.flush()
        return await self._sqlite_calls([(for_sqlite(sql.text), args) for sql, args in statements])

    async def flush(self) -> None:
        staged, self._staged = self._staged, []
        self._tables = {}
        if not staged:
            return
        # Consecutive statements of one kind go together, in the order they were staged.
        group: list[Any] = []
        for entry in staged:
            if group and isinstance(entry, RawWrite) != isinstance(group[0], RawWrite):
                await self._flush_group(group)
                group = []
            group.append(entry)
        await self._flush_group(group)

    async def _flush_group(self, group: list[Any]) -> None:
        if isinstance(group[0], RawWrite):
            await self._flush_raw(group)
        elif self.is_sqlite or len(group) == 1:
            for statement in group:
                await self.conn.execute(statement)
        else:
            *first, last = group
            combined_ = last.add_cte(*(s.cte(f"w{i}") for i, s in enumerate(first)))
            await self.conn.execute(combined_)

    async def _flush_raw(self, writes: list[RawWrite]) -> None:
        if self.is_sqlite:
            await self._sqlite_batch([(for_sqlite(w.sql.text), w.args) for w in writes])
            return
        text, args = _joined(writes)
        await self._run(text, args, rows=False)

    async def commit(self) -> None:
        """PostgreSQL: flush the staged writes and COMMIT the driver's transaction (if one
        began) on the driver itself, without a hop into SQLAlchemy's greenlet; the SQLAlchemy
        connection's own transaction then has nothing left to end. When the last writes are
        plain SQL already PREPAREd on the connection, they and the COMMIT go in ONE round
        trip (`EXECUTE ...; COMMIT`); else they are flushed, committed, and PREPAREd after
        the commit, for the next time."""
        assert not self.is_sqlite
        adapter = self.adapter
        last = self._last_writes()
        if last is not None and await self._commit_executing(*last):
            return
        await self.flush()
        if adapter._transaction is None:
            return
        try:
            await adapter._call_and_discard(adapter._transaction.commit)
        except Exception as error:
            raise translated(adapter, error, "COMMIT", ()) from error
        if last is not None:
            with contextlib.suppress(Exception):  # committed: the next time goes the usual way
                await _prepare(adapter._connection, last[0])

    def _last_writes(self) -> tuple[str, list[Any]] | None:
        """The staged writes as one statement and its arguments, when they are all plain SQL
        in the unit of work's own transaction (begun by `_begin`)."""
        staged = self._staged
        if not staged or not isinstance(self.adapter._transaction, _Begun):
            return None
        writes = [w for w in staged if isinstance(w, RawWrite)]
        return _joined(writes) if len(writes) == len(staged) else None

    async def _commit_executing(self, text: str, args: list[Any]) -> bool:
        """The staged writes and the COMMIT in one simple query; False (nothing sent) when
        the statement is not PREPAREd on the connection or cannot take these arguments."""
        adapter = self.adapter
        connection = adapter._connection
        execute = _executed(connection, text, args)
        if execute is None:
            return False
        self._staged, self._tables = [], {}
        try:
            status = await connection.execute(f"{execute}; COMMIT")
        except Exception as error:
            # The transaction is still open (a statement that fails ends the simple query
            # before its COMMIT): the unit of work rolls it back.
            raise translated(adapter, error, text, args) from error
        adapter._transaction = None
        try:
            _ensure_committed(status)
        except asyncpg.InFailedSQLTransactionError as failed:
            raise translated(adapter, failed, "COMMIT", ()) from failed
        return True

    async def _driver(self) -> Any:
        """The driver's connection adapter, with the unit of work's transaction begun (on
        PostgreSQL by `_BEGIN`, where SQLAlchemy's adapter would send a plain BEGIN lazily,
        before its first statement)."""
        adapter = self.adapter
        if self.is_sqlite or adapter._transaction is not None:
            return adapter
        begin = _BEGIN.get(adapter.isolation_level)
        if begin is None:  # autocommit (a read-only unit of work), or a level not in _BEGIN
            await adapter._start_transaction()
            return adapter
        await self._begin(begin, begin, ())
        return adapter

    async def _run(self, text: str, args: Sequence[Any], *, rows: bool) -> list[Any]:
        if self.is_sqlite:
            return await self._sqlite_batch([(for_sqlite(text), args)], rows=rows)
        adapter = await self._driver()
        try:
            if rows:
                return list(await adapter._connection.fetch(text, *args))
            await adapter._connection.execute(text, *args)
            return []
        except Exception as error:
            raise translated(adapter, error, text, args) from error

    async def _sqlite_batch(
        self, statements: list[tuple[str, Sequence[Any]]], *, rows: bool = False
    ) -> list[Any]:
        """Statements in ONE call to aiosqlite's thread; the rows of the last if `rows`."""
        found = await self._sqlite_calls(statements, rows=rows)
        return found[-1]

    async def _sqlite_calls(
        self, statements: list[tuple[str, Sequence[Any]]], *, rows: bool = True
    ) -> list[list[Any]]:
        adapter = await self._driver()
        driver = adapter._connection

        def run() -> list[list[Any]]:
            found: list[list[Any]] = []
            for text, args in statements:
                cursor = driver._conn.execute(text, tuple(args))
                found.append(cursor.fetchall() if rows else [])
                cursor.close()
            return found

        try:
            result: list[list[Any]] = await driver._execute(run)
        except Exception as error:
            raise translated(adapter, error, statements[-1][0], statements[-1][1]) from error
        return result


def translated(adapter: Any, error: Exception, text: str, args: Sequence[Any]) -> Exception:
    """A driver error as SQLAlchemy would have raised it (the same classes and sqlstate)."""
    try:
        adapter._handle_exception(error)
    except Exception as dbapi_error:  # the adapter raises the DBAPI-level translation
        return sa_exc.DBAPIError.instance(text, list(args), dbapi_error, adapter.dbapi.Error)
    return error
