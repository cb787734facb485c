"""The settlement an order's stored figures promise, and when it can no longer be settled."""

from decimal import Decimal

import pytest

from kassa.core.errors import LoyaltyInvalid
from kassa.core.loyalty_figures import CONFIRM_REFUSED, Settlement

FIGURES = {
    "bonuses_used": Decimal("600.00"),
    "certificates": [{"id": "c1", "code": "GIFT", "amount": Decimal("50.00"), "balance": 1}],
    "used_stickers": {"coffee": 6},
    "rewarded_stickers": {"coffee": 2},
    "bonuses_reward": Decimal("67.00"),
    "bonuses_referrer_reward": Decimal(300),
    "order_to_pay": Decimal("1350.00"),
}


def test_a_settlement_reads_the_stored_figures_and_nothing_else() -> None:
    settlement = Settlement.of(FIGURES)
    assert settlement.reserved("m") == {
        ("bonus", "m", None, None, True): Decimal("-600.00"),
        ("certificate", None, "c1", None, True): Decimal("-50.00"),
    }
    assert settlement.fulfilled("m", "r") == {
        ("bonus", "m", None, None, True): Decimal("-600.00"),
        ("certificate", None, "c1", None, True): Decimal("-50.00"),
        ("bonus", "m", None, None, False): Decimal("67.00"),
        ("sticker", "m", None, "coffee", False): Decimal(2),
        ("sticker", "m", None, "coffee", True): Decimal(-6),
        ("spent", "m", None, None, False): Decimal("1350.00"),
        ("bonus", "r", None, None, False): Decimal(300),
    }
    assert Settlement.of({}).fulfilled(None, None) == {}


def test_reserved_bonuses_are_covered_while_the_balance_is_not_negative() -> None:
    settlement = Settlement.of(FIGURES)
    settlement.ensure_covered(Decimal(0), {"coffee": 6})
    with pytest.raises(LoyaltyInvalid, match=CONFIRM_REFUSED):
        settlement.ensure_covered(Decimal("-0.01"), {"coffee": 6})
    Settlement.of({"bonuses_used": 0}).ensure_covered(Decimal(-500), {})


def test_exchanged_stickers_must_still_be_held() -> None:
    with pytest.raises(LoyaltyInvalid, match=CONFIRM_REFUSED):
        Settlement.of(FIGURES).ensure_covered(Decimal(10), {"coffee": 5})
