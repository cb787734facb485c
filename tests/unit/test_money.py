"""kassa.core.money: Decimal only, two places, half-up, no floats / NaN / infinities."""

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kassa.core.money import CENT, MAX_AMOUNT, ZERO, money, percent_of, render


def test_constants() -> None:
    assert str(CENT) == "0.01"
    assert str(ZERO) == "0.00"
    assert str(MAX_AMOUNT) == "9999999999.99"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (1, "1.00"),
        (0, "0.00"),
        (-7, "-7.00"),
        ("1", "1.00"),
        ("150", "150.00"),
        ("1.5", "1.50"),
        (Decimal("1.005"), "1.01"),
        ("0.005", "0.01"),
        ("0.004", "0.00"),
        ("0.0049999", "0.00"),
        ("1.994", "1.99"),
        ("1.995", "2.00"),
        ("2.675", "2.68"),
        ("2.665", "2.67"),
        # half-up, not banker's rounding: .125 -> .13 (banker's would give .12)
        ("0.125", "0.13"),
        ("0.135", "0.14"),
        # half-up rounds ties away from zero for negatives too
        ("-0.005", "-0.01"),
        ("-1.125", "-1.13"),
        ("-1.124", "-1.12"),
        ("1e-30", "0.00"),
        ("1E+3", "1000.00"),
        ("9999999999.99", "9999999999.99"),
        ("9999999999.995", "10000000000.00"),
        (Decimal("12.3400"), "12.34"),
    ],
)
def test_money_quantizes_to_cents_half_up(value: Decimal | int | str, expected: str) -> None:
    result = money(value)
    assert type(result) is Decimal
    assert str(result) == expected
    assert result.as_tuple().exponent == -2


@pytest.mark.parametrize("value", [1.5, 0.1, 0.0, -2.0, float("nan"), float("inf")])
def test_money_rejects_floats(value: float) -> None:
    with pytest.raises(TypeError, match="money is never a float"):
        money(value)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "value",
    [
        "NaN",
        "nan",
        "-NaN",
        "sNaN",
        "Infinity",
        "-Infinity",
        "inf",
        Decimal("NaN"),
        Decimal("Infinity"),
        Decimal("-Infinity"),
    ],
)
def test_money_rejects_nan_and_infinities(value: Decimal | str) -> None:
    with pytest.raises(ValueError, match="not an amount"):
        money(value)


@pytest.mark.parametrize("value", ["", "abc", "1,50", "1.2.3", "12 34", "$5"])
def test_money_rejects_non_numbers(value: str) -> None:
    with pytest.raises(ValueError, match="not an amount"):
        money(value)


def test_money_rejects_huge_finite_amount_as_value_error() -> None:
    with pytest.raises(ValueError, match="not an amount"):
        money("1e26")


@given(st.decimals(min_value=Decimal("-1e9"), max_value=Decimal("1e9"), allow_nan=False, places=6))
def test_money_is_within_half_a_cent_and_idempotent(value: Decimal) -> None:
    result = money(value)
    assert result.as_tuple().exponent == -2
    assert abs(result - value) <= Decimal("0.005")
    assert money(result) == result
    assert money(str(value)) == result


@given(st.integers(min_value=-(10**11), max_value=10**11))
def test_money_rounds_exact_half_cents_away_from_zero(cents: int) -> None:
    # value = cents/100 + 0.005 * sign: exactly half-way between two cents
    sign = -1 if cents < 0 else 1
    value = Decimal(cents) / 100 + Decimal("0.005") * sign
    assert money(value) == (Decimal(cents) + sign) / 100


@pytest.mark.parametrize(
    ("amount", "percent", "expected"),
    [
        ("100", "10", "10.00"),
        ("150.00", "0", "0.00"),
        ("0", "10", "0.00"),
        ("200", "12.5", "25.00"),
        ("10.05", "10", "1.01"),  # 1.005 -> 1.01
        ("0.05", "10", "0.01"),  # 0.005 -> 0.01
        ("0.04", "10", "0.00"),  # 0.004 -> 0.00
        ("199.99", "7.5", "15.00"),  # 14.99925 -> 15.00
        ("33.33", "33.333", "11.11"),
        ("100", "100", "100.00"),
        ("100", "150", "150.00"),
    ],
)
def test_percent_of(amount: str, percent: str, expected: str) -> None:
    result = percent_of(Decimal(amount), Decimal(percent))
    assert str(result) == expected


@pytest.mark.parametrize(
    ("amount", "expected"),
    [
        (Decimal("150"), "150.00"),
        (Decimal("150.5"), "150.50"),
        (Decimal("0"), "0.00"),
        (Decimal("1.005"), "1.01"),
        (Decimal("-0.5"), "-0.50"),
        (Decimal("1E+3"), "1000.00"),
        (Decimal("9999999999.99"), "9999999999.99"),
    ],
)
def test_render_is_a_two_place_decimal_string(amount: Decimal, expected: str) -> None:
    assert render(amount) == expected


def test_render_rejects_float() -> None:
    with pytest.raises(TypeError):
        render(1.5)  # type: ignore[arg-type]
