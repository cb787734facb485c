"""The waiting list: join a sold-out set, leave, see the line; and the offers.

Every release of tickets (a cancel, a partial cancel, a refund, an expiry, a PATCH dropping
tickets) calls `offer_released` in its own transaction, before it commits: the tickets it
gives back are offered to the waiting list at once (held: status `offered`, which the sale's
claim never takes), so between the release and the offer nobody can buy them. The worker
passes offers whose hold ran out to the next person (`pass_due`), one transaction each, and
offers tickets that are on sale while people wait (`refill`: capacity added, or a release
that raced a joining).
"""

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from kassa.app.ids import new_id
from kassa.core.audit import OutboxMessage
from kassa.core.catalog import Event, TicketSet
from kassa.core.errors import EventNotFound, EventNotOnSale, SetNotFound, SetNotOnSale
from kassa.core.orders import Order
from kassa.core.tenancy import Principal
from kassa.core.waitlist import (
    DEFAULT_OFFER_HOLD,
    Entry,
    EntryNotLive,
    EntryStatus,
    SetNotSoldOut,
    WaitingListEntryNotFound,
    match,
    normalized_email,
    positions,
    validate_quantity,
)
from kassa.store.db import Database, UnitOfWork
from kassa.store.waitlist import WaitlistRepo

OFFER_EMAIL = "waiting_list.offer_email"
ACTOR_WORKER = "system"


@dataclass(frozen=True)
class Joining:
    """Who joins the line of one set, for how many tickets."""

    email: str
    quantity: int
    name: str | None = None


@dataclass(frozen=True)
class Line:
    """A set's waiting list as its organiser sees it."""

    set: TicketSet
    entries: list[Entry]
    positions: dict[str, int]


async def _own_set(
    uow: UnitOfWork, who: Principal, event_id: str, set_id: str
) -> tuple[Event, TicketSet]:
    """The event and set, if the caller's organisation owns them (404 otherwise)."""
    event = await uow.catalog.event(event_id)
    if event is None or event.org_id != who.org_id or who.restaurant_id or who.shop_id:
        raise EventNotFound(f"Event {event_id} not found", event=event_id)
    for ticket_set in await uow.catalog.sets_of(event_id):
        if ticket_set.id == set_id:
            return event, ticket_set
    raise SetNotFound(f"Set {set_id} not found", set=set_id)


def _sees(who: Principal, entry: Entry) -> bool:
    if entry.org_id != who.org_id or who.restaurant_id or who.shop_id:
        return False
    return who.is_organiser or entry.vendor_id == who.partner_id


async def join(
    db: Database,
    who: Principal,
    event_id: str,
    set_id: str,
    joining: Joining,
    now: datetime,
    hold: timedelta = DEFAULT_OFFER_HOLD,
) -> tuple[Entry, int]:
    """Put someone on a sold-out set's waiting list; (the entry, its place in line). A set
    with tickets on sale is a 409 (buy them instead); one live entry per e-mail and set."""
    email = normalized_email(joining.email)
    quantity = validate_quantity(joining.quantity)
    async with db.unit_of_work() as uow:
        event, _ = await _own_set(uow, who, event_id, set_id)
        await _ensure_selling(uow, event, set_id, now)
        repo = WaitlistRepo(uow.tx)
        vacant = await repo.vacant_count(set_id)
        if vacant:
            raise SetNotSoldOut(
                f"{vacant} tickets of this set are on sale: buy them instead of waiting",
                set=set_id,
                available=vacant,
            )
        entry = Entry(
            id=new_id(now),
            org_id=event.org_id,
            event_id=event_id,
            set_id=set_id,
            vendor_id=who.id,
            email=email,
            name=(joining.name or "").strip() or None,
            quantity=quantity,
            status=EntryStatus.WAITING,
            hold=hold,
            created_at=now,
            updated_at=now,
        )
        await repo.add(entry)
        place = positions(await repo.of_set(set_id)).get(entry.id, 0)
        await uow.commit()
    return entry, place


async def line(db: Database, who: Principal, event_id: str, set_id: str) -> Line:
    """The set's waiting list, in joining order (a partner sees the people it added)."""
    async with db.unit_of_work(write=False) as uow:
        _, ticket_set = await _own_set(uow, who, event_id, set_id)
        entries = await WaitlistRepo(uow.tx).of_set(set_id)
    places = positions(entries)
    return Line(ticket_set, [e for e in entries if _sees(who, e)], places)


