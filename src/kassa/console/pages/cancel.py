"""Cancelling from an order's page, through the one cancellation engine: preview then apply,
whole or in part (tickets, or quantities of delivery and loyalty lines), and the loyalty order
page with its plan. The console's whole cancellation surface, kept in one module."""

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from kassa.app import cancellation, console, operators
from kassa.console import forms
from kassa.console.common import PREFIX, Me, form_of, page, redirect
from kassa.core.cancellation import OrderKind, Override, Plan, Reason, allowed, label, plan_json
from kassa.core.errors import CatalogInvalid
from kassa.core.operators import Session
from kassa.core.tenancy import Principal
from kassa.web.context import Context
from kassa.web.deps import Ctx

router = APIRouter()


def reasons(kind: OrderKind) -> list[tuple[str, str]]:
    """The reasons an operator picks from for this kind of order: (code, label)."""
    return [(code, label(code)) for code in allowed(kind)]


def _reason(form: Mapping[str, Any]) -> Reason:
    return Reason(forms.text(form, "reason", 64), forms.text(form, "comment") or None)


def _override(form: Mapping[str, Any], who: Principal) -> Override | None:
    """The operator's override of the cancellation policy: a reason (required), and a fee
    (blank: waived)."""
    if not form.get("override"):
        return None
    why = forms.text(form, "override_reason")
    if not why:
        raise CatalogInvalid("Give a reason for overriding the cancellation policy")
    raw = forms.text(form, "override_fee", 32)
    fee = forms.amount(raw, "override fee") if raw else None
    if fee is not None and fee < 0:
        raise CatalogInvalid("The override fee cannot be negative")
    return Override(who.actor, why, fee)


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
        policy=True,
    )
    values = {**await _shown(ctx, me, plan), "order_id": order_id, "reasons": reasons(plan.kind)}
    if request.headers.get("hx-request"):
        return page(request, "_cancel_preview.html", 200, me, **values)
    return page(request, "cancel_preview.html", 200, me, **values)


@router.post("/orders/tickets/{order_id}/cancellation")
async def ticket_cancel(request: Request, order_id: str, me: Me, ctx: Ctx) -> Response:
    form = await form_of(request, me)
    operators.require(me.operator, "operator")
    console.require_tickets(me.operator)
    chosen = tuple(str(t) for t in form.getlist("tickets") if t)[:500]
    who = operators.principal(me.operator)
    done = await cancellation.cancel(
        ctx.db,
        who,
        order_id,
        ctx.clock(),
        cancellation.Part(tickets=chosen),
        reason=_reason(form),
        version=forms.text(form, "version", 64) or None,
        kind=OrderKind.TICKETS,
        policy=True,
        override=_override(form, who),
    )
    ok = "partially_cancelled" if done.plan.partial else "cancelled"
    return redirect(f"{PREFIX}/orders/tickets/{order_id}", ok=ok)


async def _shown(ctx: Context, me: Session, plan: Plan) -> dict[str, Any]:
    """A plan as a page shows it: its JSON and the names of whoever a webhook tells."""
    names = await console.names(ctx.db, me.operator, plan.notify)
    return {"plan": plan_json(plan), "names": names}


async def whole_plan(ctx: Context, me: Session, order_id: str, kind: OrderKind) -> dict[str, Any]:
    """`plan` and `names` of the whole order's cancel, for its page."""
    principal = operators.principal(me.operator)
    plan = await cancellation.preview(
        ctx.db, principal, order_id, ctx.clock(), kind=kind, policy=True
    )
    return await _shown(ctx, me, plan)


@router.post("/orders/{face}/{order_id}/cancel")
async def whole_cancel(request: Request, face: str, order_id: str, me: Me, ctx: Ctx) -> Response:
    """Cancel a whole delivery or loyalty order by the plan its page previewed."""
    form = await form_of(request, me)
    operators.require(me.operator, "operator")
    who = operators.principal(me.operator)
    await cancellation.cancel(
        ctx.db,
        who,
        order_id,
        ctx.clock(),
        reason=_reason(form),
        version=forms.text(form, "version", 64) or None,
        kind=_line_kind(face),
        policy=True,
        override=_override(form, who),
    )
    return redirect(f"{PREFIX}/orders/{face}/{order_id}", ok="cancelled")


def _line_kind(face: str) -> OrderKind:
    """The kinds whose orders are cancelled by line (quantities), not by ticket."""
    if face not in (OrderKind.DELIVERY.value, OrderKind.LOYALTY.value):
        raise CatalogInvalid("Only delivery and loyalty orders are cancelled by line here")
    return OrderKind(face)


@router.get("/orders/loyalty/{order_id}")
async def loyalty_order(request: Request, order_id: str, me: Me, ctx: Ctx) -> HTMLResponse:
    seen = await console.loyalty_order(ctx.db, me.operator, order_id)
    shown: dict[str, Any] = {"plan": None}
    if seen.order.status.value != "cancelled":
        shown = await whole_plan(ctx, me, seen.order.id, OrderKind.LOYALTY)
    values = {"p": seen, **shown, "reasons": reasons(OrderKind.LOYALTY)}
    return page(request, "order_loyalty.html", 200, me, **values)


def _quantities(values: Any) -> dict[str, Decimal]:
    """`qty-<line id>=<quantity>` fields: the quantities of lines to cancel (0 or empty: none)."""
    found: dict[str, Decimal] = {}
    for key, raw in values.multi_items():
        if not key.startswith("qty-") or not str(raw).strip():
            continue
        amount = forms.amount(str(raw), f"quantity of {key[4:]}")
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
        policy=True,
    )
    values = {
        "face": face,
        "order_id": order_id,
        "items": items,
        **await _shown(ctx, me, plan),
        "reasons": reasons(kind),
    }
    template = "_partial_preview.html" if request.headers.get("hx-request") else "partial.html"
    return page(request, template, 200, me, **values)


@router.post("/orders/{face}/{order_id}/partial")
async def partial_apply(request: Request, face: str, order_id: str, me: Me, ctx: Ctx) -> Response:
    form = await form_of(request, me)
    operators.require(me.operator, "operator")
    who = operators.principal(me.operator)
    await cancellation.cancel(
        ctx.db,
        who,
        order_id,
        ctx.clock(),
        cancellation.Part(items=_quantities(form)),
        reason=_reason(form),
        version=forms.text(form, "version", 64) or None,
        kind=_line_kind(face),
        policy=True,
        override=_override(form, who),
    )
    return redirect(f"{PREFIX}/orders/{face}/{order_id}", ok="partially_cancelled")
