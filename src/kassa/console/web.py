"""The operator console: server-rendered pages (Jinja2) with htmx, served by the same app.

A thin face like the others: it reads through kassa.app.console and acts through the faces'
own app commands, with the signed-in operator as the actor. Every form carries the session's
CSRF token (htmx sends it as X-CSRF-Token); the session cookie is HttpOnly and SameSite=Lax.
"""

import secrets
from collections.abc import Mapping
from datetime import UTC, datetime, time, timedelta
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.datastructures import FormData
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from kassa.app import cancellation, catalog, console, delivery, loyalty, operators, promocodes
from kassa.app import webhooks as webhooks_app
from kassa.app.mail_jobs import resend_tickets
from kassa.app.orders import OrderChange, apply_change
from kassa.core.cancellation import OrderKind, Reason, allowed, label, plan_json, reason_code
from kassa.core.catalog import EventStatus
from kassa.core.console import FACES, STAGES
from kassa.core.delivery import Status
from kassa.core.errors import (
    ActionForbidden,
    CatalogInvalid,
    ErrorKind,
    KassaError,
)
from kassa.core.money import render
from kassa.core.operators import Session
from kassa.core.orders import Flow, OrderStatus
from kassa.core.promocodes import DiscountKind
from kassa.web.context import Context
from kassa.web.deps import Ctx

SESSION_COOKIE = "kassa_session"
LOGIN_COOKIE = "kassa_login"
PREFIX = "/console"
TEMPLATES = Path(__file__).parent / "templates"
STATIC = Path(__file__).parent / "static"

OK_MESSAGES = {
    "cancelled": "Order cancelled.",
    "partially_cancelled": "The chosen tickets or items were cancelled.",
    "confirmed": "Order confirmed.",
    "resent": "Tickets are on their way to the buyer.",
    "moved": "Order moved on.",
    "event_saved": "Event saved.",
    "set_added": "Ticket set added.",
    "set_saved": "Ticket set saved.",
    "rule_deleted": "Price rule deleted.",
    "rule_added": "Price rule added.",
    "promo_added": "Promo code added.",
    "promo_saved": "Promo code saved.",
    "adjusted": "Balance adjusted.",
    "replayed": "Delivery queued again.",
    "endpoint_removed": "Endpoint switched off: it gets no more events.",
    "operator_added": "Operator added: they can sign in now.",
    "operator_disabled": "Operator disabled: their sessions have ended.",
    "password_changed": "Password changed; your other sessions have ended.",
}

env = Environment(
    loader=FileSystemLoader(TEMPLATES),
    autoescape=select_autoescape(["html"]),
    trim_blocks=True,
    lstrip_blocks=True,
)
env.filters["money"] = lambda v: render(Decimal(str(v))) if v is not None else ""
env.filters["reason_label"] = label
env.filters["reason_text"] = lambda v: (
    f"{label(code)}{v[len(code) :]}" if (code := reason_code(v)) else v or ""
)
env.filters["when"] = lambda v: v.astimezone(UTC).strftime("%Y-%m-%d %H:%M") if v else ""
env.globals["prefix"] = PREFIX


class SignInRequired(KassaError):
    kind = ErrorKind.UNAUTHORIZED
    code = "sign_in_required"


class CsrfInvalid(KassaError):
    kind = ErrorKind.FORBIDDEN
    code = "csrf_invalid"


router = APIRouter(prefix=PREFIX, include_in_schema=False)


def _secure(request: Request) -> bool:
    return request.url.scheme == "https" or request.headers.get("x-forwarded-proto") == "https"


def page(
    request: Request,
    template: str,
    status_code: int = 200,
    session: Session | None = None,
    **values: Any,
) -> HTMLResponse:
    ok = request.query_params.get("ok")
    body = env.get_template(template).render(
        request=request,
        me=session.operator if session else None,
        csrf=session.csrf if session else "",
        can=(lambda role: operators.can(session.operator, role)) if session else (lambda _r: False),
        ok_message=OK_MESSAGES.get(ok or ""),
        path=request.url.path,
        **values,
    )
    return HTMLResponse(body, status_code)


