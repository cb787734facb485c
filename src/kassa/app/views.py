"""Read models: an order with everything its v2 answer refers to (event, sets, venue, seller,
promo codes) and what one ticket of each set costs with the order's code."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from kassa.core.catalog import Event, TicketSet, Venue
from kassa.core.errors import SetNotOnSale
from kassa.core.orders import Order
from kassa.core.promocodes import PromoCode, SetValue, sets_values
from kassa.store.db import Database, UnitOfWork


@dataclass(frozen=True)
class OrderView:
    order: Order
    event: Event
    sets: dict[str, TicketSet]
    set_prices: dict[str, Decimal]  # a ticket of each set at today's price, before discounts
    venue: Venue | None
    vendor_name: str
    promos: dict[str, PromoCode]

    @property
    def sets_values(self) -> dict[str, SetValue]:
        applied = next(iter(self.promos.values()), None)
        return sets_values(self.set_prices, applied)


async def order_view(db: Database, order: Order, now: datetime) -> OrderView:
    return (await order_views(db, [order], now))[0]


async def order_views(db: Database, orders: Sequence[Order], now: datetime) -> list[OrderView]:
    """Views of several orders, reading each event, seller and code once."""
    async with db.unit_of_work(write=False) as uow:
        events: dict[str, tuple[Event, dict[str, TicketSet], Venue | None]] = {}
        names: dict[str, str] = {}
        for order in orders:
            if order.event_id not in events:
                events[order.event_id] = await _event(uow, order.event_id)
            if order.vendor_id not in names:
                names[order.vendor_id] = await uow.tenants.partner_name(order.vendor_id) or ""
        promos = await uow.promos.many(p for order in orders for p in order.promocodes)
    views = []
    for order in orders:
        event, sets, venue = events[order.event_id]
        views.append(
            OrderView(
                order,
                event,
                sets,
                {set_id: _price(s, now) for set_id, s in sets.items()},
                venue,
                names[order.vendor_id],
                {p: promos[p] for p in order.promocodes if p in promos},
            )
        )
    return views


async def _event(
    uow: UnitOfWork, event_id: str
) -> tuple[Event, dict[str, TicketSet], Venue | None]:
    event = await uow.catalog.event(event_id)
    assert event is not None, f"an order's event {event_id} is gone"
    sets = {s.id: s for s in await uow.catalog.sets_of(event_id)}
    venues = await uow.catalog.venues_by_id([event.venue_id] if event.venue_id else [])
    return event, sets, venues.get(event.venue_id or "")


def _price(ticket_set: TicketSet, now: datetime) -> Decimal:
    try:
        return ticket_set.rule_at(now).price
    except SetNotOnSale:
        return ticket_set.price
