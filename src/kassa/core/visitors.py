"""Visitors' names on an order's tickets: venues of AIS Mosbilet sell only named tickets.

The seller sends one entry per visitor while the order is `executed`. An entry that names its
ticket goes on that ticket; the entries that name none fill the order's other tickets in the
order's own order. Names are kept as sent (the docs' example puts the family name in `name`).
"""

from collections.abc import Sequence
from dataclasses import dataclass

from kassa.core.errors import UserDataInvalid
from kassa.core.orders import Order, OrderStatus


@dataclass(frozen=True)
class Visitor:
    user_id: str
    name: str
    surname: str
    middle_name: str | None = None
    ticket_id: str | None = None


def seat_visitors(order: Order, visitors: Sequence[Visitor]) -> list[Visitor]:
    """Each visitor with the ticket it goes on; raises unless every one has its own."""
    if order.status is not OrderStatus.EXECUTED:
        raise UserDataInvalid(
            f"Incorrect status {order.status.value} for this operation", status=order.status
        )
    held = [line.ticket_id for line in order.active_lines]
    named = [v.ticket_id for v in visitors if v.ticket_id is not None]
    for ticket_id in named:
        if ticket_id not in held:
            raise UserDataInvalid(
                f"ticket (id = {ticket_id}) does not belong to current order", ticket=ticket_id
            )
    if len(set(named)) != len(named):
        raise UserDataInvalid("a ticket can have one visitor only")
    free = iter([t for t in held if t not in set(named)])
    seated = []
    for visitor in visitors:
        seat = visitor.ticket_id or next(free, None)
        if seat is None:
            raise UserDataInvalid("more visitors than tickets in the order")
        seated.append(
            Visitor(visitor.user_id, visitor.name, visitor.surname, visitor.middle_name, seat)
        )
    return seated
