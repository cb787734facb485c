"""Kassa's own API, for any order: the audit timeline, the cancellation preview and apply."""

from decimal import Decimal
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from kassa.app import cancellation
from kassa.app.orders import order_timeline
from kassa.core.cancellation import Override, Reason, plan_json
from kassa.core.errors import QueryInvalid
from kassa.core.money import MAX_AMOUNT
from kassa.faces.kassa_event_cancel import router as event_cancel_router
from kassa.faces.kassa_models import Timeline
from kassa.faces.kassa_policies import router as policies_router
from kassa.faces.kassa_waitlist import router as waitlist_router
from kassa.faces.ticketing.schemas import ObjectId, _Body
from kassa.faces.ticketing.wire import iso
from kassa.web import hot
from kassa.web.deps import Caller, Ctx, context_of, principal_of
from kassa.web.responses import Json

router = APIRouter(prefix="/api/v1", default_response_class=Json, tags=["kassa"])


@router.get("/orders/{order_id}/timeline", responses={200: {"model": Timeline}})
async def timeline(order_id: str, who: Caller, ctx: Ctx) -> Any:
    """Who changed the order, when, from which status to which, and why. `order_id` is
    Kassa's id or the face's own id (ticket order number, eatsId, a shop's order_id): see
    the preview."""
    kassa_id, entries = await order_timeline(ctx.db, who, order_id)
    return {
        "order": kassa_id,
        "timeline": [
            {
                "at": iso(e.at),
                "actor": e.actor,
                "action": e.action,
                "from_status": e.from_status,
                "to_status": e.to_status,
                "reason": e.reason,
                "details": e.details,
                "request_id": e.request_id,
            }
            for e in entries
        ],
    }


class CancelIn(_Body):
    """Cancel the whole order (no `tickets`) or some of its tickets, for a documented reason."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"reason": "customer_request", "comment": "changed plans"},
                {"reason": "out_of_stock", "items": [{"id": "kompot", "quantity": 1}]},
            ]
        }
    )

    reason: Annotated[str, StringConstraints(min_length=1, max_length=64)]
    comment: Annotated[str, StringConstraints(max_length=500)] | None = None
    tickets: Annotated[list[ObjectId], Field(min_length=1, max_length=500)] | None = None
    items: Annotated[list["ItemOut"], Field(min_length=1, max_length=200)] | None = None
    version: Annotated[str, StringConstraints(max_length=64)] | None = None
    override: "OverrideIn | None" = None


class OverrideIn(_Body):
    """The organiser's override of the cancellation policy, with a reason the timeline keeps:
    no `fee` waives it, a `fee` replaces it (still at most the refund); a cancel outside the
    policy's window needs one."""

    reason: Annotated[str, StringConstraints(min_length=1, max_length=500)]
    fee: Annotated[Decimal, Field(ge=0, le=MAX_AMOUNT, decimal_places=2)] | None = None


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


class CancellationPlan(BaseModel):
    """The one plan of any kind of order (see README, "Cancelling")."""

    order: str
    face: Literal["tickets", "delivery", "loyalty"]
    version: str
    from_status: str
    to_status: str
    partial: bool
    release: dict[str, list[Any]] = Field(
        description="`tickets`: ticket ids back on sale; `items`: [{id, name, quantity}] of "
        "menu stock or cart lines that leave the order (quantity a JSON number)"
    )
    promocodes_given_back: list[str]
    loyalty: dict[str, Any] = Field(
        description="member, bonuses_returned, bonuses_revoked, certificates_returned "
        "(two-place decimal strings), stickers {name: count}, coupons_reactivated, "
        "coupons_voided, coupons_kept"
    )
    refund: dict[str, str] = Field(
        description='{"amount": "<two-place decimal>"}: the money back, net of the fee'
    )
    fee: "PlanFee"
    notify: list[str]
    reason: str | None
    comment: str | None


class PlanOverride(BaseModel):
    by: str
    reason: str


class PlanFee(BaseModel):
    """What the cancellation policy keeps (Kassa's API and the console apply policies)."""

    amount: str = Field(description="the fee kept, two-place decimal; refund.amount is net of it")
    policy_amount: str = Field(description="the fee the policy asks (before any override)")
    policy: Literal["event", "restaurant", "shop"] | None = Field(
        description="whose policy applies; null: none (free)"
    )
    terms: Literal["paid", "unpaid"] | None
    deadline: str | None = Field(description="the last moment the policy allows the cancel")
    allowed: bool = Field(description="false: outside the window, only an override cancels")
    override: PlanOverride | None


