"""Buyers' cancellation requests: the pending list, approve or decline with a reason (the
buyer is e-mailed the decision), and which events need approval at all."""

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from kassa.app import console, operators, selfservice
from kassa.console import forms
from kassa.console.common import PREFIX, Me, form_of, page, redirect
from kassa.core.selfservice import RequestStatus
from kassa.web.deps import Ctx

router = APIRouter()
DECIDED = (RequestStatus.APPROVED, RequestStatus.DECLINED)


@router.get("/requests")
async def requests_page(request: Request, me: Me, ctx: Ctx) -> HTMLResponse:
    console.require_tickets(me.operator)
    pending = await selfservice.requests_of(ctx.db, me.operator, (RequestStatus.PENDING,))
    decided = (await selfservice.requests_of(ctx.db, me.operator, DECIDED))[:25]
    rules = await selfservice.event_rules(ctx.db, me.operator.org_id)
    ok = request.query_params.get("done")
    values = {"pending": pending, "decided": decided, "rules": rules, "done": ok}
    return page(request, "requests.html", 200, me, **values)


@router.post("/requests/{request_id}/{decision}")
async def decide(request: Request, request_id: str, decision: str, me: Me, ctx: Ctx) -> Response:
    """Approve (the order is cancelled as the buyer asked) or decline, with a reason."""
    form = await form_of(request, me)
    operators.require(me.operator, "operator")
    console.require_tickets(me.operator)
    if decision not in ("approve", "decline"):
        return redirect(f"{PREFIX}/requests")
    await selfservice.decide(
        ctx.db,
        me.operator,
        request_id,
        approve=decision == "approve",
        reason=forms.text(form, "reason") or None,
        now=ctx.clock(),
    )
    return redirect(f"{PREFIX}/requests", done="approved" if decision == "approve" else "declined")


@router.post("/requests/events/{event_id}")
async def event_rule(request: Request, event_id: str, me: Me, ctx: Ctx) -> Response:
    """Whether buyers of this event cancel themselves or ask for approval."""
    form = await form_of(request, me)
    operators.require(me.operator, "admin")
    console.require_tickets(me.operator)
    needs = form.get("needs_approval") == "1"
    await selfservice.set_needs_approval(
        ctx.db, operators.principal(me.operator), event_id, needs, ctx.clock()
    )
    return redirect(f"{PREFIX}/requests", done="rule_saved")
