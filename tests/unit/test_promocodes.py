"""Promo codes: who may use one and what it takes off, as pure functions."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kassa.core.errors import PromoCodeInvalid
from kassa.core.promocodes import (
    DiscountKind,
    PromoCode,
    check,
    code_key,
    line_discounts,
    sets_values,
    validate_promo,
)

NOW = datetime(2026, 11, 24, 12, tzinfo=UTC)
prices = st.decimals(min_value=Decimal("0.00"), max_value=Decimal("99999.99"), places=2)


def promo(**kw: object) -> PromoCode:
    base: dict[str, object] = {
        "id": "p" * 24,
        "org_id": "o" * 24,
        "event_id": "e" * 24,
        "code": "PROMO100",
        "kind": DiscountKind.FIX,
        "value": Decimal("100.00"),
    }
    base.update(kw)
    return PromoCode(**base)  # type: ignore[arg-type]


def test_seed_arithmetic() -> None:
    assert promo().discount_for(Decimal("1000.00")) == Decimal("100.00")
    assert promo().discount_for(Decimal("60.00")) == Decimal("60.00")
    five = promo(kind=DiscountKind.PERCENTAGE, value=Decimal("5"))
    assert five.discount_for(Decimal("1000.00")) == Decimal("50.00")
    assert five.discount_for(Decimal("0.10")) == Decimal("0.01")  # half-up


@given(
    price=prices, value=st.decimals(min_value=Decimal("0.01"), max_value=Decimal("100"), places=2)
)
def test_a_discount_never_exceeds_the_price(price: Decimal, value: Decimal) -> None:
    for kind in DiscountKind:
        discount = promo(kind=kind, value=value).discount_for(price)
        assert Decimal(0) <= discount <= price
        assert discount == discount.quantize(Decimal("0.01"))


def test_codes_match_case_insensitively() -> None:
    assert code_key(" Promo5% ") == code_key("PROMO5%") == "promo5%"


def test_check_reports_the_documented_failures() -> None:
    assert check(None, ["a"], NOW).code == "promocode_not_found"  # type: ignore[union-attr]
    assert check(promo(active=False), ["a"], NOW).code == "promocode_not_found"  # type: ignore[union-attr]
    late = promo(finishes_at=NOW - timedelta(days=1))
    assert check(late, ["a"], NOW).code == "promocode_apply_info"  # type: ignore[union-attr]
    assert check(late, ["a"], NOW, held=True) is None
    other_set = promo(set_ids=("b",))
    assert check(other_set, ["a"], NOW).code == "promocode_apply_info"  # type: ignore[union-attr]
    pair = promo(min_tickets=2)
    failure = check(pair, ["a"], NOW)
    assert failure is not None and failure.code == "promocode_limit_min_tickets"
    assert failure.message == "Mimimum count of tickets in order for promocode activation is 2"
    assert check(pair, ["a", "a"], NOW) is None


def test_line_discounts_respect_sets_and_max() -> None:
    code = promo(set_ids=("a",), max_tickets=2)
    lines = [
        ("a", Decimal("1000")),
        ("b", Decimal("500")),
        ("a", Decimal("1000")),
        ("a", Decimal("1000")),
    ]
    assert line_discounts(lines, code) == [Decimal("100.00"), 0, Decimal("100.00"), 0]
    assert line_discounts(lines, None) == [0, 0, 0, 0]


def test_sets_values_of_the_seed() -> None:
    found = sets_values({"s1": Decimal("1000.00"), "s2": Decimal("500.00")}, promo())
    assert (found["s1"].discount, found["s1"].nominal) == (Decimal("100.00"), Decimal("900.00"))
    assert (found["s2"].nominal, found["s2"].promocode_id) == (Decimal("400.00"), "p" * 24)
    assert sets_values({"s1": Decimal("10")}, None)["s1"].promocode_id is None


@pytest.mark.parametrize(
    "bad",
    [
        {"value": Decimal("0")},
        {"kind": DiscountKind.PERCENTAGE, "value": Decimal("100.01")},
        {"code": " "},
        {"code": "x" * 65},
        {"starts_at": NOW, "finishes_at": NOW},
        {"min_tickets": 0},
        {"min_tickets": 3, "max_tickets": 2},
        {"usage_limit": 0},
    ],
)
def test_validation(bad: dict[str, object]) -> None:
    with pytest.raises(PromoCodeInvalid):
        validate_promo(promo(**bad))
