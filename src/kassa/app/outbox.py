"""Draining the outbox: each message is POSTed, signed, to its partner's webhook endpoint.

A message is leased (hidden for `lease`) in one short transaction, delivered outside any
transaction, then marked delivered or rescheduled with backoff. A worker killed mid-delivery
loses nothing: the lease runs out and another worker delivers the message again. Receivers
therefore de-duplicate by the `X-Kassa-Delivery` id (at-least-once delivery).

A pass delivers concurrently, so one slow or dead receiver cannot hold up everyone else's
events: see `_Pass`.
"""

import asyncio
import hashlib
import hmac
import json
import logging
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial
from typing import Any

import aiosmtplib
import httpx

from kassa.app.mail_jobs import MAIL_TOPICS, Voided, deliver_mail
from kassa.app.selflinks import Links
from kassa.core.webhooks import Delivery, Endpoint
from kassa.notify.smtp import SmtpSettings
from kassa.store.db import Database
from kassa.store.journal import PendingMessage
from kassa.store.tenants import Endpoint as WebhookUrl

log = logging.getLogger("kassa.outbox")

SIGNATURE_HEADER = "X-Kassa-Signature"
PER_ENDPOINT = 2  # deliveries in flight to one receiver at once (KASSA_WEBHOOK_PER_ENDPOINT)
IN_FLIGHT = 16  # deliveries in flight in one pass, all receivers together


class Unreachable(str):
    """A failure that cost the timeout or found nobody listening: the receiver's other
    deliveries in this pass are not tried (they back off with this one)."""


Outcome = str | Voided | None  # None: sent; a str: why not (retried later); Voided: settled
Send = Callable[[], Awaitable[Outcome]]
Settle = Callable[[Outcome, datetime], Awaitable[str]]  # (outcome, retry at) -> what it was


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
    per_endpoint: int = PER_ENDPOINT,
    links: Links | None = None,
) -> DrainResult:
    """One pass: lease a batch, deliver concurrently (see `_Pass`), record each outcome.

    Mail jobs (tickets, exports) are sent over SMTP instead of POSTed; with no `smtp`
    settings they wait for a worker that has them.
    """
    messages, endpoints = await _lease_messages(db, now, batch, lease)
    deliveries, targets = await _lease_deliveries(db, now, batch, lease)
    jobs = [
        _message_job(db, client, (smtp, links), endpoints[(m.org_id, m.partner_id)], m, now)
        for m in messages
    ] + [_delivery_job(db, client, targets[d.endpoint_id], d, now) for d in deliveries]
    outcomes = await _Pass(now, per_endpoint, IN_FLIGHT).run(jobs)
    return DrainResult(outcomes["delivered"], outcomes["failed"], outcomes["voided"])


async def _lease_messages(
    db: Database, now: datetime, batch: int, lease: timedelta
) -> tuple[list[PendingMessage], dict[tuple[str, str | None], WebhookUrl]]:
    """Lease due outbox messages and fan them out to the registered endpoints, in one
    transaction; returns them with the org's (or partner's) own webhook_url."""
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
    return messages, endpoints


async def _lease_deliveries(
    db: Database, now: datetime, batch: int, lease: timedelta
) -> tuple[list[Delivery], dict[str, Endpoint | None]]:
    """Lease due deliveries to registered endpoints (SKIP LOCKED: several workers share them)."""
    async with db.unit_of_work() as uow:
        due = await uow.webhooks.claim(now, batch)
        await uow.webhooks.lease([d.id for d in due], now + lease)
        targets = {d.endpoint_id: await uow.webhooks.endpoint(d.endpoint_id) for d in due}
        await uow.commit()
    return due, targets


def _message_job(
    db: Database,
    client: httpx.AsyncClient,
    mail: tuple[SmtpSettings | None, Links | None],
    endpoint: WebhookUrl,
    message: PendingMessage,
    now: datetime,
) -> "_Job":
    """A message for the org's (or partner's) own webhook_url, or a mail job for SMTP."""
    if message.topic in MAIL_TOPICS:
        receiver, lane = "smtp", f"mail {message.id}"  # mails need no order among them
        send: Send = partial(_mail, db, mail, message, now)
    elif endpoint.url:
        receiver, lane = endpoint.url, _lane_of(message.payload, message.id)
        send = partial(_post, client, endpoint.url, endpoint.secret, message, now)
    else:
        receiver, lane, send = "", f"nowhere {message.id}", _nothing_to_send
    return _Job(receiver, lane, message.attempts, send, partial(_settle, db, message, now))


