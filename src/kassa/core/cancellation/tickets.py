"""Ticket orders in the one cancellation plan: which tickets go back on sale, which promo-code
uses come back, what a sold order refunds and which earned bonuses are taken back.

An open order is cancelled (or expired, when its hold ran out); a done order is refunded,
whole or some tickets, and stays done (v2 has no refunded status); some tickets of an open
order are a partial cancel. Pure: the app passes in the order and what it earned.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from kassa.core.cancellation.ledger import LedgerMove
from kassa.core.cancellation.plan import Plan, version_of
from kassa.core.cancellation.reasons import OrderKind, Reason
from kassa.core.errors import OrderNotCancellable, TicketsNotInOrder
from kassa.core.loyalty import round_down
from kassa.core.money import ZERO
from kassa.core.orders import OPEN, LineState, Order, OrderStatus

EXPIRED = Reason("expired")


@dataclass(frozen=True)
class TicketEarning:
    """What a sold order earned in its event's loyalty shop (bonuses, by the buyer's phone)."""

    shop_id: str
    member_id: str
    member: str | None
    earned: Decimal
    earn_percent: Decimal


def ticket_version(order: Order) -> str:
    """Any change to the order (status, tickets, codes, time) changes it."""
    return version_of(
        OrderKind.TICKETS,
        order.id,
        [
            order.status.value,
            order.updated_at.isoformat(),
            ",".join(sorted(line.ticket_id for line in order.active_lines)),
            ",".join(order.promocodes),
        ],
    )


def plan_tickets(
    order: Order,
    tickets: Sequence[str] | None,
    *,
    earning: TicketEarning | None = None,
    expire: bool = False,
) -> Plan:
    """The plan for the whole order (`tickets` None) or some of its tickets."""
    if expire:
        return _plan(order, _all(order), OrderStatus.EXPIRED, earning, reason=EXPIRED)
    if tickets is None:
        if order.status is OrderStatus.DONE:
            return _plan(order, _all(order), OrderStatus.DONE, earning, partial=True)
        _ensure_open(order)
        return _plan(order, _all(order), OrderStatus.CANCELED, earning)
    wanted = set(tickets)
    active = set(_all(order))
    if not wanted or not wanted <= active:
        raise TicketsNotInOrder(
            "bad tickets", order=order.id, tickets=sorted(wanted - active) or sorted(wanted)
        )
    if order.status in OPEN and wanted == active:
        return _plan(order, _all(order), OrderStatus.CANCELED, earning)
    if order.status is not OrderStatus.DONE:
        _ensure_open(order)
    return _plan(order, tuple(sorted(wanted)), order.status, earning, partial=True)


def line_state(plan: Plan) -> LineState:
    """What released lines become: refunded from a sold order; dropped from an order that goes
    on (a partial cancel); canceled (still listed) when the order ends."""
    if plan.from_status == OrderStatus.DONE.value:
        return LineState.REFUNDED
    return LineState.RELEASED if plan.partial else LineState.CANCELED


def _ensure_open(order: Order) -> None:
    if order.status not in OPEN:
        raise OrderNotCancellable(
            f"Order {order.id} is not cancellable", order=order.id, status=order.status
        )


def _all(order: Order) -> tuple[str, ...]:
    return tuple(sorted(line.ticket_id for line in order.active_lines))


def _plan(
    order: Order,
    released: tuple[str, ...],
    to_status: OrderStatus,
    earning: TicketEarning | None,
    *,
    partial: bool = False,
    reason: Reason | None = None,
) -> Plan:
    ends = not partial or set(released) == set(_all(order))  # every ticket it holds goes
    refund = _refund(order, released)
    return Plan(
        kind=OrderKind.TICKETS,
        order_id=order.id,
        from_status=order.status.value,
        to_status=to_status.value,
        partial=partial,
        version=ticket_version(order),
        topic="order.partially_canceled" if partial else f"order.{to_status.value}",
        tickets=released,
        promocodes=tuple(order.promocodes) if ends else (),
        ledger=_revoked(order, refund, earning),
        member=earning.member if earning else None,
        refund=refund,
        notify=tuple(dict.fromkeys([order.org_id, order.vendor_id])),
        reason=reason,
    )


def _refund(order: Order, released: tuple[str, ...]) -> Decimal:
    """Money back: the full price of sold tickets returned (nothing was paid for a hold)."""
    if order.status is not OrderStatus.DONE:
        return ZERO
    gone = set(released)
    return sum((x.values.full for x in order.active_lines if x.ticket_id in gone), ZERO)


def _revoked(
    order: Order, refund: Decimal, earning: TicketEarning | None
) -> tuple[LedgerMove, ...]:
    """The bonuses no longer earned on what the buyer keeps paying for."""
    if earning is None or not earning.earned or order.status is not OrderStatus.DONE:
        return ()
    keeps = round_down((order.values.full - refund) * earning.earn_percent / 100)
    delta = keeps - earning.earned
    if not delta:
        return ()
    return (LedgerMove("bonus", earning.member_id, None, None, False, delta),)
