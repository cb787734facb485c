"""Webhook endpoints and their deliveries: add and remove endpoints, replay a delivery."""

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from kassa.app import console, operators
from kassa.app import webhooks as webhooks_app
from kassa.console import forms
from kassa.console.common import PREFIX, Me, form_of, page, redirect
from kassa.core.errors import CatalogInvalid
from kassa.core.operators import Session
from kassa.web.context import Context
from kassa.web.deps import Ctx

router = APIRouter()


async def _webhooks(
    request: Request, me: Session, ctx: Context, state: str = "", **extra: Any
) -> HTMLResponse:
    console.require_tickets(me.operator)  # webhooks are the whole organisation's
    who = operators.principal(me.operator)
    endpoints = await webhooks_app.endpoints(ctx.db, who)
    chosen = state if state in ("pending", "delivered", "dead") else None
    deliveries = (await webhooks_app.deliveries(ctx.db, who, chosen))[:100]
    return page(
        request,
        "webhooks.html",
        200,
        me,
        endpoints=endpoints,
        deliveries=deliveries,
        state=state,
        urls={e.id: e.url for e in endpoints},
        **extra,
    )


@router.get("/webhooks")
async def webhooks_page(request: Request, me: Me, ctx: Ctx, state: str = "") -> HTMLResponse:
    return await _webhooks(request, me, ctx, state)


@router.post("/webhooks/endpoints")
async def webhook_endpoint_add(request: Request, me: Me, ctx: Ctx) -> HTMLResponse:
    """The new endpoint's signing secret is shown on this answer only (never again)."""
    form = await form_of(request, me)
    operators.require(me.operator, "admin")
    events = [e.strip() for e in forms.text(form, "events", 1000).split(",") if e.strip()]
    if not events or len(events) > 50:
        raise CatalogInvalid("Name one or more events, e.g. order.*, refund.*")
    endpoint = await webhooks_app.add_endpoint(
        ctx.db, operators.principal(me.operator), forms.text(form, "url", 500), events, ctx.clock()
    )
    return await _webhooks(request, me, ctx, new_endpoint=endpoint)


@router.post("/webhooks/endpoints/{endpoint_id}/remove")
async def webhook_endpoint_remove(request: Request, endpoint_id: str, me: Me, ctx: Ctx) -> Response:
    await form_of(request, me)
    operators.require(me.operator, "admin")
    await webhooks_app.remove_endpoint(ctx.db, operators.principal(me.operator), endpoint_id)
    return redirect(f"{PREFIX}/webhooks", ok="endpoint_removed")


@router.post("/webhooks/deliveries/{delivery_id}/replay")
async def webhook_replay(request: Request, delivery_id: int, me: Me, ctx: Ctx) -> Response:
    await form_of(request, me)
    operators.require(me.operator, "admin")
    await webhooks_app.replay(ctx.db, operators.principal(me.operator), delivery_id, ctx.clock())
    return redirect(f"{PREFIX}/webhooks", ok="replayed")