async def event_lines(db: Database, who: Principal, event_id: str) -> list[Line]:
    """Every set's waiting list of an event (the console's event page)."""
    async with db.unit_of_work(write=False) as uow:
        event = await uow.catalog.event(event_id)
        if event is None or event.org_id != who.org_id:
            raise EventNotFound(f"Event {event_id} not found", event=event_id)
        sets = await uow.catalog.sets_of(event_id)
        entries = await WaitlistRepo(uow.tx).of_event(event_id)
    lines = []
    for ticket_set in sets:
        mine = [e for e in entries if e.set_id == ticket_set.id]
        lines.append(Line(ticket_set, mine, positions(mine)))
    return lines


async def get_entry(db: Database, who: Principal, entry_id: str) -> Entry:
    async with db.unit_of_work(write=False) as uow:
        entry = await WaitlistRepo(uow.tx).get(entry_id)
    if entry is None or not _sees(who, entry):
        raise WaitingListEntryNotFound(f"Entry {entry_id} not found", entry=entry_id)
    return entry


async def leave(db: Database, who: Principal, entry_id: str, now: datetime) -> Entry:
    """Take someone off the list; tickets offered to them pass to the next person."""
    async with db.unit_of_work() as uow:
        repo = WaitlistRepo(uow.tx)
        entry = await repo.get(entry_id, lock=True)
        if entry is None or not _sees(who, entry):
            raise WaitingListEntryNotFound(f"Entry {entry_id} not found", entry=entry_id)
        if not entry.live:
            raise EntryNotLive(
                f"Entry {entry_id} has ended ({entry.status.value})",
                entry=entry_id,
                status=entry.status.value,
            )
        await _end(uow, entry, EntryStatus.LEFT, now)
        await uow.commit()
    return _ended(entry, EntryStatus.LEFT, now)


def _ended(entry: Entry, status: EntryStatus, now: datetime) -> Entry:
    return replace(entry, status=status, tickets=(), updated_at=now)


async def _end(uow: UnitOfWork, entry: Entry, status: EntryStatus, now: datetime) -> None:
    """End a live entry; what it held is freed and offered on, in this transaction."""
    repo = WaitlistRepo(uow.tx)
    await repo.end(entry.id, status, now)
    if entry.status is EntryStatus.OFFERED and entry.tickets:
        await repo.unhold(entry.tickets)
        await _offer(uow, {entry.set_id: list(entry.tickets)}, now)


# -- offers -----------------------------------------------------------------------------------


async def waiting_for_release(
    uow: UnitOfWork, order: Order, ticket_ids: Iterable[str]
) -> list[Entry]:
    """The people waiting for the sets of tickets the order is about to release, read (and
    locked) before the release is staged, so that a release nobody waits for costs one read
    and keeps its writes together."""
    released = set(ticket_ids)
    sets = {line_.set_id for line_ in order.lines if line_.ticket_id in released}
    return await WaitlistRepo(uow.tx).waiting_for(sorted(sets)) if sets else []


async def offer_released(
    uow: UnitOfWork,
    order: Order,
    ticket_ids: Iterable[str],
    now: datetime,
    *,
    waiting: list[Entry] | None = None,
) -> None:
    """The order's tickets just released (vacant in the caller's transaction) go to the
    waiting list of their sets (`waiting`: as `waiting_for_release` read it, else read now);
    what nobody waits for stays on sale."""
    released = set(ticket_ids)
    if not released or waiting == []:
        return
    free: dict[str, list[str]] = {}
    for line_ in order.lines:
        if line_.ticket_id in released:
            free.setdefault(line_.set_id, []).append(line_.ticket_id)
    await _offer(uow, free, now, waiting)


async def _offer(
    uow: UnitOfWork,
    free: Mapping[str, Sequence[str]],
    now: datetime,
    waiting: list[Entry] | None = None,
) -> int:
    """Offer vacant tickets of the caller's transaction first-fit in joining order; each
    offer holds its tickets and queues the e-mail. Returns how many entries were offered.
    Nothing is offered for a set not on sale (see `_selling`)."""
    repo = WaitlistRepo(uow.tx)
    if waiting is None:
        waiting = await repo.waiting_for(list(free))
    if not waiting:
        return 0
    offers, _ = match(free, await _selling(uow, waiting, now))
    made = 0
    for entry, tickets in offers:
        held = await repo.hold(tickets)
        if len(held) < len(tickets):  # not vacant after all: offer nothing rather than less
            await repo.unhold(held)
            continue
        expires = now + entry.hold
        await repo.offer(entry.id, tickets, now, expires)
        await _enqueue_offer_mail(uow, entry, tickets, now, expires)
        made += 1
    return made


