"""Mail the worker sends from the outbox: a done order's tickets, an orders export, a decision on
a buyer's request, the news that the organiser cancelled the buyer's event.

Enqueued in the command's own transaction, so a rolled-back change never sends anything;
the worker renders and sends after commit (kassa.mail). Each message is marked delivered
once the SMTP server accepted it and retried with backoff until then.

What a cancellation voids, it voids in the mail too: the cancel takes its tickets out of the
order's unsent ticket mails (`void_ticket_mail`), and at send time the job sends only the
tickets still the buyer's; a mail left with none is voided, never sent.
"""

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from kassa.app.access import visible_order
from kassa.app.journal import record
from kassa.app.selflinks import Links, link_of
from kassa.app.views import OrderView, order_views
from kassa.app.waitlist import OFFER_EMAIL
from kassa.app.waitlist_mail import send_offer
from kassa.core.audit import OutboxMessage
from kassa.core.catalog import Event
from kassa.core.errors import OrderNotChangeable
from kassa.core.money import render
from kassa.core.orders import Order, OrderLine, OrderStatus
from kassa.core.tenancy import Principal
from kassa.notify.message import (
    decision_message,
    event_cancelled_message,
    export_message,
    tickets_message,
)
from kassa.notify.pdf import TicketDoc, render_tickets
from kassa.notify.smtp import SmtpSettings, send
from kassa.store.db import Database, UnitOfWork

TICKETS_EMAIL = "tickets.email"
ORDERS_EXPORT = "orders.export"
DECISION_EMAIL = "cancellation.decision_email"  # a buyer's request approved or declined
EVENT_CANCELLED_EMAIL = "event.cancelled_email"  # the organiser cancelled the buyer's event
MAIL_TOPICS = frozenset(
    {TICKETS_EMAIL, ORDERS_EXPORT, DECISION_EMAIL, EVENT_CANCELLED_EMAIL, OFFER_EMAIL}
)


async def enqueue_tickets_email(uow: UnitOfWork, order: Order, now: datetime) -> None:
    """The buyer's tickets, once, when the order becomes done."""
    await uow.outbox.enqueue(
        OutboxMessage(
            topic=TICKETS_EMAIL,
            org_id=order.org_id,
            partner_id=None if order.vendor_id == order.org_id else order.vendor_id,
            order_id=order.id,
            payload={
                "order_id": order.id,
                "email": order.customer.get("email"),
                "lang": order.customer.get("lang") or "ru",
                "tickets": [line.ticket_id for line in order.active_lines],
            },
            created_at=now,
        )
    )


async def void_ticket_mail(
    uow: UnitOfWork, order_id: str, ticket_ids: Sequence[str], now: datetime
) -> None:
    """Take cancelled tickets out of the order's unsent ticket mails, in the caller's
    transaction; a mail left with no ticket is voided (settled, never sent)."""
    gone = set(ticket_ids)
    if not gone:
        return
    for message in await uow.outbox.unsent(order_id, TICKETS_EMAIL):
        listed = message.payload.get("tickets")
        if listed is None:  # queued before mails listed their tickets: checked at send time
            continue
        left = [t for t in listed if t not in gone]
        if not left:
            await uow.outbox.void(message.id, "every ticket of the mail was cancelled", now)
        elif len(left) < len(listed):
            await uow.outbox.rewrite(message.id, {**message.payload, "tickets": left})


async def enqueue_export(
    uow: UnitOfWork,
    *,
    org_id: str,
    partner_id: str | None,
    email: str,
    order_ids: list[str],
    now: datetime,
) -> None:
    """A CSV of these orders, to `email`."""
    await uow.outbox.enqueue(
        OutboxMessage(
            topic=ORDERS_EXPORT,
            org_id=org_id,
            partner_id=partner_id,
            order_id=None,
            payload={"email": email, "order_ids": order_ids},
            created_at=now,
        )
    )


@dataclass(frozen=True)
class Voided:
    """A mail job found nothing left to send: the outbox settles it unsent, saying why."""

    why: str


