"""Events, venues, ticket sets, price rules and the ticket rows themselves."""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Row, delete, func, insert, select, update

from kassa.core.catalog import (
    Event,
    EventStatus,
    PriceRule,
    TicketRow,
    TicketSet,
    TicketStatus,
    Venue,
)
from kassa.store.tables import events, orders, price_rules, ticket_sets, tickets, venues
from kassa.store.tx import Tx
from kassa.store.types import fixed


@dataclass(frozen=True)
class NewTicket:
    id: str
    number: int
    seat_sector: str | None = None
    seat_row: int | None = None
    seat_number: int | None = None


class CatalogRepo:
    def __init__(self, conn: Tx) -> None:
        self._conn = conn

    async def add_venue(self, venue: Venue) -> None:
        await self._conn.execute(insert(venues).values(**venue.__dict__))

    async def venues_by_id(self, ids: Iterable[str]) -> dict[str, Venue]:
        wanted = list(set(ids))
        if not wanted:
            return {}
        rows = await self._conn.execute(select(venues).where(venues.c.id.in_(wanted)))
        return {row.id: Venue(**row._mapping) for row in rows}

    async def add_event(self, event: Event, now: datetime) -> None:
        await self._conn.execute(
            insert(events).values(**_event_values(event), created_at=now, updated_at=now)
        )

    async def update_event(self, event: Event, now: datetime) -> None:
        await self._conn.execute(
            update(events)
            .where(events.c.id == event.id)
            .values(**_event_values(event), updated_at=now)
        )

    async def event(self, event_id: str) -> Event | None:
        row = (await self._conn.execute(select(events).where(events.c.id == event_id))).first()
        return _event(row) if row else None

    async def event_times(self, event_id: str) -> tuple[datetime, datetime] | None:
        row = (
            await self._conn.execute(
                select(events.c.created_at, events.c.updated_at).where(events.c.id == event_id)
            )
        ).first()
        return (row.created_at, row.updated_at) if row else None

    async def events_of(
        self, org_id: str, statuses: Sequence[EventStatus] | None = None
    ) -> list[Event]:
        query = select(events).where(events.c.org_id == org_id).order_by(events.c.starts_at)
        if statuses:
            query = query.where(events.c.status.in_([s.value for s in statuses]))
        return [_event(row) for row in await self._conn.execute(query)]

    async def add_set(self, ticket_set: TicketSet, now: datetime) -> None:
        await self._conn.execute(
            insert(ticket_sets).values(
                id=ticket_set.id,
                event_id=ticket_set.event_id,
                name=ticket_set.name,
                price=ticket_set.price,
                capacity=ticket_set.capacity,
                serial=ticket_set.serial,
                with_seats=ticket_set.with_seats,
                position=ticket_set.position,
                created_at=now,
            )
        )

    async def update_set(self, ticket_set: TicketSet) -> None:
        await self._conn.execute(
            update(ticket_sets)
            .where(ticket_sets.c.id == ticket_set.id)
            .values(
                name=ticket_set.name,
                price=ticket_set.price,
                capacity=ticket_set.capacity,
                position=ticket_set.position,
            )
        )

    async def add_rule(self, rule: PriceRule, now: datetime) -> None:
        await self._conn.execute(insert(price_rules).values(**rule.__dict__, created_at=now))

    async def update_rule(self, rule: PriceRule) -> None:
        values = {k: v for k, v in rule.__dict__.items() if k not in ("id", "set_id")}
        await self._conn.execute(
            update(price_rules).where(price_rules.c.id == rule.id).values(**values)
        )

    async def delete_rule(self, rule_id: str) -> None:
        await self._conn.execute(delete(price_rules).where(price_rules.c.id == rule_id))

    async def sets_of(self, event_id: str) -> list[TicketSet]:
        """The event's sets with their rules, in display order."""
        set_rows = (
            await self._conn.execute(
                select(ticket_sets)
                .where(ticket_sets.c.event_id == event_id)
                .order_by(ticket_sets.c.position, ticket_sets.c.id)
            )
        ).all()
        if not set_rows:
            return []
        rule_rows = await self._conn.execute(
            select(price_rules)
            .where(price_rules.c.set_id.in_([row.id for row in set_rows]))
            .order_by(price_rules.c.id)
        )
        rules: dict[str, list[PriceRule]] = {}
        for row in rule_rows:
            rules.setdefault(row.set_id, []).append(
                PriceRule(row.id, row.set_id, row.price, row.starts_at, row.ends_at)
            )
        return [_set(row, rules.get(row.id, [])) for row in set_rows]

    async def add_tickets(
        self, event_id: str, set_id: str, serial: str, new: Sequence[NewTicket]
    ) -> None:
        if not new:
            return
        await self._conn.execute(
            insert(tickets),
            [
                {
                    "id": t.id,
                    "event_id": event_id,
                    "set_id": set_id,
                    "serial": serial,
                    "number": t.number,
                    "status": TicketStatus.VACANT.value,
                    "order_id": None,
                    "seat_sector": t.seat_sector,
                    "seat_row": t.seat_row,
                    "seat_number": t.seat_number,
                }
                for t in new
            ],
        )

    async def remove_vacant_tickets(self, set_id: str, count: int) -> int:
        """Take up to `count` vacant tickets of a set off sale (highest numbers first)."""
        doomed = (
            select(tickets.c.id)
            .where(tickets.c.set_id == set_id, tickets.c.status == fixed(TicketStatus.VACANT.value))
            .order_by(tickets.c.number.desc())
            .limit(count)
            .with_for_update(skip_locked=True)
            .cte("doomed")
            .prefix_with("MATERIALIZED")
        )
        result = await self._conn.execute(
            delete(tickets)
            .where(
                tickets.c.id.in_(select(doomed.c.id)),
                tickets.c.status == fixed(TicketStatus.VACANT.value),
            )
            .returning(tickets.c.id)  # rowcount is -1 for `WITH ... DELETE` on sqlite3
        )
        return len(result.all())

    async def ticket_counts(self, event_id: str) -> dict[str, dict[str, int]]:
        """{set_id: {status: count}} for an event."""
        rows = await self._conn.execute(
            select(tickets.c.set_id, tickets.c.status, func.count())
            .where(tickets.c.event_id == event_id)
            .group_by(tickets.c.set_id, tickets.c.status)
        )
        counts: dict[str, dict[str, int]] = {}
        for set_id, status, count in rows:
            counts.setdefault(set_id, {})[status] = count
        return counts

    async def max_ticket_number(self, set_id: str) -> int:
        value = await self._conn.scalar(
            select(func.max(tickets.c.number)).where(tickets.c.set_id == set_id)
        )
        return int(value or 0)

    async def tickets_of(
        self, event_id: str, statuses: Sequence[TicketStatus], sector: str | None = None
    ) -> list[TicketRow]:
        query = (
            select(tickets, orders.c.reserved_till)
            .select_from(tickets.outerjoin(orders, orders.c.id == tickets.c.order_id))
            .where(
                tickets.c.event_id == event_id,
                tickets.c.status.in_(_stored(statuses)),
            )
            .order_by(tickets.c.set_id, tickets.c.number)
        )
        if sector is not None:
            query = query.where(tickets.c.seat_sector == sector)
        return [_ticket(row) for row in await self._conn.execute(query)]


