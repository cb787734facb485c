"""REES46 promo-code lists (`/promo_codes*`): the shop uploads single-use codes into lists,
hands them out (`fetch`), lists, deletes and purges them; the organiser creates the lists
(`POST /api/v1/loyalty/shops/{id}/promo_code_lists`). A code is redeemed only in checkout
(`promo_codes[]`), like a coupon: reserved by apply, used by confirm, given back by a cancel.
"""

from decimal import Decimal
from enum import Enum
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Request
from pydantic import BaseModel, Field

from kassa.app import loyalty as app
from kassa.app.loyalty import promo_lists
from kassa.core.errors import LoyaltyInvalid, LoyaltyNotFound, LoyaltyShopUnknown
from kassa.faces.loyalty import _params, _shop
from kassa.faces.loyalty_admin import _own_shop
from kassa.faces.loyalty_services import DEMO, Done, _Shop
from kassa.faces.ticketing.schemas import _Body
from kassa.web.deps import Caller, Ctx
from kassa.web.openapi import query, request_body
from kassa.web.responses import Json

router = APIRouter(default_response_class=Json)
LOYALTY: list[str | Enum] = ["loyalty checkout (REES46)"]
ADMIN: list[str | Enum] = ["loyalty admin"]
LIST_ID = Annotated[int | str, Field(description="The list's id", examples=["SUMMER"])]


class Upload(_Shop):
    id: LIST_ID
    codes: Annotated[list[str], Field(max_length=10_000)]


class FetchQuery(BaseModel):
    shop_id: str
    id: str
    shop_secret: str | None = None
    did: Annotated[str | None, Field(description="The device id (JS SDK, app)")] = None
    sid: Annotated[str | None, Field(description="The session id (JS SDK, app)")] = None


class ListsQuery(BaseModel):
    shop_id: str
    shop_secret: str
    limit: Annotated[int, Field(ge=1, le=50)] = 50
    offset: Annotated[int, Field(ge=0)] = 0
    active: Annotated[bool | None, Field(description="Only lists with a free code")] = None
    include: Annotated[str | None, Field(description="Comma-separated list ids")] = None
    exclude: Annotated[str | None, Field(description="Comma-separated list ids")] = None


class DeleteCodes(_Shop):
    promo_code_list_id: LIST_ID
    codes: Annotated[list[str], Field(max_length=10_000)]


class Purge(_Shop):
    id: LIST_ID


class Fetched(BaseModel):
    code: str


class ListView(BaseModel):
    id: str
    name: str
    available: int


class Lists(Done):
    payload: list[ListView]


class Deleted(BaseModel):
    deleted_count: int
    not_found_count: int


class DeletedAnswer(Done):
    payload: Deleted


class ListCreate(_Body):
    id: Annotated[str | None, Field(min_length=1, max_length=64)] = None
    name: Annotated[str, Field(min_length=1, max_length=200)]
    kind: Literal["fix", "percent"]
    value: Annotated[Decimal, Field(gt=0, le=Decimal("9999999999.99"))]
    issue_order: Literal["fifo", "lifo"] = "fifo"


class ListCreated(BaseModel):
    id: str
    name: str
    kind: str
    value: Decimal
    issue_order: str


DONE = {"status": "success", "success": True}


def _ids(raw: Any) -> set[str]:
    return {part.strip() for part in str(raw or "").split(",") if part.strip()}


def _flag(raw: Any) -> bool:
    return str(raw or "").strip().lower() in ("1", "true", "yes")


def _int(raw: Any, default: int) -> int:
    if raw in (None, ""):
        return default
    try:
        return int(str(raw))
    except ValueError:
        raise LoyaltyInvalid("limit and offset are integers") from None


@router.post(
    "/promo_codes",
    tags=LOYALTY,
    response_model=Done,
    openapi_extra=request_body(Upload, {"upload": {**DEMO, "id": "SUMMER", "codes": ["S-1"]}}),
)
async def upload(request: Request, ctx: Ctx) -> Json:
    """Upload codes into a list; codes the shop has already are skipped."""
    params = await _params(request)
    shop = await _shop(ctx, params)
    added = await promo_lists.upload(
        ctx.db, shop, params.get("id"), params.get("codes"), ctx.clock()
    )
    return Json({**DONE, "payload": {"added_count": added}})


