"""Kassa's own API for cancellation policies: an event's (its ticket orders), a restaurant's
(its delivery orders) and a loyalty shop's (its checkouts). The organiser's key sets them;
another organisation's event, restaurant or shop is a 404."""

from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, ConfigDict, Field

from kassa.app.cancellation import policies
from kassa.core.cancellation import Policy, Scope, Terms
from kassa.core.money import MAX_AMOUNT, money
from kassa.web.deps import Caller, Ctx
from kassa.web.responses import Json

# Included by `kassa_api`, under its /api/v1 prefix.
router = APIRouter(default_response_class=Json, tags=["kassa"])

Hours = Annotated[int, Field(ge=0, le=87_600)]
Fee = Annotated[Decimal, Field(ge=0, le=MAX_AMOUNT, decimal_places=2)]
Percent = Annotated[Decimal, Field(ge=0, le=100, decimal_places=4)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class EventUnpaidTerms(_Strict):
    """An unpaid (reserved) order: whether it may be cancelled, and until how many hours
    before the event starts (null: any time). Nothing was paid, so there is no fee."""

    allowed: bool = True
    hours_before_start: Hours | None = None


class EventPaidTerms(EventUnpaidTerms):
    """A sold order: the window, and the fee kept from the refund: `fixed_fee` per cancel,
    `percent` of the money refunded, `per_ticket` per ticket returned, and the tickets'
    service fee when `keep_service_fee`; never more than the refund."""

    fixed_fee: Fee = Decimal("0.00")
    percent: Percent = Decimal(0)
    per_ticket: Fee = Decimal("0.00")
    keep_service_fee: bool = False


class EventPolicy(_Strict):
    unpaid: EventUnpaidTerms = EventUnpaidTerms()
    paid: EventPaidTerms = EventPaidTerms()


class EventPolicyOut(EventPolicy):
    event: str
    updated_at: datetime | None = Field(description="null: none set, cancels are free")


class OrderUnpaidTerms(_Strict):
    """An unpaid order (a loyalty checkout not yet confirmed): whether it may be cancelled,
    and within how many hours of the order's time (null: any time)."""

    allowed: bool = True
    hours_after_order: Hours | None = None


class OrderPaidTerms(OrderUnpaidTerms):
    """A paid order (every aggregator order; a confirmed checkout): the window, `fixed_fee`
    per cancel and `percent` of the money refunded; never more than the refund."""

    fixed_fee: Fee = Decimal("0.00")
    percent: Percent = Decimal(0)


class OrderPolicy(_Strict):
    unpaid: OrderUnpaidTerms = OrderUnpaidTerms()
    paid: OrderPaidTerms = OrderPaidTerms()


class RestaurantPolicyOut(OrderPolicy):
    restaurant: str
    updated_at: datetime | None = Field(description="null: none set, cancels are free")


class ShopPolicyOut(OrderPolicy):
    shop: str
    updated_at: datetime | None = Field(description="null: none set, cancels are free")


def _terms(given: EventUnpaidTerms | OrderUnpaidTerms) -> Terms:
    hours = (
        given.hours_before_start if isinstance(given, EventUnpaidTerms) else given.hours_after_order
    )
    return Terms(
        allowed=given.allowed,
        deadline_hours=hours,
        fixed_fee=money(getattr(given, "fixed_fee", 0)),
        percent=getattr(given, "percent", Decimal(0)),
        per_ticket=money(getattr(given, "per_ticket", 0)),
        keep_service_fee=getattr(given, "keep_service_fee", False),
    )


def _policy(scope: Scope, scope_id: str, body: EventPolicy | OrderPolicy) -> Policy:
    return Policy(scope, scope_id, unpaid=_terms(body.unpaid), paid=_terms(body.paid))


def _out(policy: Policy) -> dict[str, Any]:
    hours = "hours_before_start" if policy.scope is Scope.EVENT else "hours_after_order"
    out: dict[str, Any] = {policy.scope.value: policy.scope_id, "updated_at": policy.updated_at}
    for name, terms in (("unpaid", policy.unpaid), ("paid", policy.paid)):
        shown: dict[str, Any] = {"allowed": terms.allowed, hours: terms.deadline_hours}
        if name == "paid":
            shown |= {"fixed_fee": money(terms.fixed_fee), "percent": _plain(terms.percent)}
            if policy.scope is Scope.EVENT:
                shown |= {
                    "per_ticket": money(terms.per_ticket),
                    "keep_service_fee": terms.keep_service_fee,
                }
        out[name] = shown
    return out


def _plain(number: Decimal) -> str:
    """A percent without trailing zeros or an exponent: 10, 12.5."""
    return format(number.normalize(), "f")


_OUT: dict[Scope, type[BaseModel]] = {
    Scope.EVENT: EventPolicyOut,
    Scope.RESTAURANT: RestaurantPolicyOut,
    Scope.SHOP: ShopPolicyOut,
}


def _route(scope: Scope, path: str, body_model: type[EventPolicy] | type[OrderPolicy]) -> None:
    """GET, PUT and DELETE of one owner's policy."""
    out = _OUT[scope]
    noun = "restaurant" if scope is Scope.RESTAURANT else scope.value

    async def read(owner_id: str, who: Caller, ctx: Ctx) -> Any:
        return _out(await policies.get_policy(ctx.db, who, scope, owner_id))

    async def write(
        owner_id: str,
        body: body_model,  # type: ignore[valid-type]
        who: Caller,
        ctx: Ctx,
    ) -> Any:
        policy = _policy(scope, owner_id, body)
        return _out(await policies.set_policy(ctx.db, who, policy, ctx.clock()))

    async def remove(owner_id: str, who: Caller, ctx: Ctx) -> Response:
        await policies.remove_policy(ctx.db, who, scope, owner_id)
        return Response(status_code=204)

    read.__doc__ = (
        f"The {noun}'s cancellation policy (with none set: the free one, `updated_at` null). "
        "Another organisation's is a 404."
    )
    write.__doc__ = (
        f"Replace the {noun}'s cancellation policy (the organiser's key). Kassa's "
        "cancellation API and the console charge it from now on (see README, "
        '"Cancellation policies").'
    )
    remove.__doc__ = f"Drop the {noun}'s policy: cancels are free again."
    common: dict[str, Any] = {"response_model": out, "response_class": JSONResponse}
    router.get(path, name=f"{noun}_policy_read", **common)(read)
    router.put(path, name=f"{noun}_policy_write", **common)(write)
    router.delete(path, name=f"{noun}_policy_remove", status_code=204)(remove)


_route(Scope.EVENT, "/events/{owner_id}/cancellation_policy", EventPolicy)
_route(Scope.RESTAURANT, "/restaurants/{owner_id}/cancellation_policy", OrderPolicy)
_route(Scope.SHOP, "/shops/{owner_id}/cancellation_policy", OrderPolicy)