def redirect(url: str, **query: str) -> RedirectResponse:
    return RedirectResponse(url + (("?" + urlencode(query)) if query else ""), status_code=303)


# -- sessions ----------------------------------------------------------------------------


async def current(request: Request, ctx: Ctx) -> Session:
    found = await operators.session(ctx.db, request.cookies.get(SESSION_COOKIE), ctx.clock())
    if found is None:
        raise SignInRequired("Please sign in")
    return found


Me = Annotated[Session, Depends(current)]


async def form_of(request: Request, session: Session) -> FormData:
    """The posted form, once its CSRF token (field or X-CSRF-Token header) is the session's."""
    form = await request.form()
    given = str(form.get("csrf") or request.headers.get("x-csrf-token") or "")
    if not secrets.compare_digest(given.encode(), session.csrf.encode()):
        raise CsrfInvalid("The form expired or did not come from this console; reload the page")
    return form


def _text(form: Mapping[str, Any], name: str, limit: int = 500) -> str:
    value = form.get(name)
    return str(value).strip()[:limit] if value is not None else ""


def _login_form(request: Request, status: int = 200, **values: Any) -> HTMLResponse:
    """The sign-in page with a fresh CSRF token, double-submitted as a cookie."""
    token = secrets.token_urlsafe(24)
    response = page(request, "login.html", status, login_csrf=token, **values)
    response.set_cookie(
        LOGIN_COOKIE,
        token,
        httponly=True,
        samesite="strict",
        secure=_secure(request),
        path=PREFIX,
        max_age=3600,
    )
    return response


def _safe_next(target: str) -> str:
    """Only a path of this console: never an open redirect."""
    return target if target.startswith(PREFIX + "/") and "//" not in target else PREFIX + "/"


@router.get("/login")
async def login_page(request: Request) -> HTMLResponse:
    return _login_form(request, next=_safe_next(request.query_params.get("next") or ""))


@router.post("/login")
async def login(request: Request, ctx: Ctx) -> Response:
    form = await request.form()
    expected = request.cookies.get(LOGIN_COOKIE) or ""
    given = str(form.get("csrf") or "")
    if not expected or not secrets.compare_digest(given.encode(), expected.encode()):
        raise CsrfInvalid("The sign-in form expired; reload the page")
    try:
        signed = await operators.sign_in(
            ctx.db, _text(form, "email", 254), str(form.get("password") or ""), ctx.clock()
        )
    except KassaError as exc:
        return _login_form(
            request,
            401,
            error=exc.message,
            email=_text(form, "email", 254),
            next=_safe_next(_text(form, "next")),
        )
    target = _safe_next(_text(form, "next"))
    signed_in = redirect(target)
    signed_in.set_cookie(
        SESSION_COOKIE,
        signed.token,
        httponly=True,
        samesite="lax",
        secure=_secure(request),
        path=PREFIX,
        max_age=int(operators.SESSION_TTL.total_seconds()),
    )
    signed_in.delete_cookie(LOGIN_COOKIE, path=PREFIX)
    return signed_in


@router.post("/logout")
async def logout(request: Request, me: Me, ctx: Ctx) -> Response:
    await form_of(request, me)
    await operators.sign_out(ctx.db, request.cookies.get(SESSION_COOKIE) or "")
    response = redirect(PREFIX + "/login")
    response.delete_cookie(SESSION_COOKIE, path=PREFIX)
    return response


# -- dashboard -----------------------------------------------------------------------------


@router.get("/")
async def dashboard(request: Request, me: Me, ctx: Ctx, days: int = 30) -> HTMLResponse:
    board = await console.dashboard(ctx.db, me.operator, ctx.clock(), days)
    peak = max([max(p.sales, p.cancellations) for p in board.days] + [1])
    return page(request, "dashboard.html", 200, me, board=board, peak=peak, days=days)


