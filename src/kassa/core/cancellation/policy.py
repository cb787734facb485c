"""Cancellation policies: when an organiser allows a cancel and what it costs.

A policy belongs to an event (its ticket orders), a restaurant or a loyalty shop and has two
sets of terms, one for unpaid orders (a hold, a checkout not yet confirmed) and one for paid
ones. Terms say whether a cancel is allowed at all, until when (hours before the event starts,
or hours after the order was placed), and what it costs: a fixed fee, a percentage of the
money refunded, a fee per ticket, and whether the service fee is kept. The fee is exact in
cents, never negative and never above the money the cancel would give back, so the buyer gets
`refund - fee` and nothing is created or lost. An operator may override (waive the fee, set
another, or cancel outside the window) with a reason that the timeline records.
"""

import hashlib
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from enum import StrEnum

from kassa.core.errors import CancellationClosed
from kassa.core.money import ZERO, money, percent_of


class Scope(StrEnum):
    """What a policy belongs to; the deadline of an event's counts back from its start, the
    others' forward from the order's time."""

    EVENT = "event"
    RESTAURANT = "restaurant"
    SHOP = "shop"


@dataclass(frozen=True)
class Terms:
    """The rules for one state of order (unpaid or paid)."""

    allowed: bool = True
    deadline_hours: int | None = None
    fixed_fee: Decimal = ZERO
    percent: Decimal = ZERO
    per_ticket: Decimal = ZERO
    keep_service_fee: bool = False

    def fingerprint(self) -> str:
        return "/".join(
            str(x)
            for x in (
                self.allowed,
                self.deadline_hours,
                money(self.fixed_fee),
                self.percent.normalize(),
                money(self.per_ticket),
                self.keep_service_fee,
            )
        )


FREE = Terms()


@dataclass(frozen=True)
class Policy:
    scope: Scope
    scope_id: str
    unpaid: Terms = FREE
    paid: Terms = FREE
    updated_at: datetime | None = None

    def fingerprint(self) -> str:
        """What a plan's version folds in: a policy changed since the preview is a new plan."""
        text = f"{self.scope}|{self.scope_id}|{self.unpaid.fingerprint()}|{self.paid.fingerprint()}"
        return hashlib.sha256(text.encode()).hexdigest()[:16]


@dataclass(frozen=True)
class Override:
    """An operator's decision against the policy: `fee` None waives it; any fee is still capped
    at the refund. A cancel outside the window needs one. `policy_fee` keeps the fee the policy
    asks, outside its window too (an organiser cancelling a whole event under its policy)."""

    by: str
    reason: str
    fee: Decimal | None = None
    policy_fee: bool = False


@dataclass(frozen=True)
class Basis:
    """What the order's kind says the fee is computed from."""

    paid: bool
    gross: Decimal  # the money the cancel gives back before any fee
    anchor: datetime  # the event's start, or the order's time
    tickets: int = 0  # tickets released (a fee per ticket)
    service: Decimal = ZERO  # the service fee inside `gross`


@dataclass(frozen=True)
class Charge:
    """What the policy made of a plan: the fee taken (after any override), the fee the policy
    itself asks, the deadline and whether `now` is within it."""

    fee: Decimal = ZERO
    policy_fee: Decimal = ZERO
    scope: Scope | None = None
    terms: str | None = None  # "paid" | "unpaid"
    deadline: datetime | None = None
    allowed: bool = True
    override: Override | None = field(default=None)


NO_CHARGE = Charge()


def deadline_of(terms: Terms, scope: Scope, anchor: datetime) -> datetime | None:
    """The last moment a cancel is allowed under `terms` (None: any time)."""
    if terms.deadline_hours is None:
        return None
    hours = timedelta(hours=terms.deadline_hours)
    return anchor - hours if scope is Scope.EVENT else anchor + hours


def fee_of(terms: Terms, basis: Basis) -> Decimal:
    """The fee `terms` ask of this cancel: fixed + percent of the refund + per ticket + the
    service fee when kept; within [0, refund], in cents."""
    if not basis.paid:
        return ZERO  # nothing was paid, nothing can be kept
    raw = (
        money(terms.fixed_fee)
        + percent_of(basis.gross, terms.percent)
        + money(terms.per_ticket) * basis.tickets
        + (money(basis.service) if terms.keep_service_fee else ZERO)
    )
    return capped(raw, basis.gross)


def capped(fee: Decimal, gross: Decimal) -> Decimal:
    """A fee in cents, never negative, never above what the cancel gives back."""
    return max(ZERO, min(money(fee), money(gross)))


def assess(
    policy: Policy | None, basis: Basis, now: datetime, override: Override | None = None
) -> Charge:
    """The charge of a cancel at `now` under `policy` (None: free, always allowed)."""
    if policy is None:
        if override is None:
            return NO_CHARGE
        return Charge(fee=_overridden(override, basis.gross, ZERO), override=override)
    terms = policy.paid if basis.paid else policy.unpaid
    deadline = deadline_of(terms, policy.scope, basis.anchor)
    allowed = terms.allowed and (deadline is None or now <= deadline)
    asked = fee_of(terms, basis)
    return Charge(
        fee=asked if override is None else _overridden(override, basis.gross, asked),
        policy_fee=asked,
        scope=policy.scope,
        terms="paid" if basis.paid else "unpaid",
        deadline=deadline,
        allowed=allowed,
        override=override,
    )


def _overridden(override: Override, gross: Decimal, asked: Decimal) -> Decimal:
    if override.policy_fee:
        return asked
    return ZERO if override.fee is None else capped(override.fee, gross)


def ensure_allowed(charge: Charge, order_id: str) -> None:
    """A cancel the policy does not allow now is refused, unless an operator overrides."""
    if charge.allowed or charge.override is not None:
        return
    if charge.deadline is None:
        message = f"The {charge.scope}'s policy does not allow cancelling {charge.terms} orders"
    else:
        message = (
            f"The {charge.scope}'s policy allowed cancelling {charge.terms} orders until "
            f"{charge.deadline.isoformat()}"
        )
    raise CancellationClosed(
        message,
        order=order_id,
        deadline=charge.deadline.isoformat() if charge.deadline else None,
    )
