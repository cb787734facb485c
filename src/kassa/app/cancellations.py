"""Kassa's cancellation API for ticket orders: the preview of what a cancel (whole or of some
tickets) would do, and applying exactly that plan, refused with 409 when the order changed
since the preview whose version the client passes."""

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from kassa.app.access import locked_order, visible_order
from kassa.app.cancel import apply_cancellation
from kassa.app.orders import recheck_promocodes
from kassa.app.ticket_loyalty import member_phone
from kassa.core.cancellation import (
    REASON_CODES,
    CancellationPlan,
    order_version,
    plan_for,
)
from kassa.core.errors import OrderChanged, ReasonUnknown
from kassa.core.loyalty import whole
from kassa.core.money import ZERO
from kassa.core.orders import Order, OrderStatus
from kassa.core.tenancy import Principal
from kassa.store.db import Database, UnitOfWork


@dataclass(frozen=True)
class Preview:
    order: Order
    plan: CancellationPlan
    version: str
    refund: Decimal  # money back to the buyer: the full price of sold tickets returned
    bonuses_revoked: Decimal
    member: str | None
    notify: list[str] = field(default_factory=list)


async def _preview(
    uow: UnitOfWork, order: Order, tickets: list[str] | None, reason: str | None
) -> Preview:
    plan = plan_for(order, tickets, reason=reason)
    released = set(plan.release_tickets)
    lines = [line for line in order.active_lines if line.ticket_id in released]
    refund = (
        sum((line.values.full for line in lines), ZERO)
        if order.status is OrderStatus.DONE
        else ZERO
    )
    revoked, member = ZERO, None
    shop = await uow.loyalty.shop_of_event(order.event_id)
    if shop is not None and order.status is OrderStatus.DONE:
        rows = await uow.loyalty.order_rows(shop.id, f"ticket:{order.id}")
        earned = sum((row.amount for row in rows), ZERO)
        left = order.values.full - refund
        revoked = earned - whole(left * shop.program.earn_percent / 100) if earned else ZERO
        member = member_phone(order.customer)
    notify = [order.org_id] + ([order.vendor_id] if order.vendor_id != order.org_id else [])
    return Preview(order, plan, order_version(order), refund, revoked, member, notify)


async def preview(
    db: Database, principal: Principal, order_id: str, tickets: list[str] | None
) -> Preview:
    async with db.unit_of_work(write=False) as uow:
        order = await visible_order(uow, principal, order_id)
        return await _preview(uow, order, tickets, None)


async def cancel(
    db: Database,
    principal: Principal,
    order_id: str,
    now: datetime,
    *,
    tickets: list[str] | None,
    reason_code: str,
    reason_text: str | None = None,
    version: str | None = None,
) -> Preview:
    """Apply the previewed plan; with `version`, only if the order is still as previewed."""
    if reason_code not in REASON_CODES:
        raise ReasonUnknown(f"unknown reason {reason_code!r}", reason=reason_code)
    reason = f"{reason_code}: {reason_text}" if reason_text else reason_code
    async with db.unit_of_work() as uow:
        order = await locked_order(uow, principal, order_id)
        if version is not None and version != order_version(order):
            raise OrderChanged(
                f"Order {order_id} changed since the preview", order=order_id, version=version
            )
        seen = await _preview(uow, order, tickets, reason)
        await apply_cancellation(uow, order, seen.plan, principal.actor, now)
        if seen.plan.partial and order.promocodes and order.status is not OrderStatus.DONE:
            # Fewer tickets: the code may no longer apply (too few for its minimum).
            await recheck_promocodes(db, uow, order, now)
            await uow.orders.save(order)
        await uow.commit()
    return seen


def released_lines(preview: Preview) -> list[str]:
    return list(preview.plan.release_tickets)
