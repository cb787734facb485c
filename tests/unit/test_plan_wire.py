"""Kassa's cancellation answers render `plan_json` as it is (no model pass per request), so
the documented response model, `CancellationPlan`, and the wire form must stay one shape:
every plan read through the model and dumped again is the same JSON, byte for byte (keys in
the same order, nothing dropped, nothing added)."""

from datetime import UTC, datetime
from decimal import Decimal

import orjson
import pytest

from kassa.core.cancellation import (
    CouponMoves,
    LedgerMove,
    OrderKind,
    Override,
    Plan,
    Reason,
    Released,
    Scope,
    plan_json,
)
from kassa.core.cancellation.policy import Charge
from kassa.faces.kassa_api import CancellationPlan

EMPTY = Plan(OrderKind.TICKETS, "o", "executed", "canceled", False, "v", "order.canceled")
TICKETS = Plan(
    OrderKind.TICKETS,
    "o1",
    "done",
    "done",
    True,
    "v1",
    "order.refunded",
    tickets=("t1", "t2"),
    promocodes=("p1",),
    refund=Decimal("1500"),
    notify=("seller", "buyer"),
    reason=Reason("customer_request", "asked by phone"),
    charge=Charge(
        fee=Decimal("100"),
        policy_fee=Decimal("150.5"),
        scope=Scope.EVENT,
        terms="paid",
        deadline=datetime(2026, 12, 1, 18, 0, tzinfo=UTC),
        allowed=False,
        override=Override("operator:ann", "the show moved", Decimal("100")),
    ),
)
LOYALTY = Plan(
    OrderKind.LOYALTY,
    "o2",
    "fulfilled",
    "cancelled",
    True,
    "v2",
    "loyalty.cancelled",
    items=(Released("latte", "Latte", Decimal(2)), Released("rice", "Rice", Decimal("3.5"))),
    ledger=(
        LedgerMove("bonus", "m", None, None, True, Decimal(300)),
        LedgerMove("bonus", "m", None, None, False, Decimal(-45)),
        LedgerMove("sticker", "m", None, "star", False, Decimal(-2)),
        LedgerMove("certificate", None, "c1", None, True, Decimal(500)),
    ),
    coupons=CouponMoves(reactivated=("A",), voided=("B",), kept=("C",)),
    member="m",
    refund=Decimal("12.5"),
)


@pytest.mark.parametrize("plan", [EMPTY, TICKETS, LOYALTY], ids=["empty", "tickets", "loyalty"])
def test_the_response_model_reads_and_writes_the_wire_form_unchanged(plan: Plan) -> None:
    shown = plan_json(plan)
    through_model = CancellationPlan.model_validate(shown).model_dump(mode="json", by_alias=True)
    assert orjson.dumps(through_model) == orjson.dumps(shown)
