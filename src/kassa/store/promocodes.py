"""Promo codes and their uses. A limited code's use is taken by one conditional UPDATE of its
row, so its last use can never be taken twice, in any process; the uses of a code without a
limit, and every give-back, are counted on the code's use rows (`kassa.store.promocode_tables`)."""

import secrets
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError

from kassa.core.errors import PromoCodeTaken
from kassa.core.promocodes import DiscountKind, PromoCode, code_key
from kassa.store import raw
from kassa.store.promocode_tables import SHARDS, promocode_uses
from kassa.store.tables import promocodes
from kassa.store.tx import Tx


class PromoRepo:
    def __init__(self, conn: Tx) -> None:
        self._conn = conn

    async def add(self, promo: PromoCode, now: datetime) -> None:
        try:
            await self._conn.execute(
                promocodes.insert().values(**_row(promo), used=0, created_at=now, updated_at=now)
            )
        except IntegrityError as exc:
            raise PromoCodeTaken(f"Promocode {promo.code} already exists") from exc

    async def update(self, promo: PromoCode, now: datetime) -> None:
        try:
            await self._conn.execute(
                update(promocodes)
                .where(promocodes.c.id == promo.id)
                .values(**_row(promo), updated_at=now)
            )
        except IntegrityError as exc:
            raise PromoCodeTaken(f"Promocode {promo.code} already exists") from exc

    async def get(self, promo_id: str) -> PromoCode | None:
        row = (await self._conn.execute(_counted().where(promocodes.c.id == promo_id))).first()
        return _promo(row._mapping) if row else None

    async def many(self, ids: Iterable[str]) -> dict[str, PromoCode]:
        wanted = sorted(set(ids))
        if not wanted:
            return {}
        # Plain SQL (`kassa.store.raw`): an order's change reads its code on every PATCH.
        sqlite = self._conn.is_sqlite
        ids_arg = raw.json_dumps(wanted) if sqlite else wanted
        rows = await self._conn.fetch(MANY_SQLITE if sqlite else MANY, [ids_arg])
        found = [_raw_promo(row) for row in rows]
        return {promo.id: promo for promo in found}

    async def by_code(self, event_id: str, code: str) -> PromoCode | None:
        """The event's code (any case); read with the order when the order's read named it
        (taken once), else now."""
        key = (event_id, code_key(code))
        if key in self._conn.promocodes_ahead:
            ahead: PromoCode | None = self._conn.promocodes_ahead.pop(key)
            return ahead
        rows = await self._conn.fetch(BY_CODE, [event_id, key[1]])
        return _raw_promo(rows[0]) if rows else None

    async def of_event(self, event_id: str) -> list[PromoCode]:
        rows = await self._conn.execute(
            _counted()
            .where(promocodes.c.event_id == event_id)
            .order_by(promocodes.c.created_at, promocodes.c.id)
        )
        return [_promo(row._mapping) for row in rows]

    async def take_use(self, promo: PromoCode) -> bool:
        """Take one use, unless the limit is reached. A code with a limit: one conditional
        UPDATE of its row, no read first. A code without: counted on one of its use rows
        (`kassa.store.promocode_tables`), staged with the command's other writes."""
        if promo.usage_limit is None:
            await self._conn.stage_sql(COUNT_USE, [promo.id, secrets.randbelow(SHARDS), 1])
            return True
        return bool(await self._conn.fetch(TAKE_USE, [promo.id]))

    async def give_back_use(self, promo_id: str) -> None:
        """The reverse of take_use, counted on one of the code's use rows (limited or not: a
        code's uses are its row's count plus theirs), so no give-back waits on the code's row.
        Staged: it goes in the command's one statement of writes."""
        await self._conn.stage_sql(COUNT_USE, [promo_id, secrets.randbelow(SHARDS), -1])


