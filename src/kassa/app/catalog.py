"""Organiser use cases for the catalogue, and the reads a seller needs."""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from decimal import Decimal
from functools import cache
from typing import Any
from zoneinfo import available_timezones

from kassa.app.ids import new_id, new_serial
from kassa.app.snapshots import snapshots
from kassa.core.catalog import (
    Event,
    EventStatus,
    PriceRule,
    TicketRow,
    TicketSet,
    TicketStatus,
    Venue,
    validate_capacity,
    validate_lifetime,
    validate_price,
)
from kassa.core.errors import ActionForbidden, CatalogInvalid, EventNotFound, SetNotFound
from kassa.core.money import money
from kassa.core.pricing import FeePolicy
from kassa.core.tenancy import Principal
from kassa.store.catalog import NewTicket
from kassa.store.db import Database, UnitOfWork


@dataclass(frozen=True)
class SetView:
    """A set with its live counts, as the catalogue reads show it."""

    ticket_set: TicketSet
    amount: int
    amount_vacant: int


@dataclass(frozen=True)
class EventView:
    event: Event
    venue: Venue | None
    sets: list[SetView]
    created_at: datetime
    updated_at: datetime
    org_name: str
    fee: FeePolicy


def _organiser(principal: Principal) -> None:
    if not principal.is_organiser:
        raise ActionForbidden("Only the organiser's key may change the catalogue")


async def own_event(uow: UnitOfWork, principal: Principal, event_id: str) -> Event:
    event = await uow.catalog.event(event_id)
    if event is None or event.org_id != principal.org_id:
        raise EventNotFound(f"Event {event_id} not found", event=event_id)
    if not principal.is_organiser and event.status is not EventStatus.PUBLIC:
        raise EventNotFound(f"Event {event_id} not found", event=event_id)
    return event


@cache
def _zones() -> frozenset[str]:
    return frozenset(available_timezones()) | {"UTC"}


def ensure_timezone(name: str) -> None:
    """An IANA time zone, the one the ticket PDF shows local times in (a made-up name would
    break every ticket e-mail of the event later, in the worker)."""
    if name not in _zones():
        raise CatalogInvalid(f"unknown time zone {name!r} (an IANA name, e.g. Europe/Moscow)")


async def create_venue(
    db: Database,
    principal: Principal,
    now: datetime,
    *,
    name: str,
    timezone: str,
    address: str = "",
    city: str = "",
    country: str = "",
    venue_id: str | None = None,
) -> Venue:
    _organiser(principal)
    ensure_timezone(timezone)
    venue = Venue(venue_id or new_id(now), principal.org_id, name, address, city, country, timezone)
    async with db.unit_of_work() as uow:
        await uow.catalog.add_venue(venue)
        await uow.commit()
    return venue


async def create_event(
    db: Database,
    principal: Principal,
    now: datetime,
    *,
    title: str,
    description: str | None,
    starts_at: datetime,
    ends_at: datetime,
    timezone: str,
    status: EventStatus = EventStatus.DRAFT,
    venue_id: str | None = None,
    age_rating: int = 0,
    event_id: str | None = None,
) -> Event:
    """A new event of the caller's organisation."""
    _organiser(principal)
    validate_lifetime(starts_at, ends_at)
    ensure_timezone(timezone)
    event = Event(
        event_id or new_id(now),
        principal.org_id,
        title,
        description,
        starts_at,
        ends_at,
        timezone,
        status,
        venue_id,
        age_rating,
    )
    async with db.unit_of_work() as uow:
        await _ensure_venue(uow, principal, venue_id)
        await uow.catalog.add_event(event, now)
        await uow.commit()
    return event


async def _ensure_venue(uow: UnitOfWork, principal: Principal, venue_id: str | None) -> None:
    """A venue named by an event must be one of the caller's organisation."""
    if venue_id is None:
        return
    venue = (await uow.catalog.venues_by_id([venue_id])).get(venue_id)
    if venue is None or venue.org_id != principal.org_id:
        raise CatalogInvalid(f"Venue {venue_id} not found")


