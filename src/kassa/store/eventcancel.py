"""Storage of whole-event cancellations: the job rows, their lease and counters, and the
orders a job visits."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Row, and_, exists, func, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from kassa.core.event_cancellation import EventCancellation, JobStatus, PolicyChoice
from kassa.core.orders import LineState, OrderStatus
from kassa.store.eventcancel_tables import event_cancellations as jobs
from kassa.store.tables import order_lines, orders
from kassa.store.tx import Tx

_j = jobs.c
OPEN = (OrderStatus.EXECUTED.value, OrderStatus.IN_PROGRESS.value)


@dataclass(frozen=True)
class Lease:
    """A job a worker holds: its row as taken, and where to go on."""

    job: EventCancellation
    token: str
    pass_no: int
    cursor: int


def active_key(event_id: str, set_id: str | None) -> str:
    return f"{event_id}:{set_id or '*'}"


class EventCancellationsRepo:
    def __init__(self, conn: Tx) -> None:
        self._conn = conn
        self._insert = sqlite_insert if conn.is_sqlite else pg_insert

    async def add(self, job: EventCancellation) -> bool:
        """Insert the job; False when an unfinished one for the same event (or set) exists."""
        result = await self._conn.execute(
            self._insert(jobs)
            .values(
                id=job.id,
                org_id=job.org_id,
                event_id=job.event_id,
                set_id=job.set_id,
                active=active_key(job.event_id, job.set_id),
                policy=job.policy.value,
                reason=job.reason,
                status=job.status.value,
                total=job.total,
                cancelled=0,
                skipped=0,
                failed=0,
                pass_no=1,
                cursor=0,
                created_by=job.created_by,
                created_at=job.created_at,
                updated_at=job.updated_at,
            )
            .on_conflict_do_nothing(index_elements=["active"])
        )
        return bool(result.rowcount)

    async def active(self, event_id: str, set_id: str | None) -> EventCancellation | None:
        row = (
            await self._conn.execute(select(jobs).where(_j.active == active_key(event_id, set_id)))
        ).first()
        return _job(row) if row else None

    async def get(self, job_id: str) -> EventCancellation | None:
        row = (await self._conn.execute(select(jobs).where(_j.id == job_id))).first()
        return _job(row) if row else None

    async def latest(self, event_id: str, limit: int = 10) -> list[EventCancellation]:
        """The event's jobs, newest first."""
        rows = await self._conn.execute(
            select(jobs)
            .where(_j.event_id == event_id)
            .order_by(_j.created_at.desc(), _j.id.desc())
            .limit(limit)
        )
        return [_job(row) for row in rows]

    async def closed_sets(self, event_id: str) -> set[str]:
        """Sets of the event with a set cancellation started (they sell nothing any more)."""
        rows = await self._conn.execute(
            select(_j.set_id).where(_j.event_id == event_id, _j.set_id.is_not(None))
        )
        return {row.set_id for row in rows}

    async def take(self, now: datetime, until: datetime, token: str) -> Lease | None:
        """Lease the oldest unfinished job nobody holds (or whose holder's lease ran out)."""
        free = or_(_j.lease_until.is_(None), _j.lease_until < now)
        query = (
            select(jobs)
            .where(_j.status != JobStatus.DONE.value, free)
            .order_by(_j.created_at, _j.id)
            .limit(1)
        )
        if not self._conn.is_sqlite:
            query = query.with_for_update(skip_locked=True)
        row = (await self._conn.execute(query)).first()
        if row is None:
            return None
        await self._conn.execute(
            update(jobs)
            .where(_j.id == row.id)
            .values(
                lease_token=token,
                lease_until=until,
                status=JobStatus.RUNNING.value,
                updated_at=now,
            )
        )
        return Lease(_job(row), token, int(row.pass_no), int(row.cursor))

    async def advance(
        self,
        lease: Lease,
        cursor: int,
        now: datetime,
        until: datetime,
        *,
        cancelled: int = 0,
        skipped: int = 0,
        failed: int = 0,
    ) -> bool:
        """Count a step and move the cursor, if the lease is still ours (False: it is not,
        and the caller must roll back what it did). Locks the job row till commit."""
        visited = _j.cancelled + _j.skipped + _j.failed + cancelled + skipped + failed
        bigger = func.max if self._conn.is_sqlite else func.greatest
        result = await self._conn.execute(
            update(jobs)
            .where(_j.id == lease.job.id, _j.lease_token == lease.token)
            .values(
                cursor=cursor,
                cancelled=_j.cancelled + cancelled,
                skipped=_j.skipped + skipped,
                failed=_j.failed + failed,
                total=bigger(_j.total, visited),
                lease_until=until,
                updated_at=now,
            )
        )
        return bool(result.rowcount)

    async def start_pass(self, lease: Lease, pass_no: int, now: datetime) -> bool:
        """Go round the orders again from the first, as pass `pass_no`."""
        result = await self._conn.execute(
            update(jobs)
            .where(_j.id == lease.job.id, _j.lease_token == lease.token)
            .values(pass_no=pass_no, cursor=0, updated_at=now)
        )
        return bool(result.rowcount)

    async def finish(self, lease: Lease, now: datetime) -> bool:
        result = await self._conn.execute(
            update(jobs)
            .where(_j.id == lease.job.id, _j.lease_token == lease.token)
            .values(
                status=JobStatus.DONE.value,
                active=None,
                lease_token=None,
                lease_until=None,
                finished_at=now,
                updated_at=now,
            )
        )
        return bool(result.rowcount)

    async def release(self, lease: Lease) -> None:
        """Let any worker take the job's next batch."""
        await self._conn.execute(
            update(jobs)
            .where(_j.id == lease.job.id, _j.lease_token == lease.token)
            .values(lease_token=None, lease_until=None)
        )

    async def live_orders(
        self, event_id: str, set_id: str | None, after: int, limit: int
    ) -> list[tuple[int, str]]:
        """(number, id) of the event's (or set's) live orders after `after`, by number."""
        where = [orders.c.event_id == event_id, _live(set_id), orders.c.number > after]
        rows = await self._conn.execute(
            select(orders.c.number, orders.c.id)
            .where(*where)
            .order_by(orders.c.number)
            .limit(limit)
        )
        return [(int(row.number), str(row.id)) for row in rows]

    async def count_live(self, event_id: str, set_id: str | None) -> int:
        where = [orders.c.event_id == event_id, _live(set_id)]
        return int(await self._conn.scalar(select(func.count()).where(*where)) or 0)

    async def tickets_in_set(self, order_id: str, set_id: str) -> Sequence[str]:
        rows = await self._conn.execute(
            select(order_lines.c.ticket_id).where(
                order_lines.c.order_id == order_id,
                order_lines.c.set_id == set_id,
                order_lines.c.state == LineState.ACTIVE.value,
            )
        )
        return [str(row.ticket_id) for row in rows]