async def _settle(
    db: Database, message: PendingMessage, now: datetime, error: Outcome, retry_at: datetime
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
            await uow.outbox.mark_failed(message.id, error, retry_at)
            outcome = "failed"
        await uow.commit()
    return outcome


GIVE_UP_AFTER = timedelta(days=3)


def _delivery_job(
    db: Database,
    client: httpx.AsyncClient,
    endpoint: Endpoint | None,
    delivery: Delivery,
    now: datetime,
) -> "_Job":
    """A delivery to a registered endpoint, POSTed signed with the endpoint's secret."""
    settle = partial(_settle_delivery, db, delivery, now)
    if endpoint is None or not endpoint.active:
        gone = f"removed endpoint {delivery.endpoint_id}"
        return _Job(gone, gone, delivery.attempts, _endpoint_removed, settle)
    message = PendingMessage(
        delivery.event_id,
        delivery.topic,
        endpoint.org_id,
        None,
        None,
        delivery.payload,
        delivery.attempts,
    )
    send = partial(_post, client, endpoint.url, endpoint.secret, message, now)
    lane = _lane_of(delivery.payload, delivery.event_id)
    return _Job(endpoint.url, lane, delivery.attempts, send, settle)


async def _settle_delivery(
    db: Database, delivery: Delivery, now: datetime, error: Outcome, retry_at: datetime
) -> str:
    """Mark one delivery in its own transaction; after three days of failures it is dead
    (listed and replayable by an operator)."""
    async with db.unit_of_work() as uow:
        if error is None:
            await uow.webhooks.delivered(delivery.id, now)
            outcome = "delivered"
        else:
            give_up = retry_at - delivery.created_at > GIVE_UP_AFTER
            await uow.webhooks.failed(delivery.id, str(error), None if give_up else retry_at)
            outcome = "failed"
        await uow.commit()
    return outcome


def _lane_of(payload: dict[str, Any], event_id: int) -> str:
    """One order's events to one receiver keep their order; other events need none."""
    order = payload.get("order")
    if isinstance(order, dict) and order.get("id"):
        return f"order {order['id']}"
    return f"event {event_id}"


async def _nothing_to_send() -> Outcome:
    return None  # no webhook_url: the message is settled as it always was


async def _endpoint_removed() -> Outcome:
    return "endpoint removed"


async def _mail(
    db: Database,
    mail: tuple[SmtpSettings | None, Links | None],
    message: PendingMessage,
    now: datetime,
) -> Outcome:
    smtp, links = mail
    if smtp is None:
        return "no SMTP settings in this worker"
    try:
        return await deliver_mail(db, smtp, message.topic, message.payload, now, links)
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
    except httpx.TransportError as exc:  # timed out, refused, reset: the receiver is down
        log.warning("webhook %s to %s failed: %s", message.id, url, exc)
        return Unreachable(f"{type(exc).__name__}: {exc}")
    except httpx.HTTPError as exc:
        log.warning("webhook %s to %s failed: %s", message.id, url, exc)
        return f"{type(exc).__name__}: {exc}"
    if response.is_success:
        return None
    return f"HTTP {response.status_code}: {response.text[:500]}"


@dataclass(frozen=True)
class _Job:
    """One thing to deliver in a pass, and how to record what became of it."""

    receiver: str  # whom it goes to: that receiver's slots, and its failures
    lane: str  # a lane's jobs go one after another, in order (one order's events)
    attempts: int
    send: Send
    settle: Settle


@dataclass(frozen=True)
class _Held:
    """Why a job is not sent in this pass, and the earliest it may be retried."""

    why: str
    until: datetime


class _Pass:
    """One pass's jobs, run concurrently. Lanes run side by side, at most `per_receiver` jobs
    in flight to one receiver and `in_flight` in all; a lane whose job failed holds the rest
    back until that job's retry (so one order's events keep their order), and a receiver that
    timed out or refused gets nothing more in this pass: a dead endpoint costs one timeout
    per pass, in its own slots. Each outcome is recorded in its own transaction."""

    def __init__(self, now: datetime, per_receiver: int, in_flight: int) -> None:
        self._now = now
        self._per_receiver = max(per_receiver, 1)
        self._overall = asyncio.Semaphore(max(in_flight, 1))
        self._slots: dict[str, asyncio.Semaphore] = {}
        self._down: dict[str, _Held] = {}
        self._outcomes: Counter[str] = Counter()

    async def run(self, jobs: list[_Job]) -> Counter[str]:
        """Run every job; returns how many were delivered, failed, voided."""
        lanes: dict[tuple[str, str], list[_Job]] = {}
        for job in jobs:
            lanes.setdefault((job.receiver, job.lane), []).append(job)
            self._slots.setdefault(job.receiver, asyncio.Semaphore(self._per_receiver))
        # Every lane runs to its end and records its outcomes before a failure is raised.
        results = await asyncio.gather(
            *(self._lane(lane) for lane in lanes.values()), return_exceptions=True
        )
        for result in results:
            if isinstance(result, BaseException):
                raise result
        return self._outcomes

    async def _lane(self, jobs: list[_Job]) -> None:
        held: _Held | None = None
        for job in jobs:
            held = held or self._down.get(job.receiver)
            outcome, retry_at = await self._attempt(job, held)
            settled = await job.settle(outcome, retry_at)
            self._outcomes[settled] += 1
            if settled == "failed" and held is None:
                why = f"not sent: an earlier event of {job.lane} failed ({outcome})"
                held = _Held(why, retry_at)

    async def _attempt(self, job: _Job, held: _Held | None) -> tuple[Outcome, datetime]:
        """Send the job unless it is held; returns the outcome and when to retry on failure."""
        retry_at = self._now + backoff(job.attempts)
        if held is None:
            async with self._slots[job.receiver], self._overall:
                held = self._down.get(job.receiver)  # it may have gone down while this waited
                if held is None:
                    outcome = await job.send()
                    if isinstance(outcome, Unreachable):
                        why = f"not sent: the endpoint was unreachable in this pass ({outcome})"
                        self._down.setdefault(job.receiver, _Held(why, retry_at))
                    return outcome, retry_at
        return held.why, max(retry_at, held.until)
