"""`kassa worker`: expire holds that ran out, pass waiting-list offers on, deliver the outbox
and purge old Idempotency-Keys, until stopped."""

import asyncio
import contextlib
import logging
import signal
from datetime import timedelta

import httpx

from kassa.app import event_cancellation, waitlist
from kassa.app.cancellation import expire_due
from kassa.app.clock import Clock, utcnow
from kassa.app.idempotency import KEEP, purge_expired
from kassa.app.outbox import PER_ENDPOINT, drain
from kassa.app.selflinks import Links
from kassa.config import Settings
from kassa.notify.smtp import SmtpSettings
from kassa.store.db import Database

log = logging.getLogger("kassa.worker")


async def run_once(
    db: Database,
    client: httpx.AsyncClient,
    clock: Clock = utcnow,
    smtp: SmtpSettings | None = None,
    lease: timedelta = timedelta(seconds=60),
    keep_keys: timedelta = KEEP,
    per_endpoint: int = PER_ENDPOINT,
    links: Links | None = None,
) -> int:
    """One sweep, one batch of an event's cancellation, one outbox pass and one key purge;
    returns how many things it did."""
    expired = await expire_due(db, clock())
    cancelled = await event_cancellation.run_batch(db, clock, lease=lease)
    offers = await waitlist.pass_due(db, clock()) + await waitlist.refill(db, clock())
    result = await drain(
        db, client, clock(), smtp=smtp, lease=lease, per_endpoint=per_endpoint, links=links
    )
    purged = await purge_expired(db, clock(), keep=keep_keys)
    done = expired + cancelled + offers + result.delivered + result.failed + result.voided
    done += purged
    if done:
        log.info(
            "expired %d orders; event cancellation visited %d; %d waiting-list offers passed "
            "or made; delivered %d messages, %d failed, %d voided; purged %d keys",
            expired,
            cancelled,
            offers,
            result.delivered,
            result.failed,
            result.voided,
            purged,
        )
    return done


async def run(settings: Settings, stop: asyncio.Event | None = None) -> None:
    """Loop until SIGINT/SIGTERM (or `stop`), sleeping only when there was nothing to do."""
    stop = stop or asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    db = Database(settings.database_url, pool_size=4, max_overflow=4)
    timeout = httpx.Timeout(settings.webhook_timeout_seconds)
    try:
        async with httpx.AsyncClient(timeout=timeout) as client:
            while not stop.is_set():
                try:
                    busy = await run_once(
                        db,
                        client,
                        smtp=settings.smtp,
                        lease=timedelta(seconds=settings.worker_lease_seconds),
                        keep_keys=settings.idempotency_retention,
                        per_endpoint=settings.webhook_per_endpoint,
                        links=Links(settings.public_url, settings.secret_key),
                    )
                except Exception:  # the loop outlives a failed pass (e.g. the DB restarting)
                    log.exception("worker pass failed; retrying")
                    busy = 0
                if not busy:
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(stop.wait(), settings.worker_interval_seconds)
    finally:
        await db.dispose()
