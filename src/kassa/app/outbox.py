"""Draining the outbox: each message is POSTed, signed, to its partner's webhook endpoint.

A message is leased (hidden for `lease`) in one short transaction, delivered outside any
transaction, then marked delivered or rescheduled with backoff. A worker killed mid-delivery
loses nothing: the lease runs out and another worker delivers the message again. Receivers
therefore de-duplicate by the `X-Kassa-Delivery` id (at-least-once delivery).
"""

import hashlib
import hmac
import json
import logging
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta

import aiosmtplib
import httpx

from kassa.app.mail_jobs import MAIL_TOPICS, Voided, deliver_mail
from kassa.core.webhooks import Endpoint
from kassa.notify.smtp import SmtpSettings
from kassa.store.db import Database
from kassa.store.journal import PendingMessage

log = logging.getLogger("kassa.outbox")

SIGNATURE_HEADER = "X-Kassa-Signature"


def sign(secret: str, timestamp: int, body: bytes) -> str:
    """`t=<unix>,v1=<hex HMAC-SHA256 of "<t>." + body>`; verify it the same way."""
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"t={timestamp},v1={mac.hexdigest()}"


def _after(endpoint: Endpoint, message: PendingMessage) -> bool:
    """An endpoint hears of what happens from its registration on, not of older events."""
    if endpoint.created_at is None or message.created_at is None:
        return True
    return endpoint.created_at <= message.created_at


def backoff(attempts: int) -> timedelta:
    """5 s, 10 s, 20 s ... up to an hour between tries."""
    return timedelta(seconds=min(5 * 2 ** max(attempts, 0), 3600))


@dataclass(frozen=True)
class DrainResult:
    delivered: int = 0
    failed: int = 0
    voided: int = 0  # mail jobs settled unsent: nothing was left to send


async def drain(
    db: Database,
    client: httpx.AsyncClient,
    now: datetime,
    *,
    batch: int = 50,
    lease: timedelta = timedelta(seconds=60),
    smtp: SmtpSettings | None = None,
) -> DrainResult:
    """One pass: lease a batch, deliver each message, record the outcome.

    Mail jobs (tickets, exports) are sent over SMTP instead of POSTed; with no `smtp`
    settings they wait for a worker that has them.
    """
    async with db.unit_of_work() as uow:
        messages = await uow.outbox.claim(now, batch)
        await uow.outbox.lease([m.id for m in messages], now + lease)
        endpoints = {
            (m.org_id, m.partner_id): await uow.tenants.endpoint(m.org_id, m.partner_id)
            for m in messages
        }
        # Registered endpoints get a delivery row each (once per event, however often a
        # message is leased again): delivered below, retried, or left as a dead letter.
        registered: dict[str, list[Endpoint]] = {}
        for m in messages:
            if m.topic in MAIL_TOPICS:
                continue
            if m.org_id not in registered:
                registered[m.org_id] = await uow.webhooks.endpoints_of(m.org_id)
            for registered_endpoint in registered[m.org_id]:
                if registered_endpoint.wants(m.topic) and _after(registered_endpoint, m):
                    await uow.webhooks.fan_out(
                        registered_endpoint.id, m.id, m.topic, m.payload, now
                    )
        await uow.commit()
    outcomes: Counter[str] = Counter()
    for message in messages:
        endpoint = endpoints[(message.org_id, message.partner_id)]
        error: str | Voided | None = None
        if message.topic in MAIL_TOPICS:
            error = await _mail(db, smtp, message, now)
        elif endpoint.url:
            error = await _post(client, endpoint.url, endpoint.secret, message, now)
        outcomes[await _settle(db, message, error, now)] += 1
    sent, lost = await deliver_registered(db, client, now, batch=batch, lease=lease)
    return DrainResult(outcomes["delivered"] + sent, outcomes["failed"] + lost, outcomes["voided"])


async def _settle(
    db: Database, message: PendingMessage, error: str | Voided | None, now: datetime
) -> str:
    """Record one message's outcome in its own transaction; returns which it was."""
    async with db.unit_of_work() as uow:
        if isinstance(error, Voided):
            await uow.outbox.void(message.id, error.why, now)
            outcome = "voided"
        elif error is None:
            await uow.outbox.mark_delivered(message.id, now)
            outcome = "delivered"
        else:
            await uow.outbox.mark_failed(message.id, error, now + backoff(message.attempts))
            outcome = "failed"
        await uow.commit()
    return outcome


GIVE_UP_AFTER = timedelta(days=3)


async def deliver_registered(
    db: Database,
    client: httpx.AsyncClient,
    now: datetime,
    *,
    batch: int = 50,
    lease: timedelta = timedelta(seconds=60),
) -> tuple[int, int]:
    """Due deliveries to registered endpoints: leased with SKIP LOCKED (several workers share
    them), POSTed signed with the endpoint's secret, then marked; after three days of
    failures a delivery is dead (listed and replayable by an operator)."""
    async with db.unit_of_work() as uow:
        due = await uow.webhooks.claim(now, batch)
        await uow.webhooks.lease([d.id for d in due], now + lease)
        targets = {d.endpoint_id: await uow.webhooks.endpoint(d.endpoint_id) for d in due}
        await uow.commit()
    sent = lost = 0
    for delivery in due:
        endpoint = targets[delivery.endpoint_id]
        error = "endpoint removed"
        if endpoint is not None and endpoint.active:
            message = PendingMessage(
                delivery.event_id,
                delivery.topic,
                endpoint.org_id,
                None,
                None,
                delivery.payload,
                delivery.attempts,
            )
            error = await _post(client, endpoint.url, endpoint.secret, message, now) or ""
        async with db.unit_of_work() as uow:
            if not error:
                await uow.webhooks.delivered(delivery.id, now)
                sent += 1
            else:
                retry_at = now + backoff(delivery.attempts)
                give_up = retry_at - delivery.created_at > GIVE_UP_AFTER
                await uow.webhooks.failed(delivery.id, error, None if give_up else retry_at)
                lost += 1
            await uow.commit()
    return sent, lost


async def _mail(
    db: Database, smtp: SmtpSettings | None, message: PendingMessage, now: datetime
) -> str | Voided | None:
    if smtp is None:
        return "no SMTP settings in this worker"
    try:
        return await deliver_mail(db, smtp, message.topic, message.payload, now)
    except (OSError, aiosmtplib.SMTPException, LookupError) as exc:
        log.warning("mail %s (%s) failed: %s", message.id, message.topic, exc)
        return f"{type(exc).__name__}: {exc}"


async def _post(
    client: httpx.AsyncClient,
    url: str,
    secret: str | None,
    message: PendingMessage,
    now: datetime,
) -> str | None:
    body = json.dumps(message.payload, separators=(",", ":"), sort_keys=True).encode()
    headers = {
        "Content-Type": "application/json",
        "X-Kassa-Event": message.topic,
        "X-Kassa-Delivery": str(message.id),
        "X-Kassa-Event-Id": str(message.id),
    }
    if secret:
        headers[SIGNATURE_HEADER] = sign(secret, int(now.timestamp()), body)
    try:
        response = await client.post(url, content=body, headers=headers)
    except httpx.HTTPError as exc:
        log.warning("webhook %s to %s failed: %s", message.id, url, exc)
        return f"{type(exc).__name__}: {exc}"
    if response.is_success:
        return None
    return f"HTTP {response.status_code}: {response.text[:500]}"
