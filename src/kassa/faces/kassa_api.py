"""Kassa's own API, for any order: the audit timeline, the cancellation preview and apply."""

from typing import Annotated, Any

from fastapi import APIRouter
from pydantic import Field, StringConstraints

from kassa.app import cancellations
from kassa.app.orders import order_timeline
from kassa.core.money import render
from kassa.faces.deps import Caller, Ctx
from kassa.faces.responses import Json
from kassa.faces.ticketing.schemas import ObjectId, _Body
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


class CancelIn(_Body):
    """Cancel the whole order (no `tickets`) or some of its tickets, for a documented reason."""

    reason: Annotated[str, StringConstraints(min_length=1, max_length=64)]
    comment: Annotated[str, StringConstraints(max_length=500)] | None = None
    tickets: Annotated[list[ObjectId], Field(min_length=1, max_length=500)] | None = None
    version: Annotated[str, StringConstraints(max_length=64)] | None = None


def _plan_view(seen: cancellations.Preview) -> dict[str, Any]:
    plan = seen.plan
    return {
        "order": plan.order_id,
        "version": seen.version,
        "from_status": plan.from_status.value,
        "to_status": plan.to_status.value,
        "partial": plan.partial,
        "release": {"tickets": list(plan.release_tickets)},
        "promocodes_given_back": list(plan.release_promocodes),
        "loyalty": {"member": seen.member, "bonuses_revoked": render(seen.bonuses_revoked)},
        "refund": {"amount": render(seen.refund)},
        "notify": seen.notify,
        "reason": plan.reason,
    }


@router.get("/orders/{order_id}/cancellation")
async def cancellation_preview(
    order_id: str, who: Caller, ctx: Ctx, tickets: str | None = None
) -> Any:
    """What a cancel would do, without doing it: the tickets released, the promo uses given
    back, the bonuses taken back, the money to refund, who is told. `tickets=a,b` previews a
    partial cancel. Pass the `version` to POST to apply exactly this plan."""
    ids = [t for t in (tickets or "").split(",") if t] or None
    return _plan_view(await cancellations.preview(ctx.db, who, order_id, ids))


@router.post("/orders/{order_id}/cancellation")
async def cancellation_apply(order_id: str, body: CancelIn, who: Caller, ctx: Ctx) -> Any:
    """Apply the plan (409 `order_changed` if `version` no longer matches). Reasons:
    customer_request, customer_no_show, payment_failed, event_cancelled, event_changed,
    duplicate_order, fraud_suspected, operator_error, out_of_stock, other, and the delivery
    face's place.* / client.* / service.integration_failed."""
    seen = await cancellations.cancel(
        ctx.db,
        who,
        order_id,
        ctx.clock(),
        tickets=body.tickets,
        reason_code=body.reason,
        reason_text=body.comment,
        version=body.version,
    )
    return _plan_view(seen)
