"""The orders list across the three faces, and the ticket and delivery order pages with
their forward steps (confirm, resend tickets, move a delivery order on)."""

from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from kassa.app import console, delivery, operators
from kassa.app.mail_jobs import resend_tickets
from kassa.app.orders import OrderChange, apply_change
from kassa.console import forms
from kassa.console.common import PREFIX, Me, form_of, page, redirect
from kassa.console.pages.cancel import reasons, whole_plan
from kassa.console.pages.kitchen import kitchen_board
from kassa.core.cancellation import OrderKind
from kassa.core.console import FACES, STAGES
from kassa.core.delivery import Status
from kassa.core.errors import CatalogInvalid
from kassa.core.orders import Flow, OrderStatus
from kassa.web.deps import Ctx

router = APIRouter()


@router.get("/orders")
async def orders_list(
    request: Request,
    me: Me,
    ctx: Ctx,
    q: str = "",
    face: str = "",
    stage: str = "",
    event: str = "",
    since: str = "",
    until: str = "",
) -> HTMLResponse:
    number = request.query_params.get("page", "1")
    page_no = int(number) if number.isdigit() else 1
    f = console.order_filter(
        me.operator,
        query=q.strip()[:200] or None,
        face=face if face in FACES else None,
        stage=stage if stage in STAGES else None,
        event_id=event[:24] or None,
        since=forms.day(since),
        until=forms.day(until, end=True),
    )
    found = await console.search(ctx.db, f, page_no)
    events = await console.event_choices(ctx.db, me.operator)
    values = {
        "found": found,
        "q": q,
        "face": face,
        "stage": stage,
        "event": event,
        "since": since,
        "until": until,
        "events": events,
        "faces": FACES,
        "stages": list(STAGES),
        "query": lambda **kw: urlencode(
            {**dict(q=q, face=face, stage=stage, event=event, since=since, until=until), **kw}
        ),
    }
    fragment = request.headers.get("hx-request") and request.headers.get("hx-target") == "results"
    return page(request, "_orders_table.html" if fragment else "orders.html", 200, me, **values)


@router.get("/orders/tickets/{order_id}")
async def ticket_order(request: Request, order_id: str, me: Me, ctx: Ctx) -> HTMLResponse:
    seen = await console.ticket_order(ctx.db, me.operator, order_id)
    return page(request, "order_tickets.html", 200, me, p=seen)


@router.post("/orders/tickets/{order_id}/confirm")
async def ticket_confirm(request: Request, order_id: str, me: Me, ctx: Ctx) -> Response:
    await form_of(request, me)
    operators.require(me.operator, "operator")
    console.require_tickets(me.operator)
    await apply_change(
        ctx.db,
        operators.principal(me.operator),
        order_id,
        OrderChange(status=OrderStatus.DONE),
        ctx.clock(),
        ctx.holds,
        Flow.DIRECT,
    )
    return redirect(f"{PREFIX}/orders/tickets/{order_id}", ok="confirmed")


@router.post("/orders/tickets/{order_id}/resend")
async def ticket_resend(request: Request, order_id: str, me: Me, ctx: Ctx) -> Response:
    form = await form_of(request, me)
    operators.require(me.operator, "operator")
    console.require_tickets(me.operator)
    await resend_tickets(
        ctx.db,
        operators.principal(me.operator),
        order_id,
        ctx.clock(),
        forms.text(form, "email", 254) or None,
    )
    return redirect(f"{PREFIX}/orders/tickets/{order_id}", ok="resent")


@router.get("/orders/delivery/{order_id}")
async def delivery_order(request: Request, order_id: str, me: Me, ctx: Ctx) -> HTMLResponse:
    seen = await console.delivery_order(ctx.db, me.operator, order_id)
    final = seen.order.status in (Status.DELIVERED, Status.CANCELLED)
    shown = (
        {"plan": None} if final else await whole_plan(ctx, me, seen.order.id, OrderKind.DELIVERY)
    )
    return page(
        request,
        "order_delivery.html",
        200,
        me,
        p=seen,
        **shown,
        total=delivery.total(seen.order),
        reasons=reasons(OrderKind.DELIVERY),
        next_step=console.NEXT_STEP.get(seen.order.status),
    )


@router.post("/orders/delivery/{order_id}/status")
async def delivery_step(request: Request, order_id: str, me: Me, ctx: Ctx) -> Response:
    form = await form_of(request, me)
    operators.require(me.operator, "operator")
    order = await console.visible_delivery(ctx.db, me.operator, order_id)
    try:
        target = Status(forms.text(form, "status", 32))
    except ValueError:
        raise CatalogInvalid("unknown status") from None
    await delivery.move(
        ctx.db,
        me.operator.org_id,
        order.id,
        target,
        ctx.clock(),
        by_restaurant=True,
        actor=operators.principal(me.operator).actor,
    )
    back = forms.text(form, "back")
    if back.startswith(PREFIX + "/kitchen"):
        if request.headers.get("hx-request"):
            return await kitchen_board(request, me, ctx, order.restaurant_id)
        return redirect(back)
    return redirect(f"{PREFIX}/orders/delivery/{order_id}", ok="moved")