# -- orders --------------------------------------------------------------------------------


def _day(text: str | None, *, end: bool = False) -> datetime | None:
    if not text:
        return None
    try:
        day = datetime.strptime(text, "%Y-%m-%d").date()
    except ValueError:
        raise CatalogInvalid(f"{text!r} is not a date (YYYY-MM-DD)") from None
    moment = datetime.combine(day, time(0), tzinfo=UTC)
    return moment + timedelta(days=1) if end else moment


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
        since=_day(since),
        until=_day(until, end=True),
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


def reasons(kind: OrderKind) -> list[tuple[str, str]]:
    """The reasons an operator picks from for this kind of order: (code, label)."""
    return [(code, label(code)) for code in allowed(kind)]


def _reason(form: Mapping[str, Any]) -> Reason:
    return Reason(_text(form, "reason", 64), _text(form, "comment") or None)


@router.get("/orders/tickets/{order_id}/cancellation")
async def ticket_cancel_preview(request: Request, order_id: str, me: Me, ctx: Ctx) -> HTMLResponse:
    console.require_tickets(me.operator)
    chosen = [t for t in request.query_params.getlist("tickets") if t][:500]
    if request.query_params.get("whole"):
        chosen = []
    plan = await cancellation.preview(
        ctx.db,
        operators.principal(me.operator),
        order_id,
        ctx.clock(),
        cancellation.Part(tickets=tuple(chosen)),
        kind=OrderKind.TICKETS,
    )
    values = {"plan": plan_json(plan), "order_id": order_id, "reasons": reasons(plan.kind)}
    if request.headers.get("hx-request"):
        return page(request, "_cancel_preview.html", 200, me, **values)
    return page(request, "cancel_preview.html", 200, me, **values)


@router.post("/orders/tickets/{order_id}/cancellation")
async def ticket_cancel(request: Request, order_id: str, me: Me, ctx: Ctx) -> Response:
    form = await form_of(request, me)
    operators.require(me.operator, "operator")
    console.require_tickets(me.operator)
    chosen = tuple(str(t) for t in form.getlist("tickets") if t)[:500]
    done = await cancellation.cancel(
        ctx.db,
        operators.principal(me.operator),
        order_id,
        ctx.clock(),
        cancellation.Part(tickets=chosen),
        reason=_reason(form),
        version=_text(form, "version", 64) or None,
        kind=OrderKind.TICKETS,
    )
    ok = "partially_cancelled" if done.plan.partial else "cancelled"
    return redirect(f"{PREFIX}/orders/tickets/{order_id}", ok=ok)


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
        _text(form, "email", 254) or None,
    )
    return redirect(f"{PREFIX}/orders/tickets/{order_id}", ok="resent")


@router.get("/orders/delivery/{order_id}")
async def delivery_order(request: Request, order_id: str, me: Me, ctx: Ctx) -> HTMLResponse:
    seen = await console.delivery_order(ctx.db, me.operator, order_id)
    final = seen.order.status in (Status.DELIVERED, Status.CANCELLED)
    plan = None if final else await _whole_plan(ctx, me, seen.order.id, OrderKind.DELIVERY)
    return page(
        request,
        "order_delivery.html",
        200,
        me,
        p=seen,
        plan=plan,
        total=delivery.total(seen.order),
        reasons=reasons(OrderKind.DELIVERY),
        next_step=console.NEXT_STEP.get(seen.order.status),
    )


async def _whole_plan(ctx: Context, me: Session, order_id: str, kind: OrderKind) -> Any:
    principal = operators.principal(me.operator)
    plan = await cancellation.preview(ctx.db, principal, order_id, ctx.clock(), kind=kind)
    return plan_json(plan)


