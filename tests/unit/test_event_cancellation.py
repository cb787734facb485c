"""kassa.core.event_cancellation: the organiser's decision on the money, the progress shown,
what a job accepts."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kassa.core.cancellation import Basis, Policy, Scope, Terms, assess, ensure_allowed
from kassa.core.errors import CatalogInvalid
from kassa.core.event_cancellation import (
    EventCancellation,
    JobStatus,
    PolicyChoice,
    check_reason_text,
    parse_choice,
)

NOW = datetime(2027, 3, 1, 12, 0, tzinfo=UTC)
STRICT = Policy(
    Scope.EVENT,
    "e" * 24,
    paid=Terms(allowed=True, deadline_hours=48, fixed_fee=Decimal("50.00"), percent=Decimal(10)),
)
# The event starts in an hour: the policy's window closed 47 hours ago.
PAID = Basis(paid=True, gross=Decimal("1000.00"), anchor=NOW + timedelta(hours=1), tickets=1)


def job(policy: PolicyChoice = PolicyChoice.FULL_REFUND, **kw: object) -> EventCancellation:
    values: dict[str, object] = {
        "id": "a" * 24,
        "org_id": "o" * 24,
        "event_id": "e" * 24,
        "set_id": None,
        "policy": policy,
        "reason": "rain",
        "status": JobStatus.RUNNING,
        "created_by": "operator:admin@demo.kassa",
        "created_at": NOW,
        "updated_at": NOW,
        **kw,
    }
    return EventCancellation(**values)  # type: ignore[arg-type]


def test_a_full_refund_waives_the_fee_and_the_window() -> None:
    charge = assess(STRICT, PAID, NOW, job().override())
    assert charge.fee == Decimal(0) and charge.policy_fee == Decimal("150.00")
    assert not charge.allowed
    ensure_allowed(charge, "x")  # the override lets it through


def test_the_events_policy_keeps_its_fee_outside_its_window() -> None:
    override = job(PolicyChoice.EVENT).override()
    charge = assess(STRICT, PAID, NOW, override)
    assert charge.fee == charge.policy_fee == Decimal("150.00")
    assert override.reason == "event cancelled: rain" and override.by.startswith("operator:")
    ensure_allowed(charge, "x")


def test_the_events_policy_with_no_policy_set_is_free() -> None:
    assert assess(None, PAID, NOW, job(PolicyChoice.EVENT).override()).fee == Decimal(0)


@given(st.integers(0, 10_000), st.integers(0, 10_000))
def test_percent_stays_within_0_and_99_until_done(total: int, visited: int) -> None:
    running = job(total=total, cancelled=min(visited, total))
    assert 0 <= running.percent <= 99
    assert job(status=JobStatus.DONE, total=total).percent == 100


def test_choices_and_reasons_are_checked() -> None:
    assert parse_choice("event_policy") is PolicyChoice.EVENT
    assert parse_choice("full_refund") is PolicyChoice.FULL_REFUND
    with pytest.raises(CatalogInvalid):
        parse_choice("half")
    assert check_reason_text("  storm ") == "storm"
    for bad in ("", "   ", "x" * 501):
        with pytest.raises(CatalogInvalid):
            check_reason_text(bad)
