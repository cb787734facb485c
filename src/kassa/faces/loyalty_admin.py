"""Kassa's admin API for loyalty programs (the organiser's key): shops, programs, promo codes,
certificates, members and bonus adjustments with a reason. Amounts go out as decimal strings
(`loyalty_admin_models`)."""

from enum import Enum
from typing import Any

from fastapi import APIRouter

from kassa.app import loyalty as app
from kassa.core.errors import ActionForbidden, LoyaltyNotFound
from kassa.core.loyalty_orders import Shop
from kassa.core.loyalty_program import program_from
from kassa.core.money import money
from kassa.core.tenancy import Principal
from kassa.faces import loyalty_admin_models as m
from kassa.web.deps import Caller, Ctx
from kassa.web.responses import Json, json_response

router = APIRouter(prefix="/api/v1/loyalty", default_response_class=Json)
ADMIN: list[str | Enum] = ["loyalty admin"]


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


@router.post("/shops", status_code=201, tags=ADMIN, response_model=m.LoyaltyShopCreated)
async def create_shop(body: m.LoyaltyShopCreate, who: Caller, ctx: Ctx) -> Json:
    """A shop with its program; the answer holds `shop_secret`, shown this once."""
    _organiser(who)
    shop, secret = await app.create_shop(
        ctx.db, who.org_id, body.name, program_from(m.as_sent(body.program)), ctx.clock()
    )
    return json_response({**_shop_view(shop), "shop_secret": secret}, 201)


@router.get("/shops", tags=ADMIN, response_model=list[m.LoyaltyShop])
async def list_shops(who: Caller, ctx: Ctx) -> Json:
    """The organisation's shops with their programs."""
    _organiser(who)
    return json_response([_shop_view(s) for s in await app.shops_of(ctx.db, who.org_id)])


@router.put("/shops/{shop_id}/program", tags=ADMIN, response_model=m.LoyaltyShop)
async def put_program(shop_id: m.ShopId, body: m.ProgramJson, who: Caller, ctx: Ctx) -> Json:
    """Earning rate, spending cap, expiry, levels, referral, stickers, coupon rules."""
    await _own_shop(ctx, who, shop_id)
    shop = await app.set_program(ctx.db, who.org_id, shop_id, program_from(m.as_sent(body)))
    return json_response(_shop_view(shop))


@router.post(
    "/shops/{shop_id}/promo_codes", status_code=201, tags=ADMIN, response_model=m.ShopPromoCode
)
async def add_promo(shop_id: m.ShopId, body: m.ShopPromoCreate, who: Caller, ctx: Ctx) -> Json:
    """A shop-wide promo code: `fix` money or `percent` off."""
    shop = await _own_shop(ctx, who, shop_id)
    promo_id = await app.add_promo_code(ctx.db, shop, body.code, body.kind, body.value, ctx.clock())
    promo = {"id": promo_id, "code": body.code.upper(), "kind": body.kind}
    return json_response({**promo, "value": str(money(body.value))}, 201)


@router.post(
    "/shops/{shop_id}/certificates", status_code=201, tags=ADMIN, response_model=m.ShopCertificate
)
async def add_certificate(
    shop_id: m.ShopId, body: m.ShopCertificateCreate, who: Caller, ctx: Ctx
) -> Json:
    """A prepaid certificate (a code is made up when none is given)."""
    shop = await _own_shop(ctx, who, shop_id)
    cert = await app.issue_certificate(
        ctx.db, shop, body.amount, ctx.clock(), code=body.code, valid_days=body.valid_days
    )
    return json_response(
        {
            "id": cert.id,
            "code": cert.code,
            "amount": str(cert.amount),
            "expires_at": cert.expires_at.isoformat() if cert.expires_at else None,
        },
        201,
    )


@router.get("/shops/{shop_id}/members/{identifier}", tags=ADMIN, response_model=m.LoyaltyMember)
async def member(shop_id: m.ShopId, identifier: m.MemberId, who: Caller, ctx: Ctx) -> Json:
    """A member's balances and the whole ledger, oldest first."""
    shop = await _own_shop(ctx, who, shop_id)
    found = await app.member_status(ctx.db, shop, identifier, ctx.clock(), ledger=True)
    return json_response(
        {
            "identifier": found.member.identifier,
            "bonuses_balance": str(found.bonuses),
            "spent": str(found.spent),
            "level": found.level,
            "stickers_balance": found.stickers,
            "referral_code": found.member.referral_code,
            "referrer_identifier": found.referrer_identifier,
            "ledger": [
                {
                    "account": r.account,
                    "entry": r.entry.value,
                    "amount": str(r.amount),
                    "order_id": r.order_id,
                    "sticker": r.sticker,
                    "at": r.at.isoformat(),
                    "expires_at": r.expires_at.isoformat() if r.expires_at else None,
                    "note": r.note,
                }
                for r in found.ledger
            ],
        }
    )


@router.post(
    "/shops/{shop_id}/members/{identifier}/adjust", tags=ADMIN, response_model=m.BonusesAdjusted
)
async def adjust(
    shop_id: m.ShopId, identifier: m.MemberId, body: m.BonusAdjustment, who: Caller, ctx: Ctx
) -> Json:
    """An operator's correction of the member's bonuses, with its reason."""
    shop = await _own_shop(ctx, who, shop_id)
    balance = await app.adjust_bonuses(
        ctx.db, shop, identifier, body.amount, body.reason, ctx.clock()
    )
    return json_response({"identifier": identifier, "bonuses_balance": str(balance)})


@router.put("/shops/{shop_id}/events/{event_id}", tags=ADMIN, response_model=m.ShopEventLinked)
async def link_event(shop_id: m.ShopId, event_id: m.EventId, who: Caller, ctx: Ctx) -> Json:
    """Done ticket orders of this event earn bonuses in the shop (by the buyer's phone);
    a cancel or refund takes them back."""
    _organiser(who)
    await app.link_event(ctx.db, who, shop_id, event_id)
    return json_response({"shop_id": shop_id, "event": event_id})


@router.delete("/shops/{shop_id}/events/{event_id}", tags=ADMIN, response_model=m.ShopEventUnlinked)
async def unlink_event(shop_id: m.ShopId, event_id: m.EventId, who: Caller, ctx: Ctx) -> Json:
    """The event's orders no longer earn in the shop."""
    _organiser(who)
    await app.link_event(ctx.db, who, shop_id, None, unlink_event=event_id)
    return json_response({})
