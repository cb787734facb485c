"""The one cancellation engine's brain: what a cancel or an expiry gives back.

`plan_cancellation` computes the whole plan from the order alone; `kassa.app.cancel`
applies it in one transaction. The same plan, unapplied, is the preview.
"""

import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from kassa.core.errors import OrderNotCancellable, TicketsNotInOrder
from kassa.core.orders import OPEN, LineState, Order, OrderStatus


@dataclass(frozen=True)
class CancellationPlan:
    order_id: str
    from_status: OrderStatus
    to_status: OrderStatus
    release_tickets: tuple[str, ...]
    reason: str | None
    partial: bool = False
    # Promo codes whose use goes back: all of them when the order ends.
    release_promocodes: tuple[str, ...] = ()

    @property
    def topic(self) -> str:
        """The past-tense event the outside world is told."""
        if self.partial:
            return "order.partially_canceled"
        return f"order.{self.to_status.value}"

    @property
    def line_state(self) -> LineState:
        """What the released lines become: refunded from a sold order; dropped from an order
        that goes on (a partial cancel); canceled (still listed) when the order ends."""
        if self.from_status is OrderStatus.DONE:
            return LineState.REFUNDED
        return LineState.RELEASED if self.partial else LineState.CANCELED


def plan_cancellation(order: Order, *, reason: str | None = None) -> CancellationPlan:
    """Cancel an open order: every ticket it holds goes back on sale."""
    if order.status not in OPEN:
        raise OrderNotCancellable(
            f"Order {order.id} is not cancellable", order=order.id, status=order.status
        )
    return _plan(order, OrderStatus.CANCELED, reason)


def plan_expiry(order: Order, now: datetime) -> CancellationPlan | None:
    """Expire an open order whose hold ran out; None when it is not due."""
    if not order.is_due(now):
        return None
    return _plan(order, OrderStatus.EXPIRED, "reservation expired")


def plan_partial(
    order: Order, ticket_ids: Iterable[str], *, reason: str | None = None
) -> CancellationPlan:
    """Return some tickets of an order to sale (a refund of a done order, or a partial cancel).

    Cancelling every remaining ticket of an open order is a whole cancel; of a done order, a
    refund of all of them leaves the order done with no tickets (v2 has no refunded status).
    """
    wanted = set(ticket_ids)
    active = {line.ticket_id for line in order.active_lines}
    if not wanted or not wanted <= active:
        raise TicketsNotInOrder(
            "bad tickets", order=order.id, tickets=sorted(wanted - active) or sorted(wanted)
        )
    if order.status in OPEN and wanted == active:
        return plan_cancellation(order, reason=reason)
    if order.status not in OPEN and order.status is not OrderStatus.DONE:
        raise OrderNotCancellable(
            f"Order {order.id} is not cancellable", order=order.id, status=order.status
        )
    # A refund of every ticket left ends what the order holds: its promo code's use comes back.
    everything = wanted == active
    return CancellationPlan(
        order.id,
        order.status,
        order.status,
        tuple(sorted(wanted)),
        reason,
        partial=True,
        release_promocodes=tuple(order.promocodes) if everything else (),
    )


def _plan(order: Order, to_status: OrderStatus, reason: str | None) -> CancellationPlan:
    tickets = tuple(sorted(line.ticket_id for line in order.active_lines))
    return CancellationPlan(
        order.id,
        order.status,
        to_status,
        tickets,
        reason,
        release_promocodes=tuple(order.promocodes),
    )


@dataclass(frozen=True)
class LedgerMove:
    """One entry a loyalty cancel (or a re-apply, or a change) appends to bring an account of
    the order to its target: `account` bonus|sticker|certificate|spent, signed `amount`."""

    account: str
    member_id: str | None
    certificate_id: str | None
    sticker: str | None
    spending: bool  # a spend given back (True) or an earning taken back (False)
    amount: Decimal


LedgerKey = tuple[str, str | None, str | None, str | None, bool]


def plan_ledger_moves(
    current: Mapping[LedgerKey, Decimal], target: Mapping[LedgerKey, Decimal]
) -> list[LedgerMove]:
    """What to append so that each account's net for the order goes from `current` to
    `target` (a whole cancel has an empty target: everything spent comes back, everything
    earned is taken back). Keys are (account, member, certificate, sticker, spending)."""
    moves = []
    for key in sorted(set(current) | set(target), key=str):
        delta = target.get(key, Decimal(0)) - current.get(key, Decimal(0))
        if delta:
            account, member_id, certificate_id, sticker, spending = key
            moves.append(LedgerMove(account, member_id, certificate_id, sticker, spending, delta))
    return moves


# Why an order (or part of it) is cancelled: Kassa's codes, plus the delivery face's.
REASON_CODES = frozenset(
    {
        "customer_request",
        "customer_no_show",
        "payment_failed",
        "event_cancelled",
        "event_changed",
        "duplicate_order",
        "fraud_suspected",
        "operator_error",
        "out_of_stock",
        "other",
        "place.unable_to_call",
        "place.missing_dish",
        "place.closed_early",
        "place.technical_problem",
        "place.busy_period",
        "place.some_other_reason",
        "place.integration_failed",
        "place.late",
        "place.high_load",
        "client.does_not_want_to_wait",
        "client.refused_order_changes",
        "service.integration_failed",
    }
)


def order_version(order: Order) -> str:
    """What a preview saw: any change to the order (status, tickets, codes, time) changes it."""
    parts = [
        order.status.value,
        order.updated_at.isoformat(),
        ",".join(sorted(line.ticket_id for line in order.active_lines)),
        ",".join(order.promocodes),
    ]
    return hashlib.sha256("|".join(parts).encode()).hexdigest()[:16]


def plan_for(
    order: Order, tickets: Iterable[str] | None, *, reason: str | None
) -> CancellationPlan:
    """The plan for a cancel of the whole order (`tickets` None) or of some tickets: an open
    order is cancelled, a done one refunded."""
    if tickets is None:
        if order.status is OrderStatus.DONE:
            return plan_partial(
                order, [line.ticket_id for line in order.active_lines], reason=reason
            )
        return plan_cancellation(order, reason=reason)
    return plan_partial(order, tickets, reason=reason)
