"""REES46 prepaid certificates (`/loyalty/certificates*`): issue from a pool, activate, read the
balance, block, unblock, deactivate, by member, by pool, transactions; and the organiser's
pools (`POST /api/v1/loyalty/shops/{id}/certificate_pools`). Every answer's payload is
`{certificate, pool}` (or lists of them), in the checkout's envelope."""

from decimal import Decimal
from enum import Enum
from typing import Annotated, Any

from fastapi import APIRouter, Request
from pydantic import BaseModel, Field

from kassa.app.ids import new_id
from kassa.app.loyalty import certificates as app
from kassa.core.certificates import Pool
from kassa.faces.loyalty import _params, _shop
from kassa.faces.loyalty_admin import _own_shop
from kassa.faces.loyalty_services import DEMO, PHONE, Done, _Shop
from kassa.faces.ticketing.schemas import _Body
from kassa.web.deps import Caller, Ctx
from kassa.web.openapi import query, request_body
from kassa.web.responses import Json

router = APIRouter(prefix="/loyalty/certificates", default_response_class=Json)
admin = APIRouter(prefix="/api/v1/loyalty/shops", default_response_class=Json)
LOYALTY: list[str | Enum] = ["loyalty checkout (REES46)"]
ADMIN: list[str | Enum] = ["loyalty admin"]
Money = Annotated[Decimal, Field(ge=0, le=Decimal("9999999999.99"))]
CODE = "CERT-CODE-0000000"


class Issue(_Shop):
    identifier: Annotated[str, Field(pattern=r"^7\d{10}$", description="The buyer's phone")]
    code: Annotated[str, Field(max_length=64, description="The pool's code")]
    nominal: Money | None = None


class ByCode(_Shop):
    code: Annotated[str, Field(max_length=64, description="The certificate's code")]


class Activate(ByCode):
    nominal: Money | None = None
    owner_identifier: Annotated[str, Field(pattern=r"^7\d{10}$")] | None = None
    owner_name: Annotated[str, Field(max_length=200)] | None = None


class CodeQuery(BaseModel):
    shop_id: str
    shop_secret: str
    code: str


class OwnerQuery(BaseModel):
    shop_id: str
    shop_secret: str
    identifier: str


class PoolQuery(BaseModel):
    shop_id: str
    shop_secret: str
    code: Annotated[str, Field(description="The pool's code")]
    event: Annotated[str, Field(pattern="^(created|activated|deactivated)$")]
    date_from: Annotated[str, Field(description="YYYY-MM-DD", examples=["2026-11-01"])]
    date_to: Annotated[str, Field(description="YYYY-MM-DD", examples=["2026-11-30"])]


class CertificateView(BaseModel):
    id: str
    status: str
    code: str
    nominal: Decimal
    balance: Decimal
    owner_identifier: str | None
    owner_name: str | None
    buyer_identifier: str | None
    created_date: str | None
    activated_date: str | None
    deactivated_date: str | None
    expiration_date: str | None
    planned_activation_date: str | None
    batch: None


class PoolView(BaseModel):
    id: str
    status: str
    name: str
    description: str
    nominal: Decimal
    flexible_nominal: Decimal | None
    max_flexible_nominal: Decimal | None
    personal: bool
    code: str
    expiration_days: int
    streams: list[Any]
    location_ids: list[Any]
    min_order_value: Decimal
    payable_order_share: int
    promo: bool
    activation_delay: int
    exclude_products: list[Any]


class Both(BaseModel):
    certificate: CertificateView
    pool: PoolView | None


class BothAnswer(Done):
    payload: Both


class Owned(BaseModel):
    certificates: list[Both]


class OwnedAnswer(Done):
    payload: Owned


class OfPool(BaseModel):
    certificates: list[CertificateView]
    pool: PoolView


class OfPoolAnswer(Done):
    payload: OfPool


class Transaction(BaseModel):
    id: int
    amount: Decimal
    event: str
    order_id: str | None
    identifier: str | None
    product_id: str | None


class Transactions(Both):
    transactions: list[Transaction]


class TransactionsAnswer(Done):
    payload: Transactions


class PoolCreate(_Body):
    code: Annotated[str, Field(min_length=1, max_length=64)]
    name: Annotated[str, Field(min_length=1, max_length=200)]
    description: Annotated[str, Field(max_length=1000)] = ""
    nominal: Annotated[Decimal, Field(gt=0, le=Decimal("9999999999.99"))]
    flexible_nominal: bool = False
    max_flexible_nominal: Annotated[Decimal, Field(gt=0, le=Decimal("9999999999.99"))] | None = None
    personal: bool = False
    promo: bool = False
    expiration_days: Annotated[int, Field(ge=0, le=36500)] = 0
    activation_delay: Annotated[int, Field(ge=0, le=36500)] = 0
    min_order_value: Annotated[Decimal, Field(ge=0, le=Decimal("9999999999.99"))] = Decimal(0)
    payable_order_share: Annotated[int, Field(ge=1, le=100)] = 100


