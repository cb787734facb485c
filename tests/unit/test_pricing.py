"""kassa.core.pricing: fee policy (percent + fixed), ticket values and order totals."""

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kassa.core.pricing import (
    FeePolicy,
    OrderValues,
    SetValues,
    TicketValues,
    order_values,
    ticket_values,
)

D = Decimal


# --- FeePolicy ------------------------------------------------------------------------------


def test_fee_policy_defaults_to_no_fee() -> None:
    fee = FeePolicy()
    assert fee.percent == D("0.00")
    assert fee.fixed == D("0.00")
    assert fee.extra_for(D("100.00")) == D("0.00")


@pytest.mark.parametrize(
    ("percent", "fixed", "nominal", "expected"),
    [
        ("10", "0", "150.00", "15.00"),  # percent only
        ("0", "25", "100.00", "25.00"),  # fixed only
        ("10", "5", "150.00", "20.00"),  # percent + fixed
        ("10", "30", "1500.00", "180.00"),
        ("7.5", "0.99", "10.10", "1.75"),  # 0.7575 -> 0.76, + 0.99
        ("10", "0", "0.05", "0.01"),  # 0.005 rounds half-up
        ("10", "0", "0.04", "0.00"),  # 0.004 rounds down
        ("2.5", "0", "0.01", "0.00"),
        ("100", "0", "42.42", "42.42"),
        ("0", "0.125", "10.00", "0.13"),  # a fixed part with more places is rounded too
    ],
)
def test_fee_policy_percent_plus_fixed(
    percent: str, fixed: str, nominal: str, expected: str
) -> None:
    extra = FeePolicy(D(percent), D(fixed)).extra_for(D(nominal))
    assert str(extra) == expected


@pytest.mark.parametrize("nominal", ["0", "0.00", "-0.01", "-100"])
def test_free_ticket_carries_no_fee(nominal: str) -> None:
    fee = FeePolicy(D("10"), D("50"))
    extra = fee.extra_for(D(nominal))
    assert str(extra) == "0.00"


def test_fee_policy_is_frozen() -> None:
    fee = FeePolicy(D("10"))
    with pytest.raises(AttributeError):
        fee.percent = D("20")  # type: ignore[misc]


# --- ticket_values --------------------------------------------------------------------------


def test_ticket_values_without_fee() -> None:
    assert ticket_values(D("150"), FeePolicy()) == TicketValues(
        D("150.00"), D("0.00"), D("150.00"), D("0.00"), D("150.00")
    )


def test_ticket_values_with_fee() -> None:
    fee = FeePolicy(D("10"), D("5"))
    assert ticket_values(D("150"), fee) == TicketValues(
        price=D("150.00"),
        discount=D("0.00"),
        nominal=D("150.00"),
        extra=D("20.00"),
        full=D("170.00"),
    )


def test_ticket_values_fee_is_on_nominal_after_discount() -> None:
    fee = FeePolicy(D("10"))
    assert ticket_values(D("100"), fee, discount=D("30")) == TicketValues(
        D("100.00"), D("30.00"), D("70.00"), D("7.00"), D("77.00")
    )


def test_ticket_values_discount_never_exceeds_price() -> None:
    fee = FeePolicy(D("10"), D("5"))
    values = ticket_values(D("100"), fee, discount=D("150"))
    assert values == TicketValues(D("100.00"), D("100.00"), D("0.00"), D("0.00"), D("0.00"))


def test_free_ticket_has_no_fee_even_with_fixed_part() -> None:
    values = ticket_values(D("0"), FeePolicy(D("10"), D("30")))
    assert values == TicketValues(D("0.00"), D("0.00"), D("0.00"), D("0.00"), D("0.00"))


def test_ticket_values_round_price_and_discount_to_cents() -> None:
    values = ticket_values(D("99.995"), FeePolicy(D("5")), discount=D("0.004"))
    assert values == TicketValues(D("100.00"), D("0.00"), D("100.00"), D("5.00"), D("105.00"))
    for amount in (values.price, values.discount, values.nominal, values.extra, values.full):
        assert amount.as_tuple().exponent == -2


