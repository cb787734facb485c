"""Refund requests: a seller (or the organiser) asks, the organiser approves or rejects.

Creating one and approving one both lock the order (FOR UPDATE NOWAIT on PostgreSQL), so two
requests racing on one order are serialised or get 409; an approval goes through the one
cancellation engine: a partial plan of the done order, applied in the same transaction.
"""

from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime

from kassa.app import cancellation
from kassa.app.access import locked_order
from kassa.app.ids import new_id
from kassa.app.journal import record
from kassa.core.cancellation import OrderKind, Reason
from kassa.core.errors import ActionForbidden, RefundNotFound
from kassa.core.refunds import (
    RefundFilter,
    RefundRequest,
    RefundStatus,
    new_refund,
    tickets_to_return,
    transition,
)
from kassa.core.tenancy import Principal
from kassa.store.db import Database, UnitOfWork


async def request_refund(
    db: Database,
    principal: Principal,
    order_id: str,
    tickets: Sequence[str],
    now: datetime,
    *,
    culprit: str,
    policy: str = "general",
    requested_at: datetime | None = None,
    keep: Sequence[str] | None = None,
) -> RefundRequest:
    """Ask for `tickets` back, or (v1) for every ticket but those to `keep`."""
    async with db.unit_of_work() as uow:
        order = await locked_order(uow, principal, order_id)
        if keep is not None:
            tickets = tickets_to_return(order, keep)
        refund = new_refund(
            new_id(now),
            order,
            tickets,
            culprit=culprit,
            policy=policy,
            now=now,
            requested_at=requested_at,
            others=await uow.refunds.of_order(order.id),
            kept=keep or (),
        )
        await uow.refunds.add(refund)
        await record(
            uow,
            order,
            actor=principal.actor,
            action="refund.requested",
            from_status=order.status,
            now=now,
            details={"refund": refund.id, "tickets": list(refund.tickets), "culprit": culprit},
        )
        await uow.commit()
    return refund


async def decide_refund(
    db: Database, principal: Principal, refund_id: str, target: RefundStatus, now: datetime
) -> RefundRequest:
    """Organiser only. Approving returns the tickets to sale and shrinks the order's values."""
    if not principal.is_organiser:
        raise ActionForbidden("Only the organiser decides on refund requests")
    async with db.unit_of_work() as uow:
        current = await _visible(uow, principal, refund_id)
        order = await locked_order(uow, principal, current.order_id)
        current = await _visible(uow, principal, refund_id)  # re-read under the order's lock
        refund = transition(current, target, now)
        if target is RefundStatus.APPROVED:
            await cancellation.cancel_locked(
                uow,
                cancellation.target_of(OrderKind.TICKETS, order),
                now,
                cancellation.Part(tickets=tuple(refund.tickets)),
                reason=Reason("refund", f"request {refund.id}"),
                version=None,
                actor=principal.actor,
                system=True,
            )
        await uow.refunds.save(refund)
        await record(
            uow,
            order,
            actor=principal.actor,
            action=f"refund.{target.value}",
            from_status=order.status,
            now=now,
            details={"refund": refund.id, "tickets": list(refund.tickets)},
        )
        await uow.commit()
    return refund


async def get_refund(db: Database, principal: Principal, refund_id: str) -> RefundRequest:
    async with db.unit_of_work(write=False) as uow:
        return await _visible(uow, principal, refund_id)


async def list_refunds(
    db: Database,
    principal: Principal,
    where: RefundFilter,
    *,
    page: int,
    page_size: int,
) -> tuple[list[RefundRequest], int]:
    # The caller's own, whatever the filter a face built says.
    where = replace(
        where, org_id=principal.org_id, vendor_id=principal.partner_id or where.vendor_id
    )
    async with db.unit_of_work(write=False) as uow:
        return await uow.refunds.search(where, limit=page_size, offset=(page - 1) * page_size)


async def _visible(uow: UnitOfWork, principal: Principal, refund_id: str) -> RefundRequest:
    refund = await uow.refunds.get(refund_id)
    if refund is None or not principal.sees(refund.org_id, refund.vendor_id):
        raise RefundNotFound(f"Refund request {refund_id} not found", refund=refund_id)
    return refund
