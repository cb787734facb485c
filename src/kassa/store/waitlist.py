"""Waiting-list rows, and the ticket moves of an offer: vacant -> offered (held for one entry),
offered -> reserved (taken: an order is made of them), offered -> vacant (back on sale)."""

from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, exists, func, select, update
from sqlalchemy.exc import IntegrityError

from kassa.core.waitlist import AlreadyWaiting, Entry, EntryStatus
from kassa.store.orders import ClaimedTicket
from kassa.store.orders import _claimed as claimed
from kassa.store.raw import Sql, decode_json, decode_time, required_time
from kassa.store.tables import events, tickets
from kassa.store.tx import Tx
from kassa.store.types import fixed
from kassa.store.waitlist_tables import waiting_list

OFFERED = "offered"  # a ticket's status while held for a waiting-list entry
_w = waiting_list.c
_t = tickets.c
WAITING_SCAN = 200  # the first entries of a line that one release looks at
_COLUMNS = tuple(column.name for column in waiting_list.c)
# Every release runs this (a cancel, a refund, an expiry): plain SQL on PostgreSQL, where a
# release nobody waits for then costs one cheap read (see `kassa.store.raw`).
# Locked, never skipped: a release that skipped the entries another release holds (while it
# offers) would find nobody waiting and put its tickets on sale past them. It waits instead
# (the other commits in a moment), then sees who still waits (READ COMMITTED re-reads each
# row it waited for: an entry just offered or gone no longer qualifies). Every release locks
# a set's entries in the one order (joining), so releases never deadlock on them.
_WAITING_FOR = Sql(
    f"SELECT {', '.join(_COLUMNS)} FROM waiting_list "  # noqa: S608 (column names, not input)
    "WHERE set_id = ANY($1::varchar[]) AND status = 'waiting' "
    f"ORDER BY created_at, id LIMIT {WAITING_SCAN} FOR UPDATE"
)


