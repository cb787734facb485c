"""Whole-event cancellation: start a job (sales stop at once), follow its progress, and the
worker's step that cancels the next batch of orders through the one engine.

Every order is cancelled by `cancel_locked`, with the reason `event_cancelled`, the system
as actor and the organiser's override (full refund, or the event policy's fee without its
window), in a transaction that also advances the job's cursor and counters, and only while
the worker still holds the job's lease: a worker killed anywhere leaves the job exactly where
its last commit put it, and the next worker goes on from there once the lease runs out.
"""

import secrets
from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import datetime, timedelta

from kassa.app.cancellation import SYSTEM, WHOLE, Part, cancel_locked, find
from kassa.app.ids import new_id
from kassa.app.mail_jobs import enqueue_event_cancelled_email
from kassa.app.snapshots import snapshots
from kassa.app.waitlist import close_lists
from kassa.core.cancellation import OrderKind, Reason
from kassa.core.catalog import Event, EventStatus
from kassa.core.errors import (
    ActionForbidden,
    EventNotFound,
    KassaError,
    OrderNotFound,
    SetNotFound,
)
from kassa.core.event_cancellation import (
    LAST_PASS,
    EventCancellation,
    EventCancellationNotFound,
    JobStatus,
    PolicyChoice,
    check_reason_text,
)
from kassa.core.money import render
from kassa.core.orders import OrderStatus
from kassa.core.tenancy import Principal
from kassa.store.db import Database, UnitOfWork
from kassa.store.eventcancel import Lease

BATCH = 200  # orders a worker visits before it lets go of the job (and drains the outbox)
STEP = 20  # orders cancelled in one transaction
REASON = "event_cancelled"
LIVE = frozenset({OrderStatus.EXECUTED, OrderStatus.IN_PROGRESS, OrderStatus.DONE})
# Another server process may sell from its event snapshot for up to a second after the start
# (kassa.app.snapshots): the job is not finished before this has passed, so the last pass
# sees any such order.
SETTLE = timedelta(seconds=2)


async def _own_event(uow: UnitOfWork, who: Principal, event_id: str) -> Event:
    event = await uow.catalog.event(event_id)
    if event is None or event.org_id != who.org_id or who.restaurant_id or who.shop_id:
        raise EventNotFound(f"Event {event_id} not found", event=event_id)
    return event


async def start(
    db: Database,
    who: Principal,
    event_id: str,
    now: datetime,
    *,
    reason: str,
    policy: PolicyChoice = PolicyChoice.FULL_REFUND,
    set_id: str | None = None,
) -> tuple[EventCancellation, bool]:
    """Start cancelling the event (or one set): sales stop in this transaction and the worker
    cancels its orders. Returns the job and whether it is new: while one for the same event
    (or set) runs, starting again returns that one."""
    if not who.is_organiser:
        raise ActionForbidden("Only the organiser cancels an event")
    text = check_reason_text(reason)
    async with db.unit_of_work() as uow:
        event = await _own_event(uow, who, event_id)
        if set_id is not None and set_id not in {s.id for s in await uow.catalog.sets_of(event_id)}:
            raise SetNotFound(f"Set {set_id} not found in event {event_id}", set=set_id)
        running = await uow.event_cancellations.active(event_id, set_id)
        if running is not None:
            return running, False
        job = EventCancellation(
            id=new_id(now),
            org_id=who.org_id,
            event_id=event_id,
            set_id=set_id,
            policy=policy,
            reason=text,
            status=JobStatus.PENDING,
            created_by=who.actor,
            created_at=now,
            updated_at=now,
            total=await uow.event_cancellations.count_live(event_id, set_id),
        )
        if not await uow.event_cancellations.add(job):  # another start won the race
            found = await uow.event_cancellations.active(event_id, set_id)
            if found is not None:
                return found, False
        if set_id is None and event.status is not EventStatus.CANCELLED:
            await uow.catalog.update_event(replace(event, status=EventStatus.CANCELLED), now)
        await close_lists(uow, event_id, set_id, now)
        await uow.commit()
    snapshots(db).invalidate(event_id)
    return job, True


async def job_of(db: Database, who: Principal, job_id: str) -> EventCancellation:
    """One job of the caller's organisation (else a 404)."""
    async with db.unit_of_work(write=False) as uow:
        job = await uow.event_cancellations.get(job_id)
        if job is None or job.org_id != who.org_id or who.restaurant_id or who.shop_id:
            raise EventCancellationNotFound(f"Cancellation {job_id} not found", job=job_id)
        return job


async def latest(
    db: Database, who: Principal, event_id: str, set_id: str | None = None
) -> EventCancellation:
    """The event's newest cancellation (of `set_id` when given); a 404 when there is none."""
    jobs = await history(db, who, event_id)
    found = [j for j in jobs if set_id is None or j.set_id == set_id]
    if not found:
        raise EventCancellationNotFound(f"Event {event_id} has no cancellation", event=event_id)
    return found[0]


async def history(db: Database, who: Principal, event_id: str) -> list[EventCancellation]:
    """The event's cancellations, newest first (the console's event page)."""
    async with db.unit_of_work(write=False) as uow:
        await _own_event(uow, who, event_id)
        return await uow.event_cancellations.latest(event_id)


