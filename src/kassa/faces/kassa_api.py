"""Kassa's own API, for any order: the audit timeline, the cancellation preview and apply."""

from decimal import Decimal
from typing import Annotated, Any

from fastapi import APIRouter
from pydantic import Field, StringConstraints

from kassa.app import cancellations, delivery, loyalty
from kassa.app.orders import order_timeline
from kassa.core.cancellation import LedgerMove
from kassa.core.errors import OrderNotChangeable, QueryInvalid
from kassa.core.money import ZERO, money, render
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
    items: Annotated[list["ItemOut"], Field(min_length=1, max_length=200)] | None = None
    version: Annotated[str, StringConstraints(max_length=64)] | None = None


class ItemOut(_Body):
    """A quantity of one line of a delivery order (menu item id) or a loyalty order
    (product_id) to cancel."""

    id: Annotated[str, StringConstraints(min_length=1, max_length=64)]
    quantity: Annotated[Decimal, Field(gt=0, max_digits=12, decimal_places=3)]


CancelIn.model_rebuild()


def _items(given: list[ItemOut] | None) -> dict[str, Decimal]:
    found: dict[str, Decimal] = {}
    for item in given or []:
        found[item.id] = found.get(item.id, Decimal(0)) + item.quantity
    return found


def _items_query(text: str | None) -> dict[str, Decimal]:
    """`items=borscht:1,kompot:2` in a preview's query."""
    found: dict[str, Decimal] = {}
    for part in (text or "").split(","):
        if not part:
            continue
        item_id, _, quantity = part.rpartition(":")
        try:
            amount = Decimal(quantity)
        except ArithmeticError:
            amount = Decimal(0)
        if not item_id or not amount.is_finite() or amount <= 0 or len(item_id) > 64:
            raise QueryInvalid(f"items: {part!r} is not <id>:<quantity>")
        found[item_id] = found.get(item_id, Decimal(0)) + amount
    return found


def _view(
    *,
    order: str,
    face: str,
    version: str,
    from_status: str,
    to_status: str,
    partial: bool,
    release: dict[str, Any],
    loyalty_effects: dict[str, Any],
    refund: Decimal,
    notify: list[str],
    reason: str | None,
    promocodes: list[str] | None = None,
) -> dict[str, Any]:
    """One shape for the plan of any face's order."""
    return {
        "order": order,
        "face": face,
        "version": version,
        "from_status": from_status,
        "to_status": to_status,
        "partial": partial,
        "release": release,
        "promocodes_given_back": promocodes or [],
        "loyalty": loyalty_effects,
        "refund": {"amount": render(refund)},
        "notify": notify,
        "reason": reason,
    }


def _plan_view(seen: cancellations.Preview) -> dict[str, Any]:
    plan = seen.plan
    return _view(
        order=plan.order_id,
        face="tickets",
        version=seen.version,
        from_status=plan.from_status.value,
        to_status=plan.to_status.value,
        partial=plan.partial,
        release={"tickets": list(plan.release_tickets)},
        promocodes=list(plan.release_promocodes),
        loyalty_effects={"member": seen.member, "bonuses_revoked": render(seen.bonuses_revoked)},
        refund=seen.refund,
        notify=seen.notify,
        reason=plan.reason,
    )


def _delivery_view(
    plan: delivery.CancelPlan, reason: str | None = None, *, partial: bool = False
) -> dict[str, Any]:
    order = plan.order
    return _view(
        order=order.id,
        face="delivery",
        version=plan.version,
        from_status=order.status.value,
        to_status=order.status.value if partial else "CANCELLED",
        partial=partial,
        release={"items": plan.stock_returned},
        loyalty_effects={"member": None, "bonuses_revoked": "0"},
        refund=plan.refund,
        notify=[order.org_id],
        reason=reason,
    )


def _ledger_summary(moves: list[LedgerMove]) -> dict[str, Any]:
    given_back = {"bonus": ZERO, "certificate": ZERO}
    taken_back = {"bonus": ZERO}
    stickers: dict[str, Decimal] = {}
    for move in moves:
        if move.account == "sticker" and move.sticker:
            stickers[move.sticker] = stickers.get(move.sticker, ZERO) + move.amount
        elif move.spending and move.account in given_back:
            given_back[move.account] += move.amount
        elif not move.spending and move.account == "bonus":
            taken_back["bonus"] -= move.amount
    return {
        "bonuses_returned": render(given_back["bonus"]),
        "bonuses_revoked": render(taken_back["bonus"]),
        "certificates_returned": render(given_back["certificate"]),
        "stickers": {k: int(v) for k, v in stickers.items()},
    }


def _loyalty_part_view(
    plan: loyalty.ChangePlan, part: dict[str, Decimal], org_id: str, reason: str | None = None
) -> dict[str, Any]:
    order = plan.order
    return _view(
        order=order.id,
        face="loyalty",
        version=plan.version,
        from_status=order.status.value,
        to_status=order.status.value,
        partial=True,
        release={"items": [{"id": k, "quantity": v} for k, v in part.items()]},
        loyalty_effects={
            "member": order.request.get("identifier"),
            **_ledger_summary(plan.moves),
        },
        refund=plan.refund,
        notify=[org_id],
        reason=reason,
    )


