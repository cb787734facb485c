"""Export of orders by e-mail: the list's filters select them, the worker mails a CSV."""

from collections.abc import Sequence
from datetime import datetime

from kassa.app.mail_jobs import enqueue_export
from kassa.core.orders import OrderStatus
from kassa.core.tenancy import Principal
from kassa.store.db import Database
from kassa.store.orders import OrderFilter

MAX_EXPORT = 100_000


async def export_orders(
    db: Database,
    principal: Principal,
    now: datetime,
    *,
    email: str,
    statuses: Sequence[OrderStatus] = (),
    event_ids: Sequence[str] = (),
    created_from: datetime | None = None,
    created_to: datetime | None = None,
    only_with_customer: bool = False,
) -> int:
    """Queue the CSV of the caller's orders that match; returns how many it will hold."""
    where = OrderFilter(
        org_id=principal.org_id,
        vendor_id=principal.partner_id,
        statuses=statuses,
        event_ids=event_ids,
        created_from=created_from,
        created_to=created_to,
        only_with_customer=only_with_customer,
    )
    async with db.unit_of_work() as uow:
        ids = await uow.orders.ids_matching(where, limit=MAX_EXPORT)
        await enqueue_export(
            uow,
            org_id=principal.org_id,
            partner_id=principal.partner_id,
            email=email,
            order_ids=ids,
            now=now,
        )
        await uow.commit()
    return len(ids)
