"""Kassa's own API, for any order of any face: the audit timeline (more arrives with issue 6)."""

from typing import Any

from fastapi import APIRouter

from kassa.app.orders import order_timeline
from kassa.faces.deps import Caller, Ctx
from kassa.faces.responses import Json
from kassa.faces.ticketing.wire import iso

router = APIRouter(prefix="/api/v1", default_response_class=Json, tags=["kassa"])


@router.get("/orders/{order_id}/timeline")
async def timeline(order_id: str, who: Caller, ctx: Ctx) -> Any:
    """Who changed the order, when, from which status to which, and why."""
    entries = await order_timeline(ctx.db, who, order_id)
    return {
        "order": order_id,
        "timeline": [
            {
                "at": iso(e.at),
                "actor": e.actor,
                "action": e.action,
                "from_status": e.from_status,
                "to_status": e.to_status,
                "reason": e.reason,
                "details": e.details,
            }
            for e in entries
        ],
    }