async def run_batch(
    db: Database,
    clock: Callable[[], datetime],
    *,
    lease: timedelta = timedelta(seconds=60),
    batch: int = BATCH,
    step: int = STEP,
) -> int:
    """The worker's turn: lease an unfinished job, cancel up to `batch` of its orders, let go.
    Returns how many orders it visited (0: no job was free)."""
    token = secrets.token_hex(8)
    async with db.unit_of_work() as uow:
        held = await uow.event_cancellations.take(clock(), clock() + lease, token)
        await uow.commit()
    if held is None:
        return 0
    try:
        return await _run(db, held, clock, lease, batch, step)
    except LeaseLost:  # this worker was too slow: another one holds the job now
        return 1


async def _run(
    db: Database,
    held: Lease,
    clock: Callable[[], datetime],
    lease: timedelta,
    batch: int,
    step: int,
) -> int:
    visited = 0
    while visited < batch:
        async with db.unit_of_work(write=False) as uow:
            found = await uow.event_cancellations.live_orders(
                held.job.event_id, held.job.set_id, held.cursor, min(step, batch - visited)
            )
        if not found:
            await _end_pass(db, held, clock())
            return visited or 1
        held = await _visit(db, held, found, clock, lease)
        visited += len(found)
    async with db.unit_of_work() as uow:
        await uow.event_cancellations.release(held)
        await uow.commit()
    return visited


async def _end_pass(db: Database, held: Lease, now: datetime) -> None:
    """Past the last order: go round once more (orders skipped, or placed late), or finish."""
    async with db.unit_of_work() as uow:
        if not _last_round(held, now):
            await uow.event_cancellations.start_pass(held, LAST_PASS, now)
            await uow.event_cancellations.release(held)
        else:
            await uow.event_cancellations.finish(held, now)
        await uow.commit()


async def _visit(
    db: Database,
    held: Lease,
    found: Sequence[tuple[int, str]],
    clock: Callable[[], datetime],
    lease: timedelta,
) -> Lease:
    """Cancel `found` in one transaction; when one of them cannot be, each in its own (one
    that still cannot is counted as failed in the last pass, left for it before)."""
    try:
        return await _cancel_step(db, held, found, clock(), lease)
    except KassaError:
        for one in found:
            try:
                held = await _cancel_step(db, held, [one], clock(), lease)
            except KassaError:
                failed = int(_last_round(held, clock()))
                held = await _advance(db, held, one[0], clock(), lease, {"failed": failed})
        return held


def _last_round(held: Lease, now: datetime) -> bool:
    """An order that cannot be cancelled now is a failure only in the pass that ends the job
    (before it, a later pass tries it again)."""
    return held.pass_no >= LAST_PASS and now - held.job.created_at >= SETTLE


class LeaseLost(Exception):
    """Another worker holds the job now (ours ran out): stop without committing."""


async def _cancel_step(
    db: Database,
    held: Lease,
    found: Sequence[tuple[int, str]],
    now: datetime,
    lease: timedelta,
) -> Lease:
    counts = {"cancelled": 0, "skipped": 0}
    async with db.unit_of_work() as uow:
        # The job row first: it checks the lease and holds it against any other worker.
        cursor = found[-1][0]
        if not await uow.event_cancellations.advance(held, cursor, now, now + lease):
            raise LeaseLost(held.job.id)
        for _, order_id in found:
            counts[await _cancel_one(uow, held.job, order_id, now)] += 1
        await uow.event_cancellations.advance(held, cursor, now, now + lease, **counts)
        await uow.commit()
    return replace(held, cursor=cursor)


async def _advance(
    db: Database, held: Lease, cursor: int, now: datetime, lease: timedelta, counts: dict[str, int]
) -> Lease:
    async with db.unit_of_work() as uow:
        if not await uow.event_cancellations.advance(held, cursor, now, now + lease, **counts):
            raise LeaseLost(held.job.id)
        await uow.commit()
    return replace(held, cursor=cursor)


async def _cancel_one(uow: UnitOfWork, job: EventCancellation, order_id: str, now: datetime) -> str:
    """Cancel one order (or its tickets of the set) through the engine; "skipped" when it
    ended meanwhile."""
    try:
        target = await find(uow, None, order_id, kind=OrderKind.TICKETS, lock=True)
    except OrderNotFound:
        return "skipped"
    order = target.order
    if order.status not in LIVE or (order.status is OrderStatus.DONE and not order.active_lines):
        return "skipped"
    part = WHOLE
    if job.set_id is not None:
        tickets = [x.ticket_id for x in order.active_lines if x.set_id == job.set_id]
        if not tickets:
            return "skipped"
        if len(tickets) < len(order.active_lines):
            part = Part(tickets=tuple(tickets))
    outcome = await cancel_locked(
        uow,
        target,
        now,
        part,
        reason=Reason(REASON, job.reason),
        version=None,
        actor=SYSTEM,
        system=True,
        extra={"event_cancellation": job.id},
        policy=True,
        override=job.override(),
    )
    await enqueue_event_cancelled_email(
        uow, outcome.order, render(outcome.plan.net), job.reason, now
    )
    return "cancelled"
