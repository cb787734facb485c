"""kassa.core.cancellation: the one plan, ticket orders' part of it, and the reasons."""

from decimal import Decimal

import pytest

from kassa.core.cancellation import (
    LedgerMove,
    OrderKind,
    Plan,
    Released,
    allowed,
    check_reason,
    plan_json,
    version_of,
)
from kassa.core.cancellation.tickets import line_state, plan_tickets, ticket_version
from kassa.core.errors import OrderNotCancellable, ReasonUnknown, TicketsNotInOrder
from kassa.core.orders import LineState, OrderStatus
from tests.unit.builders import line, order

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
    plan = plan_tickets(order(status, mixed_lines()), None)
    assert plan.kind is OrderKind.TICKETS
    assert (plan.from_status, plan.to_status) == (status.value, "canceled")
    assert plan.tickets == ("t1", "t2", "t9")
    assert plan.topic == "order.canceled" and not plan.partial
    assert line_state(plan) is LineState.CANCELED


def test_cancel_order_without_lines_releases_nothing() -> None:
    plan = plan_tickets(order(S.EXECUTED, []), None)
    assert plan.tickets == () and plan.to_status == "canceled"


def test_cancel_plan_does_not_touch_the_order() -> None:
    lines = mixed_lines()
    o = order(S.EXECUTED, lines)
    plan_tickets(o, None)
    assert o.status is S.EXECUTED
    assert [ln.state for ln in o.lines] == [ln.state for ln in mixed_lines()]


@pytest.mark.parametrize("status", [S.CANCELED, S.EXPIRED])
def test_ended_order_is_not_cancellable(status: OrderStatus) -> None:
    with pytest.raises(OrderNotCancellable, match="Order order-1 is not cancellable") as info:
        plan_tickets(order(status, [line("t1")]), None)
    assert info.value.details == {"order": "order-1", "status": status}


def test_a_whole_cancel_of_a_sold_order_refunds_every_ticket_and_keeps_it_done() -> None:
    plan = plan_tickets(order(S.DONE, mixed_lines()), None)
    assert plan.partial and plan.to_status == "done" and plan.topic == "order.partially_canceled"
    assert plan.tickets == ("t1", "t2", "t9") and plan.refund > 0
    assert line_state(plan) is LineState.REFUNDED


def test_expiry_releases_every_ticket_with_its_own_reason() -> None:
    plan = plan_tickets(order(S.EXECUTED, mixed_lines()), None, expire=True)
    assert plan.to_status == "expired" and plan.topic == "order.expired"
    assert plan.reason is not None and plan.reason.code == "expired"


def test_some_tickets_of_an_open_order_are_a_partial_cancel() -> None:
    plan = plan_tickets(order(S.EXECUTED, mixed_lines()), ["t9"])
    assert plan.partial and plan.tickets == ("t9",) and plan.to_status == "executed"
    assert plan.promocodes == () and line_state(plan) is LineState.RELEASED


def test_every_ticket_of_an_open_order_by_name_is_a_whole_cancel() -> None:
    plan = plan_tickets(order(S.EXECUTED, mixed_lines()), ["t1", "t2", "t9"])
    assert not plan.partial and plan.to_status == "canceled"


def test_tickets_not_in_the_order_are_refused() -> None:
    with pytest.raises(TicketsNotInOrder):
        plan_tickets(order(S.EXECUTED, mixed_lines()), ["t5"])


def test_the_version_changes_with_the_order() -> None:
    o = order(S.EXECUTED, mixed_lines())
    before = ticket_version(o)
    o.promocodes = ["p1"]
    assert ticket_version(o) != before
    assert version_of(OrderKind.TICKETS, "a", ["x"]) != version_of(OrderKind.DELIVERY, "a", ["x"])


def test_the_plan_has_one_shape_for_every_kind() -> None:
    empty = Plan(OrderKind.TICKETS, "o", "executed", "canceled", False, "v", "order.canceled")
    full = Plan(
        OrderKind.LOYALTY,
        "o",
        "fulfilled",
        "cancelled",
        False,
        "v",
        "loyalty.cancelled",
        items=(Released("latte", "latte", Decimal(2)), Released("rice", "rice", Decimal("3.5"))),
        ledger=(
            LedgerMove("bonus", "m", None, None, True, Decimal(300)),
            LedgerMove("bonus", "m", None, None, False, Decimal(-45)),
        ),
        refund=Decimal("12.5"),
    )
    shapes = [plan_json(empty), plan_json(full)]
    assert shapes[0].keys() == shapes[1].keys()
    assert shapes[0]["loyalty"].keys() == shapes[1]["loyalty"].keys()
    assert shapes[0]["release"] == {"tickets": [], "items": []}
    assert shapes[0]["loyalty"]["bonuses_revoked"] == "0.00"
    assert [x["quantity"] for x in shapes[1]["release"]["items"]] == [2, 3.5]
    assert isinstance(shapes[1]["release"]["items"][0]["quantity"], int)
    assert shapes[1]["loyalty"]["bonuses_returned"] == "300.00"
    assert shapes[1]["loyalty"]["bonuses_revoked"] == "45.00"
    assert shapes[1]["refund"] == {"amount": "12.50"}


@pytest.mark.parametrize("kind", list(OrderKind))
def test_an_unknown_reason_is_refused_with_the_allowed_ones(kind: OrderKind) -> None:
    with pytest.raises(ReasonUnknown) as info:
        check_reason(kind, "because")
    assert info.value.details["allowed"] == allowed(kind)
    assert "customer_request" in info.value.message


def test_system_reasons_are_only_kassas() -> None:
    with pytest.raises(ReasonUnknown):
        check_reason(OrderKind.TICKETS, "refund")
    assert check_reason(OrderKind.TICKETS, "refund", system=True).code == "refund"
    with pytest.raises(ReasonUnknown):
        check_reason(OrderKind.TICKETS, "place.late")
    assert check_reason(OrderKind.DELIVERY, "place.late").code == "place.late"