async def _ensure_selling(uow: UnitOfWork, event: Event, set_id: str, now: datetime) -> None:
    """The set is on sale: its event public and not over, and no cancellation of the event or
    of the set started (a cancelled set never sells again)."""
    event.ensure_on_sale(now)
    if await uow.event_cancellations.active(event.id, None) is not None:
        raise EventNotOnSale(f"Event {event.id} is being cancelled", event=event.id)
    if set_id in await uow.event_cancellations.closed_sets(event.id):
        raise SetNotOnSale(f"Set {set_id} is cancelled", set=set_id)


async def _selling(uow: UnitOfWork, waiting: list[Entry], now: datetime) -> list[Entry]:
    """The entries whose set is on sale (`_ensure_selling`)."""
    allowed: dict[tuple[str, str], bool] = {}
    for key in sorted({(e.event_id, e.set_id) for e in waiting}):
        event = await uow.catalog.event(key[0])
        if event is None:
            continue
        try:
            await _ensure_selling(uow, event, key[1], now)
        except (EventNotOnSale, SetNotOnSale):
            continue
        allowed[key] = True
    return [e for e in waiting if allowed.get((e.event_id, e.set_id))]


async def close_lists(uow: UnitOfWork, event_id: str, set_id: str | None, now: datetime) -> int:
    """An event (or one set) being cancelled ends its waiting lists, in the transaction that
    stops its sales: every live entry is closed, and tickets held for an offer go back (nothing
    of a cancelled event or set sells again, so nothing is offered on). Each entry is locked
    first, like a release's offer locks it, so an offer made meanwhile is seen and undone."""
    repo = WaitlistRepo(uow.tx)
    listed = await (repo.of_set(set_id) if set_id is not None else repo.of_event(event_id))
    closed = 0
    for listed_entry in listed:
        if not listed_entry.live:
            continue
        entry = await repo.get(listed_entry.id, lock=True)
        if entry is None or not entry.live:
            continue
        await repo.end(entry.id, EntryStatus.CLOSED, now)
        if entry.status is EntryStatus.OFFERED and entry.tickets:
            await repo.unhold(entry.tickets)
        closed += 1
    return closed


async def _enqueue_offer_mail(
    uow: UnitOfWork, entry: Entry, tickets: Sequence[str], now: datetime, expires: datetime
) -> None:
    await uow.outbox.enqueue(
        OutboxMessage(
            topic=OFFER_EMAIL,
            org_id=entry.org_id,
            partner_id=None,
            order_id=None,
            payload={
                "entry_id": entry.id,
                "email": entry.email,
                "tickets": list(tickets),
                "offered_at": now.isoformat(),
                "expires_at": expires.isoformat(),
            },
            created_at=now,
        )
    )


async def pass_due(db: Database, now: datetime, batch: int = 100) -> int:
    """The worker's pass: each offer whose hold ran out passes to the next person (or its
    tickets go back on sale), one transaction per offer; offers another worker or a buyer
    taking them holds are skipped. Returns how many passed."""
    async with db.unit_of_work(write=False) as uow:
        due = await WaitlistRepo(uow.tx).due_offers(now, batch)
    passed = 0
    for entry_id in due:
        async with db.unit_of_work() as uow:
            entry = await WaitlistRepo(uow.tx).lock_due(entry_id, now)
            if entry is None:
                continue
            await _end(uow, entry, EntryStatus.PASSED, now)
            await uow.commit()
            passed += 1
    return passed


async def refill(db: Database, now: datetime, limit: int = 20) -> int:
    """Offer tickets on sale to the people waiting for their set (the worker's pass)."""
    async with db.unit_of_work(write=False) as uow:
        sets = await WaitlistRepo(uow.tx).sets_to_refill(now, limit)
    offered = 0
    for set_id in sets:
        async with db.unit_of_work() as uow:
            repo = WaitlistRepo(uow.tx)
            waiting = [e for e in await repo.waiting_for([set_id]) if e.set_id == set_id]
            wanted = sum(e.quantity for e in waiting)
            picked = await repo.pick_vacant(set_id, wanted) if wanted else []
            offered += await _offer(uow, {set_id: picked}, now) if picked else 0
            await uow.commit()
    return offered
