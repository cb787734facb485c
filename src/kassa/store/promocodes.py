"""Promo codes and their uses. A use is taken and given back by one conditional UPDATE each,
so the last use of a limited code can never be taken twice, in any process."""

from collections.abc import Iterable
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Row, or_, select, update
from sqlalchemy.exc import IntegrityError

from kassa.core.errors import PromoCodeTaken
from kassa.core.promocodes import DiscountKind, PromoCode, code_key
from kassa.store import raw
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
        row = (
            await self._conn.execute(select(promocodes).where(promocodes.c.id == promo_id))
        ).first()
        return _promo(row) if row else None

    async def many(self, ids: Iterable[str]) -> dict[str, PromoCode]:
        wanted = sorted(set(ids))
        if not wanted:
            return {}
        rows = await self._conn.execute(select(promocodes).where(promocodes.c.id.in_(wanted)))
        return {row.id: _promo(row) for row in rows}

    async def by_code(self, event_id: str, code: str) -> PromoCode | None:
        row = (
            await self._conn.execute(
                select(promocodes).where(
                    promocodes.c.event_id == event_id, promocodes.c.code_key == code_key(code)
                )
            )
        ).first()
        return _promo(row) if row else None

    async def of_event(self, event_id: str) -> list[PromoCode]:
        rows = await self._conn.execute(
            select(promocodes)
            .where(promocodes.c.event_id == event_id)
            .order_by(promocodes.c.created_at, promocodes.c.id)
        )
        return [_promo(row) for row in rows]

    async def take_use(self, promo_id: str) -> bool:
        """Take one use, unless the limit is reached: one atomic statement, no read first."""
        result = await self._conn.execute(
            update(promocodes)
            .where(
                promocodes.c.id == promo_id,
                or_(
                    promocodes.c.usage_limit.is_(None),
                    promocodes.c.used < promocodes.c.usage_limit,
                ),
            )
            .values(used=promocodes.c.used + 1)
        )
        return bool(result.rowcount)

    async def give_back_use(self, promo_id: str) -> None:
        """The reverse of take_use; never below zero."""
        # Plain SQL: staged with a cancel's other writes, it goes in their one statement.
        await self._conn.stage_sql(GIVE_BACK_USE, [promo_id])


GIVE_BACK_USE = raw.Sql(
    "UPDATE promocodes SET used = used - 1 WHERE id = $1 AND used > 0", "promocodes"
)


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


def _promo(row: Row[Any]) -> PromoCode:
    return PromoCode(
        id=row.id,
        org_id=row.org_id,
        event_id=row.event_id,
        code=row.code,
        kind=DiscountKind(row.discount_kind),
        value=Decimal(row.discount_value),
        starts_at=row.starts_at,
        finishes_at=row.finishes_at,
        set_ids=tuple(row.set_ids or ()),
        min_tickets=row.min_tickets,
        max_tickets=row.max_tickets,
        usage_limit=row.usage_limit,
        used=row.used,
        viral=row.viral,
        active=row.active,
    )
