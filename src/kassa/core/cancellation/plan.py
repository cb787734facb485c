"""The one cancellation plan: what a cancel of any kind of order gives back, and to whom.

Sections: what comes back to sale (tickets, or menu stock / cart lines as `items`), promo-code
uses given back, ledger moves (bonuses, certificates, stickers, rewards taken back), coupons,
the money to refund, the fee the order's cancellation policy keeps from it (`policy`), who is
told. A plan is computed by the order's kind from the order alone and applied whole; the same
plan, unapplied, is the preview. `version` says what the plan was computed from: the order
changed since means another version.
"""

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from kassa.core.cancellation.ledger import LedgerMove, summarise
from kassa.core.cancellation.policy import NO_CHARGE, Charge
from kassa.core.cancellation.reasons import OrderKind, Reason
from kassa.core.money import ZERO, render


@dataclass(frozen=True)
class Released:
    """A line that leaves the order: a menu item or a cart product, and how many."""

    id: str
    name: str
    quantity: Decimal


@dataclass(frozen=True)
class CouponMoves:
    """Coupons the cancel touches: used by the order (active again), issued by it (voided),
    issued by it but already used elsewhere (kept, and the ledger says so)."""

    reactivated: tuple[str, ...] = ()
    voided: tuple[str, ...] = ()
    kept: tuple[str, ...] = ()


@dataclass(frozen=True)
class Plan:
    kind: OrderKind
    order_id: str
    from_status: str
    to_status: str
    partial: bool
    version: str
    topic: str  # the past-tense event the outside world is told
    tickets: tuple[str, ...] = ()
    items: tuple[Released, ...] = ()
    promocodes: tuple[str, ...] = ()
    ledger: tuple[LedgerMove, ...] = ()
    coupons: CouponMoves = field(default_factory=CouponMoves)
    member: str | None = None
    refund: Decimal = ZERO  # the money the cancel gives back before any fee
    notify: tuple[str, ...] = ()
    reason: Reason | None = None
    charge: Charge = NO_CHARGE  # the policy's fee and window (see `policy`)

    @property
    def net(self) -> Decimal:
        """The money the buyer gets: the refund less the fee kept."""
        return self.refund - self.charge.fee


def version_of(kind: OrderKind, order_id: str, parts: Iterable[str]) -> str:
    """One fingerprint for every kind: any change to what the plan reads changes it."""
    text = "|".join([kind.value, order_id, *parts])
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def quantity_json(quantity: Decimal) -> int | float:
    """A quantity as a JSON number: an integer when whole (a weighed dish may be 3.5)."""
    return int(quantity) if quantity == quantity.to_integral_value() else float(quantity)


def plan_json(plan: Plan) -> dict[str, Any]:
    """The plan's one wire shape: every section present, quantities numbers, money two-place
    decimal strings."""
    ledger = summarise(plan.ledger)
    return {
        "order": plan.order_id,
        "face": plan.kind.value,
        "version": plan.version,
        "from_status": plan.from_status,
        "to_status": plan.to_status,
        "partial": plan.partial,
        "release": {
            "tickets": list(plan.tickets),
            "items": [
                {"id": x.id, "name": x.name, "quantity": quantity_json(x.quantity)}
                for x in plan.items
            ],
        },
        "promocodes_given_back": list(plan.promocodes),
        "loyalty": {
            "member": plan.member,
            "bonuses_returned": render(ledger.bonuses_returned),
            "bonuses_revoked": render(ledger.bonuses_revoked),
            "certificates_returned": render(ledger.certificates_returned),
            "stickers": ledger.stickers,
            "coupons_reactivated": list(plan.coupons.reactivated),
            "coupons_voided": list(plan.coupons.voided),
            "coupons_kept": list(plan.coupons.kept),
        },
        "refund": {"amount": render(plan.net)},
        "fee": fee_json(plan.charge),
        "notify": list(plan.notify),
        "reason": plan.reason.recorded if plan.reason else None,
        "comment": plan.reason.comment if plan.reason else None,
    }


def fee_json(charge: Charge) -> dict[str, Any]:
    """The fee section: what is kept, what the policy asks, its window, any override."""
    override = charge.override
    return {
        "amount": render(charge.fee),
        "policy_amount": render(charge.policy_fee),
        "policy": charge.scope.value if charge.scope else None,
        "terms": charge.terms,
        "deadline": charge.deadline.isoformat() if charge.deadline else None,
        "allowed": charge.allowed,
        "override": {"by": override.by, "reason": override.reason} if override else None,
    }
