"""The audit timeline and the outbox: append-only rows written in the command's transaction."""

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, select, update

from kassa.core.audit import AuditEntry, OutboxMessage
from kassa.store import raw
from kassa.store.tables import audit_log, outbox
from kassa.store.tx import Tx
from kassa.store.types import fixed


class AuditRepo:
    def __init__(self, conn: Tx) -> None:
        self._conn = conn

    async def append(self, entry: AuditEntry) -> None:
        await self._conn.stage_sql(
            *raw.insert(audit_log, [entry.__dict__], sqlite=self._conn.is_sqlite)
        )

    async def timeline(self, order_id: str) -> list[AuditEntry]:
        rows = await self._conn.execute(
            select(audit_log).where(audit_log.c.order_id == order_id).order_by(audit_log.c.id)
        )
        return [
            AuditEntry(
                order_id=row.order_id,
                org_id=row.org_id,
                at=row.at,
                actor=row.actor,
                action=row.action,
                from_status=row.from_status,
                to_status=row.to_status,
                reason=row.reason,
                details=dict(row.details),
                request_id=row.request_id,
            )
            for row in rows
        ]


@dataclass(frozen=True)
class PendingMessage:
    id: int
    topic: str
    org_id: str
    partner_id: str | None
    order_id: str | None
    payload: dict[str, Any]
    attempts: int
    created_at: datetime | None = None


VOIDED = "voided: "  # how `last_error` begins on a message settled without being sent


def claim_query(now: datetime, limit: int) -> Select[Any]:
    """The oldest due undelivered messages, in id order from `ix_outbox_pending` (no sort of
    the whole backlog), skipping rows another worker holds."""
    return (
        select(outbox)
        .where(outbox.c.delivered_at.is_(None), outbox.c.available_at <= now)
        .order_by(outbox.c.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )


def unsent_query(order_id: str, topic: str) -> Select[Any]:
    """`OutboxRepo.unsent`'s read, the topic written into the SQL (a partial index's
    predicate names it)."""
    return (
        select(outbox)
        .where(
            outbox.c.order_id == order_id,
            outbox.c.topic == fixed(topic),
            outbox.c.delivered_at.is_(None),
        )
        .order_by(outbox.c.id)
        .with_for_update()
    )


def _pending(row: Any) -> PendingMessage:
    return PendingMessage(
        row.id,
        row.topic,
        row.org_id,
        row.partner_id,
        row.order_id,
        dict(row.payload),
        row.attempts,
        row.created_at,
    )


class OutboxRepo:
    def __init__(self, conn: Tx, *, is_sqlite: bool) -> None:
        self._conn = conn
        self._is_sqlite = is_sqlite

    async def enqueue(self, message: OutboxMessage) -> None:
        row = {**message.__dict__, "available_at": message.created_at, "attempts": 0}
        await self._conn.stage_sql(*raw.insert(outbox, [row], sqlite=self._conn.is_sqlite))

    async def claim(self, now: datetime, limit: int) -> list[PendingMessage]:
        """Due undelivered messages; rows another worker holds are skipped (SKIP LOCKED)."""
        rows = await self._conn.execute(claim_query(now, limit))
        return [_pending(row) for row in rows]

    async def unsent(self, order_id: str, topic: str) -> list[PendingMessage]:
        """The order's messages of `topic` not delivered yet (leased ones too), locked. The
        topic is written into the SQL, so the ticket mail's are found by their own index
        (`ix_outbox_unsent_ticket_mail`) however many messages wait to be sent."""
        rows = await self._conn.execute(unsent_query(order_id, topic))
        return [_pending(row) for row in rows]

    async def rewrite(self, message_id: int, payload: dict[str, Any]) -> None:
        """Change what an undelivered message will say."""
        await self._conn.stage(
            update(outbox)
            .where(outbox.c.id == message_id, outbox.c.delivered_at.is_(None))
            .values(payload=payload)
        )

    async def void(self, message_id: int, why: str, at: datetime) -> None:
        """Settle an undelivered message without sending it: `delivered_at` set (never sent
        again), `attempts` untouched, `last_error` reading "voided: <why>"."""
        await self._conn.stage(
            update(outbox)
            .where(outbox.c.id == message_id, outbox.c.delivered_at.is_(None))
            .values(delivered_at=at, last_error=f"{VOIDED}{why}"[:2000])
        )

    async def lease(self, message_ids: list[int], until: datetime) -> None:
        """Hide claimed messages from other workers until `until`; a crashed worker's come back."""
        if message_ids:
            await self._conn.execute(
                update(outbox).where(outbox.c.id.in_(message_ids)).values(available_at=until)
            )

    async def mark_delivered(self, message_id: int, at: datetime) -> None:
        await self._conn.execute(
            update(outbox)
            .where(outbox.c.id == message_id)
            .values(delivered_at=at, attempts=outbox.c.attempts + 1, last_error=None)
        )

    async def mark_failed(self, message_id: int, error: str, retry_at: datetime) -> None:
        await self._conn.execute(
            update(outbox)
            .where(outbox.c.id == message_id)
            .values(available_at=retry_at, attempts=outbox.c.attempts + 1, last_error=error[:2000])
        )
