"""Ticket orders as a kind of the cancellation engine: tickets back on sale, promo uses given
back, a sold order's earned bonuses brought down to what it still pays for, a partial cancel
re-checking the order's promo code."""

from dataclasses import replace
from datetime import datetime
from typing import Any

from kassa.app import ticket_loyalty, waitlist
from kassa.app.cancellation.kinds import Part
from kassa.app.journal import record
from kassa.app.mail_jobs import void_ticket_mail
from kassa.app.order_promocodes import recheck_promocodes
from kassa.core.cancellation import Basis, OrderKind, Plan, Policy
from kassa.core.cancellation.tickets import TicketEarning, line_state, plan_tickets
from kassa.core.errors import EventNotFound, OrderNotChangeable
from kassa.core.money import ZERO
from kassa.core.orders import LineState, Order, OrderStatus, ensure_cancellable
from kassa.core.tenancy import Principal
from kassa.store.db import UnitOfWork


class TicketOrders:
    kind = OrderKind.TICKETS

    async def find(
        self,
        uow: UnitOfWork,
        who: Principal | None,
        order_id: str,
        *,
        lock: bool,
        policy: bool = False,
    ) -> Order | None:
        """A ticket order its organiser or its seller sees; None for a console or loyalty
        account narrowed to a restaurant or shop."""
        if who is not None and (who.restaurant_id or who.shop_id):
            return None
        # A lock names the caller: another tenant's order is never locked, not even for a
        # moment (no 409 that tells it exists, no change of the owner's held up).
        # With `policy`, the event's policy comes with the order, in one round trip.
        order = await (
            uow.orders.lock(order_id, who, policy=policy)
            if lock
            else uow.orders.get(order_id, policy=policy)
        )
        if order is None or (who is not None and not who.sees(order.org_id, order.vendor_id)):
            return None
        return order

    async def refs(self, uow: UnitOfWork, who: Principal, ref: str) -> list[str]:
        """The order with this number (a short run of ASCII digits)."""
        if not (ref.isascii() and ref.isdigit() and len(ref) <= 18):
            return []
        order_id = await uow.orders.id_of_number(int(ref))
        if order_id is None or await self.find(uow, who, order_id, lock=False) is None:
            return []
        return [order_id]

    def due(self, order: Order, now: datetime) -> bool:
        return order.is_due(now)

    async def plan(
        self, uow: UnitOfWork, order: Order, part: Part, now: datetime, *, expire: bool = False
    ) -> Plan:
        if part.items:
            raise OrderNotChangeable("A ticket order has no items to cancel", order=order.id)
        earning = await _earning(uow, order)
        if not part.refund_sold:
            ensure_cancellable(order)
        tickets = part.tickets or None
        return plan_tickets(order, tickets, earning=earning, expire=expire)

    async def basis(self, uow: UnitOfWork, order: Order, plan: Plan) -> tuple[Policy | None, Basis]:
        """The event's policy; a sold order is paid, its released tickets' service fee is
        what the policy may keep; the deadline counts back from the event's start."""
        found = await uow.policies.of_event(order.event_id)
        if found is None:
            raise EventNotFound(f"Event {order.event_id} not found", event=order.event_id)
        starts_at, policy = found
        paid = plan.from_status == OrderStatus.DONE.value
        gone = set(plan.tickets) if paid else set()
        lines = [x for x in order.active_lines if x.ticket_id in gone]
        basis = Basis(
            paid=paid,
            gross=plan.refund,
            anchor=starts_at,
            tickets=len(lines),
            service=sum((x.values.extra for x in lines), ZERO),
        )
        return policy, basis

    async def apply(
        self, uow: UnitOfWork, order: Order, plan: Plan, actor: str, now: datetime
    ) -> Order:
        if plan.from_status == OrderStatus.DONE.value:  # only a done order has ticket mail
            await void_ticket_mail(uow, order.id, plan.tickets, now)  # no e-mail sends them now
        waiting = await waitlist.waiting_for_release(uow, order, plan.tickets)
        await uow.inventory.release(order.id, plan.tickets)
        # The waiting list is offered the tickets before anyone else can see them.
        await waitlist.offer_released(uow, order, plan.tickets, now, waiting=waiting)
        state = line_state(plan)
        await uow.orders.end_lines(order.id, plan.tickets, state, now)
        _end_lines(order, set(plan.tickets), state)
        for promo_id in plan.promocodes:
            await uow.promos.give_back_use(promo_id)
        order.promocodes = [p for p in order.promocodes if p not in plan.promocodes]
        order.status = OrderStatus(plan.to_status)
        order.updated_at = now
        if plan.from_status == OrderStatus.DONE.value:  # only a sold order has earned bonuses
            await ticket_loyalty.settle(uow, order, now)
        if plan.partial and order.promocodes and order.status is not OrderStatus.DONE:
            await recheck_promocodes(uow, order, now)  # too few tickets left for the code?
        await uow.orders.save(order)
        return order

    async def record(
        self,
        uow: UnitOfWork,
        order: Order,
        plan: Plan,
        actor: str,
        now: datetime,
        details: dict[str, Any],
    ) -> None:
        await record(
            uow,
            order,
            actor=actor,
            action=plan.topic,
            from_status=OrderStatus(plan.from_status),
            now=now,
            reason=plan.reason.recorded if plan.reason else None,
            details=details,
        )


def _end_lines(order: Order, released: set[str], state: LineState) -> None:
    order.lines = [
        replace(line, state=state)
        if line.ticket_id in released and line.state is LineState.ACTIVE
        else line
        for line in order.lines
    ]


async def _earning(uow: UnitOfWork, order: Order) -> TicketEarning | None:
    """What a sold order earned in its event's shop, for the plan's bonuses taken back."""
    if order.status is not OrderStatus.DONE:
        return None
    shop = await uow.loyalty.shop_of_event(order.event_id)
    if shop is None:
        return None
    rows = await uow.loyalty.order_rows(shop.id, f"ticket:{order.id}")
    earned = sum((row.amount for row in rows), ZERO)
    if not rows or rows[0].member_id is None:
        return None
    return TicketEarning(
        shop.id,
        rows[0].member_id,
        ticket_loyalty.member_phone(order.customer),
        earned,
        shop.program.earn_percent,
    )