@router.post("/orders/{face}/{order_id}/cancel")
async def whole_cancel(request: Request, face: str, order_id: str, me: Me, ctx: Ctx) -> Response:
    """Cancel a whole delivery or loyalty order by the plan its page previewed."""
    form = await form_of(request, me)
    operators.require(me.operator, "operator")
    await cancellation.cancel(
        ctx.db,
        operators.principal(me.operator),
        order_id,
        ctx.clock(),
        reason=_reason(form),
        version=_text(form, "version", 64) or None,
        kind=_line_kind(face),
    )
    return redirect(f"{PREFIX}/orders/{face}/{order_id}", ok="cancelled")


def _line_kind(face: str) -> OrderKind:
    """The kinds whose orders are cancelled by line (quantities), not by ticket."""
    if face not in (OrderKind.DELIVERY.value, OrderKind.LOYALTY.value):
        raise CatalogInvalid("Only delivery and loyalty orders are cancelled by line here")
    return OrderKind(face)


@router.post("/orders/delivery/{order_id}/status")
async def delivery_step(request: Request, order_id: str, me: Me, ctx: Ctx) -> Response:
    form = await form_of(request, me)
    operators.require(me.operator, "operator")
    order = await console.visible_delivery(ctx.db, me.operator, order_id)
    try:
        target = Status(_text(form, "status", 32))
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
    back = _text(form, "back")
    if back.startswith(PREFIX + "/kitchen"):
        if request.headers.get("hx-request"):
            return await kitchen_board(request, me, ctx, order.restaurant_id)
        return redirect(back)
    return redirect(f"{PREFIX}/orders/delivery/{order_id}", ok="moved")


@router.get("/orders/loyalty/{order_id}")
async def loyalty_order(request: Request, order_id: str, me: Me, ctx: Ctx) -> HTMLResponse:
    seen = await console.loyalty_order(ctx.db, me.operator, order_id)
    plan = None
    if seen.order.status.value != "cancelled":
        plan = await _whole_plan(ctx, me, seen.order.id, OrderKind.LOYALTY)
    values = {"p": seen, "plan": plan, "reasons": reasons(OrderKind.LOYALTY)}
    return page(request, "order_loyalty.html", 200, me, **values)


def _quantities(values: Any) -> dict[str, Decimal]:
    """`qty-<line id>=<quantity>` fields: the quantities of lines to cancel (0 or empty: none)."""
    found: dict[str, Decimal] = {}
    for key, raw in values.multi_items():
        if not key.startswith("qty-") or not str(raw).strip():
            continue
        amount = _decimal(str(raw), f"quantity of {key[4:]}")
        if amount < 0:
            raise CatalogInvalid(f"quantity of {key[4:]} cannot be negative")
        if amount:
            found[key[4:68]] = found.get(key[4:68], Decimal(0)) + amount
    if not found:
        raise CatalogInvalid("Enter a quantity to cancel for at least one line")
    return found


@router.get("/orders/{face}/{order_id}/partial")
async def partial_preview(
    request: Request, face: str, order_id: str, me: Me, ctx: Ctx
) -> HTMLResponse:
    """What cancelling these quantities of a delivery or loyalty order's lines would do."""
    kind = _line_kind(face)
    items = _quantities(request.query_params)
    plan = await cancellation.preview(
        ctx.db,
        operators.principal(me.operator),
        order_id,
        ctx.clock(),
        cancellation.Part(items=items),
        kind=kind,
    )
    values = {
        "face": face,
        "order_id": order_id,
        "items": items,
        "plan": plan_json(plan),
        "reasons": reasons(kind),
    }
    template = "_partial_preview.html" if request.headers.get("hx-request") else "partial.html"
    return page(request, template, 200, me, **values)


