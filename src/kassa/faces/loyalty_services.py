"""The REES46 loyalty face's side services: one-time codes (`otp/send`, `otp/check`), the till
QR (`qr/get`, `qr/check`), referral programs (`referral/join`, `referral/code`) and the CDP
order sync (`POST /sync/orders`). Same shop credentials and envelope as the checkout
(`kassa.faces.loyalty`); the older Slate paths `/otp/send` and `/otp/check` (with `phone`
for `identifier`) are answered too.
"""

import json
from decimal import Decimal
from enum import Enum
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Request
from pydantic import BaseModel, ConfigDict, Field

from kassa.app.loyalty import cdp, codes, referral
from kassa.core.errors import LoyaltyInvalid
from kassa.faces.loyalty import _params, _shop
from kassa.faces.loyalty_admin import _own_shop
from kassa.web.deps import Caller, Ctx
from kassa.web.openapi import query, request_body
from kassa.web.responses import Json

router = APIRouter(default_response_class=Json)
LOYALTY: list[str | Enum] = ["loyalty checkout (REES46)"]
ADMIN: list[str | Enum] = ["loyalty admin"]
PHONE = "79990000001"


class _Shop(BaseModel):
    model_config = ConfigDict(extra="allow")
    shop_id: Annotated[str, Field(max_length=64)]
    shop_secret: Annotated[str, Field(max_length=64)]


class OtpSend(_Shop):
    identifier: Annotated[str, Field(pattern=r"^7\d{10}$", description="The phone")]
    event: Annotated[str, Field(pattern=r"^[a-z0-9_]{1,64}$", examples=["charge_bonuses"])]


class OtpCheck(OtpSend):
    code: Annotated[str, Field(pattern=r"^\d{5}$", examples=["33871"])]


class QrGet(_Shop):
    identifier: Annotated[str, Field(pattern=r"^7\d{10}$")]


class QrCheck(_Shop):
    code: Annotated[str, Field(examples=[f"{PHONE}-123456"], max_length=64)]


class ReferralJoin(_Shop):
    identifier: Annotated[str, Field(pattern=r"^7\d{10}$")]
    id: Annotated[int | str, Field(description="The referral program's id: Kassa runs 1")]


class SyncOrders(_Shop):
    orders: Annotated[list[dict[str, Any]], Field(max_length=5000)]


class Done(BaseModel):
    status: Literal["success"]
    success: Literal[True]


class QrPayload(BaseModel):
    code: str


class QrAnswer(Done):
    payload: QrPayload


class ReferralPayload(BaseModel):
    message: str
    code: str


class ReferralAnswer(Done):
    payload: ReferralPayload


class ReferralCode(BaseModel):
    referral_program_id: int
    code: str
    description: str | None


class ReferralCodesPayload(BaseModel):
    message: str
    codes: list[ReferralCode]


class ReferralCodesAnswer(Done):
    payload: ReferralCodesPayload


class Rejected(BaseModel):
    index: int
    id: str | None
    message: str


class SyncPayload(BaseModel):
    accepted: int
    rejected: list[Rejected]


class SyncAnswer(Done):
    payload: SyncPayload


DEMO = {"shop_id": "5f1e0c2d9b8a47e6a3c4d5e6f7a8b9c0", "shop_secret": "<shop secret>"}
DONE = {"status": "success", "success": True}


def _done(payload: dict[str, Any] | None = None) -> Json:
    return Json({**DONE, **({"payload": payload} if payload is not None else {})})


def _text(params: dict[str, Any], *names: str) -> str:
    for name in names:
        value = params.get(name)
        if value not in (None, ""):
            return str(value)
    return ""


def _sender(ctx: Any) -> codes.CodeSender:
    settings = ctx.settings
    if settings.otp_sender == "email":
        return codes.EmailSender(settings.smtp, settings.otp_email)
    return codes.LogSender()


async def _send(request: Request, ctx: Any) -> Json:
    params = await _params(request)
    shop = await _shop(ctx, params)
    await codes.send_otp(
        ctx.db,
        shop,
        _text(params, "identifier", "phone"),
        _text(params, "event"),
        ctx.clock(),
        _sender(ctx),
    )
    return _done()


async def _check(request: Request, ctx: Any) -> Json:
    params = await _params(request)
    if request.method == "GET" and await request.body():
        params = {**(await _body_of_get(request)), **params}
    shop = await _shop(ctx, params)
    await codes.check_otp(
        ctx.db,
        shop,
        _text(params, "identifier", "phone"),
        _text(params, "event"),
        _text(params, "code"),
        ctx.clock(),
    )
    return _done()


async def _body_of_get(request: Request) -> dict[str, Any]:
    """A GET may carry its fields as a JSON body (the REES46 page shows both)."""
    try:
        data = json.loads(await request.body(), parse_float=Decimal)
    except ValueError:
        raise LoyaltyInvalid("Malformed JSON in request body") from None
    return data if isinstance(data, dict) else {}


@router.post(
    "/loyalty/otp/send",
    tags=LOYALTY,
    response_model=Done,
    openapi_extra=request_body(
        OtpSend, {"send": {**DEMO, "identifier": PHONE, "event": "charge_bonuses"}}
    ),
)
async def otp_send(request: Request, ctx: Ctx) -> Json:
    """Send a one-time code to the phone for `event` (any phone, member or not)."""
    return await _send(request, ctx)


