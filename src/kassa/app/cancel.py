"""The one cancellation engine: every face's cancel, and every expiry, goes through here."""

import random
from dataclasses import replace
from datetime import datetime

from kassa.app import ticket_loyalty
from kassa.app.access import locked_order
from kassa.app.journal import record
from kassa.app.mail_jobs import void_ticket_mail
from kassa.core.cancellation import CancellationPlan, plan_cancellation, plan_expiry
from kassa.core.errors import OrderBusy, OrderNotCancellable
from kassa.core.orders import LineState, Order, OrderStatus
from kassa.core.tenancy import Principal
from kassa.store.db import Database, UnitOfWork

SYSTEM = "system"


async def apply_cancellation(
    uow: UnitOfWork, order: Order, plan: CancellationPlan, actor: str, now: datetime
) -> None:
    """Apply a whole plan inside the caller's transaction: release, end lines, record, tell."""
    await uow.inventory.release(order.id, plan.release_tickets)
    await void_ticket_mail(uow, order.id, plan.release_tickets, now)
    await uow.orders.end_lines(order.id, plan.release_tickets, plan.line_state, now)
    released = set(plan.release_tickets)
    order.lines = [
        replace(line, state=plan.line_state)
        if line.ticket_id in released and line.state is LineState.ACTIVE
        else line
        for line in order.lines
    ]
    for promo_id in plan.release_promocodes:
        await uow.promos.give_back_use(promo_id)
    if plan.release_promocodes:
        order.promocodes = [p for p in order.promocodes if p not in plan.release_promocodes]
    order.status = plan.to_status
    order.updated_at = now
    if plan.from_status is OrderStatus.DONE:  # only a sold order has earned bonuses
        await ticket_loyalty.settle(uow, order, now)
    await uow.orders.save(order)
    await record(
        uow,
        order,
        actor=actor,
        action=plan.topic,
        from_status=plan.from_status,
        now=now,
        reason=plan.reason,
        details={
            "released_tickets": list(plan.release_tickets),
            "released_promocodes": list(plan.release_promocodes),
        },
    )


async def cancel_order(
    db: Database, principal: Principal, order_id: str, now: datetime, reason: str | None = None
) -> Order:
    """Cancel an open order: its tickets go back on sale at once.

    An order whose hold already ran out is expired instead (and the cancel refused), exactly
    as if the sweeper had got there first.
    """
    async with db.unit_of_work() as uow:
        order = await locked_order(uow, principal, order_id)
        expiry = plan_expiry(order, now)
        if expiry is not None:
            await apply_cancellation(uow, order, expiry, SYSTEM, now)
            await uow.commit()
            raise OrderNotCancellable(f"Order {order_id} is not cancellable", order=order_id)
        plan = plan_cancellation(order, reason=reason)
        await apply_cancellation(uow, order, plan, principal.actor, now)
        await uow.commit()
    return order


async def expire_order(db: Database, order_id: str, now: datetime) -> bool:
    """Expire one order if its hold ran out; False when it is not due or is busy."""
    async with db.unit_of_work() as uow:
        try:
            order = await uow.orders.lock(order_id)
        except OrderBusy:
            return False
        if order is None:
            return False
        plan = plan_expiry(order, now)
        if plan is None:
            return False
        await apply_cancellation(uow, order, plan, SYSTEM, now)
        await uow.commit()
    return True


async def expire_due(db: Database, now: datetime, batch: int = 100, max_batches: int = 50) -> int:
    """The sweeper's pass: expire due orders in batches, one transaction per order.

    Several workers may sweep at once: each takes the due orders in its own random order and
    skips any order another transaction holds (NOWAIT), so they share the work instead of
    queueing on the same rows; an order is expired exactly once.
    """
    expired = 0
    for _ in range(max_batches):
        async with db.unit_of_work(write=False) as uow:
            due = await uow.orders.due_for_expiry(now, batch)
        if not due:
            break
        random.shuffle(due)
        done = 0
        for order_id in due:
            done += await expire_order(db, order_id, now)
        expired += done
        if done == 0:  # what is left is being expired by others right now
            break
    return expired