async def update_event(
    db: Database, principal: Principal, event_id: str, now: datetime, **changes: Any
) -> Event:
    """Change an event's fields (title, description, times, timezone, status, venue)."""
    _organiser(principal)
    async with db.unit_of_work() as uow:
        event = replace(await own_event(uow, principal, event_id), **changes)
        validate_lifetime(event.starts_at, event.ends_at)
        if "timezone" in changes:
            ensure_timezone(event.timezone)
        if "venue_id" in changes:
            await _ensure_venue(uow, principal, event.venue_id)
        await uow.catalog.update_event(event, now)
        await uow.commit()
        snapshots(db).invalidate(event_id)
    return event


async def create_set(
    db: Database,
    principal: Principal,
    event_id: str,
    now: datetime,
    *,
    name: str,
    price: Decimal,
    capacity: int,
    position: int = 0,
    set_id: str | None = None,
    rule_id: str | None = None,
    serial: str | None = None,
) -> TicketSet:
    """A set with `capacity` ticket rows and its open price rule."""
    _organiser(principal)
    validate_price(price)
    price = money(price)
    validate_capacity(capacity)
    set_id = set_id or new_id(now)
    rule = PriceRule(rule_id or new_id(now), set_id, price)
    ticket_set = TicketSet(
        set_id, event_id, name, price, capacity, serial or new_serial(), False, position, (rule,)
    )
    async with db.unit_of_work() as uow:
        await own_event(uow, principal, event_id)
        await uow.catalog.add_set(ticket_set, now)
        await uow.catalog.add_rule(rule, now)
        await _add_tickets(uow, ticket_set, 0, capacity, now)
        await uow.commit()
        snapshots(db).invalidate(event_id)
    return ticket_set


async def _add_tickets(
    uow: UnitOfWork, ticket_set: TicketSet, after: int, count: int, now: datetime
) -> None:
    first = max(after, 100_000) + 1
    new = [NewTicket(new_id(now), first + i) for i in range(count)]
    await uow.catalog.add_tickets(ticket_set.event_id, ticket_set.id, ticket_set.serial, new)


async def _own_set(uow: UnitOfWork, principal: Principal, event_id: str, set_id: str) -> TicketSet:
    await own_event(uow, principal, event_id)
    for ticket_set in await uow.catalog.sets_of(event_id):
        if ticket_set.id == set_id:
            return ticket_set
    raise SetNotFound(f"Set {set_id} not found", set=set_id)


async def update_set(
    db: Database,
    principal: Principal,
    event_id: str,
    set_id: str,
    now: datetime,
    *,
    name: str | None = None,
    price: Decimal | None = None,
    capacity: int | None = None,
    position: int | None = None,
) -> TicketSet:
    """Rename, reprice (the open rule follows) or resize a set; held tickets stay."""
    _organiser(principal)
    if price is not None:
        validate_price(price)
    async with db.unit_of_work() as uow:
        current = await _own_set(uow, principal, event_id, set_id)
        updated = replace(
            current,
            name=name if name is not None else current.name,
            price=money(price) if price is not None else current.price,
            position=position if position is not None else current.position,
        )
        if capacity is not None and capacity != current.capacity:
            updated = await _resize(uow, updated, capacity, now)
        await uow.catalog.update_set(updated)
        for rule in updated.rules:
            if not rule.is_windowed and rule.price != updated.price:
                await uow.catalog.update_rule(replace(rule, price=updated.price))
        await uow.commit()
        snapshots(db).invalidate(event_id)
    return updated


async def _resize(
    uow: UnitOfWork, ticket_set: TicketSet, capacity: int, now: datetime
) -> TicketSet:
    counts = (await uow.catalog.ticket_counts(ticket_set.event_id)).get(ticket_set.id, {})
    taken = sum(n for status, n in counts.items() if status != TicketStatus.VACANT.value)
    validate_capacity(capacity, sold_or_held=taken)
    if capacity > ticket_set.capacity:
        last = await uow.catalog.max_ticket_number(ticket_set.id)
        await _add_tickets(uow, ticket_set, last, capacity - ticket_set.capacity, now)
    else:
        surplus = ticket_set.capacity - capacity
        removed = await uow.catalog.remove_vacant_tickets(ticket_set.id, surplus)
        if removed < surplus:
            raise CatalogInvalid("tickets were reserved meanwhile; try again")
    return replace(ticket_set, capacity=capacity)