def _live(set_id: str | None) -> Any:
    """An order the cancellation still has to visit: open, or sold with tickets not yet
    refunded (a sold order cancelled whole stays `done`, every ticket refunded); of the set's
    tickets when `set_id` is given."""
    lines = [order_lines.c.order_id == orders.c.id, order_lines.c.state == LineState.ACTIVE.value]
    if set_id is not None:
        lines.append(order_lines.c.set_id == set_id)
    active = exists().where(and_(*lines))
    if set_id is not None:
        return and_(orders.c.status.in_((*OPEN, OrderStatus.DONE.value)), active)
    done = and_(orders.c.status == OrderStatus.DONE.value, active)
    return or_(orders.c.status.in_(OPEN), done)


def _job(row: Row[Any]) -> EventCancellation:
    return EventCancellation(
        id=row.id,
        org_id=row.org_id,
        event_id=row.event_id,
        set_id=row.set_id,
        policy=PolicyChoice(row.policy),
        reason=row.reason,
        status=JobStatus(row.status),
        created_by=row.created_by,
        created_at=row.created_at,
        updated_at=row.updated_at,
        total=int(row.total),
        cancelled=int(row.cancelled),
        skipped=int(row.skipped),
        failed=int(row.failed),
        finished_at=row.finished_at,
    )
