"""What the audit timeline and the outbox hold: plain records, written by `app`."""

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


@dataclass(frozen=True)
class AuditEntry:
    """One state change of an order: who, when, what, why."""

    order_id: str
    org_id: str | None  # the order's organisation (None only on rows older than the column)
    at: datetime
    actor: str
    action: str
    from_status: str | None
    to_status: str | None
    reason: str | None = None
    details: dict[str, Any] = field(default_factory=dict)
    request_id: str | None = None  # the HTTP request that made the change, if one did


@dataclass(frozen=True)
class OutboxMessage:
    """An event for the outside world, delivered by the worker after commit."""

    topic: str
    org_id: str
    partner_id: str | None
    order_id: str | None
    payload: dict[str, Any]
    created_at: datetime
