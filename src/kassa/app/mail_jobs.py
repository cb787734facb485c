"""Mail the worker sends from the outbox: a done order's tickets, an orders export.

Enqueued in the command's own transaction, so a rolled-back change never sends anything;
the worker renders and sends after commit (kassa.mail). Each message is marked delivered
once the SMTP server accepted it and retried with backoff until then.
"""

from datetime import datetime

from kassa.core.audit import OutboxMessage
from kassa.core.orders import Order
from kassa.store.db import UnitOfWork

TICKETS_EMAIL = "tickets.email"
ORDERS_EXPORT = "orders.export"
MAIL_TOPICS = frozenset({TICKETS_EMAIL, ORDERS_EXPORT})


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
            },
            created_at=now,
        )
    )


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
