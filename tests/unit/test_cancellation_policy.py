"""kassa.core.cancellation.policy: the fee arithmetic, the window, the override."""

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kassa.core.cancellation import Basis, Override, Policy, Scope, Terms, assess, ensure_allowed
from kassa.core.cancellation.plan import Plan, plan_json
from kassa.core.cancellation.policy import deadline_of, fee_of
from kassa.core.cancellation.reasons import OrderKind
from kassa.core.errors import CancellationClosed

START = datetime(2027, 3, 1, 19, 0, tzinfo=UTC)
cents = st.decimals(min_value=0, max_value=100_000, places=2, allow_nan=False)
percents = st.decimals(min_value=0, max_value=100, places=4, allow_nan=False)

terms_st = st.builds(
    Terms,
    allowed=st.booleans(),
    deadline_hours=st.none() | st.integers(0, 1000),
    fixed_fee=cents,
    percent=percents,
    per_ticket=cents,
    keep_service_fee=st.booleans(),
)


@st.composite
def bases(draw: st.DrawFn) -> Basis:
    gross = draw(cents)
    return Basis(
        paid=draw(st.booleans()),
        gross=gross,
        anchor=START,
        tickets=draw(st.integers(0, 50)),
        service=draw(st.decimals(min_value=0, max_value=gross, places=2, allow_nan=False)),
    )


@given(terms_st, bases())
def test_the_fee_is_never_negative_nor_above_the_refund(terms: Terms, basis: Basis) -> None:
    fee = fee_of(terms, basis)
    assert Decimal(0) <= fee <= basis.gross
    assert fee == fee.quantize(Decimal("0.01"))
    if not basis.paid:
        assert fee == 0


@given(terms_st, terms_st, bases(), st.integers(-2000, 2000), st.none() | cents)
def test_refund_plus_fee_is_what_was_paid(
    unpaid: Terms, paid: Terms, basis: Basis, minutes: int, override_fee: Decimal | None
) -> None:
    policy = Policy(Scope.EVENT, "e", unpaid=unpaid, paid=paid)
    now = START + timedelta(minutes=minutes)
    for override in (None, Override("operator:a@b", "goodwill", override_fee)):
        charge = assess(policy, basis, now, override)
        plan = Plan(OrderKind.TICKETS, "o", "done", "done", True, "v", "t", refund=basis.gross)
        plan = replace(plan, charge=charge)
        assert plan.net + charge.fee == basis.gross
        assert Decimal(0) <= charge.fee <= basis.gross
        assert Decimal(plan_json(plan)["refund"]["amount"]) + charge.fee == basis.gross


def test_the_fee_adds_fixed_percent_per_ticket_and_the_service_fee() -> None:
    terms = Terms(
        fixed_fee=Decimal("50"),
        percent=Decimal("10"),
        per_ticket=Decimal("20"),
        keep_service_fee=True,
    )
    basis = Basis(True, Decimal("1100.00"), START, tickets=2, service=Decimal("100.00"))
    assert fee_of(terms, basis) == Decimal("300.00")  # 50 + 110 + 40 + 100
    assert fee_of(terms, Basis(True, Decimal("120.00"), START, 2, Decimal("30"))) == Decimal(
        "120.00"
    )  # capped at the refund


def test_a_percent_fee_rounds_half_up_to_cents() -> None:
    terms = Terms(percent=Decimal("12.5"))
    assert fee_of(terms, Basis(True, Decimal("0.20"), START)) == Decimal("0.03")
    assert fee_of(terms, Basis(True, Decimal("0.12"), START)) == Decimal("0.02")


def test_an_event_deadline_counts_back_from_the_start_and_others_forward() -> None:
    terms = Terms(deadline_hours=48)
    assert deadline_of(terms, Scope.EVENT, START) == START - timedelta(hours=48)
    assert deadline_of(terms, Scope.SHOP, START) == START + timedelta(hours=48)
    assert deadline_of(Terms(), Scope.EVENT, START) is None


def test_a_cancel_past_the_deadline_is_refused_unless_overridden() -> None:
    policy = Policy(Scope.EVENT, "e", paid=Terms(deadline_hours=24, fixed_fee=Decimal("5")))
    basis = Basis(True, Decimal("100.00"), START)
    on_time = assess(policy, basis, START - timedelta(hours=24))
    assert on_time.allowed and on_time.fee == Decimal("5.00")
    ensure_allowed(on_time, "o")
    late = assess(policy, basis, START - timedelta(hours=23, minutes=59))
    assert not late.allowed
    with pytest.raises(CancellationClosed) as refused:
        ensure_allowed(late, "o")
    assert refused.value.details["deadline"] == (START - timedelta(hours=24)).isoformat()
    waived = assess(policy, basis, START, Override("operator:x", "the venue moved"))
    ensure_allowed(waived, "o")
    assert waived.fee == 0 and waived.policy_fee == Decimal("5.00")
    other = assess(policy, basis, START, Override("operator:x", "half", Decimal("500")))
    assert other.fee == Decimal("100.00")  # an override's fee is capped too


def test_unpaid_terms_only_say_whether_and_until_when() -> None:
    policy = Policy(Scope.EVENT, "e", unpaid=Terms(allowed=False, fixed_fee=Decimal("9")))
    charge = assess(policy, Basis(False, Decimal("0.00"), START), START - timedelta(days=9))
    assert not charge.allowed and charge.fee == 0 and charge.terms == "unpaid"


def test_the_plan_json_keeps_one_shape_with_or_without_a_policy() -> None:
    plan = Plan(OrderKind.TICKETS, "o", "new", "canceled", False, "v", "order.canceled")
    free = plan_json(plan)
    assert free["fee"] == {
        "amount": "0.00",
        "policy_amount": "0.00",
        "policy": None,
        "terms": None,
        "deadline": None,
        "allowed": True,
        "override": None,
    }
    assert free["refund"] == {"amount": "0.00"}


def test_a_policy_fingerprint_changes_with_its_terms() -> None:
    one = Policy(Scope.EVENT, "e", paid=Terms(fixed_fee=Decimal("1")))
    two = Policy(Scope.EVENT, "e", paid=Terms(fixed_fee=Decimal("2")))
    assert one.fingerprint() != two.fingerprint()
    assert (
        one.fingerprint()
        == Policy(Scope.EVENT, "e", paid=Terms(fixed_fee=Decimal("1.00"))).fingerprint()
    )
