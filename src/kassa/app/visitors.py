"""Visitors' names for a Mosbilet venue: one transaction, the order locked like any change."""

from collections.abc import Sequence
from datetime import datetime

from kassa.app.access import locked_order, visible_order
from kassa.app.journal import record
from kassa.core.errors import OrderNotFound, OrderUnknown
from kassa.core.tenancy import Principal
from kassa.core.visitors import Visitor, seat_visitors
from kassa.store.db import Database


async def set_visitors(
    db: Database, principal: Principal, order_id: str, visitors: Sequence[Visitor], now: datetime
) -> list[Visitor]:
    """Replace the order's visitors; the order is named in the body, so an unknown one is 400."""
    async with db.unit_of_work() as uow:
        try:
            order = await locked_order(uow, principal, order_id)
        except OrderNotFound:
            raise OrderUnknown(f"Order {order_id} not found", order=order_id) from None
        seated = seat_visitors(order, visitors)
        await uow.visitors.replace(order.id, seated, now)
        await record(
            uow,
            order,
            actor=principal.actor,
            action="order.visitors_set",
            from_status=order.status,
            now=now,
            details={"visitors": len(seated)},
        )
        await uow.commit()
    return seated


async def visitors_of(db: Database, principal: Principal, order_id: str) -> list[Visitor]:
    async with db.unit_of_work(write=False) as uow:
        order = await visible_order(uow, principal, order_id)
        return await uow.visitors.of_order(order.id)
