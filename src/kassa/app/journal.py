"""Every state change leaves an audit row and an outbox message in the same transaction.

The audit row names the HTTP request that made the change (`X-Request-Id`), when one did."""

from datetime import datetime
from typing import Any

from kassa.app.trace import current_request_id
from kassa.core.audit import AuditEntry, OutboxMessage
from kassa.core.money import render
from kassa.core.orders import Order, OrderStatus
from kassa.store.db import UnitOfWork

# What the outside world is told about; other changes are audited only.
PUBLISHED = frozenset(
    {
        "order.placed",
        "order.in_progress",
        "order.done",
        "order.canceled",
        "order.expired",
        "order.partially_canceled",
        "refund.requested",
        "refund.approved",
        "refund.rejected",
    }
)


async def record(
    uow: UnitOfWork,
    order: Order,
    *,
    actor: str,
    action: str,
    from_status: OrderStatus | None,
    now: datetime,
    reason: str | None = None,
    details: dict[str, Any] | None = None,
) -> None:
    """Append the audit entry, and the outbox message when `action` is published."""
    audit, message = entries(
        order,
        actor=actor,
        action=action,
        from_status=from_status,
        now=now,
        reason=reason,
        details=details,
    )
    await uow.audit.append(audit)
    if message is not None:
        await uow.outbox.enqueue(message)


def entries(
    order: Order,
    *,
    actor: str,
    action: str,
    from_status: OrderStatus | None,
    now: datetime,
    reason: str | None = None,
    details: dict[str, Any] | None = None,
) -> tuple[AuditEntry, OutboxMessage | None]:
    """What `record` writes: the audit entry, and the outbox message if `action` is published."""
    audit = AuditEntry(
        order_id=order.id,
        org_id=order.org_id,
        at=now,
        actor=actor,
        action=action,
        from_status=from_status.value if from_status else None,
        to_status=order.status.value,
        reason=reason,
        details=details or {},
        request_id=current_request_id(),
    )
    if action not in PUBLISHED:
        return audit, None
    return audit, OutboxMessage(
        topic=action,
        org_id=order.org_id,
        partner_id=None if order.vendor_id == order.org_id else order.vendor_id,
        order_id=order.id,
        payload=_payload(order, action, now, reason),
        created_at=now,
    )


def _payload(order: Order, action: str, now: datetime, reason: str | None) -> dict[str, Any]:
    values = order.values
    return {
        "type": action,
        "occurred_at": now.isoformat(),
        "reason": reason,
        "order": {
            "id": order.id,
            "number": order.number,
            "status": order.status.value,
            "event": order.event_id,
            "org": order.org_id,
            "vendor": order.vendor_id,
            "tickets": [line.ticket_id for line in order.listed_lines],
            "values": {
                "nominal": render(values.nominal),
                "extra": render(values.extra),
                "full": render(values.full),
            },
        },
    }


async def record_event(
    uow: UnitOfWork,
    *,
    order_id: str,
    org_id: str,
    actor: str,
    action: str,
    from_status: str | None,
    to_status: str,
    now: datetime,
    order: dict[str, Any],
    details: dict[str, Any] | None = None,
    reason: str | None = None,
) -> None:
    """`record` for the orders of the other faces (loyalty, delivery): the timeline entry and
    the organisation's webhook, in the command's transaction; every action is published."""
    await uow.audit.append(
        AuditEntry(
            order_id=order_id,
            org_id=org_id,
            at=now,
            actor=actor,
            action=action,
            from_status=from_status,
            to_status=to_status,
            reason=reason,
            details=details or {},
            request_id=current_request_id(),
        )
    )
    await uow.outbox.enqueue(
        OutboxMessage(
            topic=action,
            org_id=org_id,
            partner_id=None,
            order_id=order_id,
            payload={
                "type": action,
                "occurred_at": now.isoformat(),
                "reason": reason,
                "order": {**order, "status": to_status},
            },
            created_at=now,
        )
    )
