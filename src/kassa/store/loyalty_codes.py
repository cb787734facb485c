"""Storage of the loyalty face's one-time codes and of the shops' CDP orders."""

from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Row, insert, select, update

from kassa.core.cdp_orders import CdpOrder
from kassa.core.loyalty_codes import CodeKind, OneTimeCode
from kassa.store.loyalty_tables import cdp_order_versions, cdp_orders, loyalty_codes
from kassa.store.tx import Tx


class LoyaltyCodesRepo:
    def __init__(self, conn: Tx) -> None:
        self._conn = conn

    async def add(self, code: OneTimeCode) -> None:
        await self._conn.execute(
            insert(loyalty_codes).values(
                id=code.id,
                shop_id=code.shop_id,
                identifier=code.identifier,
                kind=code.kind.value,
                event=code.event,
                salt=code.salt,
                code_hash=code.code_hash,
                attempts=code.attempts,
                expires_at=code.expires_at,
                used_at=code.used_at,
                created_at=code.created_at,
            )
        )

    async def latest(
        self, shop_id: str, identifier: str, kind: CodeKind, event: str, *, lock: bool = False
    ) -> OneTimeCode | None:
        """The newest code of (shop, identifier, kind, event): the only one that can match."""
        query = (
            select(loyalty_codes)
            .where(
                loyalty_codes.c.shop_id == shop_id,
                loyalty_codes.c.identifier == identifier,
                loyalty_codes.c.kind == kind.value,
                loyalty_codes.c.event == event,
            )
            .order_by(loyalty_codes.c.created_at.desc(), loyalty_codes.c.id.desc())
            .limit(1)
        )
        if lock:
            query = query.with_for_update()
        row = (await self._conn.execute(query)).first()
        return _code(row) if row is not None else None

    async def retire(
        self, shop_id: str, identifier: str, kind: CodeKind, event: str, now: datetime
    ) -> None:
        """Every open code of (shop, identifier, kind, event) expires now: a new one replaces
        them."""
        await self._conn.execute(
            update(loyalty_codes)
            .where(
                loyalty_codes.c.shop_id == shop_id,
                loyalty_codes.c.identifier == identifier,
                loyalty_codes.c.kind == kind.value,
                loyalty_codes.c.event == event,
                loyalty_codes.c.used_at.is_(None),
                loyalty_codes.c.expires_at > now,
            )
            .values(expires_at=now)
        )

    async def count_attempt(self, code_id: str) -> None:
        await self._conn.execute(
            update(loyalty_codes)
            .where(loyalty_codes.c.id == code_id)
            .values(attempts=loyalty_codes.c.attempts + 1)
        )

    async def use(self, code_id: str, now: datetime) -> bool:
        """Mark the code used; False if another call used it first."""
        done = await self._conn.execute(
            update(loyalty_codes)
            .where(loyalty_codes.c.id == code_id, loyalty_codes.c.used_at.is_(None))
            .values(used_at=now)
        )
        return bool(done.rowcount)

    # CDP orders
    async def cdp_order(
        self, shop_id: str, order_id: str, *, lock: bool = False
    ) -> CdpOrder | None:
        query = select(cdp_orders).where(
            cdp_orders.c.shop_id == shop_id, cdp_orders.c.id == order_id
        )
        if lock:
            query = query.with_for_update()
        row = (await self._conn.execute(query)).first()
        return _cdp(row) if row is not None else None

    async def save_cdp_order(
        self, order: CdpOrder, body: dict[str, Any], now: datetime, *, new: bool
    ) -> None:
        values = {
            "status": order.status,
            "state": order.state.value,
            "channel": order.channel,
            "customer": order.customer,
            "total": order.total,
            "items": order.items,
            "fields": order.fields,
            "status_at": order.status_at,
            "updated_at": now,
        }
        if new:
            await self._conn.execute(
                insert(cdp_orders).values(
                    shop_id=order.shop_id, id=order.id, created_at=now, **values
                )
            )
        else:
            await self._conn.execute(
                update(cdp_orders)
                .where(cdp_orders.c.shop_id == order.shop_id, cdp_orders.c.id == order.id)
                .values(**values)
            )
        await self._conn.execute(
            insert(cdp_order_versions).values(
                shop_id=order.shop_id,
                order_id=order.id,
                status=order.status,
                state=order.state.value,
                body=body,
                at=now,
            )
        )

    async def cdp_versions(self, shop_id: str, order_id: str) -> list[dict[str, Any]]:
        rows = await self._conn.execute(
            select(cdp_order_versions)
            .where(
                cdp_order_versions.c.shop_id == shop_id,
                cdp_order_versions.c.order_id == order_id,
            )
            .order_by(cdp_order_versions.c.seq)
        )
        return [{"status": r.status, "state": r.state, "at": r.at, "body": r.body} for r in rows]


def _code(r: Row[Any]) -> OneTimeCode:
    return OneTimeCode(
        r.id,
        r.shop_id,
        r.identifier,
        CodeKind(r.kind),
        r.event,
        r.salt,
        r.code_hash,
        r.attempts,
        r.expires_at,
        r.used_at,
        r.created_at,
    )


def _cdp(r: Row[Any]) -> CdpOrder:
    return CdpOrder(
        r.shop_id,
        r.id,
        r.status,
        r.channel,
        Decimal(r.total),
        r.status_at,
        dict(r.customer),
        list(r.items),
        dict(r.fields),
    )