async def deliver_mail(
    db: Database,
    smtp: SmtpSettings,
    topic: str,
    payload: dict[str, Any],
    now: datetime,
    links: Links | None = None,
) -> Voided | None:
    """Render and send one mail job (a Voided when nothing is left to send); raises when the
    SMTP server refuses (the outbox retries). With `links`, the ticket mail carries the
    buyer's self-service link."""
    if topic == TICKETS_EMAIL:
        return await _send_tickets(db, smtp, payload, now, links)
    if topic == ORDERS_EXPORT:
        await _send_export(db, smtp, payload, now)
        return None
    if topic == DECISION_EMAIL:
        await _send_decision(db, smtp, payload)
        return None
    if topic == EVENT_CANCELLED_EMAIL:
        await _send_event_cancelled(db, smtp, payload)
        return None
    if topic == OFFER_EMAIL:  # a waiting list's offer
        why = await send_offer(db, smtp, payload, now, links)
        return Voided(why) if why else None
    raise ValueError(f"not a mail topic: {topic}")  # pragma: no cover - only MAIL_TOPICS come


async def _send_tickets(
    db: Database,
    smtp: SmtpSettings,
    payload: dict[str, Any],
    now: datetime,
    links: Links | None = None,
) -> Voided | None:
    async with db.unit_of_work(write=False) as uow:
        order = await uow.orders.get(payload["order_id"])
        if order is None:
            raise LookupError(f"order {payload['order_id']} is gone")
        lines = await _still_the_buyers(uow, order, payload.get("tickets"))
    if not lines:
        return Voided("no ticket of the mail is the buyer's any more")
    [view] = await order_views(db, [order], now)
    lang = payload.get("lang") or "ru"
    docs = [_ticket_doc(view, order, line, lang) for line in lines]
    message = tickets_message(
        sender=smtp.sender,
        to=payload["email"],
        lang=lang,
        event_title=view.event.title,
        order_number=order.number,
        ticket_count=len(docs),
        pdf=render_tickets(docs),
        link=(await link_of(db, links, order.id, now))[0] if links else None,
    )
    await send(smtp, message)
    return None


async def _order_and_event(db: Database, payload: dict[str, Any]) -> tuple[Order, Event | None]:
    """The order a buyer mail is about, and its event (a deleted order fails the job)."""
    async with db.unit_of_work(write=False) as uow:
        order = await uow.orders.get(payload["order_id"])
        if order is None:
            raise LookupError(f"order {payload['order_id']} is gone")
        return order, await uow.catalog.event(order.event_id)


async def _send_decision(db: Database, smtp: SmtpSettings, payload: dict[str, Any]) -> None:
    order, event = await _order_and_event(db, payload)
    message = decision_message(
        sender=smtp.sender,
        to=payload["email"],
        lang=payload.get("lang") or "ru",
        event_title=event.title if event else "",
        order_number=order.number,
        approved=bool(payload.get("approved")),
        reason=payload.get("reason"),
    )
    await send(smtp, message)


async def enqueue_buyer_mail(
    uow: UnitOfWork, order: Order, topic: str, now: datetime, **payload: Any
) -> None:
    """Queue a mail job about the order to its buyer, if they left an e-mail; the worker
    sends it after this transaction commits."""
    email = (order.customer.get("email") or "").strip()
    if "@" not in email:
        return
    await uow.outbox.enqueue(
        OutboxMessage(
            topic=topic,
            org_id=order.org_id,
            partner_id=None if order.vendor_id == order.org_id else order.vendor_id,
            order_id=order.id,
            payload={
                "order_id": order.id,
                "email": email,
                "lang": order.customer.get("lang") or "ru",
                **payload,
            },
            created_at=now,
        )
    )


async def enqueue_event_cancelled_email(
    uow: UnitOfWork, order: Order, refund: str, reason: str, now: datetime
) -> None:
    """Tell the buyer (if they left an e-mail) that the organiser cancelled their event."""
    await enqueue_buyer_mail(uow, order, EVENT_CANCELLED_EMAIL, now, refund=refund, reason=reason)


async def _send_event_cancelled(db: Database, smtp: SmtpSettings, payload: dict[str, Any]) -> None:
    order, event = await _order_and_event(db, payload)
    message = event_cancelled_message(
        sender=smtp.sender,
        to=payload["email"],
        lang=payload.get("lang") or "ru",
        event_title=event.title if event else "",
        order_number=order.number,
        refund=payload.get("refund") or "0.00",
        reason=payload.get("reason") or "",
    )
    await send(smtp, message)