class WaitlistRepo:
    def __init__(self, conn: Tx) -> None:
        self._conn = conn

    async def add(self, entry: Entry) -> None:
        """Insert a new entry; AlreadyWaiting when the e-mail is already live on the set."""
        self._conn.unwaited.discard(entry.set_id)
        try:
            await self._conn.execute(waiting_list.insert().values(**_values(entry)))
        except IntegrityError as exc:
            raise AlreadyWaiting(
                f"{entry.email} is already on the waiting list of this set", email=entry.email
            ) from exc

    async def get(self, entry_id: str, *, lock: bool = False) -> Entry | None:
        """One entry; `lock` takes its row for change (a concurrent change waits)."""
        query = select(waiting_list).where(_w.id == entry_id)
        if lock:
            query = query.with_for_update()
        row = (await self._conn.execute(query)).first()
        return _entry(row._mapping) if row else None

    async def of_event(self, event_id: str) -> list[Entry]:
        """Every entry of the event's sets, in joining order."""
        rows = await self._conn.execute(
            select(waiting_list)
            .where(_w.event_id == event_id)
            .order_by(_w.set_id, _w.created_at, _w.id)
        )
        return [_entry(row._mapping) for row in rows]

    async def of_set(self, set_id: str) -> list[Entry]:
        rows = await self._conn.execute(
            select(waiting_list).where(_w.set_id == set_id).order_by(_w.created_at, _w.id)
        )
        return [_entry(row._mapping) for row in rows]

    async def waiting_for(self, set_ids: Sequence[str]) -> list[Entry]:
        """The first waiting entries of these sets, locked (waiting for a transaction that
        holds them: another release offering, an entry leaving; see `_WAITING_FOR`)."""
        if not set_ids or set(set_ids) <= self._conn.unwaited:
            # Nobody waited when this transaction read the order (after locking it): an
            # entry that joins later is as late as one joining after this read would be.
            return []
        if not self._conn.is_sqlite:
            rows = await self._conn.fetch(_WAITING_FOR, (sorted(set(set_ids)),))
            return [_entry(dict(zip(_COLUMNS, row, strict=True))) for row in rows]
        query = (
            select(waiting_list)
            .where(_w.set_id.in_(sorted(set(set_ids))), _w.status == EntryStatus.WAITING.value)
            .order_by(_w.created_at, _w.id)
            .limit(WAITING_SCAN)  # SQLite: one writer at a time, nothing to lock
        )
        return [_entry(row._mapping) for row in await self._conn.execute(query)]

    async def offer(
        self, entry_id: str, ticket_ids: Sequence[str], now: datetime, expires: datetime
    ) -> None:
        """The waiting entry is offered these tickets until `expires`."""
        await self._conn.execute(
            update(waiting_list)
            .where(_w.id == entry_id, _w.status == EntryStatus.WAITING.value)
            .values(
                status=EntryStatus.OFFERED.value,
                tickets=sorted(ticket_ids),
                offered_at=now,
                offer_expires_at=expires,
                updated_at=now,
            )
        )

    async def end(
        self, entry_id: str, status: EntryStatus, now: datetime, order_id: str | None = None
    ) -> None:
        """The entry is taken, passed or left: it holds no tickets any more."""
        await self._conn.execute(
            update(waiting_list)
            .where(_w.id == entry_id)
            .values(status=status.value, tickets=[], updated_at=now, order_id=order_id)
        )

    async def due_offers(self, now: datetime, limit: int) -> list[str]:
        """Ids of offers whose hold ran out, oldest first."""
        rows = await self._conn.scalars(
            select(_w.id)
            .where(_w.status == fixed(EntryStatus.OFFERED.value), _w.offer_expires_at <= now)
            .order_by(_w.offer_expires_at)
            .limit(limit)
        )
        return list(rows)

    async def lock_due(self, entry_id: str, now: datetime) -> Entry | None:
        """The offer, locked, if its hold ran out and no other transaction has it."""
        row = (
            await self._conn.execute(
                select(waiting_list)
                .where(
                    _w.id == entry_id,
                    _w.status == fixed(EntryStatus.OFFERED.value),
                    _w.offer_expires_at <= now,
                )
                .with_for_update(skip_locked=True)
            )
        ).first()
        return _entry(row._mapping) if row else None

    async def sets_to_refill(self, now: datetime, limit: int) -> list[str]:
        """Sets of events on sale with people waiting and tickets on sale (capacity added,
        or tickets released while someone was joining): the worker offers those tickets."""
        vacant = exists().where(_t.set_id == _w.set_id, _t.status == fixed("vacant"))
        selling = exists().where(
            events.c.id == _w.event_id, events.c.status == "public", events.c.ends_at > now
        )
        rows = await self._conn.scalars(
            select(_w.set_id)
            .where(_w.status == EntryStatus.WAITING.value, vacant, selling)
            .group_by(_w.set_id)
            .limit(limit)
        )
        return list(rows)

    # -- the tickets ------------------------------------------------------------------------

    async def vacant_count(self, set_id: str) -> int:
        found = await self._conn.scalar(
            select(func.count()).where(_t.set_id == set_id, _t.status == fixed("vacant"))
        )
        return int(found or 0)

    async def hold(self, ticket_ids: Sequence[str]) -> list[str]:
        """Vacant tickets become offered (no order can claim them); returns those that did."""
        if not ticket_ids:
            return []
        rows = await self._conn.scalars(
            update(tickets)
            .where(
                _t.id.in_(sorted(ticket_ids)), _t.status == fixed("vacant"), _t.order_id.is_(None)
            )
            .values(status=OFFERED)
            .returning(_t.id)
        )
        return sorted(rows)

    async def pick_vacant(self, set_id: str, count: int) -> list[str]:
        """Up to `count` vacant tickets of a set, locked for this transaction; rows a buyer
        is claiming right now are skipped."""
        picked = await self._conn.scalars(
            select(_t.id)
            .where(_t.set_id == set_id, _t.status == fixed("vacant"))
            .order_by(_t.id)
            .limit(count)
            .with_for_update(skip_locked=True)
        )
        return sorted(picked)

    async def unhold(self, ticket_ids: Sequence[str]) -> None:
        """Offered tickets go back on sale."""
        if ticket_ids:
            await self._conn.execute(
                update(tickets)
                .where(_t.id.in_(sorted(ticket_ids)), _t.status == OFFERED)
                .values(status="vacant", order_id=None)
            )

    async def take(self, ticket_ids: Sequence[str], order_id: str) -> list[ClaimedTicket]:
        """Offered tickets become the order's reserved tickets (those still offered)."""
        rows = await self._conn.execute(
            update(tickets)
            .where(_t.id.in_(sorted(ticket_ids)), _t.status == OFFERED)
            .values(status="reserved", order_id=order_id)
            .returning(
                _t.id, _t.set_id, _t.serial, _t.number, _t.seat_sector, _t.seat_row, _t.seat_number
            )
        )
        return claimed(rows)

    async def offered_count(self, set_ids: Sequence[str]) -> dict[str, int]:
        rows = await self._conn.execute(
            select(_t.set_id, func.count())
            .where(and_(_t.set_id.in_(list(set_ids)), _t.status == OFFERED))
            .group_by(_t.set_id)
        )
        return {set_id: int(n) for set_id, n in rows}


def _values(entry: Entry) -> dict[str, Any]:
    return {
        "id": entry.id,
        "org_id": entry.org_id,
        "event_id": entry.event_id,
        "set_id": entry.set_id,
        "vendor_id": entry.vendor_id,
        "email": entry.email,
        "name": entry.name,
        "quantity": entry.quantity,
        "status": entry.status.value,
        "hold_seconds": int(entry.hold.total_seconds()),
        "created_at": entry.created_at,
        "updated_at": entry.updated_at,
        "offered_at": entry.offered_at,
        "offer_expires_at": entry.offer_expires_at,
        "tickets": list(entry.tickets),
        "order_id": entry.order_id,
    }


def _entry(row: Mapping[Any, Any]) -> Entry:
    """An entry from its row's values, read by SQLAlchemy or by plain SQL (times and JSON
    decoded here; values SQLAlchemy already decoded pass through)."""
    return Entry(
        id=row["id"],
        org_id=row["org_id"],
        event_id=row["event_id"],
        set_id=row["set_id"],
        vendor_id=row["vendor_id"],
        email=row["email"],
        name=row["name"],
        quantity=int(row["quantity"]),
        status=EntryStatus(row["status"]),
        hold=timedelta(seconds=int(row["hold_seconds"])),
        created_at=required_time(row["created_at"]),
        updated_at=required_time(row["updated_at"]),
        offered_at=decode_time(row["offered_at"]),
        offer_expires_at=decode_time(row["offer_expires_at"]),
        tickets=tuple(decode_json(row["tickets"]) or ()),
        order_id=row["order_id"],
    )
