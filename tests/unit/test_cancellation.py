"""kassa.core.cancellation: what a cancel or an expiry gives back."""

from datetime import timedelta

import pytest

from kassa.core.cancellation import CancellationPlan, plan_cancellation, plan_expiry
from kassa.core.errors import OrderNotCancellable
from kassa.core.orders import LineState, OrderStatus
from tests.unit.builders import HOLD, T0, line, order

S = OrderStatus


def mixed_lines() -> list:
    return [
        line("t9", "set-a", 3),
        line("t2", "set-b", 1),
        line("t5", "set-a", 1, state=LineState.RELEASED),
        line("t4", "set-a", 2, state=LineState.CANCELED),
        line("t1", "set-a", 4),
    ]


@pytest.mark.parametrize("status", [S.EXECUTED, S.IN_PROGRESS])
def test_cancel_open_order_releases_every_active_ticket_sorted(status: OrderStatus) -> None:
    o = order(status, mixed_lines())
    plan = plan_cancellation(o, reason="customer asked")
    assert plan == CancellationPlan(
        order_id="order-1",
        from_status=status,
        to_status=S.CANCELED,
        release_tickets=("t1", "t2", "t9"),
        reason="customer asked",
    )
    assert plan.topic == "order.canceled"


def test_cancel_reason_defaults_to_none() -> None:
    assert plan_cancellation(order(lines=[line("t1")])).reason is None


def test_cancel_order_without_lines_releases_nothing() -> None:
    plan = plan_cancellation(order(S.EXECUTED, []))
    assert plan.release_tickets == ()
    assert plan.to_status is S.CANCELED


def test_cancel_plan_does_not_touch_the_order() -> None:
    lines = mixed_lines()
    o = order(S.EXECUTED, lines)
    plan_cancellation(o)
    assert o.status is S.EXECUTED
    assert o.lines == lines
    assert [ln.state for ln in o.lines] == [ln.state for ln in mixed_lines()]


@pytest.mark.parametrize("status", [S.DONE, S.CANCELED, S.EXPIRED])
def test_closed_order_is_not_cancellable(status: OrderStatus) -> None:
    with pytest.raises(OrderNotCancellable, match="Order order-1 is not cancellable") as info:
        plan_cancellation(order(status, [line("t1")]))
    assert info.value.details == {"order": "order-1", "status": status}
    assert info.value.code == "order_not_cancellable"


@pytest.mark.parametrize("status", [S.EXECUTED, S.IN_PROGRESS])
def test_open_order_not_due_does_not_expire(status: OrderStatus) -> None:
    o = order(status, mixed_lines(), reserved_till=T0 + HOLD)
    assert plan_expiry(o, T0) is None
    assert plan_expiry(o, T0 + HOLD - timedelta(microseconds=1)) is None


@pytest.mark.parametrize("status", [S.EXECUTED, S.IN_PROGRESS])
@pytest.mark.parametrize("late", [timedelta(0), timedelta(seconds=1), timedelta(days=3)])
def test_due_open_order_expires(status: OrderStatus, late: timedelta) -> None:
    o = order(status, mixed_lines(), reserved_till=T0 + HOLD)
    plan = plan_expiry(o, T0 + HOLD + late)
    assert plan == CancellationPlan(
        order_id="order-1",
        from_status=status,
        to_status=S.EXPIRED,
        release_tickets=("t1", "t2", "t9"),
        reason="reservation expired",
    )
    assert plan.topic == "order.expired"
    assert o.status is status


@pytest.mark.parametrize("status", [S.DONE, S.CANCELED, S.EXPIRED])
def test_closed_order_never_expires(status: OrderStatus) -> None:
    o = order(status, [line("t1")], reserved_till=T0)
    assert plan_expiry(o, T0 + timedelta(days=365)) is None


@pytest.mark.parametrize(
    ("to_status", "topic"),
    [(S.CANCELED, "order.canceled"), (S.EXPIRED, "order.expired"), (S.DONE, "order.done")],
)
def test_plan_topic(to_status: OrderStatus, topic: str) -> None:
    plan = CancellationPlan("o", S.EXECUTED, to_status, (), None)
    assert plan.topic == topic
