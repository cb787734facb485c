"""The loyalty checkout face (REES46): `{"status", "success", "payload"}` envelopes.

Every call carries `shop_id` and `shop_secret` (POST: in the JSON body; GET: in the query).
The shop is checked first, then the body: a wrong shop is `Shop not found` (401), a wrong
secret `API secret is not correct` (403), a bad body 400 with the program's message. Amounts
are exact JSON numbers (parsed as Decimal, never float).
"""

import json
from decimal import Decimal
from enum import Enum
from typing import Annotated, Any

from fastapi import APIRouter, Request
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, StrictBool, ValidationError

from kassa.app import cancellation
from kassa.app import loyalty as app
from kassa.core.cancellation import OrderKind
from kassa.core.errors import LoyaltyInvalid, LoyaltyNotFound, OrderNotFound
from kassa.core.loyalty import MAX_ITEMS, CartItem
from kassa.core.loyalty_orders import Shop
from kassa.core.tenancy import Principal
from kassa.web.deps import Ctx
from kassa.web.responses import Json

router = APIRouter(default_response_class=Json)
LOYALTY: list[str | Enum] = ["loyalty checkout (REES46)"]


def _text(value: Any) -> Any:
    """Ids may come as numbers; they are strings to us."""
    return str(value) if isinstance(value, int) and not isinstance(value, bool) else value


Text = Annotated[str, BeforeValidator(_text), Field(min_length=1, max_length=64)]
Amount = Annotated[Decimal, Field(gt=0, le=Decimal("9999999999.99"), allow_inf_nan=False)]


class _Body(BaseModel):
    model_config = ConfigDict(extra="ignore", str_strip_whitespace=True)


class Item(_Body):
    product_id: Text
    price: Amount
    quantity: Amount
    discountable: StrictBool = True
    bonusable: StrictBool = True
    rewardable: StrictBool = True


class CheckoutBody(_Body):
    identifier: Annotated[str | None, BeforeValidator(_text)] = None
    order_id: Text | None = None
    cart_items: Annotated[list[Item], Field(max_length=MAX_ITEMS)]
    payment_type: Annotated[str, Field(max_length=64)] | None = None
    promo_codes: Annotated[list[Text], Field(max_length=20)] = []
    certificates: Annotated[list[Text], Field(max_length=20)] = []
    charge_bonuses: StrictBool = False
    bonuses_amount: Annotated[Decimal, Field(ge=0, le=Decimal("9999999999"))] | None = None

    def request(self) -> app.CheckoutRequest:
        return app.CheckoutRequest(
            items=tuple(
                CartItem(
                    i.product_id, i.price, i.quantity, i.discountable, i.bonusable, i.rewardable
                )
                for i in self.cart_items
            ),
            identifier=self.identifier,
            order_id=self.order_id,
            payment_type=self.payment_type,
            promo_codes=tuple(self.promo_codes),
            certificates=tuple(self.certificates),
            charge_bonuses=self.charge_bonuses,
            bonuses_amount=self.bonuses_amount,
        )


def success(payload: dict[str, Any]) -> Json:
    return Json({"status": "success", "success": True, "payload": payload})


async def _params(request: Request) -> dict[str, Any]:
    """The JSON body of a POST (numbers as Decimal), or the query of a GET."""
    if request.method == "GET":
        return dict(request.query_params)
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


def _checkout(params: dict[str, Any]) -> app.CheckoutRequest:
    if not params.get("cart_items"):
        raise LoyaltyInvalid("Cart is empty")
    try:
        return CheckoutBody.model_validate(params).request()
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first.get("loc", ()))
        raise LoyaltyInvalid(f"{where}: {first.get('msg')}") from None


@router.post("/loyalty/checkout/estimate", tags=LOYALTY)
async def estimate(request: Request, ctx: Ctx) -> Json:
    """What the cart costs after codes, certificates, level discount and bonuses; saves nothing."""
    params = await _params(request)
    shop = await _shop(ctx, params)
    return success(await app.estimate(ctx.db, shop, _checkout(params), ctx.clock()))


@router.post("/loyalty/checkout/apply", tags=LOYALTY)
async def apply(request: Request, ctx: Ctx) -> Json:
    """Create the order and reserve what it spends; repeat with the same `order_id` to change
    the cart while the order is Created."""
    params = await _params(request)
    shop = await _shop(ctx, params)
    req = _checkout(params)
    if not req.order_id:
        raise LoyaltyInvalid("order_id is required")
    return success(await app.apply(ctx.db, shop, req, ctx.clock()))


@router.post("/loyalty/checkout/confirm", tags=LOYALTY)
async def confirm(request: Request, ctx: Ctx) -> Json:
    params = await _params(request)
    shop = await _shop(ctx, params)
    return success(await app.confirm(ctx.db, shop, _order_id(params), ctx.clock()))


@router.post("/loyalty/checkout/cancel", tags=LOYALTY)
async def cancel(request: Request, ctx: Ctx) -> Json:
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


@router.post("/loyalty/checkout/change", tags=LOYALTY)
async def change(request: Request, ctx: Ctx) -> Json:
    """A partial return of a Fulfilled order: the new cart; `order_total_change` < 0 is a refund."""
    params = await _params(request)
    shop = await _shop(ctx, params)
    req = _checkout(params)
    if not req.order_id:
        raise LoyaltyInvalid("order_id is required")
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


@router.get("/loyalty/checkout/details", tags=LOYALTY)
async def details(request: Request, ctx: Ctx) -> Json:
    params = await _params(request)
    shop = await _shop(ctx, params)
    return success(await app.details(ctx.db, shop, _order_id(params)))


@router.get("/loyalty/checkout/history", tags=LOYALTY)
async def history(request: Request, ctx: Ctx) -> Json:
    params = await _params(request)
    shop = await _shop(ctx, params)
    return success(await app.history(ctx.db, shop, str(params.get("identifier") or "")))


@router.post("/loyalty/members/join", tags=LOYALTY)
async def join(request: Request, ctx: Ctx) -> Json:
    params = await _params(request)
    shop = await _shop(ctx, params)
    code = params.get("referral_code")
    member = await app.join(
        ctx.db, shop, str(params.get("identifier") or ""), ctx.clock(), str(code) if code else None
    )
    return success({"identifier": member.identifier, "referral_code": member.referral_code})


@router.api_route("/loyalty/members/status", methods=["GET", "POST"], tags=LOYALTY)
async def status(request: Request, ctx: Ctx) -> Json:
    params = await _params(request)
    shop = await _shop(ctx, params)
    found = await app.member_status(ctx.db, shop, str(params.get("identifier") or ""), ctx.clock())
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


@router.api_route("/loyalty/bonuses/balance", methods=["GET", "POST"], tags=LOYALTY)
async def balance(request: Request, ctx: Ctx) -> Json:
    params = await _params(request)
    shop = await _shop(ctx, params)
    found = await app.member_status(ctx.db, shop, str(params.get("identifier") or ""), ctx.clock())
    return success({"identifier": found.member.identifier, "bonuses_balance": found.bonuses})


def _order_id(params: dict[str, Any]) -> str:
    order_id = params.get("order_id")
    if order_id in (None, ""):
        raise LoyaltyInvalid("order_id is required")
    return str(order_id)
