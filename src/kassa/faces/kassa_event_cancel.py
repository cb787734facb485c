"""Kassa's own API for cancelling a whole event (or one set): start it, follow its progress.
The organiser's key starts it; another organisation's event is a 404."""

from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from kassa.app import event_cancellation
from kassa.core.event_cancellation import EventCancellation, parse_choice
from kassa.faces.ticketing.schemas import ObjectId
from kassa.web.deps import Caller, Ctx
from kassa.web.responses import Json

# Included by `kassa_api`, under its /api/v1 prefix.
router = APIRouter(default_response_class=Json)  # tagged "kassa" by kassa_api's router


class EventCancellationIn(BaseModel):
    """Cancel every order of the event (or of one set, `set_id`), for `reason` (the buyers'
    e-mail and the orders' timelines show it). `policy`: `full_refund` gives every buyer all
    their money back; `event` keeps the event policy's fee (its deadline does not apply)."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"reason": "The artist is ill", "policy": "full_refund"},
                {
                    "reason": "Saturday is off",
                    "policy": "event",
                    "set_id": "6650a1b2c3d4e5f601020304",
                },
            ]
        },
    )

    reason: Annotated[str, StringConstraints(min_length=1, max_length=500)]
    policy: Literal["full_refund", "event"] = "full_refund"
    set_id: ObjectId | None = None


class EventCancellationOut(BaseModel):
    """A whole-event cancellation and how far the worker got: `cancelled` of `total` orders
    (`skipped`: ended meanwhile; `failed`: could not be cancelled, see their timelines)."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "id": "6650a1b2c3d4e5f601020399",
                    "event": "6650a1b2c3d4e5f601020300",
                    "set_id": None,
                    "policy": "full_refund",
                    "reason": "The artist is ill",
                    "status": "running",
                    "total": 1200,
                    "cancelled": 400,
                    "skipped": 0,
                    "failed": 0,
                    "percent": 33,
                    "created_by": "key:6650a1b2c3d4e5f6010203aa",
                    "created_at": "2026-11-30T06:00:00+00:00",
                    "finished_at": None,
                }
            ]
        }
    )

    id: str
    event: str
    set_id: str | None
    policy: Literal["full_refund", "event"]
    reason: str
    status: Literal["pending", "running", "done"]
    total: int = Field(description="live orders when it started (and any found later)")
    cancelled: int
    skipped: int
    failed: int
    percent: int = Field(description="0-100; 100 once done")
    created_by: str
    created_at: datetime
    finished_at: datetime | None


def job_json(job: EventCancellation) -> dict[str, Any]:
    """A job as the API (and the console's live count) shows it."""
    return {
        "id": job.id,
        "event": job.event_id,
        "set_id": job.set_id,
        "policy": job.policy.value,
        "reason": job.reason,
        "status": job.status.value,
        "total": job.total,
        "cancelled": job.cancelled,
        "skipped": job.skipped,
        "failed": job.failed,
        "percent": job.percent,
        "created_by": job.created_by,
        "created_at": job.created_at,
        "finished_at": job.finished_at,
    }


@router.post(
    "/events/{event_id}/cancellation",
    status_code=202,
    response_model=EventCancellationOut,
    response_class=JSONResponse,
    responses={200: {"model": EventCancellationOut, "description": "Already running: that job"}},
)
async def event_cancellation_start(
    event_id: str, body: EventCancellationIn, who: Caller, ctx: Ctx
) -> Any:
    """Cancel the whole event (or one set): sales stop at once, and the worker cancels every
    live order through the cancellation engine, in batches, with the reason `event_cancelled`;
    buyers get an e-mail and partners the usual order webhooks. 202 with the new job; while a
    cancellation of the same event (or set) runs, 200 with that one. The organiser's key
    only (403 otherwise)."""
    job, new = await event_cancellation.start(
        ctx.db,
        who,
        event_id,
        ctx.clock(),
        reason=body.reason,
        policy=parse_choice(body.policy),
        set_id=body.set_id,
    )
    return JSONResponse(_encoded(job), status_code=202 if new else 200)


@router.get(
    "/events/{event_id}/cancellation",
    response_model=EventCancellationOut,
    response_class=JSONResponse,
)
async def event_cancellation_progress(
    event_id: str, who: Caller, ctx: Ctx, set_id: str | None = None
) -> Any:
    """The event's latest cancellation (of `set_id` when given) and its progress; 404 when it
    has none."""
    return job_json(await event_cancellation.latest(ctx.db, who, event_id, set_id))


def _encoded(job: EventCancellation) -> dict[str, Any]:
    return EventCancellationOut.model_validate(job_json(job)).model_dump(mode="json")
