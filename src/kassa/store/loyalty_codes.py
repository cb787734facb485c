"""Storage of the loyalty face's one-time codes, the shops' CDP orders and promo-code lists."""

from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Row, Select, and_, delete, func, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite

from kassa.core.cdp_orders import CdpOrder
from kassa.core.loyalty_codes import CodeKind, OneTimeCode
from kassa.core.promo_lists import PromoList
from kassa.store.loyalty_tables import (
    cdp_order_versions,
    cdp_orders,
    loyalty_codes,
    loyalty_promo_lists,
)
from kassa.store.tables import loyalty_coupons
from kassa.store.tx import Tx
from kassa.store.types import fixed


class LoyaltyCodesRepo:
    def __init__(self, conn: Tx, *, is_sqlite: bool) -> None:
        self._conn = conn
        self._is_sqlite = is_sqlite

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

    # promo-code lists
    async def add_list(self, found: PromoList) -> bool:
        """False if the shop has a list with this id already."""
        dialect = sqlite if self._is_sqlite else postgresql
        done = await self._conn.execute(
            dialect.insert(loyalty_promo_lists)
            .values(
                shop_id=found.shop_id,
                id=found.id,
                name=found.name,
                kind=found.kind,
                value=found.value,
                issue_order=found.issue_order,
                created_at=found.created_at,
            )
            .on_conflict_do_nothing()
        )
        return bool(done.rowcount)

    async def promo_list(self, shop_id: str, list_id: str) -> PromoList | None:
        row = (
            await self._conn.execute(
                select(loyalty_promo_lists).where(
                    loyalty_promo_lists.c.shop_id == shop_id, loyalty_promo_lists.c.id == list_id
                )
            )
        ).first()
        return _list(row) if row is not None else None

    async def promo_lists(self, shop_id: str) -> list[tuple[PromoList, int]]:
        """The shop's lists, oldest first, each with its count of codes not yet handed out."""
        free = (
            select(func.count())
            .where(
                loyalty_coupons.c.shop_id == shop_id,
                loyalty_coupons.c.list_id == loyalty_promo_lists.c.id,
                loyalty_coupons.c.handed_out_at.is_(None),
                loyalty_coupons.c.status == fixed("active"),
            )
            .scalar_subquery()
        )
        rows = await self._conn.execute(
            select(loyalty_promo_lists, free.label("available"))
            .where(loyalty_promo_lists.c.shop_id == shop_id)
            .order_by(loyalty_promo_lists.c.created_at, loyalty_promo_lists.c.id)
        )
        return [(_list(r), int(r.available)) for r in rows]

    async def upload(
        self,
        found: PromoList,
        codes: list[tuple[str, str]],
        expires_at: datetime,
        now: datetime,
    ) -> int:
        """Add the codes to the list; a code the shop has already (in any list, or as a
        member's coupon) is skipped. `codes`: (new coupon id, code). How many were added."""
        dialect = sqlite if self._is_sqlite else postgresql
        added = 0
        for coupon_id, code in codes:
            done = await self._conn.execute(
                dialect.insert(loyalty_coupons)
                .values(
                    id=coupon_id,
                    shop_id=found.shop_id,
                    member_id=None,
                    code=code,
                    kind=found.kind,
                    value=found.value,
                    issued_by=f"list:{found.id}"[:64],
                    status="active",
                    used_by=None,
                    expires_at=expires_at,
                    created_at=now,
                    list_id=found.id,
                )
                .on_conflict_do_nothing()
            )
            added += done.rowcount or 0
        return added

    async def hand_out(self, found: PromoList, device: str | None, now: datetime) -> str | None:
        """A free code of the list (first in, first out, or last in, first out), now handed
        out (to `device`, which then gets the same code until it is used); None if none is
        left. Concurrent calls never get the same code."""
        if device is not None:
            held = await self._conn.scalar(held_query(found, device))
            if held is not None:
                return str(held)
        row = (await self._conn.execute(free_query(found, skip_locked=not self._is_sqlite))).first()
        if row is None:
            return None
        await self._conn.execute(
            update(loyalty_coupons)
            .where(loyalty_coupons.c.id == row.id)
            .values(handed_out_at=now, handed_out_to=device)
        )
        return str(row.code)

    async def delete_codes(self, found: PromoList, codes: list[str]) -> int:
        """Remove the named codes of the list that no order holds; how many went."""
        done = await self._conn.execute(
            delete(loyalty_coupons).where(
                loyalty_coupons.c.shop_id == found.shop_id,
                loyalty_coupons.c.list_id == found.id,
                loyalty_coupons.c.code.in_(codes),
                loyalty_coupons.c.status == "active",
                loyalty_coupons.c.used_by.is_(None),
            )
        )
        return done.rowcount or 0

    async def purge(self, found: PromoList) -> int:
        """Remove every code of the list not yet handed out."""
        done = await self._conn.execute(
            delete(loyalty_coupons).where(
                and_(
                    loyalty_coupons.c.shop_id == found.shop_id,
                    loyalty_coupons.c.list_id == found.id,
                    loyalty_coupons.c.handed_out_at.is_(None),
                    loyalty_coupons.c.status == fixed("active"),
                    loyalty_coupons.c.used_by.is_(None),
                )
            )
        )
        return done.rowcount or 0


def held_query(found: PromoList, device: str) -> Select[Any]:
    """The list's code `device` holds, from `ix_loyalty_coupons_device`."""
    return select(loyalty_coupons.c.code).where(
        loyalty_coupons.c.shop_id == found.shop_id,
        loyalty_coupons.c.list_id == found.id,
        loyalty_coupons.c.handed_out_to == device,
        loyalty_coupons.c.status == "active",
    )


def free_query(found: PromoList, *, skip_locked: bool) -> Select[Any]:
    """The list's next free code in its hand-out order, read in that order from
    `ix_loyalty_coupons_free` (a list of 100,000 codes is not sorted at every fetch);
    `skip_locked` (PostgreSQL) passes over a code another fetch is taking."""
    order = (loyalty_coupons.c.created_at, loyalty_coupons.c.id)
    newest = found.issue_order == "lifo"
    query = (
        select(loyalty_coupons.c.id, loyalty_coupons.c.code)
        .where(
            loyalty_coupons.c.shop_id == found.shop_id,
            loyalty_coupons.c.list_id == found.id,
            loyalty_coupons.c.handed_out_at.is_(None),
            loyalty_coupons.c.status == fixed("active"),  # the index's predicate, as a literal
        )
        .order_by(*(c.desc() for c in order) if newest else order)
        .limit(1)
    )
    return query.with_for_update(skip_locked=True) if skip_locked else query


def _list(r: Row[Any]) -> PromoList:
    return PromoList(r.shop_id, r.id, r.name, r.kind, Decimal(r.value), r.issue_order, r.created_at)


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