# A use (n = 1) or a give-back (n = -1) on one of the code's use rows.
COUNT_USE = raw.Sql(
    "INSERT INTO promocode_uses (promo_id, shard, n) VALUES ($1, $2, $3) "
    "ON CONFLICT (promo_id, shard) DO UPDATE SET n = promocode_uses.n + excluded.n",
    "promocode_uses",
)
_USES = "COALESCE((SELECT SUM(u.n) FROM promocode_uses u WHERE u.promo_id = promocodes.id), 0)"
# The conditional UPDATE of `take_use`; a row comes back only when a use was taken. Uses
# given back on the use rows (never more than were taken) count against the limit too.
TAKE_USE = raw.Sql(
    "UPDATE promocodes SET used = used + 1 WHERE id = $1 "  # noqa: S608 (this module's SQL)
    f"AND (usage_limit IS NULL OR used + {_USES} < usage_limit) RETURNING id",
    "promocodes",
)
_COLUMNS = [c.name for c in promocodes.c]
# Column names from the table definition, never from input; `used` counts the use rows too.
_SELECT = (
    "SELECT "  # noqa: S608
    + ", ".join(f'"used" + {_USES}' if c == "used" else f'"{c}"' for c in _COLUMNS)
    + " FROM promocodes"
)
BY_CODE = raw.Sql(_SELECT + " WHERE event_id = $1 AND code_key = $2")
# The same code as columns of a statement that reads an order (`orders_hot`, joined on
# `o.event_id`, the key in $2): a change that names a code reads it with the order, in one
# round trip (`OrdersRepo.lock(..., promocode=)`), for `by_code` to take.
AHEAD_COLUMNS = ", ".join(
    f'promocodes."used" + {_USES}' if c == "used" else f'promocodes."{c}"' for c in _COLUMNS
)
AHEAD_JOIN = (
    " LEFT OUTER JOIN promocodes ON promocodes.event_id = o.event_id AND promocodes.code_key = $2"
)
AHEAD_WIDTH = len(_COLUMNS)


def promo_ahead(values: Sequence[Any]) -> PromoCode | None:
    """The code from `AHEAD_COLUMNS`' values; None when the event has no such code."""
    return _raw_promo(values) if values[0] is not None else None


MANY = raw.Sql(_SELECT + " WHERE id = ANY($1::varchar[])")
MANY_SQLITE = raw.Sql(_SELECT + " WHERE id IN (SELECT value FROM json_each($1))")  # noqa: S608


def _row(promo: PromoCode) -> dict[str, Any]:
    return {
        "id": promo.id,
        "org_id": promo.org_id,
        "event_id": promo.event_id,
        "code": promo.code,
        "code_key": promo.key,
        "discount_kind": promo.kind.value,
        "discount_value": promo.value,
        "starts_at": promo.starts_at,
        "finishes_at": promo.finishes_at,
        "set_ids": list(promo.set_ids),
        "min_tickets": promo.min_tickets,
        "max_tickets": promo.max_tickets,
        "usage_limit": promo.usage_limit,
        "viral": promo.viral,
        "active": promo.active,
    }


def _raw_promo(values: Sequence[Any]) -> PromoCode:
    """A promo code from a row of plain SQL (`_COLUMNS`)."""
    return _promo(dict(zip(_COLUMNS, values, strict=True)))


def _promo(row: Mapping[Any, Any]) -> PromoCode:
    """A promo code from its row's values, decoded as the column types would (plain SQL on
    SQLite gives the amount and JSON as text, times naive, booleans as 0/1; values
    SQLAlchemy already decoded pass through)."""
    return PromoCode(
        id=row["id"],
        org_id=row["org_id"],
        event_id=row["event_id"],
        code=row["code"],
        kind=DiscountKind(row["discount_kind"]),
        value=Decimal(row["discount_value"]),
        starts_at=raw.decode_time(row["starts_at"]),
        finishes_at=raw.decode_time(row["finishes_at"]),
        set_ids=tuple(raw.decode_json(row["set_ids"]) or ()),
        min_tickets=row["min_tickets"],
        max_tickets=row["max_tickets"],
        usage_limit=row["usage_limit"],
        used=row["used"],
        viral=bool(row["viral"]),
        active=bool(row["active"]),
    )


def _counted() -> Any:
    """SELECT of whole codes, `used` with the uses counted on their use rows."""
    uses = (
        select(func.coalesce(func.sum(promocode_uses.c.n), 0))
        .where(promocode_uses.c.promo_id == promocodes.c.id)
        .scalar_subquery()
    )
    columns = [(c + uses).label("used") if c.name == "used" else c for c in promocodes.c]
    return select(*columns)
