"""The loyalty checkout face (REES46): `{"status", "success", "payload"}` envelopes.

Every call carries `shop_id` and `shop_secret` (POST: in the JSON body; GET: in the query).
The shop is checked first, then the body: a wrong shop is `Shop not found` (401), a wrong
secret `API secret is not correct` (403), a bad body 400 with the program's message. Amounts
are exact JSON numbers (parsed as Decimal, never float). A checkout's answer is Kassa's
loyalty figures (`kassa.core.loyalty_figures`) as they are, inside the envelope. The wire
models (and the examples of the OpenAPI document) live in `loyalty_models`.
"""

import json
from decimal import Decimal
from enum import Enum
from typing import Any, TypeVar

from fastapi import APIRouter, Request
from pydantic import BaseModel, ValidationError

from kassa.app import cancellation
from kassa.app import loyalty as app
from kassa.core.cancellation import OrderKind
from kassa.core.errors import LoyaltyInvalid, LoyaltyNotFound, OrderNotFound
from kassa.core.loyalty_orders import Shop
from kassa.core.tenancy import Principal
from kassa.faces import loyalty_models as m
from kassa.web import hot
from kassa.web.deps import Ctx
from kassa.web.guard import PARSED_JSON
from kassa.web.openapi import query, request_body
from kassa.web.responses import Json
from kassa.web.routes import JsonRoute

router = APIRouter(default_response_class=Json, route_class=JsonRoute)
LOYALTY: list[str | Enum] = ["loyalty checkout (REES46)"]
Parsed = TypeVar("Parsed", bound=BaseModel)


def success(payload: dict[str, Any]) -> Json:
    return Json({"status": "success", "success": True, "payload": payload})


async def _params(request: Request) -> dict[str, Any]:
    """The JSON body of a POST (numbers as Decimal), or the query of a GET."""
    if request.method == "GET":
        return dict(request.query_params)
    # The input guard's decoding when it kept one: it holds no float, so it is the very
    # document `json.loads` would give (`kassa.web.guard.check_json`).
    data = request.scope.get(PARSED_JSON)
    if data is None:
        raw = await request.body()
        try:
            data = json.loads(raw or b"{}", parse_float=Decimal)
        except ValueError:
            raise LoyaltyInvalid("Malformed JSON in request body") from None
    if not isinstance(data, dict):
        raise LoyaltyInvalid("The request body must be a JSON object")
    return data


async def _shop(ctx: Any, params: dict[str, Any]) -> Shop:
    return await app.authenticate(ctx.db, params.get("shop_id"), params.get("shop_secret"))


def _parse(model: type[Parsed], params: dict[str, Any]) -> Parsed:
    """The parameters as `model`, or 400 with the first problem."""
    try:
        return model.model_validate(params)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first.get("loc", ()))
        raise LoyaltyInvalid(f"{where}: {first.get('msg')}") from None


def _checkout(params: dict[str, Any], *, order_id: bool = False) -> app.CheckoutRequest:
    if not params.get("cart_items"):
        raise LoyaltyInvalid("Cart is empty")
    req = _parse(m.CheckoutBody, params).request()
    if order_id and not req.order_id:
        raise LoyaltyInvalid("order_id is required")
    return req


def _order_id(params: dict[str, Any]) -> str:
    if params.get("order_id") in (None, ""):
        raise LoyaltyInvalid("order_id is required")
    return _parse(m.OrderRef, params).order_id


def _identifier(params: dict[str, Any]) -> str:
    """The member's phone as sent (the app validates it: `Identifier is not valid`)."""
    return str(params.get("identifier") or "")


def _body(name: str, model: type[BaseModel]) -> dict[str, Any]:
    return request_body(model, m.EXAMPLES[name])