@router.post("/orders/{face}/{order_id}/partial")
async def partial_apply(request: Request, face: str, order_id: str, me: Me, ctx: Ctx) -> Response:
    form = await form_of(request, me)
    operators.require(me.operator, "operator")
    await cancellation.cancel(
        ctx.db,
        operators.principal(me.operator),
        order_id,
        ctx.clock(),
        cancellation.Part(items=_quantities(form)),
        reason=_reason(form),
        version=_text(form, "version", 64) or None,
        kind=_line_kind(face),
    )
    return redirect(f"{PREFIX}/orders/{face}/{order_id}", ok="partially_cancelled")


# -- events, sets, price rules, promo codes ----------------------------------------------


@router.get("/events")
async def events_page(request: Request, me: Me, ctx: Ctx) -> HTMLResponse:
    found = await console.events(ctx.db, me.operator)
    fragment = request.headers.get("hx-request") and request.headers.get("hx-target") == "counts"
    return page(request, "_event_counts.html" if fragment else "events.html", 200, me, events=found)


def _moment(text: str, what: str) -> datetime:
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise CatalogInvalid(f"{what}: {text!r} is not a date and time") from None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _decimal(text: str, what: str) -> Decimal:
    try:
        value = Decimal(text.replace(",", "."))
    except InvalidOperation:
        raise CatalogInvalid(f"{what}: {text!r} is not an amount") from None
    if not value.is_finite():
        raise CatalogInvalid(f"{what}: {text!r} is not an amount")
    return value


def _int(text: str, what: str) -> int:
    if not text.isdigit() or len(text) > 7:
        raise CatalogInvalid(f"{what}: {text!r} is not a whole number")
    return int(text)


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
        title=_text(form, "title", 300),
        description=_text(form, "description", 5000) or None,
        starts_at=_moment(_text(form, "starts_at"), "starts"),
        ends_at=_moment(_text(form, "ends_at"), "ends"),
        timezone=_text(form, "timezone", 64) or "UTC",
        status=_status(_text(form, "status") or "draft"),
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
    return page(
        request,
        "event.html",
        200,
        me,
        e=counts,
        promos=promos,
        rules=rules,
        statuses=[s.value for s in EventStatus],
        kinds=[k.value for k in DiscountKind],
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
        title=_text(form, "title", 300),
        description=_text(form, "description", 5000) or None,
        starts_at=_moment(_text(form, "starts_at"), "starts"),
        ends_at=_moment(_text(form, "ends_at"), "ends"),
        status=_status(_text(form, "status")),
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
        name=_text(form, "name", 200),
        price=_decimal(_text(form, "price"), "price"),
        capacity=_int(_text(form, "capacity"), "capacity"),
    )
    return redirect(f"{PREFIX}/events/{event_id}", ok="set_added")


