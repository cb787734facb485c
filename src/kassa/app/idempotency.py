"""Idempotency keys: claim a key for a request, or find the answer it already has; keep the
answer when the request is done, or let the key go when it failed. The HTTP middleware
(kassa.web.idempotency) calls these around any face's mutating call."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from kassa.store.db import Database

KEEP = timedelta(hours=24)
STALE = timedelta(minutes=5)


@dataclass(frozen=True)
class Stored:
    status: int
    content_type: str | None
    body: bytes


async def begin(
    db: Database,
    caller: str,
    key: str,
    fingerprint: str,
    now: datetime,
    keep: timedelta = KEEP,
) -> str | Stored:
    """ "new" (run it), "running", "mismatch", or the stored answer to replay. A key kept past
    `keep`, or left running past `STALE` (its server died), is taken over."""
    for _ in range(2):
        async with db.unit_of_work() as uow:
            if await uow.idempotency.claim(caller, key, fingerprint, now):
                await uow.commit()
                return "new"
        async with db.unit_of_work() as uow:
            stored = await uow.idempotency.get(caller, key)
            expired = stored is not None and (
                stored.created_at <= now - keep
                or (stored.state == "running" and stored.created_at <= now - STALE)
            )
            if stored is None or expired:
                await uow.idempotency.forget(caller, key)
                await uow.commit()
                continue
        if stored.fingerprint != fingerprint:
            return "mismatch"
        if stored.state == "running":
            return "running"
        return Stored(stored.status or 500, stored.content_type, stored.body or b"")
    return "running"


async def finish(
    db: Database, caller: str, key: str, status: int, content_type: str | None, body: bytes
) -> None:
    """Keep an answer under 500 for the retries; after a 5xx the key is free again."""
    async with db.unit_of_work() as uow:
        if status < 500:
            await uow.idempotency.finish(caller, key, status, content_type, body)
        else:
            await uow.idempotency.forget(caller, key)
        await uow.commit()


async def purge_expired(
    db: Database, now: datetime, *, keep: timedelta = KEEP, batch: int = 500, max_batches: int = 20
) -> int:
    """Delete keys older than `keep`: `batch` rows per transaction, at most `max_batches`
    batches per call (the next pass goes on); returns how many went."""
    purged = 0
    for _ in range(max_batches):
        async with db.unit_of_work() as uow:
            count = await uow.idempotency.purge(now - keep, batch)
            await uow.commit()
        purged += count
        if count < batch:
            break
    return purged
