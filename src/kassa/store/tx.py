"""The connection a unit of work's repositories share, with staged writes.

A command's last writes (the order's lines, the ticket moves of a cancel, the audit row, the
outbox message) need no answer from the database. Repositories `stage` them instead of
executing them; the stage is flushed before the next read and at commit. On PostgreSQL a
flush of several statements is ONE round trip: the statements become data-modifying CTEs of
a single statement (`WITH w0 AS (UPDATE ...), w1 AS (INSERT ...) INSERT ...`). On SQLite,
where there is no network, they simply run one after another.

Statements inside one PostgreSQL statement share a snapshot and do not see each other's
changes, so a statement on a table that already has a staged UPDATE or DELETE (or an UPDATE
after a staged INSERT) flushes the stage first: the result is always what running them one by
one would give. Only INSERTs into the same table are combined.
"""

from typing import Any, TypeVar, TypeVarTuple, overload

from sqlalchemy import CursorResult, Delete, Insert, Update
from sqlalchemy.engine import ScalarResult
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.sql import Executable
from sqlalchemy.sql.selectable import TypedReturnsRows

_T = TypeVar("_T")
_Ts = TypeVarTuple("_Ts")

Staged = Insert | Update | Delete


class Tx:
    def __init__(self, conn: AsyncConnection, *, is_sqlite: bool) -> None:
        self.conn = conn
        self.is_sqlite = is_sqlite
        self._staged: list[Staged] = []
        self._tables: dict[str, bool] = {}  # table -> only INSERTs staged on it so far

    @overload
    async def execute(  # type: ignore[overload-overlap]
        self, statement: TypedReturnsRows[*_Ts], parameters: Any = None
    ) -> CursorResult[*_Ts]: ...

    @overload
    async def execute(self, statement: Executable, parameters: Any = None) -> CursorResult[Any]: ...

    async def execute(self, statement: Executable, parameters: Any = None) -> CursorResult[Any]:
        await self.flush()
        return await self.conn.execute(statement, parameters)

    @overload
    async def scalar(self, statement: TypedReturnsRows[_T]) -> _T | None: ...

    @overload
    async def scalar(self, statement: Executable) -> Any: ...

    async def scalar(self, statement: Executable) -> Any:
        await self.flush()
        return await self.conn.scalar(statement)

    @overload
    async def scalars(self, statement: TypedReturnsRows[_T]) -> ScalarResult[_T]: ...

    @overload
    async def scalars(self, statement: Executable) -> ScalarResult[Any]: ...

    async def scalars(self, statement: Executable) -> ScalarResult[Any]:
        await self.flush()
        return await self.conn.scalars(statement)

    async def stage(self, statement: Staged) -> None:
        """Run `statement` later, with the other staged ones, before any read or the commit."""
        table = statement.table.name  # type: ignore[union-attr]
        insert_only = isinstance(statement, Insert)
        if table in self._tables and not (insert_only and self._tables[table]):
            await self.flush()
        self._staged.append(statement)
        self._tables[table] = self._tables.get(table, True) and insert_only

    async def flush(self) -> None:
        staged, self._staged = self._staged, []
        self._tables = {}
        if not staged:
            return
        if self.is_sqlite or len(staged) == 1:
            for statement in staged:
                await self.conn.execute(statement)
            return
        *first, last = staged
        combined = last.add_cte(*(s.cte(f"w{i}") for i, s in enumerate(first)))
        await self.conn.execute(combined)
