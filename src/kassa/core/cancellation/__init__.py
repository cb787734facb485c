"""The one cancellation plan, for every kind of order, and the reasons for a cancel.

`kassa.app.cancellation` computes a plan with the order's kind and applies it whole in one
transaction; the same plan, unapplied, is the preview.
"""

from kassa.core.cancellation.ledger import (
    LedgerKey,
    LedgerMove,
    LedgerSummary,
    plan_ledger_moves,
    summarise,
)
from kassa.core.cancellation.plan import (
    CouponMoves,
    Plan,
    Released,
    fee_json,
    plan_json,
    quantity_json,
    version_of,
)
from kassa.core.cancellation.policy import (
    FREE,
    Basis,
    Charge,
    Override,
    Policy,
    Scope,
    Terms,
    assess,
    ensure_allowed,
)
from kassa.core.cancellation.reasons import (
    LABELS,
    OrderKind,
    Reason,
    allowed,
    check_reason,
    label,
    reason_code,
)

__all__ = [
    "FREE",
    "LABELS",
    "Basis",
    "Charge",
    "CouponMoves",
    "LedgerKey",
    "LedgerMove",
    "LedgerSummary",
    "OrderKind",
    "Override",
    "Plan",
    "Policy",
    "Reason",
    "Released",
    "Scope",
    "Terms",
    "allowed",
    "assess",
    "check_reason",
    "ensure_allowed",
    "fee_json",
    "label",
    "plan_json",
    "plan_ledger_moves",
    "quantity_json",
    "reason_code",
    "summarise",
    "version_of",
]
