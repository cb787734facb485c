"""Kassa's own API for buyer self-service: a signed link to an order's page for partners to
show in their own apps, and an event's rule (buyers cancel themselves, or ask for approval)."""

from datetime import timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Body
from pydantic import BaseModel, Field

from kassa.app import selfservice
from kassa.faces.ticketing.schemas import _Body
from kassa.web.deps import Caller, Ctx
from kassa.web.responses import Json
from kassa.web.selflinks import links_of

router = APIRouter(prefix="/api/v1", default_response_class=Json, tags=["kassa"])


class LinkIn(_Body):
    """How long the link works, in hours (30 days unless said; at most a year)."""

    ttl_hours: Annotated[int, Field(ge=1, le=8784)] | None = None


class SelfServiceLink(BaseModel):
    url: str = Field(examples=["http://127.0.0.1:8000/my/5f0c…"])
    expires_at: str


@router.post("/orders/{order_id}/self_service_link", responses={200: {"model": SelfServiceLink}})
async def self_service_link(
    order_id: str, who: Caller, ctx: Ctx, body: Annotated[LinkIn | None, Body()] = None
) -> Any:
    """A link to the buyer's page of a ticket order (Kassa's id), for the organiser or the
    selling partner: it shows the order and the cancellation preview and lets the buyer
    cancel (or ask to). It opens nothing else, and stops working at `expires_at` or when the
    order ends."""
    ttl = timedelta(hours=body.ttl_hours) if body and body.ttl_hours else None
    url, expires_at = await selfservice.issue_link(
        ctx.db, who, order_id, ctx.clock(), links_of(ctx), ttl
    )
    return {"url": url, "expires_at": expires_at.isoformat()}


class EventSelfServiceIn(_Body):
    needs_approval: bool


@router.put("/events/{event_id}/self_service")
async def event_self_service(event_id: str, body: EventSelfServiceIn, who: Caller, ctx: Ctx) -> Any:
    """The organiser's rule for an event: `needs_approval` true means buyers request a
    cancellation and an operator approves or declines it in the console."""
    await selfservice.set_needs_approval(ctx.db, who, event_id, body.needs_approval, ctx.clock())
    return {"event": event_id, "needs_approval": body.needs_approval}
