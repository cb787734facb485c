"""Small builders for core objects, shared by the unit tests (no I/O)."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from kassa.core.orders import LineState, Order, OrderLine, OrderStatus
from kassa.core.pricing import FeePolicy, TicketValues, ticket_values

T0 = datetime(2030, 1, 1, 12, 0, tzinfo=UTC)
HOLD = timedelta(minutes=15)


def values(price: str = "100", fee: FeePolicy | None = None) -> TicketValues:
    return ticket_values(Decimal(price), fee or FeePolicy())


def line(
    ticket_id: str,
    set_id: str = "set-a",
    number: int = 1,
    *,
    state: LineState = LineState.ACTIVE,
    price: str = "100",
    rule_id: str | None = None,
) -> OrderLine:
    return OrderLine(
        ticket_id=ticket_id,
        set_id=set_id,
        rule_id=rule_id or f"rule-{set_id}",
        serial="AAA",
        number=number,
        values=values(price),
        state=state,
    )


def order(
    status: OrderStatus = OrderStatus.EXECUTED,
    lines: list[OrderLine] | None = None,
    *,
    reserved_till: datetime = T0 + HOLD,
    order_id: str = "order-1",
) -> Order:
    return Order(
        id=order_id,
        number=1,
        event_id="event-1",
        org_id="org-1",
        vendor_id="org-1",
        status=status,
        created_at=T0,
        updated_at=T0,
        reserved_till=reserved_till,
        lines=list(lines or []),
    )
