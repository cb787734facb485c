"""`kassa events cancel` and `kassa events cancellation`: cancel a whole event (or one set)
and follow the worker's progress with a bar."""

import argparse
import asyncio
import json
import sys
import time
from typing import Any, TextIO

from kassa.app import event_cancellation
from kassa.app.clock import utcnow
from kassa.config import Settings
from kassa.core.event_cancellation import EventCancellation, JobStatus, parse_choice
from kassa.core.tenancy import Principal
from kassa.store.db import Database
from kassa.store.migrate import upgrade

POLL_S = 0.5
WIDTH = 30


def add_commands(sub: Any) -> None:
    """The `events` command group."""
    events = sub.add_parser("events", help="events: cancel a whole event").add_subparsers(
        required=True
    )
    cancel = events.add_parser(
        "cancel",
        help="cancel every order of an event (or one set) through the worker, with a progress "
        "bar; sales stop at once",
    )
    cancel.add_argument("event_id")
    cancel.add_argument("--org", required=True, help="organisation id")
    cancel.add_argument("--set", dest="set_id", help="only this set (a date) of the event")
    cancel.add_argument(
        "--policy",
        choices=["full_refund", "event"],
        default="full_refund",
        help="full_refund (default), or keep the event policy's fee",
    )
    cancel.add_argument("--reason", required=True, help="told to buyers, kept in the timeline")
    cancel.add_argument(
        "--wait",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="follow the progress until done (default); --no-wait prints the job and returns",
    )
    cancel.set_defaults(run=_cancel)
    status = events.add_parser("cancellation", help="an event's latest cancellation, or --wait")
    status.add_argument("event_id")
    status.add_argument("--org", required=True, help="organisation id")
    status.add_argument("--set", dest="set_id")
    status.add_argument("--wait", action="store_true", help="follow it until done")
    status.set_defaults(run=_status)


def _who(org_id: str) -> Principal:
    return Principal(org_id, operator="cli")


def _cancel(args: argparse.Namespace, settings: Settings) -> int:
    upgrade(settings.database_url)

    async def go() -> int:
        db = Database(settings.database_url, pool_size=2)
        try:
            job, new = await event_cancellation.start(
                db,
                _who(args.org),
                args.event_id,
                utcnow(),
                reason=args.reason,
                policy=parse_choice(args.policy),
                set_id=args.set_id,
            )
            if not args.wait:
                print(json.dumps(_json(job, new), indent=2, default=str))
                return 0
            if not new:
                print(f"already running: {job.id}", file=sys.stderr)
            return await _follow(db, args, job)
        finally:
            await db.dispose()

    return asyncio.run(go())


def _status(args: argparse.Namespace, settings: Settings) -> int:
    upgrade(settings.database_url)

    async def go() -> int:
        db = Database(settings.database_url, pool_size=2)
        try:
            who = _who(args.org)
            job = await event_cancellation.latest(db, who, args.event_id, args.set_id)
            if args.wait:
                return await _follow(db, args, job)
            print(json.dumps(_json(job), indent=2, default=str))
            return 0
        finally:
            await db.dispose()

    return asyncio.run(go())


async def _follow(db: Database, args: argparse.Namespace, job: EventCancellation) -> int:
    """Poll the job and draw its bar until the worker is done with it."""
    out = sys.stderr
    last = ""
    while True:
        last = _draw(out, job, last)
        if job.status is JobStatus.DONE:
            break
        await asyncio.sleep(POLL_S)  # polling the worker's progress, not waiting for it
        job = await event_cancellation.job_of(db, _who(args.org), job.id)
    if out.isatty():
        out.write("\n")
    print(json.dumps(_json(job), indent=2, default=str))
    return 0 if job.failed == 0 else 1


def bar(job: EventCancellation) -> str:
    """`[#####.....] 120/400 cancelled (30%)` (and skipped, failed when there are)."""
    filled = job.percent * WIDTH // 100
    text = f"[{'#' * filled}{'.' * (WIDTH - filled)}] {job.cancelled}/{job.total} cancelled"
    extra = [f"{n} {what}" for n, what in ((job.skipped, "skipped"), (job.failed, "failed")) if n]
    return f"{text} ({job.percent}%)" + (", " + ", ".join(extra) if extra else "")


def _draw(out: TextIO, job: EventCancellation, last: str) -> str:
    line = bar(job)
    if line == last:
        return last
    if out.isatty():
        out.write("\r" + line)
    else:
        out.write(f"{time.strftime('%H:%M:%S')} {line}\n")
    out.flush()
    return line


def _json(job: EventCancellation, new: bool | None = None) -> dict[str, Any]:
    found: dict[str, Any] = {
        "id": job.id,
        "event": job.event_id,
        "set_id": job.set_id,
        "policy": job.policy.value,
        "status": job.status.value,
        "total": job.total,
        "cancelled": job.cancelled,
        "skipped": job.skipped,
        "failed": job.failed,
        "finished_at": job.finished_at,
    }
    if new is not None:
        found["new"] = new
    return found
