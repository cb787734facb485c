"""Refund requests: a seller asks for some tickets of a done order back; the organiser decides.

Approving one returns the tickets to sale through the cancellation engine (a partial plan of
the done order). The money: `refund_nominal` is the tickets' nominal (the organiser's part);
`customer_money` is what the buyer gets back: the full price (nominal + service fee) when the
organiser is to blame (`culprit: org`) or the refund falls under FZ-193 (`policy:
law_ru_193`), the nominal alone when the buyer changed their mind (`culprit: user`: the
service fee is kept).
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from decimal import Decimal
from enum import StrEnum

from kassa.core.errors import RefundInvalid
from kassa.core.money import ZERO
from kassa.core.orders import LineState, Order, OrderStatus


class RefundStatus(StrEnum):
    NEW = "new"
    IN_PROGRESS = "in_progress"
    APPROVED = "approved"
    REJECTED = "rejected"


_NEXT = {
    RefundStatus.NEW: frozenset(
        {RefundStatus.IN_PROGRESS, RefundStatus.APPROVED, RefundStatus.REJECTED}
    ),
    RefundStatus.IN_PROGRESS: frozenset({RefundStatus.APPROVED, RefundStatus.REJECTED}),
}


@dataclass(frozen=True)
class RefundRequest:
    id: str
    org_id: str
    vendor_id: str
    event_id: str
    order_id: str
    status: RefundStatus
    culprit: str  # user | org
    policy: str  # general | law_ru_193
    tickets: tuple[str, ...]
    refund_nominal: Decimal
    customer_money: Decimal
    created_at: datetime
    requested_at: datetime
    finished_at: datetime | None = None
    # v1 only: the tickets the caller said stay in the order (v1 `tickets`), as it sent them.
    kept: tuple[str, ...] = ()

    @property
    def holds_tickets(self) -> bool:
        """Its tickets are taken: it is open, or approved (refunded)."""
        return self.status is not RefundStatus.REJECTED


def new_refund(
    refund_id: str,
    order: Order,
    tickets: Sequence[str],
    *,
    culprit: str,
    policy: str,
    now: datetime,
    requested_at: datetime | None,
    others: Iterable[RefundRequest],
    kept: Sequence[str] = (),
) -> RefundRequest:
    """A refund request for `tickets` of a done order, checked against the order's others."""
    if order.status is not OrderStatus.DONE:
        raise RefundInvalid(f"wrong order (id: {order.id}) status: {order.status.value}")
    if not tickets:
        raise RefundInvalid("Empty tickets for refund")
    wanted = list(dict.fromkeys(tickets))
    lines = {line.ticket_id: line for line in order.active_lines}
    if len(wanted) != len(tickets) or any(t not in lines for t in wanted):
        raise RefundInvalid("bad tickets", tickets=[t for t in wanted if t not in lines])
    taken = {t for other in others if other.holds_tickets for t in other.tickets}
    if taken & set(wanted):
        raise RefundInvalid("Some tickets already use in another refund request")
    chosen = [lines[t] for t in wanted]
    nominal = sum((line.values.nominal for line in chosen), ZERO)
    full = sum((line.values.full for line in chosen), ZERO)
    buyer_pays_fee = culprit == "user" and policy != "law_ru_193"
    return RefundRequest(
        id=refund_id,
        org_id=order.org_id,
        vendor_id=order.vendor_id,
        event_id=order.event_id,
        order_id=order.id,
        status=RefundStatus.NEW,
        culprit=culprit,
        policy=policy,
        tickets=tuple(wanted),
        refund_nominal=nominal,
        customer_money=nominal if buyer_pays_fee else full,
        created_at=now,
        requested_at=requested_at or now,
        kept=tuple(kept),
    )


def tickets_to_return(order: Order, keep: Sequence[str]) -> list[str]:
    """v1 names the tickets that stay (`tickets`); the rest of the order's tickets return."""
    if order.status is not OrderStatus.DONE:
        raise RefundInvalid(f"wrong order (id: {order.id}) status: {order.status.value}")
    held = [line.ticket_id for line in order.active_lines]
    stray = [t for t in keep if t not in held]
    if stray or len(set(keep)) != len(keep):
        raise RefundInvalid("bad tickets", tickets=stray)
    return [t for t in held if t not in set(keep)]


def v1_order_status(order: Order) -> str:
    """v1 reads a done order whose every ticket was refunded as `refunded`; v2 keeps `done`."""
    ended = [line for line in order.lines if line.state is not LineState.RELEASED]
    refunded = all(line.state is LineState.REFUNDED for line in ended)
    if order.status is OrderStatus.DONE and ended and refunded:
        return "refunded"
    return order.status.value


def transition(refund: RefundRequest, target: RefundStatus, now: datetime) -> RefundRequest:
    """new -> in_progress | approved | rejected; in_progress -> approved | rejected."""
    if target not in _NEXT.get(refund.status, frozenset()):
        raise RefundInvalid(
            f"Incorrect status {refund.status.value} for this operation",
            status=refund.status.value,
            target=target.value,
        )
    finished = now if target in (RefundStatus.APPROVED, RefundStatus.REJECTED) else None
    return replace(refund, status=target, finished_at=finished)


@dataclass(frozen=True)
class RefundFilter:
    """Which refund requests a list shows: one organisation's, narrowed by the fields set."""

    org_id: str
    vendor_id: str | None = None
    statuses: Sequence[RefundStatus] = ()
    event_ids: Sequence[str] = ()
    created_from: datetime | None = None
    created_to: datetime | None = None
    finished_from: datetime | None = None
    finished_to: datetime | None = None
    # `created_at` (the default, newest first), `value` (customer_money); `-` for descending.
    sort: str = "-created_at"
