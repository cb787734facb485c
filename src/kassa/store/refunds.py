"""Refund requests."""

from decimal import Decimal
from typing import Any

from sqlalchemy import Float, Row, and_, cast, func, select, update

from kassa.core.refunds import RefundFilter, RefundRequest, RefundStatus
from kassa.store.tables import refund_requests
from kassa.store.tx import Tx


class RefundRepo:
    def __init__(self, conn: Tx) -> None:
        self._conn = conn

    async def add(self, refund: RefundRequest) -> None:
        await self._conn.execute(refund_requests.insert().values(**_row(refund)))

    async def save(self, refund: RefundRequest) -> None:
        await self._conn.stage(
            update(refund_requests)
            .where(refund_requests.c.id == refund.id)
            .values(status=refund.status.value, finished_at=refund.finished_at)
        )

    async def get(self, refund_id: str, *, lock: bool = False) -> RefundRequest | None:
        query = select(refund_requests).where(refund_requests.c.id == refund_id)
        if lock:
            query = query.with_for_update()
        row = (await self._conn.execute(query)).first()
        return _refund(row) if row else None

    async def of_order(self, order_id: str) -> list[RefundRequest]:
        rows = await self._conn.execute(
            select(refund_requests)
            .where(refund_requests.c.order_id == order_id)
            .order_by(refund_requests.c.created_at, refund_requests.c.id)
        )
        return [_refund(row) for row in rows]

    async def search(
        self, where: RefundFilter, *, limit: int, offset: int
    ) -> tuple[list[RefundRequest], int]:
        c = refund_requests.c
        cond = [c.org_id == where.org_id]
        if where.vendor_id is not None:
            cond.append(c.vendor_id == where.vendor_id)
        if where.statuses:
            cond.append(c.status.in_([s.value for s in where.statuses]))
        if where.event_ids:
            cond.append(c.event_id.in_(list(where.event_ids)))
        for column, low, high in (
            (c.created_at, where.created_from, where.created_to),
            (c.finished_at, where.finished_from, where.finished_to),
        ):
            if low is not None:
                cond.append(column >= low)
            if high is not None:
                cond.append(column <= high)
        total = await self._conn.scalar(
            select(func.count()).select_from(refund_requests).where(and_(*cond))
        )
        # SQLite keeps amounts as strings: compare them as numbers.
        value = cast(c.customer_money, Float)
        key = {"created_at": c.created_at, "value": value}[where.sort.lstrip("-")]
        ordering = (key.desc(), c.id.desc()) if where.sort.startswith("-") else (key, c.id)
        rows = await self._conn.execute(
            select(refund_requests)
            .where(and_(*cond))
            .order_by(*ordering)
            .limit(limit)
            .offset(offset)
        )
        return [_refund(row) for row in rows], int(total or 0)


def _row(refund: RefundRequest) -> dict[str, Any]:
    return {
        "id": refund.id,
        "org_id": refund.org_id,
        "vendor_id": refund.vendor_id,
        "event_id": refund.event_id,
        "order_id": refund.order_id,
        "status": refund.status.value,
        "culprit": refund.culprit,
        "policy": refund.policy,
        "tickets": list(refund.tickets),
        "refund_nominal": refund.refund_nominal,
        "customer_money": refund.customer_money,
        "created_at": refund.created_at,
        "requested_at": refund.requested_at,
        "finished_at": refund.finished_at,
        "kept": list(refund.kept) if refund.kept else None,
    }


def _refund(row: Row[Any]) -> RefundRequest:
    return RefundRequest(
        id=row.id,
        org_id=row.org_id,
        vendor_id=row.vendor_id,
        event_id=row.event_id,
        order_id=row.order_id,
        status=RefundStatus(row.status),
        culprit=row.culprit,
        policy=row.policy,
        tickets=tuple(row.tickets),
        refund_nominal=Decimal(row.refund_nominal),
        customer_money=Decimal(row.customer_money),
        created_at=row.created_at,
        requested_at=row.requested_at,
        finished_at=row.finished_at,
        kept=tuple(row.kept or ()),
    )