def test_ticket_values_reject_float_price_and_discount() -> None:
    with pytest.raises(TypeError):
        ticket_values(100.0, FeePolicy())  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        ticket_values(D("100"), FeePolicy(), discount=1.0)  # type: ignore[arg-type]


def test_ticket_values_reject_nan_price() -> None:
    with pytest.raises(ValueError, match="not an amount"):
        ticket_values(D("NaN"), FeePolicy())


amounts = st.decimals(min_value=D("0"), max_value=D("9999999.99"), places=2, allow_nan=False)
percents = st.decimals(min_value=D("0"), max_value=D("100"), places=3, allow_nan=False)
fees = st.builds(FeePolicy, percents, amounts.filter(lambda a: a <= 1000))


@given(price=amounts, discount=amounts, fee=fees)
def test_ticket_values_identities(price: Decimal, discount: Decimal, fee: FeePolicy) -> None:
    values = ticket_values(price, fee, discount)
    assert values.price == price
    assert values.discount == min(discount, price)
    assert values.nominal == values.price - values.discount
    assert values.nominal >= 0
    assert values.full == values.nominal + values.extra
    assert values.extra == (fee.extra_for(values.nominal) if values.nominal > 0 else 0)
    if values.nominal == 0:
        assert values.extra == 0


# --- order_values ---------------------------------------------------------------------------


def test_order_values_of_no_tickets_are_zero() -> None:
    values = order_values([])
    assert values == OrderValues(D("0.00"), D("0.00"), D("0.00"), D("0.00"), D("0.00"), ())
    assert str(values.full) == "0.00"


def test_order_values_add_up_across_sets_in_first_seen_order() -> None:
    fee = FeePolicy(D("10"), D("5"))
    vip = ticket_values(D("1000"), fee)  # 1000 + 105 = 1105
    std = ticket_values(D("150"), fee)  # 150 + 20 = 170
    std_discounted = ticket_values(D("150"), fee, discount=D("50"))  # 100 + 15 = 115
    values = order_values(
        [("std", std), ("vip", vip), ("std", std_discounted), ("std", std), ("vip", vip)]
    )
    assert values.price == D("2450.00")
    assert values.discount == D("50.00")
    assert values.nominal == D("2400.00")
    assert values.extra == D("265.00")
    assert values.full == D("2665.00")
    assert values.sets == (
        SetValues("std", 3, D("450.00"), D("50.00"), D("400.00")),
        SetValues("vip", 2, D("2000.00"), D("0.00"), D("2000.00")),
    )


def test_order_values_accept_any_iterable() -> None:
    one = ticket_values(D("10"), FeePolicy())
    values = order_values(("s", one) for _ in range(3))
    assert values.full == D("30.00")
    assert values.sets == (SetValues("s", 3, D("30.00"), D("0.00"), D("30.00")),)


line_strategy = st.tuples(
    st.sampled_from(["a", "b", "c", "d"]),
    st.builds(ticket_values, amounts, fees, amounts),
)


@given(st.lists(line_strategy, max_size=40))
def test_order_totals_equal_sum_of_line_values(lines: list[tuple[str, TicketValues]]) -> None:
    values = order_values(lines)
    for name in ("price", "discount", "nominal", "extra", "full"):
        expected = sum((getattr(v, name) for _, v in lines), D("0.00"))
        assert getattr(values, name) == expected, name
    assert values.full == values.nominal + values.extra
    assert values.nominal == values.price - values.discount

    # per set: first-seen order, counts and sums that add up to the order's totals
    assert [s.set_id for s in values.sets] == list(dict.fromkeys(set_id for set_id, _ in lines))
    assert sum(s.count for s in values.sets) == len(lines)
    for set_values in values.sets:
        mine = [v for set_id, v in lines if set_id == set_values.set_id]
        assert set_values.count == len(mine)
        assert set_values.price == sum((v.price for v in mine), D("0"))
        assert set_values.discount == sum((v.discount for v in mine), D("0"))
        assert set_values.nominal == sum((v.nominal for v in mine), D("0"))
    assert sum((s.price for s in values.sets), D("0")) == values.price
    assert sum((s.nominal for s in values.sets), D("0")) == values.nominal