@router.post(
    "/otp/send",
    tags=LOYALTY,
    response_model=Done,
    openapi_extra=request_body(OtpSend),
    summary="Otp Send (the older path; `phone` for `identifier`)",
)
async def otp_send_old(request: Request, ctx: Ctx) -> Json:
    return await _send(request, ctx)


@router.get("/loyalty/otp/check", tags=LOYALTY, response_model=Done, openapi_extra=query(OtpCheck))
async def otp_check(request: Request, ctx: Ctx) -> Json:
    """Accept the code sent for (phone, event) once; a wrong code is 400 `Code is not correct`."""
    return await _check(request, ctx)


@router.get(
    "/otp/check",
    tags=LOYALTY,
    response_model=Done,
    openapi_extra=query(OtpCheck),
    summary="Otp Check (the older path; `phone` for `identifier`)",
)
async def otp_check_old(request: Request, ctx: Ctx) -> Json:
    return await _check(request, ctx)


@router.post(
    "/loyalty/qr/get",
    tags=LOYALTY,
    response_model=QrAnswer,
    openapi_extra=request_body(QrGet, {"member": {**DEMO, "identifier": PHONE}}),
)
async def qr_get(request: Request, ctx: Ctx) -> Json:
    """The member's till code `<identifier>-<PIN>` (a new PIN each time, valid 10 minutes,
    accepted once): show it as a QR code in the member's app, never at the till."""
    params = await _params(request)
    shop = await _shop(ctx, params)
    code = await codes.qr_code(ctx.db, shop, _text(params, "identifier"), ctx.clock())
    return _done({"code": code})


@router.post(
    "/loyalty/qr/check",
    tags=LOYALTY,
    response_model=Done,
    openapi_extra=request_body(QrCheck, {"scanned": {**DEMO, "code": f"{PHONE}-123456"}}),
    responses={400: {"description": 'Not a valid code: `{"success": false}`'}},
)
async def qr_check(request: Request, ctx: Ctx) -> Json:
    """A scanned till code: `{"success": true}` once, 400 `{"success": false}` otherwise."""
    params = await _params(request)
    shop = await _shop(ctx, params)
    member = await codes.check_qr(ctx.db, shop, _text(params, "code"), ctx.clock())
    if member is None:
        return Json({"status": "error", "success": False}, status_code=400)
    return _done()


@router.post(
    "/loyalty/referral/join",
    tags=LOYALTY,
    response_model=ReferralAnswer,
    openapi_extra=request_body(ReferralJoin, {"join": {**DEMO, "identifier": PHONE, "id": 1}}),
)
async def referral_join(request: Request, ctx: Ctx) -> Json:
    """The member's code in a referral program (Kassa runs one per shop, id 1)."""
    params = await _params(request)
    shop = await _shop(ctx, params)
    code = await referral.join_program(ctx.db, shop, _text(params, "identifier"), params.get("id"))
    return _done({"message": "Success", "code": code})


@router.get(
    "/loyalty/referral/code",
    tags=LOYALTY,
    response_model=ReferralCodesAnswer,
    openapi_extra=query(QrGet),
)
async def referral_code(request: Request, ctx: Ctx) -> Json:
    """The member's codes in the shop's running referral programs."""
    params = await _params(request)
    shop = await _shop(ctx, params)
    found = await referral.codes(ctx.db, shop, _text(params, "identifier"))
    return _done({"message": "Success", "codes": found})


@router.post(
    "/sync/orders",
    tags=LOYALTY,
    response_model=SyncAnswer,
    openapi_extra=request_body(
        SyncOrders,
        {
            "delivered": {
                **DEMO,
                "orders": [
                    {
                        "id": "A-1001",
                        "status": "Delivered",
                        "channel": "website",
                        "date": 1764460800,
                        "value": {"total": 1500},
                        "items": [{"id": "SKU-1", "price": 750, "quantity": 2}],
                        "phone": PHONE,
                    }
                ],
            },
            "cancelled": {**DEMO, "orders": [{"id": "A-1001", "status": "Cancelled"}]},
        },
    ),
)
async def sync_orders(request: Request, ctx: Ctx) -> Json:
    """The shop's own orders (create, update, cancel) into its CDP record. A cancelled status
    gives nothing back: only `checkout/cancel` and `checkout/change` undo loyalty effects.
    Orders that cannot be taken are listed in `payload.rejected`; the others are kept."""
    params = await _params(request)
    shop = await _shop(ctx, params)
    done = await cdp.sync_orders(ctx.db, shop, params.get("orders"), ctx.clock())
    return _done({"accepted": done.accepted, "rejected": done.rejected})


@router.get("/api/v1/loyalty/shops/{shop_id}/cdp_orders/{order_id}", tags=ADMIN)
async def read_cdp_order(shop_id: str, order_id: str, who: Caller, ctx: Ctx) -> Json:
    """A shop's CDP order as synced, with its status history (the organiser's key)."""
    shop = await _own_shop(ctx, who, shop_id)
    return Json(await cdp.cdp_order(ctx.db, shop, order_id))