def _loyalty_view(
    plan: loyalty.CancelPlan, org_id: str, reason: str | None = None
) -> dict[str, Any]:
    order = plan.order
    return _view(
        order=order.id,
        face="loyalty",
        version=plan.version,
        from_status=order.status.value,
        to_status="cancelled",
        partial=False,
        release={},
        loyalty_effects={
            "member": order.request.get("identifier"),
            **_ledger_summary(plan.moves),
            "coupons_reactivated": plan.coupons_reactivated,
            "coupons_voided": plan.coupons_voided,
            "coupons_kept": plan.coupons_kept,
        },
        refund=money(Decimal(str(order.result.get("order_to_pay") or 0))),
        notify=[org_id],
        reason=reason,
    )


@router.get("/orders/{order_id}/cancellation")
async def cancellation_preview(
    order_id: str, who: Caller, ctx: Ctx, tickets: str | None = None, items: str | None = None
) -> Any:
    """What a cancel would do, without doing it, for an order of any face (Kassa's order
    id): tickets released or menu stock returned, promo uses given back, bonuses returned and
    taken back, coupons and certificates, the money to refund, who is told. `tickets=a,b`
    previews a partial cancel of a ticket order, `items=<id>:<quantity>,...` of a delivery or
    loyalty order. Pass the `version` to POST to apply exactly this plan."""
    face = await cancellations.face_of(ctx.db, who, order_id)
    part = _items_query(items)
    if face == "delivery":
        if part:
            cut = await delivery.cancel_items_preview(ctx.db, who.org_id, order_id, part)
            return _delivery_view(cut, partial=True)
        return _delivery_view(await delivery.cancel_preview(ctx.db, who.org_id, order_id))
    if face == "loyalty":
        shop, shop_order = await cancellations.loyalty_order(ctx.db, who, order_id)
        if part:
            change = await loyalty.cancel_items_preview(ctx.db, shop, shop_order, part, ctx.clock())
            return _loyalty_part_view(change, part, who.org_id)
        return _loyalty_view(await loyalty.cancel_preview(ctx.db, shop, shop_order), who.org_id)
    ids = [t for t in (tickets or "").split(",") if t] or None
    return _plan_view(await cancellations.preview(ctx.db, who, order_id, ids))


@router.post("/orders/{order_id}/cancellation")
async def cancellation_apply(order_id: str, body: CancelIn, who: Caller, ctx: Ctx) -> Any:
    """Apply the plan (409 `order_changed` if `version` no longer matches). Reasons:
    customer_request, customer_no_show, payment_failed, event_cancelled, event_changed,
    duplicate_order, fraud_suspected, operator_error, out_of_stock, other, and the delivery
    face's place.* / client.* / service.integration_failed. A partial cancel names `tickets`
    of a ticket order, or `items` (id and quantity) of a delivery or loyalty order."""
    cancellations.check_reason(body.reason)
    face = await cancellations.face_of(ctx.db, who, order_id)
    reason = f"{body.reason}: {body.comment}" if body.comment else body.reason
    if (face != "tickets" and body.tickets) or (face == "tickets" and body.items):
        what = "items" if face == "tickets" else "tickets"
        raise OrderNotChangeable(f"A {face} order has no {what} to cancel", order=order_id)
    part = _items(body.items)
    if face == "delivery" and part:
        cancelled = await delivery.cancel_items(
            ctx.db,
            who.org_id,
            order_id,
            part,
            ctx.clock(),
            actor=who.actor,
            reason=reason,
            version=body.version,
        )
        return _delivery_view(cancelled, reason, partial=True)
    if face == "loyalty" and part:
        shop, shop_order = await cancellations.loyalty_order(ctx.db, who, order_id)
        changed = await loyalty.cancel_items(
            ctx.db,
            shop,
            shop_order,
            part,
            ctx.clock(),
            actor=who.actor,
            reason=reason,
            version=body.version,
        )
        return _loyalty_part_view(changed, part, who.org_id, reason)
    if face == "delivery":
        plan = await delivery.cancel_planned(
            ctx.db,
            who.org_id,
            order_id,
            ctx.clock(),
            reason=body.reason,
            comment=body.comment,
            actor=who.actor,
            version=body.version,
        )
        return _delivery_view(plan, reason)
    if face == "loyalty":
        shop, shop_order = await cancellations.loyalty_order(ctx.db, who, order_id)
        whole = await loyalty.cancel_planned(
            ctx.db,
            shop,
            shop_order,
            ctx.clock(),
            actor=who.actor,
            reason=reason,
            version=body.version,
        )
        return _loyalty_view(whole, who.org_id, reason)
    applied = await cancellations.cancel(
        ctx.db,
        who,
        order_id,
        ctx.clock(),
        tickets=body.tickets,
        reason_code=body.reason,
        reason_text=body.comment,
        version=body.version,
    )
    return _plan_view(applied)