@router.get(
    "/promo_codes/fetch",
    tags=LOYALTY,
    response_model=Fetched,
    openapi_extra=query(FetchQuery),
    responses={404: {"description": "No free code in the list"}},
)
async def fetch(request: Request, ctx: Ctx) -> Json:
    """Hand out a code: with `shop_secret` a new one each call; without it (a device's JS SDK
    or app, with `did`/`sid`) the device's code, the same until it is used. A bare
    `{"code"}`."""
    params = dict(request.query_params)
    if params.get("shop_secret"):
        shop = await _shop(ctx, params)
        device = None
    else:
        try:
            shop = await app.shop_by_id(ctx.db, str(params.get("shop_id") or ""))
        except LoyaltyNotFound:
            raise LoyaltyShopUnknown("Shop not found") from None
        device = params.get("did") or params.get("sid")
        if not device:
            raise LoyaltyInvalid("shop_secret, or did or sid, is required")
        device = str(device)[:128]
    code = await promo_lists.fetch(ctx.db, shop, params.get("id"), device, ctx.clock())
    return Json({"code": code})


@router.get("/promo_codes", tags=LOYALTY, response_model=Lists, openapi_extra=query(ListsQuery))
async def lists(request: Request, ctx: Ctx) -> Json:
    """The shop's lists with how many codes each has left to hand out."""
    params = await _params(request)
    shop = await _shop(ctx, params)
    found = await promo_lists.lists(
        ctx.db,
        shop,
        limit=_int(params.get("limit"), 50),
        offset=_int(params.get("offset"), 0),
        active=_flag(params.get("active")),
        include=_ids(params.get("include")) or None,
        exclude=_ids(params.get("exclude")),
    )
    return Json({**DONE, "payload": found})


@router.delete(
    "/promo_codes/delete",
    tags=LOYALTY,
    response_model=DeletedAnswer,
    openapi_extra=request_body(
        DeleteCodes, {"delete": {**DEMO, "promo_code_list_id": "SUMMER", "codes": ["S-1"]}}
    ),
)
async def delete_codes(request: Request, ctx: Ctx) -> Json:
    """Remove named codes (a code an order holds stays, counted as not found)."""
    params = await _params(request)
    shop = await _shop(ctx, params)
    deleted, missing = await promo_lists.delete_codes(
        ctx.db, shop, params.get("promo_code_list_id"), params.get("codes")
    )
    return Json({**DONE, "payload": {"deleted_count": deleted, "not_found_count": missing}})


@router.delete(
    "/promo_codes/purge",
    tags=LOYALTY,
    response_model=Done,
    openapi_extra=request_body(Purge, {"purge": {**DEMO, "id": "SUMMER"}}),
)
async def purge(request: Request, ctx: Ctx) -> Json:
    """Remove every code of the list not yet handed out."""
    params = await _params(request)
    shop = await _shop(ctx, params)
    await promo_lists.purge(ctx.db, shop, params.get("id"))
    return Json(DONE)


@router.post(
    "/api/v1/loyalty/shops/{shop_id}/promo_code_lists",
    status_code=201,
    tags=ADMIN,
    response_model=ListCreated,
)
async def create_list(shop_id: str, body: ListCreate, who: Caller, ctx: Ctx) -> Json:
    """A new list of single-use codes worth `value` (`fix` money or `percent`) each."""
    shop = await _own_shop(ctx, who, shop_id)
    found = await promo_lists.create_list(
        ctx.db, shop, body.id, body.name, body.kind, body.value, body.issue_order, ctx.clock()
    )
    view = {
        "id": found.id,
        "name": found.name,
        "kind": found.kind,
        "value": found.value,
        "issue_order": found.issue_order,
    }
    return Json(view, status_code=201)
