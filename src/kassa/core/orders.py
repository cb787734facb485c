"""The order aggregate, its status machine and reservation planning."""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from kassa.core.errors import (
    OrderNotCancellable,
    OrderNotChangeable,
    OrderStatusTransitionInvalid,
    ReservationInvalid,
)
from kassa.core.pricing import OrderValues, TicketValues, order_values

MAX_TICKETS_PER_ORDER = 500


class OrderStatus(StrEnum):
    EXECUTED = "executed"
    IN_PROGRESS = "in_progress"
    DONE = "done"
    CANCELED = "canceled"
    EXPIRED = "expired"


class Flow(StrEnum):
    """How payment is confirmed: v1 passes through `in_progress`; v2 goes straight to done."""

    PAYMENT_STEP = "payment_step"
    DIRECT = "direct"


OPEN = frozenset({OrderStatus.EXECUTED, OrderStatus.IN_PROGRESS})
_NEXT: Mapping[OrderStatus, frozenset[OrderStatus]] = {
    OrderStatus.EXECUTED: frozenset(
        {OrderStatus.IN_PROGRESS, OrderStatus.DONE, OrderStatus.CANCELED, OrderStatus.EXPIRED}
    ),
    OrderStatus.IN_PROGRESS: frozenset(
        {OrderStatus.DONE, OrderStatus.CANCELED, OrderStatus.EXPIRED}
    ),
}
_MANUAL = frozenset({OrderStatus.IN_PROGRESS, OrderStatus.DONE, OrderStatus.CANCELED})


def ensure_transition(current: OrderStatus, target: OrderStatus, flow: Flow) -> None:
    """Raise unless `current -> target` is on the diagram and may be asked for by a client."""
    if target not in _MANUAL:
        raise OrderStatusTransitionInvalid(f"Status {target} cannot be set by hand")
    allowed = _NEXT.get(current, frozenset())
    if flow is Flow.PAYMENT_STEP and current is OrderStatus.EXECUTED:
        allowed = allowed - {OrderStatus.DONE}
    if flow is Flow.DIRECT:
        allowed = allowed - {OrderStatus.IN_PROGRESS}
    if target not in allowed:
        raise OrderStatusTransitionInvalid(
            f"Incorrect status {current} for this operation: cannot go to {target}",
            current=current,
            target=target,
        )


class LineState(StrEnum):
    ACTIVE = "active"  # held or sold by the order
    RELEASED = "released"  # dropped by a reservation change; not part of the order any more
    CANCELED = "canceled"  # returned to sale by a cancel or expiry; still listed on the order
    REFUNDED = "refunded"  # a sold ticket refunded and returned to sale; no longer listed


FINAL = frozenset({OrderStatus.DONE, OrderStatus.CANCELED, OrderStatus.EXPIRED})


@dataclass(frozen=True)
class Seat:
    sector: str | None
    row: int | None
    number: int | None


@dataclass(frozen=True)
class OrderLine:
    ticket_id: str
    set_id: str
    rule_id: str
    serial: str
    number: int
    values: TicketValues
    state: LineState = LineState.ACTIVE
    barcode: str | None = None
    seat: Seat | None = None


@dataclass
class Order:
    id: str
    number: int
    event_id: str
    org_id: str
    vendor_id: str
    status: OrderStatus
    created_at: datetime
    updated_at: datetime
    reserved_till: datetime
    customer: dict[str, Any] = field(default_factory=dict)
    payment: dict[str, Any] = field(default_factory=dict)
    origin: str = "api"
    done_at: datetime | None = None
    lines: list[OrderLine] = field(default_factory=list)
    # v2 settings: send_tickets, invitation, courier, subscribe_agree
    settings: dict[str, Any] = field(default_factory=dict)
    vendor_data: dict[str, Any] = field(default_factory=dict)
    promocodes: list[str] = field(default_factory=list)  # ids of the codes applied now
    code: str | None = None  # the 8-character order code, given once the order is done

    @property
    def active_lines(self) -> list[OrderLine]:
        return [line for line in self.lines if line.state is LineState.ACTIVE]

    @property
    def listed_lines(self) -> list[OrderLine]:
        """The tickets the order shows: held ones, or those it held when it ended."""
        return [line for line in self.lines if line.state in _LISTED]

    @property
    def send_tickets(self) -> bool:
        return bool(self.settings.get("send_tickets", False))

    @property
    def values(self) -> OrderValues:
        return order_values((line.set_id, line.values) for line in self.listed_lines)

    @property
    def rules(self) -> dict[str, str]:
        """{set_id: rule_id} of the rule each set's tickets were priced by."""
        return {line.set_id: line.rule_id for line in self.listed_lines}

    def is_due(self, now: datetime) -> bool:
        """An open order whose hold has run out expires."""
        return self.status in OPEN and self.reserved_till <= now


