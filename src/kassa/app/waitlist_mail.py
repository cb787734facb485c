"""The offer's e-mail, sent by the worker from the outbox: the held tickets and the signed
link that takes them. An offer that has passed, been taken or left by the time the worker
gets to it is voided, never sent."""

from datetime import datetime
from typing import Any

from kassa.app.selflinks import Links, secret_of
from kassa.core.selfservice import sign
from kassa.core.waitlist import OFFER_LINK, Entry, EntryStatus
from kassa.notify.message import offer_message
from kassa.notify.smtp import SmtpSettings, send
from kassa.store.db import Database
from kassa.store.waitlist import WaitlistRepo

LOCAL = Links("http://127.0.0.1:8000")  # a worker started without KASSA_PUBLIC_URL's Links


def offer_url(links: Links, secret: str, entry: Entry) -> str:
    """The link to the entry's offer, valid while the offer is held."""
    assert entry.offer_expires_at is not None
    token = sign(secret, entry.id, entry.offer_expires_at, purpose=OFFER_LINK)
    return f"{links.public_url.rstrip('/')}/my/offers/{token}"


async def send_offer(
    db: Database, smtp: SmtpSettings, payload: dict[str, Any], now: datetime, links: Links | None
) -> str | None:
    """Send the offer's mail; returns why not when the offer is no longer open."""
    links = links or LOCAL
    async with db.unit_of_work(write=False) as uow:
        entry = await WaitlistRepo(uow.tx).get(payload["entry_id"])
        if entry is None:
            raise LookupError(f"waiting list entry {payload['entry_id']} is gone")
        event = await uow.catalog.event(entry.event_id)
        sets = {s.id: s.name for s in await uow.catalog.sets_of(entry.event_id)}
    offered = entry.offered_at.isoformat() if entry.offered_at else None
    if entry.status is not EntryStatus.OFFERED or offered != payload.get("offered_at"):
        return "the offer is not open any more"
    if not entry.offer_open(now):
        return "the offer's hold ran out before it was sent"
    assert entry.offer_expires_at is not None
    message = offer_message(
        sender=smtp.sender,
        to=entry.email,
        event_title=event.title if event else "",
        set_name=sets.get(entry.set_id, ""),
        ticket_count=len(entry.tickets),
        expires_at=entry.offer_expires_at.strftime("%Y-%m-%d %H:%M"),
        link=offer_url(links, await secret_of(db, links, now), entry),
    )
    await send(smtp, message)
    return None