@router.post(
    "/loyalty/checkout/estimate",
    tags=LOYALTY,
    response_model=m.CheckoutAnswer,
    openapi_extra=_body("estimate", m.CheckoutIn),
)
async def estimate(request: Request, ctx: Ctx) -> Json:
    """What the cart costs after codes, certificates, level discount and bonuses; saves nothing."""
    params = await _params(request)
    shop = await _shop(ctx, params)
    return success(await app.estimate(ctx.db, shop, _checkout(params), ctx.clock()))


@router.post(
    "/loyalty/checkout/apply",
    tags=LOYALTY,
    response_model=m.CheckoutAnswer,
    openapi_extra=_body("apply", m.CheckoutIn),
)
async def apply(request: Request, ctx: Ctx) -> Json:
    """Create the order and reserve what it spends; repeat with the same `order_id` to change
    the cart while the order is Created."""
    params = await _params(request)
    shop = await _shop(ctx, params)
    req = _checkout(params, order_id=True)
    return success(await app.apply(ctx.db, shop, req, ctx.clock()))


@router.post(
    "/loyalty/checkout/confirm",
    tags=LOYALTY,
    response_model=m.CheckoutDoneAnswer,
    openapi_extra=_body("confirm", m.CheckoutOrderIn),
)
async def confirm(request: Request, ctx: Ctx) -> Json:
    """Paid (or delivered): settle what apply showed; again on a Fulfilled order, the same."""
    params = await _params(request)
    shop = await _shop(ctx, params)
    return success(await app.confirm(ctx.db, shop, _order_id(params), ctx.clock()))


@router.post(
    "/loyalty/checkout/cancel",
    tags=LOYALTY,
    response_model=m.CheckoutDoneAnswer,
    openapi_extra=_body("cancel", m.CheckoutOrderIn),
)
async def cancel(request: Request, ctx: Ctx) -> Json:
    """A full cancel or return (final): what was spent comes back, what was earned goes."""
    params = await _params(request)
    shop = await _shop(ctx, params)
    order_id = _order_id(params)
    try:
        done = await cancellation.cancel(
            ctx.db,
            _principal(shop),
            order_id,
            ctx.clock(),
            reason=None,
            actor=f"shop:{shop.id}",
            kind=OrderKind.LOYALTY,
        )
    except OrderNotFound:
        raise LoyaltyNotFound(f"Order {order_id} not found") from None
    return success(
        {"order_id": done.order.order_id, "identifier": done.order.request.get("identifier")}
    )


def _principal(shop: Shop) -> Principal:
    """The shop's secret speaks for its organisation, narrowed to the shop."""
    return Principal(org_id=shop.org_id, shop_id=shop.id)


@router.post(
    "/loyalty/checkout/change",
    tags=LOYALTY,
    response_model=m.ChangeAnswer,
    openapi_extra=_body("change", m.CheckoutIn),
)
async def change(request: Request, ctx: Ctx) -> Json:
    """A partial return of a Fulfilled order: the new cart; `order_total_change` < 0 is a refund."""
    params = await _params(request)
    shop = await _shop(ctx, params)
    req = _checkout(params, order_id=True)
    shrunk = await app.shrinkage(ctx.db, shop, req)
    if shrunk is None:
        return success(await app.change(ctx.db, shop, req, ctx.clock()))
    done = await cancellation.cancel(  # a smaller cart: a partial cancel, by the one engine
        ctx.db,
        _principal(shop),
        shrunk.order_id,
        ctx.clock(),
        cancellation.Part(items=shrunk.items),
        reason=None,
        version=shrunk.version,
        actor=f"shop:{shop.id}",
        kind=OrderKind.LOYALTY,
    )
    return success(done.order.result)


@router.get(
    "/loyalty/checkout/details",
    tags=LOYALTY,
    response_model=m.CheckoutDetailsAnswer,
    openapi_extra=query(m.OrderQuery),
)
async def details(request: Request, ctx: Ctx) -> Json:
    """The figures the order keeps (its last apply or change) and its status."""
    params = await _params(request)
    shop = await _shop(ctx, params)
    return success(await app.details(ctx.db, shop, _order_id(params)))