@router.post("/events/{event_id}/sets/{set_id}/rules")
async def rule_create(request: Request, event_id: str, set_id: str, me: Me, ctx: Ctx) -> Response:
    form = await form_of(request, me)
    _admin(me)
    starts, ends = _text(form, "starts_at"), _text(form, "ends_at")
    await catalog.add_rule(
        ctx.db,
        operators.principal(me.operator),
        event_id,
        set_id,
        ctx.clock(),
        price=_decimal(_text(form, "price"), "price"),
        starts_at=_moment(starts, "from") if starts else None,
        ends_at=_moment(ends, "till") if ends else None,
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
        name=_text(form, "name", 200) or None,
        price=_decimal(_text(form, "price"), "price"),
        capacity=_int(_text(form, "capacity"), "capacity"),
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
        kind = DiscountKind(_text(form, "kind"))
    except ValueError:
        raise CatalogInvalid("unknown discount kind") from None
    limit = _text(form, "usage_limit")
    minimum = _text(form, "min_tickets")
    await promocodes.create_promocode(
        ctx.db,
        operators.principal(me.operator),
        event_id,
        ctx.clock(),
        code=_text(form, "code", 64),
        kind=kind,
        value=_decimal(_text(form, "value"), "value"),
        usage_limit=_int(limit, "usage limit") if limit else None,
        min_tickets=_int(minimum, "minimum tickets") if minimum else None,
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
        changes["active"] = _text(form, "active") == "1"
    if _text(form, "value"):
        changes["value"] = _decimal(_text(form, "value"), "value")
    if "usage_limit" in form:
        limit = _text(form, "usage_limit")
        changes["usage_limit"] = _int(limit, "usage limit") if limit else None
    await promocodes.update_promocode(
        ctx.db, operators.principal(me.operator), event_id, promo_id, ctx.clock(), **changes
    )
    return redirect(f"{PREFIX}/events/{event_id}", ok="promo_saved")


# -- kitchen board -------------------------------------------------------------------------


@router.get("/kitchen")
async def kitchen(request: Request, me: Me, ctx: Ctx, restaurant: str = "") -> HTMLResponse:
    places = await console.restaurants(ctx.db, me.operator)
    if not places:
        raise ActionForbidden("There is no restaurant for your account")
    chosen = next((r for r in places if r.id == restaurant), places[0])
    columns = await console.kitchen(ctx.db, me.operator, chosen.id)
    return page(
        request,
        "kitchen.html",
        200,
        me,
        places=places,
        chosen=chosen,
        columns=columns,
        next_step=console.NEXT_STEP,
        total=delivery.total,
    )


@router.get("/kitchen/{restaurant_id}/board")
async def kitchen_board(request: Request, me: Me, ctx: Ctx, restaurant_id: str) -> HTMLResponse:
    columns = await console.kitchen(ctx.db, me.operator, restaurant_id)
    return page(
        request,
        "_board.html",
        200,
        me,
        columns=columns,
        next_step=console.NEXT_STEP,
        total=delivery.total,
        restaurant_id=restaurant_id,
    )


# -- loyalty members -----------------------------------------------------------------------


@router.get("/loyalty")
async def loyalty_page(
    request: Request, me: Me, ctx: Ctx, shop: str = "", phone: str = ""
) -> HTMLResponse:
    shops = await console.shops(ctx.db, me.operator)
    if not shops:
        raise ActionForbidden("There is no loyalty shop for your account")
    chosen = next((s for s in shops if s.id == shop), shops[0])
    status = None
    phone = "".join(c for c in phone if c.isdigit())[:11]
    if phone:
        status = await loyalty.member_status(ctx.db, chosen, phone, ctx.clock())
    return page(
        request, "loyalty.html", 200, me, shops=shops, chosen=chosen, phone=phone, status=status
    )


@router.post("/loyalty/{shop_id}/members/{phone}/adjust")
async def loyalty_adjust(request: Request, shop_id: str, phone: str, me: Me, ctx: Ctx) -> Response:
    form = await form_of(request, me)
    operators.require(me.operator, "operator")
    shops = {s.id: s for s in await console.shops(ctx.db, me.operator)}
    if shop_id not in shops:
        raise ActionForbidden("Not your shop")
    reason = _text(form, "reason")
    await loyalty.adjust_bonuses(
        ctx.db,
        shops[shop_id],
        phone,
        _decimal(_text(form, "amount"), "amount"),
        f"{reason} (by {me.operator.email})" if reason else "",
        ctx.clock(),
    )
    return redirect(f"{PREFIX}/loyalty", shop=shop_id, phone=phone, ok="adjusted")


# -- webhooks ------------------------------------------------------------------------------


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
    events = [e.strip() for e in _text(form, "events", 1000).split(",") if e.strip()]
    if not events or len(events) > 50:
        raise CatalogInvalid("Name one or more events, e.g. order.*, refund.*")
    endpoint = await webhooks_app.add_endpoint(
        ctx.db, operators.principal(me.operator), _text(form, "url", 500), events, ctx.clock()
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


# -- operators and the operator's own account ---------------------------------------------


@router.get("/operators")
async def operators_page(request: Request, me: Me, ctx: Ctx) -> HTMLResponse:
    people = await operators.of_org(ctx.db, me.operator)
    return page(
        request,
        "operators.html",
        200,
        me,
        people=people,
        roles=operators.ROLES,
        restaurants=await console.restaurants(ctx.db, me.operator),
        shops=await console.shops(ctx.db, me.operator),
    )


@router.post("/operators")
async def operator_create(request: Request, me: Me, ctx: Ctx) -> Response:
    form = await form_of(request, me)
    operators.require(me.operator, "admin")
    if me.operator.restaurant_id or me.operator.shop_id:
        raise ActionForbidden("An account narrowed to a restaurant or shop cannot add operators")
    await operators.create_operator(
        ctx.db,
        org_id=me.operator.org_id,
        email=_text(form, "email", 254),
        name=_text(form, "name", 200),
        role=_text(form, "role", 16),
        password=str(form.get("password") or "")[:1024],
        restaurant_id=_text(form, "restaurant", 64) or None,
        shop_id=_text(form, "shop", 32) or None,
        now=ctx.clock(),
    )
    return redirect(f"{PREFIX}/operators", ok="operator_added")


@router.post("/operators/{operator_id}/disable")
async def operator_disable(request: Request, operator_id: str, me: Me, ctx: Ctx) -> Response:
    await form_of(request, me)
    await operators.disable_in_org(ctx.db, me.operator, operator_id, ctx.clock())
    return redirect(f"{PREFIX}/operators", ok="operator_disabled")


@router.get("/account")
async def account_page(request: Request, me: Me) -> HTMLResponse:
    return page(request, "account.html", 200, me)


@router.post("/account/password")
async def account_password(request: Request, me: Me, ctx: Ctx) -> Response:
    form = await form_of(request, me)
    new = str(form.get("new_password") or "")[:1024]
    if new != str(form.get("repeat") or "")[:1024]:
        raise CatalogInvalid("The new passwords differ")
    await operators.change_password(
        ctx.db,
        me.operator,
        str(form.get("password") or ""),
        new,
        request.cookies.get(SESSION_COOKIE) or "",
    )
    return redirect(f"{PREFIX}/account", ok="password_changed")


# -- errors --------------------------------------------------------------------------------


async def error_page(request: Request, status: int, message: str, code: str) -> Response:
    """The console's errors: sign-in first, a message box for htmx, a page otherwise."""
    if status == 401 and code != "sign_in_failed":
        target = f"{PREFIX}/login?" + urlencode({"next": request.url.path})
        if request.headers.get("hx-request"):
            return Response(status_code=401, headers={"HX-Redirect": target})
        return RedirectResponse(target, status_code=303)
    ctx: Context = request.app.state.kassa
    found = await operators.session(ctx.db, request.cookies.get(SESSION_COOKIE), ctx.clock())
    if request.headers.get("hx-request"):
        response = page(request, "_flash.html", status, found, message=message)
        response.headers["HX-Retarget"] = "#flash"
        response.headers["HX-Reswap"] = "innerHTML"
        return response
    return page(request, "error.html", status, found, message=message, status=status)


class SecurityHeaders:
    """The console's pages: no framing, scripts and styles from Kassa itself only, no caching
    of pages that show personal data."""

    HEADERS = (
        (
            b"content-security-policy",
            b"default-src 'self'; img-src 'self' data:; "
            b"frame-ancestors 'none'; form-action 'self'; base-uri 'none'",
        ),
        (b"x-frame-options", b"DENY"),
        (b"x-content-type-options", b"nosniff"),
        (b"referrer-policy", b"same-origin"),
    )

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "") if scope["type"] == "http" else ""
        if not path.startswith(PREFIX):
            await self.app(scope, receive, send)
            return
        static = path.startswith(PREFIX + "/static/")

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                headers.extend(self.HEADERS)
                if not static:
                    headers.append((b"cache-control", b"no-store"))
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, with_headers)
