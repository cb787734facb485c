"""Events, ticket sets, price rules and promo codes (admins of ticketing organisations)."""

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from kassa.app import catalog, console, event_cancellation, operators, promocodes, waitlist
from kassa.console import forms
from kassa.console.common import PREFIX, Me, form_of, page, redirect
from kassa.core.catalog import EventStatus
from kassa.core.errors import CatalogInvalid
from kassa.core.operators import Session
from kassa.core.promocodes import DiscountKind
from kassa.web.deps import Ctx

router = APIRouter()


@router.get("/events")
async def events_page(request: Request, me: Me, ctx: Ctx) -> HTMLResponse:
    found = await console.events(ctx.db, me.operator)
    fragment = request.headers.get("hx-request") and request.headers.get("hx-target") == "counts"
    return page(request, "_event_counts.html" if fragment else "events.html", 200, me, events=found)


def _admin(me: Session) -> None:
    operators.require(me.operator, "admin")
    console.require_tickets(me.operator)


@router.post("/events")
async def event_create(request: Request, me: Me, ctx: Ctx) -> Response:
    form = await form_of(request, me)
    _admin(me)
    event = await catalog.create_event(
        ctx.db,
        operators.principal(me.operator),
        ctx.clock(),
        title=forms.text(form, "title", 300),
        description=forms.text(form, "description", 5000) or None,
        starts_at=forms.moment(forms.text(form, "starts_at"), "starts"),
        ends_at=forms.moment(forms.text(form, "ends_at"), "ends"),
        timezone=forms.text(form, "timezone", 64) or "UTC",
        status=_status(forms.text(form, "status") or "draft"),
    )
    return redirect(f"{PREFIX}/events/{event.id}", ok="event_saved")


def _status(text: str) -> EventStatus:
    try:
        return EventStatus(text)
    except ValueError:
        raise CatalogInvalid(f"unknown event status {text!r}") from None


@router.get("/events/{event_id}")
async def event_page(request: Request, event_id: str, me: Me, ctx: Ctx) -> HTMLResponse:
    counts, promos, rules = await console.event_page(ctx.db, me.operator, event_id)
    who = operators.principal(me.operator)
    lines = await waitlist.event_lines(ctx.db, who, event_id)
    return page(
        request,
        "event.html",
        200,
        me,
        e=counts,
        event_id=event_id,
        jobs=await event_cancellation.history(ctx.db, who, event_id),
        promos=promos,
        rules=rules,
        statuses=[s.value for s in EventStatus],
        kinds=[k.value for k in DiscountKind],
        waitlists=lines,
    )


@router.post("/events/{event_id}")
async def event_update(request: Request, event_id: str, me: Me, ctx: Ctx) -> Response:
    form = await form_of(request, me)
    _admin(me)
    await catalog.update_event(
        ctx.db,
        operators.principal(me.operator),
        event_id,
        ctx.clock(),
        title=forms.text(form, "title", 300),
        description=forms.text(form, "description", 5000) or None,
        starts_at=forms.moment(forms.text(form, "starts_at"), "starts"),
        ends_at=forms.moment(forms.text(form, "ends_at"), "ends"),
        status=_status(forms.text(form, "status")),
    )
    return redirect(f"{PREFIX}/events/{event_id}", ok="event_saved")


@router.post("/events/{event_id}/sets")
async def set_create(request: Request, event_id: str, me: Me, ctx: Ctx) -> Response:
    form = await form_of(request, me)
    _admin(me)
    await catalog.create_set(
        ctx.db,
        operators.principal(me.operator),
        event_id,
        ctx.clock(),
        name=forms.text(form, "name", 200),
        price=forms.amount(forms.text(form, "price"), "price"),
        capacity=forms.whole(forms.text(form, "capacity"), "capacity"),
    )
    return redirect(f"{PREFIX}/events/{event_id}", ok="set_added")


@router.post("/events/{event_id}/sets/{set_id}/rules")
async def rule_create(request: Request, event_id: str, set_id: str, me: Me, ctx: Ctx) -> Response:
    form = await form_of(request, me)
    _admin(me)
    starts, ends = forms.text(form, "starts_at"), forms.text(form, "ends_at")
    await catalog.add_rule(
        ctx.db,
        operators.principal(me.operator),
        event_id,
        set_id,
        ctx.clock(),
        price=forms.amount(forms.text(form, "price"), "price"),
        starts_at=forms.moment(starts, "from") if starts else None,
        ends_at=forms.moment(ends, "till") if ends else None,
    )
    return redirect(f"{PREFIX}/events/{event_id}", ok="rule_added")


@router.post("/events/{event_id}/sets/{set_id}")
async def set_update(request: Request, event_id: str, set_id: str, me: Me, ctx: Ctx) -> Response:
    form = await form_of(request, me)
    _admin(me)
    await catalog.update_set(
        ctx.db,
        operators.principal(me.operator),
        event_id,
        set_id,
        ctx.clock(),
        name=forms.text(form, "name", 200) or None,
        price=forms.amount(forms.text(form, "price"), "price"),
        capacity=forms.whole(forms.text(form, "capacity"), "capacity"),
    )
    return redirect(f"{PREFIX}/events/{event_id}", ok="set_saved")


@router.post("/events/{event_id}/sets/{set_id}/rules/{rule_id}/delete")
async def rule_delete(
    request: Request, event_id: str, set_id: str, rule_id: str, me: Me, ctx: Ctx
) -> Response:
    await form_of(request, me)
    _admin(me)
    await catalog.delete_rule(ctx.db, operators.principal(me.operator), event_id, set_id, rule_id)
    return redirect(f"{PREFIX}/events/{event_id}", ok="rule_deleted")


@router.post("/events/{event_id}/promocodes")
async def promo_create(request: Request, event_id: str, me: Me, ctx: Ctx) -> Response:
    form = await form_of(request, me)
    _admin(me)
    try:
        kind = DiscountKind(forms.text(form, "kind"))
    except ValueError:
        raise CatalogInvalid("unknown discount kind") from None
    limit = forms.text(form, "usage_limit")
    minimum = forms.text(form, "min_tickets")
    await promocodes.create_promocode(
        ctx.db,
        operators.principal(me.operator),
        event_id,
        ctx.clock(),
        code=forms.text(form, "code", 64),
        kind=kind,
        value=forms.amount(forms.text(form, "value"), "value"),
        usage_limit=forms.whole(limit, "usage limit") if limit else None,
        min_tickets=forms.whole(minimum, "minimum tickets") if minimum else None,
    )
    return redirect(f"{PREFIX}/events/{event_id}", ok="promo_added")


@router.post("/events/{event_id}/promocodes/{promo_id}")
async def promo_update(
    request: Request, event_id: str, promo_id: str, me: Me, ctx: Ctx
) -> Response:
    """Switch a code on or off, or change its value and usage limit."""
    form = await form_of(request, me)
    _admin(me)
    changes: dict[str, Any] = {}
    if "active" in form:
        changes["active"] = forms.text(form, "active") == "1"
    if forms.text(form, "value"):
        changes["value"] = forms.amount(forms.text(form, "value"), "value")
    if "usage_limit" in form:
        limit = forms.text(form, "usage_limit")
        changes["usage_limit"] = forms.whole(limit, "usage limit") if limit else None
    await promocodes.update_promocode(
        ctx.db, operators.principal(me.operator), event_id, promo_id, ctx.clock(), **changes
    )
    return redirect(f"{PREFIX}/events/{event_id}", ok="promo_saved")
