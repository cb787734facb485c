"""Hot-path statements as plain SQL on the driver's connection, without SQLAlchemy.

Building a SQLAlchemy statement, generating its cache key, executing it through the dialect and
wrapping its rows cost more CPU per request than the database spends running it (the profile
in BENCHMARKS.md). The few statements every reserve and cancel runs are therefore written
once here as SQL text with numbered parameters (`$1`; on SQLite the same text with `?1`), and
the values are encoded for the driver here, as the column types would have done:

- PostgreSQL (asyncpg, with SQLAlchemy's codecs on the connection): JSON as text, times
  aware UTC, Decimal as it is;
- SQLite: JSON as text, times naive UTC in SQLAlchemy's storage format, Decimal as a string.

`Tx` runs these on the same connection and in the same transaction as everything else.
"""

import functools
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import orjson
from sqlalchemy import JSON, Table

from kassa.store.types import ExactDecimal, UTCDateTime


def _decimal(value: Any) -> Any:
    if isinstance(value, Decimal):
        return orjson.Fragment(str(value))
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


def json_dumps(value: Any) -> str:
    """JSON columns keep Decimal amounts exact: written as JSON numbers, read back as Decimal."""
    return orjson.dumps(value, default=_decimal).decode()


# One decoder for every JSON column read: `json.loads` with `parse_float` builds a new
# decoder at each call (five per order read).
_DECODER = json.JSONDecoder(parse_float=Decimal)


def json_loads(text: str | bytes) -> Any:
    if not isinstance(text, str):  # bytes: JSON is UTF-8 (RFC 8259), as `json.loads` reads it
        return json.loads(text, parse_float=Decimal)
    return _DECODER.decode(text)


PARAM = re.compile(r"\$(\d+)")


@dataclass(frozen=True)
class Sql:
    """One statement: its text with `$n` parameters, and the table it writes (if any)."""

    text: str
    table: str | None = None
    insert: bool = False


def renumber(text: str, offset: int) -> str:
    return PARAM.sub(lambda m: f"${int(m[1]) + offset}", text) if offset else text


@functools.lru_cache(maxsize=256)
def combined(texts: tuple[str, ...], counts: tuple[int, ...]) -> str:
    """Several writes as ONE PostgreSQL statement of data-modifying CTEs."""
    parts: list[str] = []
    offset = 0
    for text, count in zip(texts, counts, strict=True):
        parts.append(renumber(text, offset))
        offset += count
    *first, last = parts
    if not first:
        return last
    ctes = ", ".join(f"w{i} AS ({text})" for i, text in enumerate(first))
    return f"WITH {ctes} {last}"


@functools.lru_cache(maxsize=256)
def for_sqlite(text: str) -> str:
    return PARAM.sub(lambda m: f"?{m[1]}", text)


def _kinds(table: Table) -> dict[str, str]:
    kinds = {}
    for column in table.c:
        if isinstance(column.type, JSON):
            kinds[column.name] = "json"
        elif isinstance(column.type, UTCDateTime):
            kinds[column.name] = "time"
        elif isinstance(column.type, ExactDecimal):
            kinds[column.name] = "decimal"
    return kinds


_KINDS: dict[str, dict[str, str]] = {}


def kinds_of(table: Table) -> dict[str, str]:
    found = _KINDS.get(table.name)
    if found is None:
        found = _KINDS[table.name] = _kinds(table)
    return found


def encode(kind: str | None, value: Any, *, sqlite: bool) -> Any:
    """A value as the driver takes it for a column of `kind` (see the module's docstring)."""
    if kind == "json":  # None too: SQLAlchemy's JSON writes it as JSON null
        return json_dumps(value)
    if value is None or kind is None:
        return value
    if kind == "time":
        if not isinstance(value, datetime) or value.tzinfo is None:
            raise ValueError("naive datetime: times must be timezone-aware")
        value = value.astimezone(UTC)
        return value.strftime("%Y-%m-%d %H:%M:%S.%f") if sqlite else value
    if kind == "decimal" and sqlite:
        return str(value) if isinstance(value, Decimal) else value
    return value


def decode_time(value: Any) -> datetime | None:
    """A time read back by raw SQL: aware UTC on both databases."""
    if value is None:
        return None
    moment: datetime = datetime.fromisoformat(value) if isinstance(value, str) else value
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def required_time(value: Any) -> datetime:
    """`decode_time` of a NOT NULL column."""
    moment = decode_time(value)
    assert moment is not None
    return moment


def decode_json(value: Any) -> Any:
    """JSON read back by raw SQL: asyncpg's codec already parsed it; SQLite gives text."""
    if isinstance(value, str):
        return json_loads(value)
    return value


@functools.lru_cache(maxsize=256)
def insert_text(table: str, columns: tuple[str, ...], rows: int, returning: str = "") -> str:
    width = len(columns)
    values = ", ".join(
        "(" + ", ".join(f"${r * width + c + 1}" for c in range(width)) + ")" for r in range(rows)
    )
    names = ", ".join(f'"{c}"' for c in columns)
    tail = f" RETURNING {returning}" if returning else ""
    # Table and column names from the table definitions, never from input.
    return f'INSERT INTO "{table}" ({names}) VALUES {values}{tail}'  # noqa: S608


def insert(
    table: Table, rows: Sequence[dict[str, Any]], *, sqlite: bool, returning: str = ""
) -> tuple[Sql, list[Any]]:
    """A multi-row INSERT of `rows` (all with the same keys) and its encoded arguments."""
    columns = tuple(rows[0])
    kinds = kinds_of(table)
    args = [encode(kinds.get(c), row[c], sqlite=sqlite) for row in rows for c in columns]
    text = insert_text(table.name, columns, len(rows), returning)
    return Sql(text, table.name, insert=True), args