async def _still_the_buyers(
    uow: UnitOfWork, order: Order, listed: Sequence[str] | None
) -> list[OrderLine]:
    """The one send-time check: of the tickets the mail lists (all the order's when it lists
    none), those whose line is active in the done order and whose ticket is sold to it."""
    if order.status is not OrderStatus.DONE:
        return []
    lines = [line for line in order.active_lines if listed is None or line.ticket_id in listed]
    sold = await uow.inventory.sold_to(order.id, [line.ticket_id for line in lines])
    return [line for line in lines if line.ticket_id in sold]


def _ticket_doc(view: OrderView, order: Order, line: OrderLine, lang: str) -> TicketDoc:
    venue = view.venue
    place = ", ".join(p for p in (venue.name, venue.address, venue.city) if p) if venue else None
    return TicketDoc(
        event_title=view.event.title,
        starts_at=view.event.starts_at,
        timezone=view.event.timezone,
        venue=place,
        set_name=view.sets[line.set_id].name if line.set_id in view.sets else line.set_id,
        seat=_seat(line),
        price=render(line.values.full),
        serial=line.serial,
        number=line.number,
        barcode=line.barcode or "",
        order_number=order.number,
        lang=lang,
    )


def _seat(line: OrderLine) -> str | None:
    if line.seat is None:
        return None
    parts = [line.seat.sector, f"ряд {line.seat.row}" if line.seat.row else None]
    parts.append(f"место {line.seat.number}" if line.seat.number else None)
    return ", ".join(p for p in parts if p) or None


EXPORT_COLUMNS = (
    "id",
    "number",
    "status",
    "created_at",
    "event",
    "tickets",
    "price",
    "discount",
    "nominal",
    "extra",
    "full",
    "customer_name",
    "customer_email",
    "customer_phone",
    "vendor_order_id",
)


def orders_csv(orders: list[Order]) -> bytes:
    """One row per order, amounts as decimal strings, times in ISO 8601 UTC."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(EXPORT_COLUMNS)
    for order in orders:
        values = order.values
        customer = order.customer
        name = customer.get("name") or " ".join(
            p for p in (customer.get("first_name"), customer.get("last_name")) if p
        )
        writer.writerow(
            [
                order.id,
                order.number,
                order.status.value,
                order.created_at.isoformat(),
                order.event_id,
                len(order.listed_lines),
                render(values.price),
                render(values.discount),
                render(values.nominal),
                render(values.extra),
                render(values.full),
                name,
                customer.get("email") or "",
                customer.get("phone") or customer.get("mobile") or "",
                order.vendor_data.get("order_id") or "",
            ]
        )
    return out.getvalue().encode()


async def _send_export(
    db: Database, smtp: SmtpSettings, payload: dict[str, Any], now: datetime
) -> None:
    ids: list[str] = list(payload["order_ids"])
    found: list[Order] = []
    async with db.unit_of_work(write=False) as uow:
        for order_id in ids:
            order = await uow.orders.get(order_id)
            if order is not None:
                found.append(order)
    message = export_message(
        sender=smtp.sender, to=payload["email"], csv_data=orders_csv(found), count=len(found)
    )
    await send(smtp, message)


async def resend_tickets(
    db: Database, principal: Principal, order_id: str, now: datetime, email: str | None = None
) -> str:
    """Send a done order's tickets again, to the buyer's address or to `email`; returns the
    address. Recorded on the order's timeline."""
    async with db.unit_of_work() as uow:
        order = await visible_order(uow, principal, order_id)
        if order.status is not OrderStatus.DONE:
            raise OrderNotChangeable(
                f"Order is {order.status}: only a done order has tickets", order=order.id
            )
        to = (email or order.customer.get("email") or "").strip()
        if "@" not in to or len(to) > 254:
            raise OrderNotChangeable("the order has no buyer e-mail", order=order.id)
        message = replace(order, customer={**order.customer, "email": to})
        await enqueue_tickets_email(uow, message, now)
        await record(
            uow,
            order,
            actor=principal.actor,
            action="tickets.resent",
            from_status=order.status,
            now=now,
            details={"email": to},
        )
        await uow.commit()
    return to
