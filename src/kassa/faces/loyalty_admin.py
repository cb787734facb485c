"""Kassa's admin API for loyalty programs (the organiser's key): shops, programs, promo codes,
certificates, members and bonus adjustments with a reason."""

from decimal import Decimal
from enum import Enum
from typing import Annotated, Any, Literal

from fastapi import APIRouter
from pydantic import Field

from kassa.app import loyalty as app
from kassa.core.errors import ActionForbidden, LoyaltyNotFound
from kassa.core.loyalty import program_from
from kassa.core.loyalty_orders import Shop
from kassa.core.tenancy import Principal
from kassa.faces.ticketing.schemas import _Body
from kassa.web.deps import Caller, Ctx
from kassa.web.responses import Json, json_response

router = APIRouter(prefix="/api/v1/loyalty", default_response_class=Json)
ADMIN: list[str | Enum] = ["loyalty admin"]


class ShopCreate(_Body):
    name: Annotated[str, Field(min_length=1, max_length=200)]
    program: dict[str, Any] = {}


class PromoCreate(_Body):
    code: Annotated[str, Field(min_length=1, max_length=64)]
    kind: Literal["fix", "percent"]
    value: Annotated[Decimal, Field(gt=0, le=Decimal("9999999999.99"))]


class CertificateCreate(_Body):
    amount: Annotated[Decimal, Field(gt=0, le=Decimal("9999999999.99"))]
    code: Annotated[str, Field(min_length=4, max_length=64)] | None = None
    valid_days: Annotated[int, Field(ge=1, le=3650)] | None = 365


class Adjustment(_Body):
    amount: Annotated[Decimal, Field(ge=Decimal("-9999999999"), le=Decimal("9999999999"))]
    reason: Annotated[str, Field(min_length=1, max_length=500)]


def _organiser(who: Principal) -> None:
    if not who.is_organiser:
        raise ActionForbidden("Only the organiser's key manages loyalty programs")


async def _own_shop(ctx: Any, who: Principal, shop_id: str) -> Shop:
    _organiser(who)
    for shop in await app.shops_of(ctx.db, who.org_id):
        if shop.id == shop_id:
            return shop
    raise LoyaltyNotFound(f"Shop {shop_id} not found")


def _shop_view(shop: Shop) -> dict[str, Any]:
    return {"shop_id": shop.id, "name": shop.name, "program": shop.program.as_dict()}


@router.post("/shops", status_code=201, tags=ADMIN)
async def create_shop(body: ShopCreate, who: Caller, ctx: Ctx) -> Any:
    """A shop with its program; the answer holds `shop_secret`, shown this once."""
    _organiser(who)
    shop, secret = await app.create_shop(
        ctx.db, who.org_id, body.name, program_from(body.program), ctx.clock()
    )
    return json_response({**_shop_view(shop), "shop_secret": secret}, 201)


@router.get("/shops", tags=ADMIN)
async def list_shops(who: Caller, ctx: Ctx) -> Any:
    _organiser(who)
    return [_shop_view(s) for s in await app.shops_of(ctx.db, who.org_id)]


@router.put("/shops/{shop_id}/program", tags=ADMIN)
async def put_program(shop_id: str, body: dict[str, Any], who: Caller, ctx: Ctx) -> Any:
    """Earning rate, spending cap, expiry, levels, referral, stickers, coupon rules."""
    await _own_shop(ctx, who, shop_id)
    shop = await app.set_program(ctx.db, who.org_id, shop_id, program_from(body))
    return _shop_view(shop)


@router.post("/shops/{shop_id}/promo_codes", status_code=201, tags=ADMIN)
async def add_promo(shop_id: str, body: PromoCreate, who: Caller, ctx: Ctx) -> Any:
    shop = await _own_shop(ctx, who, shop_id)
    promo_id = await app.add_promo_code(ctx.db, shop, body.code, body.kind, body.value, ctx.clock())
    return json_response(
        {"id": promo_id, "code": body.code.upper(), "kind": body.kind, "value": body.value}, 201
    )


@router.post("/shops/{shop_id}/certificates", status_code=201, tags=ADMIN)
async def add_certificate(shop_id: str, body: CertificateCreate, who: Caller, ctx: Ctx) -> Any:
    shop = await _own_shop(ctx, who, shop_id)
    cert = await app.issue_certificate(
        ctx.db, shop, body.amount, ctx.clock(), code=body.code, valid_days=body.valid_days
    )
    return json_response(
        {
            "id": cert.id,
            "code": cert.code,
            "amount": cert.amount,
            "expires_at": cert.expires_at.isoformat() if cert.expires_at else None,
        },
        201,
    )


@router.get("/shops/{shop_id}/members/{identifier}", tags=ADMIN)
async def member(shop_id: str, identifier: str, who: Caller, ctx: Ctx) -> Any:
    """A member's balances and the whole ledger, oldest first."""
    shop = await _own_shop(ctx, who, shop_id)
    found = await app.member_status(ctx.db, shop, identifier, ctx.clock())
    return {
        "identifier": found.member.identifier,
        "bonuses_balance": found.bonuses,
        "spent": found.spent,
        "level": found.level,
        "stickers_balance": found.stickers,
        "referral_code": found.member.referral_code,
        "referrer_identifier": found.referrer_identifier,
        "ledger": [
            {
                "account": r.account,
                "entry": r.entry.value,
                "amount": r.amount,
                "order_id": r.order_id,
                "sticker": r.sticker,
                "at": r.at.isoformat(),
                "expires_at": r.expires_at.isoformat() if r.expires_at else None,
                "note": r.note,
            }
            for r in found.ledger
        ],
    }


@router.post("/shops/{shop_id}/members/{identifier}/adjust", tags=ADMIN)
async def adjust(shop_id: str, identifier: str, body: Adjustment, who: Caller, ctx: Ctx) -> Any:
    shop = await _own_shop(ctx, who, shop_id)
    balance = await app.adjust_bonuses(
        ctx.db, shop, identifier, body.amount, body.reason, ctx.clock()
    )
    return {"identifier": identifier, "bonuses_balance": balance}


@router.put("/shops/{shop_id}/events/{event_id}", tags=ADMIN)
async def link_event(shop_id: str, event_id: str, who: Caller, ctx: Ctx) -> Any:
    """Done ticket orders of this event earn bonuses in the shop (by the buyer's phone);
    a cancel or refund takes them back."""
    _organiser(who)
    await app.link_event(ctx.db, who, shop_id, event_id)
    return {"shop_id": shop_id, "event": event_id}


@router.delete("/shops/{shop_id}/events/{event_id}", tags=ADMIN)
async def unlink_event(shop_id: str, event_id: str, who: Caller, ctx: Ctx) -> Any:
    _organiser(who)
    await app.link_event(ctx.db, who, shop_id, None, unlink_event=event_id)
    return {}
