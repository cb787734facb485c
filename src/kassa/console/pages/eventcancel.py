"""Cancelling a whole event (or one set) from its page, and the live count of the worker's
progress that the page polls (htmx) while it runs."""

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from kassa.app import console, event_cancellation, operators
from kassa.console import forms
from kassa.console.common import PREFIX, Me, form_of, page, redirect
from kassa.core.errors import CatalogInvalid
from kassa.core.event_cancellation import parse_choice
from kassa.web.deps import Ctx

router = APIRouter()


@router.get("/events/{event_id}/cancellation")
async def cancellation_count(request: Request, event_id: str, me: Me, ctx: Ctx) -> HTMLResponse:
    """The fragment the event page polls: "N of M orders cancelled"."""
    console.require_tickets(me.operator)
    who = operators.principal(me.operator)
    jobs = await event_cancellation.history(ctx.db, who, event_id)
    return page(request, "_event_cancellation.html", 200, me, event_id=event_id, jobs=jobs)


@router.post("/events/{event_id}/cancellation")
async def cancellation_start(request: Request, event_id: str, me: Me, ctx: Ctx) -> Response:
    form = await form_of(request, me)
    operators.require(me.operator, "admin")
    console.require_tickets(me.operator)
    if forms.text(form, "confirm") != "yes":
        raise CatalogInvalid("Tick the box to confirm: every order will be cancelled")
    _, new = await event_cancellation.start(
        ctx.db,
        operators.principal(me.operator),
        event_id,
        ctx.clock(),
        reason=forms.text(form, "reason", 500),
        policy=parse_choice(forms.text(form, "policy") or "full_refund"),
        set_id=forms.text(form, "set_id", 24) or None,
    )
    ok = "event_cancelling" if new else "event_cancelling_already"
    return redirect(f"{PREFIX}/events/{event_id}", ok=ok)
