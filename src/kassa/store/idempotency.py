"""Stored first answers of mutating calls that carried an Idempotency-Key."""

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete, insert, select, tuple_, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.sql.dml import ReturningDelete

from kassa.store.tables import idempotency_keys as keys
from kassa.store.tx import Tx


@dataclass(frozen=True)
class Stored:
    fingerprint: str
    state: str
    status: int | None
    content_type: str | None
    body: bytes | None
    created_at: datetime


class IdempotencyRepo:
    def __init__(self, conn: Tx) -> None:
        self._conn = conn

    async def claim(self, scope: str, key: str, fingerprint: str, now: datetime) -> bool:
        """Start the call under this key; False when the key is already there."""
        try:
            await self._conn.execute(
                insert(keys).values(
                    scope=scope, key=key, fingerprint=fingerprint, state="running", created_at=now
                )
            )
        except IntegrityError:
            return False
        return True

    async def get(self, scope: str, key: str) -> Stored | None:
        row = (
            await self._conn.execute(select(keys).where(keys.c.scope == scope, keys.c.key == key))
        ).first()
        if row is None:
            return None
        return Stored(
            row.fingerprint, row.state, row.status, row.content_type, row.body, row.created_at
        )

    async def finish(
        self, scope: str, key: str, status: int, content_type: str | None, body: bytes
    ) -> None:
        await self._conn.execute(
            update(keys)
            .where(keys.c.scope == scope, keys.c.key == key)
            .values(state="done", status=status, content_type=content_type, body=body)
        )

    async def forget(self, scope: str, key: str) -> None:
        await self._conn.execute(delete(keys).where(keys.c.scope == scope, keys.c.key == key))

    async def purge(self, before: datetime, limit: int) -> int:
        """Delete up to `limit` keys made before `before`; returns how many went. Rows another
        transaction holds are skipped (PostgreSQL), so concurrent purges never queue."""
        gone = await self._conn.execute(purge_query(before, limit))
        return len(gone.all())


def purge_query(before: datetime, limit: int) -> ReturningDelete[Any]:
    """`IdempotencyRepo.purge`'s one statement: the oldest keys found by
    `ix_idempotency_keys_created` (the table is not scanned at every pass of the worker)."""
    # MATERIALIZED: the limited pick runs once (see InventoryRepo.claim_random).
    oldest = (
        select(keys.c.scope, keys.c.key)
        .where(keys.c.created_at < before)
        .limit(limit)
        .with_for_update(skip_locked=True)
        .cte("oldest")
        .prefix_with("MATERIALIZED")
    )
    picked = select(oldest.c.scope, oldest.c.key)
    # RETURNING, not rowcount: SQLite's driver reports -1 for a statement led by WITH.
    return delete(keys).where(tuple_(keys.c.scope, keys.c.key).in_(picked)).returning(keys.c.key)