@functools.lru_cache(maxsize=64)
def _pg_casts(table: Table) -> dict[str, str]:
    from sqlalchemy.dialects import postgresql

    dialect = postgresql.dialect()  # type: ignore[no-untyped-call]
    return {c.name: c.type.compile(dialect=dialect) for c in table.c}


def insert_select(
    table: Table,
    row: dict[str, Any],
    first: int,
    *,
    where: str,
    exprs: dict[str, str] | None = None,
    tail: str = "",
) -> tuple[str, list[Any]]:
    """`INSERT INTO table (...) SELECT $first::type, ... WHERE <where>` for PostgreSQL (typed
    parameters: a SELECT list does not take the target columns' types) and its arguments.

    `exprs` wraps a column's parameter in an SQL expression (`{}` is where the typed
    parameter goes; an expression without `{}` takes no parameter, and the row's value for
    that column is not sent); `tail` follows the statement (a RETURNING clause)."""
    text, sent = _insert_select_text(
        table, tuple(row), first, where, tuple(sorted((exprs or {}).items())), tail
    )
    kinds = kinds_of(table)
    return text, [encode(kinds.get(c), row[c], sqlite=False) for c in sent]


@functools.lru_cache(maxsize=256)
def _insert_select_text(
    table: Table,
    columns: tuple[str, ...],
    first: int,
    where: str,
    exprs: tuple[tuple[str, str], ...],
    tail: str,
) -> tuple[str, tuple[str, ...]]:
    """`insert_select`'s text (it depends on the columns only, not on the values) and the
    columns whose values are sent, in the order of their parameters."""
    casts = _pg_casts(table)
    wrapped = dict(exprs)
    values: list[str] = []
    sent: list[str] = []
    for c in columns:
        expr = wrapped.get(c, "{}")
        if "{}" in expr:
            expr = expr.format(f"${first + len(sent)}::{casts[c]}")
            sent.append(c)
        values.append(expr)
    names = ", ".join(f'"{c}"' for c in columns)
    params = ", ".join(values)
    # Names and types from the table definitions, expressions from this package, never input.
    text = f'INSERT INTO "{table.name}" ({names}) SELECT {params} WHERE {where}'
    return text + (f" {tail}" if tail else ""), tuple(sent)


@functools.lru_cache(maxsize=64)
def update_text(table: str, key: str, columns: tuple[str, ...]) -> str:
    sets = ", ".join(f'"{c}" = ${i + 2}' for i, c in enumerate(columns))
    # Table and column names from the table definitions, never from input.
    return f'UPDATE "{table}" SET {sets} WHERE "{key}" = $1'  # noqa: S608


def update(
    table: Table, key: str, value: Any, values: dict[str, Any], *, sqlite: bool
) -> tuple[Sql, list[Any]]:
    """`UPDATE table SET <values> WHERE key = value` and its encoded arguments."""
    columns = tuple(values)
    kinds = kinds_of(table)
    args = [value] + [encode(kinds.get(c), values[c], sqlite=sqlite) for c in columns]
    return Sql(update_text(table.name, key, columns), table.name), args


def _quoted(text: str) -> str | None:
    # A standard string (standard_conforming_strings on: `Tx` checks): only the quote is
    # special, and is doubled. No NUL: PostgreSQL's text has none.
    return None if "\x00" in text else "'" + text.replace("'", "''") + "'"


def _element(value: Any) -> str | None:
    """One element of an array's text form (`{"a","b"}`), or None if it has no such form here."""
    if value is None:
        return "NULL"
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        return None
    text = str(value)
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _time(value: datetime) -> str | None:
    if value.tzinfo is None:
        return None
    if value.tzinfo is not UTC:
        value = value.astimezone(UTC)
    return f"'{value.isoformat()}'"


def _array(value: Sequence[Any]) -> str | None:
    elements = [_element(v) for v in value]
    if None in elements:
        return None
    return _quoted("{" + ",".join(elements) + "}")  # type: ignore[arg-type]


def _number(value: int | Decimal) -> str:
    return f"'{value}'"


def _boolean(value: bool) -> str:
    return "'true'" if value else "'false'"


# By exact type: a hot path's arguments are these, and one lookup is cheaper than a chain of
# isinstance (a cancel's last writes have about 35 arguments).
_LITERAL_OF: dict[type, Any] = {
    str: _quoted,
    type(None): lambda _: "NULL",
    datetime: _time,
    int: _number,
    Decimal: _number,
    bool: _boolean,
    list: _array,
    tuple: _array,
}


def pg_literal(value: Any) -> str | None:
    """`value`, as asyncpg would send it as a parameter, written as a PostgreSQL literal for
    `EXECUTE name(...)` (the server reads it with the parameter's type's input function, as it
    reads a parameter in text form); None for a value with no literal here (the caller then
    sends it as a parameter). Times must be aware (a naive one would be read in the server's
    zone); money is Decimal (never float)."""
    write = _LITERAL_OF.get(type(value))
    if write is not None:
        return write(value)  # type: ignore[no-any-return]
    if isinstance(value, (int, Decimal)):  # an int enum, say (bool has no subclass)
        return _number(value)
    if isinstance(value, str):  # a str enum, say
        return _quoted(value)
    if isinstance(value, datetime):
        return _time(value)
    return None


def pg_literals(values: Sequence[Any]) -> str | None:
    """The arguments of `EXECUTE name(...)`, or None if one of `values` has no literal."""
    found = [pg_literal(v) for v in values]
    if None in found:
        return None
    return ", ".join(found)  # type: ignore[arg-type]