CancellationPlan.model_rebuild()


def _part(tickets: list[str] | None, items: dict[str, Decimal]) -> cancellation.Part:
    return cancellation.Part(tickets=tuple(tickets or ()), items=items)


@router.get(
    "/orders/{order_id}/cancellation",
    response_model=CancellationPlan,
    response_class=JSONResponse,
)
async def cancellation_preview(
    order_id: str, who: Caller, ctx: Ctx, tickets: str | None = None, items: str | None = None
) -> Any:
    """What a cancel would do, without doing it, for an order of any face: tickets released
    or menu stock returned, promo uses given back, bonuses returned and taken back, coupons
    and certificates, the money to refund, who is told. The order is named by Kassa's id or
    the face's own (a ticket order's number, the aggregator's eatsId, a loyalty shop's
    order_id), in the caller's organisation; a face's id naming several orders is a 409
    `order_ambiguous` listing their Kassa ids in `candidates`. `tickets=a,b` previews a
    partial cancel of a ticket order, `items=<id>:<quantity>,...` of a delivery or loyalty
    order. Pass the `version` to POST to apply exactly this plan."""
    ids = [t for t in (tickets or "").split(",") if t]
    part = _part(ids, _items_query(items))
    plan = await cancellation.preview(ctx.db, who, order_id, ctx.clock(), part, policy=True)
    return _plan_answer(plan_json(plan))


@router.post(
    "/orders/{order_id}/cancellation",
    response_model=CancellationPlan,
    response_class=JSONResponse,
)
async def cancellation_apply(order_id: str, body: CancelIn, who: Caller, ctx: Ctx) -> Any:
    """Apply the plan (409 `order_changed` if `version` no longer matches). The reason is
    one of the codes allowed for the order's kind (a 400 lists them): customer_request,
    customer_no_show, payment_failed, duplicate_order, fraud_suspected, operator_error,
    other; for tickets also event_cancelled, event_changed; for delivery also out_of_stock
    and the aggregator's place.* / client.* / service.integration_failed; for loyalty also
    out_of_stock. A partial cancel names `tickets` of a ticket order, or `items` (id and
    quantity) of a delivery or loyalty order. The order's cancellation policy applies: its
    fee is kept from the refund, and a cancel outside its window is a 409
    `cancellation_closed` unless the organiser's key sends an `override` with a reason."""
    done = await cancellation.cancel(
        ctx.db,
        who,
        order_id,
        ctx.clock(),
        _part(body.tickets, _items(body.items)),
        reason=Reason(body.reason, body.comment),
        version=body.version,
        policy=True,
        override=_override(body.override, who.actor),
    )
    return _plan_answer(done.shown)


def _plan_answer(shown: dict[str, Any]) -> Json:
    """The plan's wire form (`plan_json`: JSON types only, in the order of the route's
    response model, `CancellationPlan`, which documents it), rendered by the endpoint itself:
    the lean way (`kassa.web.hot`) calls it without FastAPI around it, and the whole way
    passes a response through as it is. tests/unit/test_plan_wire.py holds the model and
    the wire form to each other."""
    return Json(shown)


def _override(given: OverrideIn | None, actor: str) -> Override | None:
    return Override(actor, given.reason, given.fee) if given else None


# The lean way for the cancellation preview and apply (`kassa.web.hot`): their arguments as
# FastAPI binds them for a request without a query string.
async def _preview_arguments(http: Request, _: Any, path: dict[str, str]) -> dict[str, Any]:
    who = await principal_of(http)
    return {
        "order_id": path["order_id"],
        "who": who,
        "ctx": context_of(http),
        "tickets": None,
        "items": None,
    }


async def _apply_arguments(http: Request, document: Any, path: dict[str, str]) -> dict[str, Any]:
    body = CancelIn.model_validate(document)
    return {
        "order_id": path["order_id"],
        "body": body,
        "who": await principal_of(http),
        "ctx": context_of(http),
    }


HOT = (
    hot.lean(router, "GET", cancellation_preview, _preview_arguments, body="none"),
    hot.lean(router, "POST", cancellation_apply, _apply_arguments),
)

router.include_router(policies_router)
router.include_router(event_cancel_router)
router.include_router(waitlist_router)
