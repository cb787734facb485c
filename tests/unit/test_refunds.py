"""Refund requests as pure functions: validation with the documented messages, money, states."""

from dataclasses import replace
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from kassa.core.errors import RefundInvalid
from kassa.core.orders import Order, OrderStatus
from kassa.core.pricing import FeePolicy, ticket_values
from kassa.core.refunds import RefundStatus, new_refund, transition
from tests.unit.builders import line, order

NOW = datetime(2026, 11, 24, 12, tzinfo=UTC)


def order_with(count: int, status: OrderStatus = OrderStatus.EXECUTED) -> Order:
    fee = FeePolicy(percent=Decimal("10"))
    lines = [
        replace(line(f"t{i}", number=i), values=ticket_values(Decimal("100"), fee))
        for i in range(count)
    ]
    return order(status, lines)


def done_order() -> Order:
    return order_with(3, OrderStatus.DONE)


def test_money_depends_on_the_culprit() -> None:
    o = done_order()
    tickets = [line.ticket_id for line in o.active_lines][:2]
    nominal = sum((x.values.nominal for x in o.active_lines[:2]), Decimal(0))
    full = sum((x.values.full for x in o.active_lines[:2]), Decimal(0))
    user = new_refund(
        "r1", o, tickets, culprit="user", policy="general", now=NOW, requested_at=None, others=[]
    )
    assert (user.refund_nominal, user.customer_money) == (nominal, nominal)
    org = new_refund(
        "r2", o, tickets, culprit="org", policy="general", now=NOW, requested_at=None, others=[]
    )
    assert org.customer_money == full
    law = new_refund(
        "r3", o, tickets, culprit="user", policy="law_ru_193", now=NOW, requested_at=None, others=[]
    )
    assert law.customer_money == full


def test_documented_errors() -> None:
    o = done_order()
    first = o.active_lines[0].ticket_id
    with pytest.raises(RefundInvalid, match="Empty tickets for refund"):
        new_refund(
            "r", o, [], culprit="user", policy="general", now=NOW, requested_at=None, others=[]
        )
    with pytest.raises(RefundInvalid, match="bad tickets"):
        new_refund(
            "r",
            o,
            ["nope"],
            culprit="user",
            policy="general",
            now=NOW,
            requested_at=None,
            others=[],
        )
    with pytest.raises(RefundInvalid, match="bad tickets"):
        new_refund(
            "r",
            o,
            [first, first],
            culprit="user",
            policy="general",
            now=NOW,
            requested_at=None,
            others=[],
        )
    taken = new_refund(
        "r", o, [first], culprit="user", policy="general", now=NOW, requested_at=None, others=[]
    )
    with pytest.raises(RefundInvalid, match="Some tickets already use in another refund request"):
        new_refund(
            "r2",
            o,
            [first],
            culprit="user",
            policy="general",
            now=NOW,
            requested_at=None,
            others=[taken],
        )
    rejected = replace(taken, status=RefundStatus.REJECTED)
    new_refund(
        "r3",
        o,
        [first],
        culprit="user",
        policy="general",
        now=NOW,
        requested_at=None,
        others=[rejected],
    )
    open_order = order_with(1)
    with pytest.raises(RefundInvalid, match=r"wrong order \(id: .*\) status: executed"):
        new_refund(
            "r",
            open_order,
            [open_order.active_lines[0].ticket_id],
            culprit="user",
            policy="general",
            now=NOW,
            requested_at=None,
            others=[],
        )


def test_states() -> None:
    o = done_order()
    refund = new_refund(
        "r",
        o,
        [o.active_lines[0].ticket_id],
        culprit="user",
        policy="general",
        now=NOW,
        requested_at=None,
        others=[],
    )
    working = transition(refund, RefundStatus.IN_PROGRESS, NOW)
    assert working.finished_at is None
    done = transition(working, RefundStatus.APPROVED, NOW)
    assert done.finished_at == NOW
    for target in RefundStatus:
        with pytest.raises(RefundInvalid, match="Incorrect status approved for this operation"):
            transition(done, target, NOW)
