"""Waiting lists on the console's event page: an operator adds someone to a sold-out set's
list or takes them off it. The lists themselves are shown by the event page."""

from fastapi import APIRouter, Request
from fastapi.responses import Response

from kassa.app import console, operators, waitlist
from kassa.console import forms
from kassa.console.common import PREFIX, Me, form_of, redirect
from kassa.web.deps import Ctx

router = APIRouter()


@router.post("/events/{event_id}/sets/{set_id}/waiting_list")
async def entry_add(request: Request, event_id: str, set_id: str, me: Me, ctx: Ctx) -> Response:
    form = await form_of(request, me)
    operators.require(me.operator, "operator")
    console.require_tickets(me.operator)
    quantity = forms.text(form, "quantity")
    joining = waitlist.Joining(
        email=forms.text(form, "email", 254),
        quantity=forms.whole(quantity, "quantity") if quantity else 1,
        name=forms.text(form, "name", 200) or None,
    )
    await waitlist.join(
        ctx.db,
        operators.principal(me.operator),
        event_id,
        set_id,
        joining,
        ctx.clock(),
        ctx.settings.waitlist_offer_hold,
    )
    return redirect(f"{PREFIX}/events/{event_id}", ok="waitlist_added")


@router.post("/waiting_list/{entry_id}/remove")
async def entry_remove(request: Request, entry_id: str, me: Me, ctx: Ctx) -> Response:
    await form_of(request, me)
    operators.require(me.operator, "operator")
    console.require_tickets(me.operator)
    entry = await waitlist.leave(ctx.db, operators.principal(me.operator), entry_id, ctx.clock())
    return redirect(f"{PREFIX}/events/{entry.event_id}", ok="waitlist_removed")
