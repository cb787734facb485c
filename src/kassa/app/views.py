"""Read models: an order with everything its v2 answer refers to (event, sets, venue, seller,
promo codes) and what one ticket of each set costs with the order's code."""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from kassa.app.readcache import cache_of
from kassa.app.snapshots import sale_catalog
from kassa.core.catalog import Event, TicketSet, Venue
from kassa.core.errors import SetNotOnSale
from kassa.core.orders import Order
from kassa.core.promocodes import PromoCode, SetValue, sets_values
from kassa.store.db import Database


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


async def order_view(
    db: Database, order: Order, now: datetime, held: Mapping[str, PromoCode] | None = None
) -> OrderView:
    return (await order_views(db, [order], now, held))[0]


async def order_views(
    db: Database,
    orders: Sequence[Order],
    now: datetime,
    held: Mapping[str, PromoCode] | None = None,
) -> list[OrderView]:
    """Views of several orders, reading each event, seller and code once.

    The event and its sets come from the catalogue snapshot, venues and sellers' names (never
    changed once made) from the per-process read cache: a view reads only its promo codes,
    and not those either when a command hands over the codes it read in its transaction
    (`held`, `PromoOutcome.held`)."""
    events: dict[str, tuple[Event, dict[str, TicketSet], Venue | None]] = {}
    names: dict[str, str] = {}
    for order in orders:
        if order.event_id not in events:
            events[order.event_id] = await _event(db, order.event_id)
        if order.vendor_id not in names:
            names[order.vendor_id] = await _partner_name(db, order.vendor_id)
    promo_ids = [p for order in orders for p in order.promocodes]
    promos: Mapping[str, PromoCode] = held if held is not None else {}
    if promo_ids and held is None:
        async with db.unit_of_work(write=False) as uow:
            promos = await uow.promos.many(promo_ids)
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


async def _event(db: Database, event_id: str) -> tuple[Event, dict[str, TicketSet], Venue | None]:
    catalog = await sale_catalog(db, event_id)
    assert catalog is not None, f"an order's event {event_id} is gone"
    venue_id = catalog.event.venue_id
    venue = await _venue(db, venue_id) if venue_id else None
    return catalog.event, catalog.sets, venue


async def _venue(db: Database, venue_id: str) -> Venue | None:
    async def load() -> Venue | None:
        async with db.unit_of_work(write=False) as uow:
            return (await uow.catalog.venues_by_id([venue_id])).get(venue_id)

    found = await cache_of(db, "catalog.venues").get(venue_id, load)
    return found if isinstance(found, Venue) else None


async def _partner_name(db: Database, partner_id: str) -> str:
    async def load() -> str | None:
        async with db.unit_of_work(write=False) as uow:
            return await uow.tenants.partner_name(partner_id)

    found = await cache_of(db, "tenants.partner_names").get(partner_id, load)
    return found if isinstance(found, str) else ""


def _price(ticket_set: TicketSet, now: datetime) -> Decimal:
    try:
        return ticket_set.rule_at(now).price
    except SetNotOnSale:
        return ticket_set.price
