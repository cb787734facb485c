"""On PostgreSQL a write unit of work sends its last writes with its COMMIT, in one round trip:
`EXECUTE name(literals); COMMIT`, the writes PREPAREd on the connection the first time they
were committed (`kassa.store.tx`). The literals must read back as the very values asyncpg
would have sent; a write that fails there leaves nothing written and the connection clean;
and the order lock, EXECUTEd with the BEGIN, still refuses a change in flight."""

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import asyncpg
import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from kassa.app import demo
from kassa.store.db import Database
from kassa.store.raw import Sql, pg_literal
from kassa.store.tx import _NAMED
from tests.api.helpers import create_order, get_order, order_url

ODD = [
    "",
    "plain",
    "it's",
    "''",
    "\\",
    "\\'",
    "'; DROP TABLE orders; --",
    "$1 $$ $q$",
    "new\nline\ttab\r",
    "ünïcødé ☃ 🎟",
    "E'\\x41'",
    '{"json": ["a", 1.50, null]}',
]
NOTE = Sql(
    "INSERT INTO kassa_fold_probe (id, note, amount, at) VALUES ($1, $2, $3, $4)",
    "kassa_fold_probe",
    insert=True,
)


@pytest.fixture
async def one_connection(database_url: str, backend: str) -> AsyncIterator[Database]:
    """A pool of one connection, so every unit of work below runs on the same one, and a
    table of its own to write."""
    if backend == "sqlite":
        pytest.skip("SQLite runs in-process: there is no round trip to save")
    database = Database(database_url, pool_size=1, max_overflow=0)
    async with database.engine.begin() as conn:
        await conn.execute(text("DROP TABLE IF EXISTS kassa_fold_probe"))
        await conn.execute(
            text(
                "CREATE TABLE kassa_fold_probe (id integer PRIMARY KEY, note text NOT NULL, "
                "amount numeric(12, 2), at timestamptz)"
            )
        )
    yield database
    async with database.engine.begin() as conn:
        await conn.execute(text("DROP TABLE kassa_fold_probe"))
    await database.dispose()


@pytest.fixture
async def raw(database_url: str, backend: str) -> AsyncIterator[asyncpg.Connection]:
    if backend == "sqlite":
        pytest.skip("PostgreSQL's literals")
    conn = await asyncpg.connect(database_url.replace("postgresql+asyncpg", "postgresql"))
    yield conn
    await conn.close()


@pytest.mark.parametrize(
    ("value", "kind"),
    [
        *[(v, "text") for v in ODD],
        (None, "text"),
        (0, "bigint"),
        (-(2**62), "bigint"),
        (True, "boolean"),
        (False, "boolean"),
        (Decimal("1234.50"), "numeric"),
        (Decimal("-0.01"), "numeric"),
        (Decimal("1E+3"), "numeric"),
        (datetime(2026, 11, 30, 18, 1, 2, 345678, tzinfo=UTC), "timestamptz"),
        (
            datetime(2026, 3, 29, 2, 30, tzinfo=timezone(timedelta(hours=-9, minutes=-30))),
            "timestamptz",
        ),
        ([], "varchar[]"),
        (ODD, "varchar[]"),
        (["a", None, "b,c", "{d}", "NULL"], "varchar[]"),
    ],
)
async def test_a_literal_reads_back_as_the_parameter_would(
    raw: asyncpg.Connection, value: Any, kind: str
) -> None:
    literal = pg_literal(value)
    assert literal is not None
    as_parameter = await raw.fetchval(f"SELECT $1::{kind}", value)
    assert await raw.fetchval(f"SELECT {literal}::{kind}") == as_parameter


def test_values_without_a_literal_go_as_parameters() -> None:
    assert pg_literal("nul\x00") is None
    assert pg_literal(datetime(2026, 11, 30)) is None  # naive: the server's zone would read it
    assert pg_literal(1.5) is None  # never money; no float is written this way
    assert pg_literal(["a", 1.5]) is None
    assert pg_literal(b"bytes") is None


async def notes(db: Database) -> list[tuple[Any, ...]]:
    async with db.engine.connect() as conn:
        rows = await conn.execute(
            text("SELECT id, note, amount, at FROM kassa_fold_probe ORDER BY id")
        )
        return [tuple(r) for r in rows]


async def write(db: Database, *rows: list[Any]) -> None:
    async with db.unit_of_work() as uow:
        await uow.tx.fetch(Sql("SELECT 1"), [])  # the transaction is begun, as a command's is
        for row in rows:
            await uow.tx.stage_sql(NOTE, row)
        await uow.commit()


async def test_the_last_writes_go_with_the_commit_and_a_failure_leaves_nothing(
    one_connection: Database,
) -> None:
    db = one_connection
    at = datetime(2026, 11, 30, 18, 0, tzinfo=UTC)
    await write(db, [1, "first: prepared after its commit", Decimal("1.50"), at])
    # PREPAREd now: the same statement goes as EXECUTE ...; COMMIT from here on.
    [prepared] = [names for names in _NAMED.values() if NOTE.text in names]
    before = dict(prepared)
    await write(db, [2, "it's; COMMIT; --", Decimal("2.25"), at])
    assert prepared == before  # nothing more was prepared: it was EXECUTEd
    with pytest.raises(IntegrityError):  # the key is taken: the EXECUTE fails, not COMMITted
        await write(db, [3, "one", None, None], [1, "taken", None, None])
    await write(db, [4, "the connection is clean after it", None, at])
    assert await notes(db) == [
        (1, "first: prepared after its commit", Decimal("1.50"), at),
        (2, "it's; COMMIT; --", Decimal("2.25"), at),
        (4, "the connection is clean after it", None, at),
    ]


async def test_a_change_in_flight_is_still_refused_and_the_order_then_cancels(
    db: Database, client: httpx.AsyncClient, seller: dict[str, str], backend: str
) -> None:
    if backend == "sqlite":
        pytest.skip("SQLite has one writer at a time: no order is ever held beside a change")
    first = await create_order(client, seller, demo.EVENT_ID, random={demo.STALLS_SET_ID: 1})
    mine = await create_order(client, seller, demo.EVENT_ID, random={demo.STALLS_SET_ID: 1})
    done = await client.delete(order_url(first["id"]), headers=seller)
    assert done.status_code == 200, done.text  # the lock and the cancel's writes are PREPAREd
    async with db.engine.connect() as in_flight:
        await in_flight.execute(
            text("SELECT id FROM orders WHERE id = :id FOR UPDATE"), {"id": mine["id"]}
        )
        for _ in range(3):
            busy = await client.delete(order_url(mine["id"]), headers=seller)
            assert busy.status_code == 409, busy.text
        await in_flight.rollback()
    done = await client.delete(order_url(mine["id"]), headers=seller)
    assert done.status_code == 200, done.text
    assert (await get_order(client, seller, mine["id"]))[
        "status"
    ] == "canceled"  # the v1 wire spelling
