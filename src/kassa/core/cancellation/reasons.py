"""Why an order, or part of it, is cancelled: one vocabulary for every kind of order.

Each code has a label people read (the console and the dashboard show labels, never codes);
each kind of order allows its own subset, checked in one place (`check_reason`). A reason is
the code, optionally with the caller's free text (`code: text` in the timeline).
"""

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum

from kassa.core.errors import ReasonUnknown


class OrderKind(StrEnum):
    """The kinds of order the engine cancels (the `face` of a plan)."""

    TICKETS = "tickets"
    DELIVERY = "delivery"
    LOYALTY = "loyalty"


LABELS: Mapping[str, str] = {
    "customer_request": "The buyer asked to cancel",
    "customer_no_show": "The buyer did not come",
    "payment_failed": "Payment failed",
    "event_cancelled": "The event is cancelled",
    "event_changed": "The event changed",
    "duplicate_order": "Duplicate order",
    "fraud_suspected": "Fraud suspected",
    "operator_error": "Operator's mistake",
    "out_of_stock": "Out of stock",
    "other": "Other",
    "refund": "Refund approved",
    "expired": "The reservation expired",
    "unspecified": "No reason given",
    "place.unable_to_call": "Restaurant: could not reach the buyer",
    "place.missing_dish": "Restaurant: a dish is missing",
    "place.closed_early": "Restaurant: closed early",
    "place.technical_problem": "Restaurant: technical problem",
    "place.busy_period": "Restaurant: too busy",
    "place.some_other_reason": "Restaurant: another reason",
    "place.integration_failed": "Restaurant: integration failed",
    "place.late": "Restaurant: running late",
    "place.high_load": "Restaurant: high load",
    "client.does_not_want_to_wait": "Buyer: does not want to wait",
    "client.refused_order_changes": "Buyer: refused the changes",
    "service.integration_failed": "Aggregator: integration failed",
}

# What a person (operator, partner, API caller) may give, before a kind's own reasons.
_GENERAL = frozenset(
    {
        "customer_request",
        "customer_no_show",
        "payment_failed",
        "duplicate_order",
        "fraud_suspected",
        "operator_error",
        "other",
    }
)
_DELIVERY = frozenset(code for code in LABELS if code.split(".")[0] in ("place", "client"))
ALLOWED: Mapping[OrderKind, frozenset[str]] = {
    OrderKind.TICKETS: _GENERAL | {"event_cancelled", "event_changed"},
    OrderKind.DELIVERY: _GENERAL | _DELIVERY | {"out_of_stock", "service.integration_failed"},
    OrderKind.LOYALTY: _GENERAL | {"out_of_stock"},
}
# Given only by Kassa itself: a refund's approval, an expired hold.
SYSTEM: Mapping[OrderKind, frozenset[str]] = {
    OrderKind.TICKETS: frozenset({"refund", "expired"}),
    OrderKind.DELIVERY: frozenset(),
    OrderKind.LOYALTY: frozenset(),
}
# The aggregator's own words for a cancel (the delivery face takes only these).
AGGREGATOR = _DELIVERY | {"service.integration_failed", "other"}


@dataclass(frozen=True)
class Reason:
    """A reason code with the caller's optional free text."""

    code: str | None  # None: the caller gave none (a partner face's bare cancel)
    comment: str | None = None

    def __str__(self) -> str:
        if self.code and self.comment:
            return f"{self.code}: {self.comment}"
        return self.code or self.comment or ""

    @property
    def recorded(self) -> str | None:
        """What the timeline's `reason` says: `code[: comment]`, or None without a code (the
        comment alone is kept in the entry's details)."""
        return str(self) if self.code else None

    @property
    def label(self) -> str:
        return label(self.code) if self.code else "No reason given"


def label(code: str) -> str:
    """The human label of a code (an unknown code reads as itself)."""
    return LABELS.get(code, code)


def allowed(kind: OrderKind) -> list[str]:
    """The codes a caller may give for this kind of order, sorted."""
    return sorted(ALLOWED[kind])


def check_reason(kind: OrderKind, code: str, *, system: bool = False) -> Reason:
    """The reason, or ReasonUnknown naming the codes this kind allows."""
    if code in ALLOWED[kind] or (system and code in SYSTEM[kind]):
        return Reason(code)
    raise ReasonUnknown(
        f"unknown reason {code!r} for a {kind.value} order; allowed: {', '.join(allowed(kind))}",
        reason=code,
        allowed=allowed(kind),
    )


def reason_code(text: str | None) -> str | None:
    """The code of a stored reason (`code: text` or `code`)."""
    return text.split(":", 1)[0].strip() or None if text else None
