"""Kassa's cancellation API: the preview of what a cancel (of a whole ticket order or some of
its tickets) would do, and applying exactly that plan, refused with 409 when the order changed
since the preview whose version the client passes. Delivery and loyalty orders are previewed
and cancelled by their faces' own engines (kassa.app.delivery, kassa.app.loyalty); this module
finds which face an order id belongs to."""

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
from kassa.core.errors import OrderChanged, OrderNotFound, ReasonUnknown
from kassa.core.loyalty import round_down
from kassa.core.money import ZERO
from kassa.core.orders import Order, OrderStatus
from kassa.core.tenancy import Principal
from kassa.store.db import Database, UnitOfWork
from kassa.store.loyalty import Shop


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
        revoked = earned - round_down(left * shop.program.earn_percent / 100) if earned else ZERO
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


# -- the other faces' orders, by Kassa's order id (an organisation's key sees its own) -------


async def face_of(db: Database, principal: Principal, order_id: str) -> str:
    """`tickets`, `delivery` or `loyalty`: which face's order this id names, for this caller."""
    async with db.unit_of_work(write=False) as uow:
        try:
            await visible_order(uow, principal, order_id)
            return "tickets"
        except OrderNotFound:
            if not principal.is_organiser:
                raise
        found = await uow.delivery.order(order_id)
        if found is not None and found.org_id == principal.org_id:
            return "delivery"
        loyalty_order = await uow.loyalty.order_by_id(order_id)
        shop = await uow.loyalty.shop(loyalty_order.shop_id) if loyalty_order else None
        if shop is not None and shop.org_id == principal.org_id:
            return "loyalty"
    raise OrderNotFound(f"Order {order_id} not found", order=order_id)


async def loyalty_order(db: Database, principal: Principal, order_id: str) -> tuple[Shop, str]:
    """The shop and the shop's own order id of a loyalty order, by Kassa's id of it."""
    async with db.unit_of_work(write=False) as uow:
        found = await uow.loyalty.order_by_id(order_id)
        shop = await uow.loyalty.shop(found.shop_id) if found else None
    if found is None or shop is None or shop.org_id != principal.org_id:
        raise OrderNotFound(f"Order {order_id} not found", order=order_id)
    return shop, found.order_id


def check_reason(reason_code: str) -> None:
    if reason_code not in REASON_CODES:
        raise ReasonUnknown(f"unknown reason {reason_code!r}", reason=reason_code)