def _ok(payload: dict[str, Any]) -> Json:
    return Json({"status": "success", "success": True, "payload": payload})


@router.post(
    "",
    tags=LOYALTY,
    response_model=BothAnswer,
    openapi_extra=request_body(Issue, {"issue": {**DEMO, "identifier": PHONE, "code": "GIFT"}}),
)
async def issue(request: Request, ctx: Ctx) -> Json:
    """A new certificate of the pool `code`, bought by `identifier`: `created`, not yet active."""
    params = await _params(request)
    shop = await _shop(ctx, params)
    return _ok(
        await app.issue(
            ctx.db,
            shop,
            str(params.get("identifier") or ""),
            params.get("code"),
            params.get("nominal"),
            ctx.clock(),
        )
    )


@router.patch(
    "/activate",
    tags=LOYALTY,
    response_model=BothAnswer,
    openapi_extra=request_body(Activate, {"activate": {**DEMO, "code": CODE}}),
)
async def activate(request: Request, ctx: Ctx) -> Json:
    """Active at once, or `scheduled` until the pool's activation delay has passed."""
    params = await _params(request)
    shop = await _shop(ctx, params)
    return _ok(
        await app.activate(
            ctx.db,
            shop,
            params.get("code"),
            ctx.clock(),
            nominal=params.get("nominal"),
            owner_identifier=params.get("owner_identifier"),
            owner_name=params.get("owner_name"),
        )
    )


@router.get("/balance", tags=LOYALTY, response_model=BothAnswer, openapi_extra=query(CodeQuery))
async def balance(request: Request, ctx: Ctx) -> Json:
    params = await _params(request)
    shop = await _shop(ctx, params)
    return _ok(await app.balance(ctx.db, shop, params.get("code"), ctx.clock()))


def _by_code(name: str, doc: str, move: Any) -> None:
    async def endpoint(request: Request, ctx: Ctx) -> Json:
        params = await _params(request)
        shop = await _shop(ctx, params)
        return _ok(await move(ctx.db, shop, params.get("code"), ctx.clock()))

    endpoint.__name__ = name
    endpoint.__doc__ = doc
    router.patch(
        f"/{name}",
        tags=LOYALTY,
        response_model=BothAnswer,
        openapi_extra=request_body(ByCode, {name: {**DEMO, "code": CODE}}),
    )(endpoint)


_by_code("block", "Pause an active certificate: it cannot pay until unblocked.", app.block)
_by_code("unblock", "An unblocked certificate pays again.", app.unblock)
_by_code("deactivate", "For good: a deactivated certificate never pays again.", app.deactivate)


@router.get("/by-user", tags=LOYALTY, response_model=OwnedAnswer, openapi_extra=query(OwnerQuery))
async def by_user(request: Request, ctx: Ctx) -> Json:
    """The member's personal certificates."""
    params = await _params(request)
    shop = await _shop(ctx, params)
    return _ok(await app.by_user(ctx.db, shop, str(params.get("identifier") or ""), ctx.clock()))


@router.get("", tags=LOYALTY, response_model=OfPoolAnswer, openapi_extra=query(PoolQuery))
async def of_pool(request: Request, ctx: Ctx) -> Json:
    """The pool's certificates created, activated or deactivated between two dates."""
    params = await _params(request)
    shop = await _shop(ctx, params)
    return _ok(
        await app.of_pool(
            ctx.db,
            shop,
            params.get("code"),
            params.get("event"),
            params.get("date_from"),
            params.get("date_to"),
            ctx.clock(),
        )
    )


@router.get(
    "/transactions",
    tags=LOYALTY,
    response_model=TransactionsAnswer,
    openapi_extra=query(CodeQuery),
)
async def transactions(request: Request, ctx: Ctx) -> Json:
    """What the certificate paid (negative) and got back (positive), order by order."""
    params = await _params(request)
    shop = await _shop(ctx, params)
    return _ok(await app.transactions(ctx.db, shop, params.get("code"), ctx.clock()))


@admin.post("/{shop_id}/certificate_pools", status_code=201, tags=ADMIN, response_model=PoolView)
async def create_pool(shop_id: str, body: PoolCreate, who: Caller, ctx: Ctx) -> Json:
    """A pool certificates are issued from through `POST /loyalty/certificates`."""
    shop = await _own_shop(ctx, who, shop_id)
    now = ctx.clock()
    pool = Pool(
        new_id(now),
        shop.id,
        body.code,
        body.name,
        body.description,
        body.nominal,
        body.flexible_nominal,
        body.max_flexible_nominal,
        body.personal,
        body.promo,
        body.expiration_days,
        body.activation_delay,
        body.min_order_value,
        body.payable_order_share,
    )
    await app.create_pool(ctx.db, shop, pool, now)
    return Json(app.pool_view(pool), status_code=201)