def _event_values(event: Event) -> dict[str, Any]:
    values = dict(event.__dict__)
    values["status"] = event.status.value
    values["description"] = event.description
    return values


def _event(row: Row[Any]) -> Event:
    return Event(
        id=row.id,
        org_id=row.org_id,
        title=row.title,
        description=row.description,
        starts_at=row.starts_at,
        ends_at=row.ends_at,
        timezone=row.timezone,
        status=EventStatus(row.status),
        venue_id=row.venue_id,
        age_rating=row.age_rating,
    )


def _set(row: Row[Any], rules: list[PriceRule]) -> TicketSet:
    return TicketSet(
        id=row.id,
        event_id=row.event_id,
        name=row.name,
        price=row.price,
        capacity=row.capacity,
        serial=row.serial,
        with_seats=row.with_seats,
        position=row.position,
        rules=tuple(rules),
    )


# A ticket held for a waiting list's offer is taken, as the partner faces see it: `reserved`.
OFFERED = "offered"


def _stored(statuses: Sequence[TicketStatus]) -> list[str]:
    values = [s.value for s in statuses]
    return [*values, OFFERED] if TicketStatus.RESERVED in statuses else values


def _ticket(row: Row[Any]) -> TicketRow:
    status = TicketStatus.RESERVED if row.status == OFFERED else TicketStatus(row.status)
    return TicketRow(
        id=row.id,
        set_id=row.set_id,
        serial=row.serial,
        number=row.number,
        status=status,
        order_id=row.order_id,
        seat_sector=row.seat_sector,
        seat_row=row.seat_row,
        seat_number=row.seat_number,
        reserved_till=getattr(row, "reserved_till", None),
    )