_LISTED = frozenset({LineState.ACTIVE, LineState.CANCELED})


@dataclass(frozen=True)
class ReservationRequest:
    """The desired reservation: explicit ticket ids, or counts per set. Never both."""

    tickets: tuple[str, ...] | None = None
    random: Mapping[str, int] | None = None
    all_or_nothing: bool = False

    def __post_init__(self) -> None:
        if self.tickets is not None and self.random is not None:
            raise ReservationInvalid("Only one of tickets or random can be set")
        wanted = len(self.tickets) if self.tickets is not None else 0
        for set_id, count in (self.random or {}).items():
            if count < 0:
                raise ReservationInvalid(f"count for set {set_id} must not be negative")
            wanted += count
        if wanted > MAX_TICKETS_PER_ORDER:
            raise ReservationInvalid(
                f"an order holds at most {MAX_TICKETS_PER_ORDER} tickets, {wanted} asked"
            )
        if self.tickets is not None and len(set(self.tickets)) != len(self.tickets):
            raise ReservationInvalid("tickets must not repeat")

    @property
    def is_empty(self) -> bool:
        return self.tickets is None and self.random is None


@dataclass(frozen=True)
class ReservationDelta:
    """What a reservation change does: tickets to give back, ids and counts to claim."""

    release: tuple[str, ...] = ()
    claim_ids: tuple[str, ...] = ()
    claim_random: Mapping[str, int] = field(default_factory=dict)

    @property
    def claims_anything(self) -> bool:
        return bool(self.claim_ids) or any(self.claim_random.values())

    @property
    def wanted(self) -> int:
        return len(self.claim_ids) + sum(self.claim_random.values())


def plan_reservation(active: Iterable[OrderLine], request: ReservationRequest) -> ReservationDelta:
    """Turn a desired state into releases and claims against the lines held now."""
    lines = list(active)
    if request.tickets is not None:
        held = {line.ticket_id for line in lines}
        desired = list(dict.fromkeys(request.tickets))
        return ReservationDelta(
            release=tuple(sorted(held - set(desired))),
            claim_ids=tuple(t for t in desired if t not in held),
        )
    if request.random is None:
        return ReservationDelta()
    release: list[str] = []
    claim: dict[str, int] = {}
    by_set: dict[str, list[OrderLine]] = {}
    for line in lines:
        by_set.setdefault(line.set_id, []).append(line)
    for set_id in by_set.keys() | request.random.keys():
        held_lines = sorted(by_set.get(set_id, []), key=lambda line: line.number)
        want = request.random.get(set_id, 0)
        if want > len(held_lines):
            claim[set_id] = want - len(held_lines)
        elif want < len(held_lines):
            release.extend(line.ticket_id for line in held_lines[want:])
    return ReservationDelta(release=tuple(sorted(release)), claim_random=claim)


def ensure_reservation_allowed(status: OrderStatus, delta: ReservationDelta) -> None:
    """`executed` may change freely; `in_progress` may only drop tickets (partial payment)."""
    if status is OrderStatus.EXECUTED:
        return
    if status is OrderStatus.IN_PROGRESS and not delta.claims_anything:
        return
    raise OrderNotChangeable(
        f"Incorrect status {status} for this operation: tickets cannot be added",
        status=status,
    )


def ensure_cancellable(order: "Order") -> None:
    """Only an open order moves to `canceled` (a sold one is refunded instead)."""
    if order.status not in OPEN:
        raise OrderNotCancellable(
            f"Order {order.id} is not cancellable", order=order.id, status=order.status
        )


def ensure_not_final(status: OrderStatus) -> None:
    """v2: `done`, `cancelled` and `expired` orders take no change at all."""
    if status in FINAL:
        raise OrderNotChangeable(f"Incorrect status {status} for this operation", status=status)


def ensure_details_changeable(status: OrderStatus) -> None:
    """Customer and payment details change only while the order is `executed`."""
    if status is not OrderStatus.EXECUTED:
        raise OrderNotChangeable(f"Incorrect status {status} for this operation", status=status)