@router.get(
    "/loyalty/checkout/history",
    tags=LOYALTY,
    response_model=m.MemberHistoryAnswer,
    openapi_extra=query(m.MemberQuery),
)
async def history(request: Request, ctx: Ctx) -> Json:
    """The member's orders in this shop, newest first."""
    params = await _params(request)
    shop = await _shop(ctx, params)
    return success(await app.history(ctx.db, shop, _identifier(params)))


@router.post(
    "/loyalty/members/join",
    tags=LOYALTY,
    response_model=m.MemberJoinAnswer,
    openapi_extra=_body("join", m.MemberJoinIn),
)
async def join(request: Request, ctx: Ctx) -> Json:
    """A new member, referred by the owner of `referral_code` if given."""
    params = await _params(request)
    shop = await _shop(ctx, params)
    code = params.get("referral_code")
    member = await app.join(
        ctx.db, shop, _identifier(params), ctx.clock(), str(code) if code else None
    )
    return success({"identifier": member.identifier, "referral_code": member.referral_code})


async def _status(request: Request, ctx: Ctx) -> Json:
    params = await _params(request)
    shop = await _shop(ctx, params)
    found = await app.member_status(ctx.db, shop, _identifier(params), ctx.clock())
    return success(
        {
            "identifier": found.member.identifier,
            "member": True,
            "level": found.level,
            "level_discount": found.level_discount,
            "bonuses_balance": found.bonuses,
            "stickers_balance": found.stickers,
            "referral_code": found.member.referral_code,
            "referrer_identifier": found.referrer_identifier,
            "joined_at": found.member.created_at.isoformat(),
        }
    )


_STATUS = "/loyalty/members/status"


@router.get(
    _STATUS,
    tags=LOYALTY,
    operation_id="loyalty_member_status_get",
    response_model=m.MemberStatusAnswer,
    openapi_extra=query(m.MemberQuery),
)
async def status_get(request: Request, ctx: Ctx) -> Json:
    """The member's level, balances, referral code and referrer."""
    return await _status(request, ctx)


@router.post(
    _STATUS,
    tags=LOYALTY,
    operation_id="loyalty_member_status_post",
    response_model=m.MemberStatusAnswer,
    openapi_extra=_body("member", m.MemberIn),
)
async def status_post(request: Request, ctx: Ctx) -> Json:
    """The member's level, balances, referral code and referrer."""
    return await _status(request, ctx)


async def _balance(request: Request, ctx: Ctx) -> Json:
    params = await _params(request)
    shop = await _shop(ctx, params)
    found = await app.member_status(ctx.db, shop, _identifier(params), ctx.clock())
    return success({"identifier": found.member.identifier, "bonuses_balance": found.bonuses})


_BALANCE = "/loyalty/bonuses/balance"


@router.get(
    _BALANCE,
    tags=LOYALTY,
    operation_id="loyalty_bonuses_balance_get",
    response_model=m.BonusBalanceAnswer,
    openapi_extra=query(m.MemberQuery),
)
async def balance_get(request: Request, ctx: Ctx) -> Json:
    """The member's bonus balance (active, unexpired bonuses)."""
    return await _balance(request, ctx)


@router.post(
    _BALANCE,
    tags=LOYALTY,
    operation_id="loyalty_bonuses_balance_post",
    response_model=m.BonusBalanceAnswer,
    openapi_extra=_body("member", m.MemberIn),
)
async def balance_post(request: Request, ctx: Ctx) -> Json:
    """The member's bonus balance (active, unexpired bonuses)."""
    return await _balance(request, ctx)


# The lean way for the checkout's hot calls (`kassa.web.hot`): each endpoint reads its own body.
HOT = tuple(
    hot.lean(router, "POST", endpoint, hot.request_only, body="read")
    for endpoint in (estimate, apply, confirm, cancel)
)
