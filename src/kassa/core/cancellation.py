"""The one cancellation engine's brain: what a cancel or an expiry gives back.

`plan_cancellation` computes the whole plan from the order alone; `kassa.app.cancel`
applies it in one transaction. The same plan, unapplied, is the preview.
"""

from dataclasses import dataclass
from datetime import datetime

from kassa.core.errors import OrderNotCancellable
from kassa.core.orders import OPEN, Order, OrderStatus


@dataclass(frozen=True)
class CancellationPlan:
    order_id: str
    from_status: OrderStatus
    to_status: OrderStatus
    release_tickets: tuple[str, ...]
    reason: str | None

    @property
    def topic(self) -> str:
        """The past-tense event the outside world is told."""
        return f"order.{self.to_status.value}"


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


def _plan(order: Order, to_status: OrderStatus, reason: str | None) -> CancellationPlan:
    tickets = tuple(sorted(line.ticket_id for line in order.active_lines))
    return CancellationPlan(order.id, order.status, to_status, tickets, reason)
