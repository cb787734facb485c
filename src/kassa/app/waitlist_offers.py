"""A waiting list's offer as its buyer sees it: the signed link in the offer's e-mail, the page
it opens, and taking the tickets (a reserved order of exactly the held tickets, with the
usual hold; paid and confirmed through the faces like any reserved order).

The link is signed like the self-service links (KASSA_SECRET_KEY, else the database's
secret) under a purpose of its own, so an offer's link never opens an order's page; it names
one entry and stops working when the offer's hold runs out.
"""

from dataclasses import dataclass
from datetime import datetime

from kassa.app.ids import new_id
from kassa.app.journal import record
from kassa.app.orders import Holds
from kassa.app.selflinks import Links, link_of, secret_of
from kassa.core.catalog import Event, TicketSet
from kassa.core.money import ZERO, render
from kassa.core.orders import Order, OrderLine, OrderStatus
from kassa.core.pricing import ticket_values
from kassa.core.selfservice import BUYER, LinkInvalid, verify
from kassa.core.waitlist import OFFER_LINK, Entry, EntryStatus, OfferInvalid
from kassa.store.db import Database, UnitOfWork
from kassa.store.orders import ClaimedTicket
from kassa.store.waitlist import WaitlistRepo

ORIGIN = "waiting_list"


@dataclass(frozen=True)
class OfferPage:
    """What the buyer's offer page shows."""

    token: str
    entry: Entry
    event: Event
    set: TicketSet
    lines: list[OrderLine]

    @property
    def total(self) -> str:
        return render(sum((line.values.full for line in self.lines), ZERO))


async def _entry_of(db: Database, links: Links, token: str, now: datetime) -> str:
    try:
        entry_id, _ = verify(await secret_of(db, links, now), token, now, purpose=OFFER_LINK)
    except LinkInvalid:
        raise OfferInvalid("This offer is not open any more") from None
    return entry_id


async def _open(uow: UnitOfWork, entry_id: str, now: datetime, *, lock: bool) -> Entry:
    entry = await WaitlistRepo(uow.tx).get(entry_id, lock=lock)
    if entry is None or not entry.offer_open(now):
        raise OfferInvalid("This offer is not open any more")
    return entry


async def open_offer(db: Database, links: Links, token: str, now: datetime) -> OfferPage:
    """The offer behind a genuine link: the event, the set, the held tickets and prices."""
    entry_id = await _entry_of(db, links, token, now)
    async with db.unit_of_work(write=False) as uow:
        entry = await _open(uow, entry_id, now, lock=False)
        event, ticket_set, lines = await _priced(uow, entry, now)
    return OfferPage(token, entry, event, ticket_set, lines)


async def _priced(
    uow: UnitOfWork, entry: Entry, now: datetime, claimed: list[ClaimedTicket] | None = None
) -> tuple[Event, TicketSet, list[OrderLine]]:
    event = await uow.catalog.event(entry.event_id)
    sets = {s.id: s for s in await uow.catalog.sets_of(entry.event_id)}
    if event is None or entry.set_id not in sets:
        raise OfferInvalid("This offer is not open any more")
    event.ensure_on_sale(now)
    ticket_set = sets[entry.set_id]
    rule = ticket_set.rule_at(now)
    values = ticket_values(rule.price, await uow.tenants.fee_policy(event.org_id))
    shown = claimed or [ClaimedTicket(t, entry.set_id, "", 0, None) for t in entry.tickets]
    lines = [
        OrderLine(
            ticket_id=t.id,
            set_id=t.set_id,
            rule_id=rule.id,
            serial=t.serial,
            number=t.number,
            values=values,
            seat=t.seat,
        )
        for t in shown
    ]
    return event, ticket_set, lines


async def take_offer(
    db: Database, links: Links, token: str, now: datetime, holds: Holds
) -> tuple[Order, str]:
    """The buyer takes the offer: an `executed` order of exactly the held tickets, for the
    entry's seller (who is told as of any new order). Returns it and its buyer's link."""
    entry_id = await _entry_of(db, links, token, now)
    async with db.unit_of_work() as uow:
        entry = await _open(uow, entry_id, now, lock=True)
        order = Order(
            id=new_id(now),
            number=0,
            event_id=entry.event_id,
            org_id=entry.org_id,
            vendor_id=entry.vendor_id,
            status=OrderStatus.EXECUTED,
            created_at=now,
            updated_at=now,
            reserved_till=now + holds.reserve,
            customer={"email": entry.email} | ({"name": entry.name} if entry.name else {}),
            origin=ORIGIN,
        )
        order.number = await uow.orders.add(order)
        repo = WaitlistRepo(uow.tx)
        claimed = await repo.take(entry.tickets, order.id)
        assert len(claimed) == len(entry.tickets), "an open offer holds its tickets"
        _, _, order.lines = await _priced(uow, entry, now, claimed)
        await uow.orders.add_lines(order.id, order.lines, now)
        await repo.end(entry.id, EntryStatus.TAKEN, now, order_id=order.id)
        await record(
            uow,
            order,
            actor=BUYER,
            action="order.placed",
            from_status=None,
            now=now,
            details={"tickets": list(entry.tickets), "waiting_list_entry": entry.id},
        )
        await uow.commit()
    url, _ = await link_of(db, links, order.id, now)
    return order, url