async def add_rule(
    db: Database,
    principal: Principal,
    event_id: str,
    set_id: str,
    now: datetime,
    *,
    price: Decimal,
    starts_at: datetime | None,
    ends_at: datetime | None,
) -> PriceRule:
    """A price for a time window; inside it, it beats the set's open price."""
    _organiser(principal)
    validate_price(price)
    price = money(price)
    if starts_at is not None and ends_at is not None:
        validate_lifetime(starts_at, ends_at)
    rule = PriceRule(new_id(now), set_id, price, starts_at, ends_at)
    async with db.unit_of_work() as uow:
        await _own_set(uow, principal, event_id, set_id)
        await uow.catalog.add_rule(rule, now)
        await uow.commit()
        snapshots(db).invalidate(event_id)
    return rule


async def delete_rule(
    db: Database, principal: Principal, event_id: str, set_id: str, rule_id: str
) -> None:
    """Drop a windowed rule (the open rule stays: a set always has a price)."""
    _organiser(principal)
    async with db.unit_of_work() as uow:
        ticket_set = await _own_set(uow, principal, event_id, set_id)
        rule = next((r for r in ticket_set.rules if r.id == rule_id), None)
        if rule is None:
            raise SetNotFound(f"Rule {rule_id} not found", rule=rule_id)
        if not rule.is_windowed:
            raise CatalogInvalid("the open price rule cannot be deleted; change the set's price")
        await uow.catalog.delete_rule(rule_id)
        await uow.commit()
        snapshots(db).invalidate(event_id)


async def _view(uow: UnitOfWork, event: Event) -> EventView:
    sets = await uow.catalog.sets_of(event.id)
    counts = await uow.catalog.ticket_counts(event.id)
    venues = await uow.catalog.venues_by_id([event.venue_id] if event.venue_id else [])
    times = await uow.catalog.event_times(event.id)
    if times is None:
        raise EventNotFound(f"Event {event.id} not found", event=event.id)
    created_at, updated_at = times
    views = [
        SetView(
            s,
            sum(counts.get(s.id, {}).values()),
            counts.get(s.id, {}).get(TicketStatus.VACANT.value, 0),
        )
        for s in sets
    ]
    org_name = await uow.tenants.organisation_name(event.org_id) or ""
    fee = await uow.tenants.fee_policy(event.org_id)
    return EventView(
        event, venues.get(event.venue_id or ""), views, created_at, updated_at, org_name, fee
    )


async def event_view(db: Database, principal: Principal, event_id: str) -> EventView:
    async with db.unit_of_work(write=False) as uow:
        return await _view(uow, await own_event(uow, principal, event_id))


async def event_views(
    db: Database, principal: Principal, event_ids: Iterable[str]
) -> dict[str, EventView]:
    """The views of the events the caller may read, by id, in one read; others are left out."""
    found: dict[str, EventView] = {}
    async with db.unit_of_work(write=False) as uow:
        for event_id in dict.fromkeys(event_ids):
            try:
                found[event_id] = await _view(uow, await own_event(uow, principal, event_id))
            except EventNotFound:
                continue
    return found


async def catalogue(db: Database, principal: Principal) -> list[EventView]:
    """The events a caller may sell: a seller sees public ones, the organiser all."""
    statuses = None if principal.is_organiser else [EventStatus.PUBLIC]
    async with db.unit_of_work(write=False) as uow:
        return [
            await _view(uow, event)
            for event in await uow.catalog.events_of(principal.org_id, statuses)
        ]


async def event_tickets(
    db: Database,
    principal: Principal,
    event_id: str,
    statuses: Sequence[TicketStatus],
    sector: str | None = None,
) -> list[TicketRow]:
    async with db.unit_of_work(write=False) as uow:
        await own_event(uow, principal, event_id)
        return await uow.catalog.tickets_of(event_id, statuses, sector)
