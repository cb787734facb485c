"""The v1 account resources a partner reads: partners, deals, users (`whoami`), venues.

Mapped onto Kassa (see `kassa.core.accounts`): partners are the organisation (`org`) and its
sellers (`agent`); deals are derived, one per public event and seller, on the organisation's
fee; users are API keys. Bare objects and arrays, `X-Partner` on every answer, errors as
`{"error", "reason", "code"}`. Another organisation's ids are 404; an object of the caller's
own organisation a seller may not read is 403.
"""

from decimal import Decimal
from enum import Enum
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict

from kassa.app import accounts
from kassa.core.accounts import ApiUser, Deal, PartnerAccount, Sales
from kassa.core.catalog import Venue
from kassa.core.money import render
from kassa.core.pricing import FeePolicy
from kassa.faces.ticketing import fields
from kassa.faces.ticketing.wire import iso
from kassa.web.deps import Caller, Ctx
from kassa.web.responses import Json, json_response

router = APIRouter(default_response_class=Json)
ACCOUNTS: list[str | Enum] = ["ticketing v1: partners, deals, users, venues"]
Sort = Literal["email", "-email", "suggest", "-suggest"]


def _examples(*items: dict[str, Any]) -> ConfigDict:
    return ConfigDict(json_schema_extra={"examples": [dict(i) for i in items]})


class Term(BaseModel):
    org: str
    extra: str
    core: str
    pfc: bool


class DealV1(BaseModel):
    """A deal: `obj` (the organiser) lets `subj` (the seller) sell `event` on `term`."""

    model_config = _examples(
        {
            "created_at": None,
            "event": "5357baaff51600525c9e1397",
            "id": "535fb1f1dca6a9d1638f2008",
            "obj": "5357b929f51600525c9e1396",
            "reversed_deal": None,
            "status": "accepted",
            "subj": "535fb19bdca6a9d1638f2007",
            "term": {"core": "0.00%", "extra": "10.00%", "org": "100.00%", "pfc": True},
            "updated_at": None,
        }
    )

    id: str
    event: str
    obj: str
    subj: str
    status: Literal["accepted"]
    reversed_deal: bool | None
    term: Term
    created_at: str | None
    updated_at: str | None


class PartnerV1(BaseModel):
    """An organisation (`roles: ["org"]`) or one of its sellers (`["agent"]`)."""

    model_config = _examples(
        {
            "channels": None,
            "contact": {},
            "created_at": "2026-01-05T10:00:00.000000+00:00",
            "desc": None,
            "director": None,
            "id": "5357b929f51600525c9e1396",
            "legal": None,
            "name": "Organizator",
            "removed": False,
            "roles": ["org"],
            "tags": [],
            "updated_at": "2026-01-05T10:00:00.000000+00:00",
        }
    )

    id: str
    name: str
    desc: str | None
    director: str | None
    channels: str | None
    contact: dict[str, Any]
    legal: dict[str, Any] | None
    removed: bool
    roles: list[Literal["org", "agent"]]
    tags: list[str]
    created_at: str | None
    updated_at: str | None


class CrmValues(BaseModel):
    avg: str
    sum: str


class CrmCounters(BaseModel):
    orders: int
    tickets: int


class Crm(BaseModel):
    values: CrmValues
    counters: CrmCounters


class UserV1(BaseModel):
    """An API key as a user: its label is `first_name`; `crm` is what its partner sold."""

    model_config = _examples(
        {
            "created_at": "2014-08-06T14:55:13.601000+00:00",
            "email": None,
            "first_name": "seller",
            "id": "53e241d137abbd588116ef3e",
            "last_name": None,
            "partners": ["535fb19bdca6a9d1638f2007"],
            "tags": [],
            "updated_at": "2014-08-06T14:55:13.601000+00:00",
            "crm": {
                "values": {"avg": "1000.00", "sum": "2000.00"},
                "counters": {"orders": 2, "tickets": 4},
            },
        }
    )

    id: str
    email: str | None
    first_name: str | None
    last_name: str | None
    partners: list[str]
    tags: list[str]
    created_at: str
    updated_at: str
    crm: Crm


class VenueV1(BaseModel):
    """A venue. `city` is the city's name (Kassa keeps no city directory); `country` the ISO
    code; `point` null (no coordinates)."""

    model_config = _examples(
        {
            "address": "Тверская, 1",
            "city": "Москва",
            "country": "RU",
            "created_at": None,
            "description": None,
            "id": "552322649cb5384154e028b2",
            "name": "Главный зал",
            "point": None,
            "removed": False,
            "updated_at": None,
        }
    )

    id: str
    name: str
    description: str | None
    address: str
    city: str
    country: str
    point: dict[str, Any] | None
    removed: bool
    created_at: str | None
    updated_at: str | None


def _share(percent: Decimal) -> str:
    return f"{percent:.2f}%"


def term_v1(fee: FeePolicy) -> dict[str, Any]:
    """The organiser keeps the whole base price; the buyer pays the service fee on top."""
    extra = _share(fee.percent) if fee.percent or not fee.fixed else render(fee.fixed)
    if fee.percent and fee.fixed:
        extra = f"{_share(fee.percent)}+{render(fee.fixed)}"
    return {"core": _share(Decimal(0)), "extra": extra, "org": _share(Decimal(100)), "pfc": True}


def deal_v1(deal: Deal) -> dict[str, Any]:
    return {
        "created_at": iso(deal.created_at),
        "event": deal.event_id,
        "id": deal.id,
        "obj": deal.obj,
        "reversed_deal": None,
        "status": deal.status,
        "subj": deal.subj,
        "term": term_v1(deal.fee),
        "updated_at": iso(deal.updated_at),
    }


def partner_v1(partner: PartnerAccount) -> dict[str, Any]:
    return {
        "channels": None,
        "contact": {},
        "created_at": iso(partner.created_at),
        "desc": None,
        "director": None,
        "id": partner.id,
        "legal": None,
        "name": partner.name,
        "removed": False,
        "roles": partner.roles,
        "tags": [],
        "updated_at": iso(partner.created_at),
    }


def user_v1(user: ApiUser, sales: Sales) -> dict[str, Any]:
    avg = sales.total / sales.orders if sales.orders else Decimal(0)
    return {
        "created_at": iso(user.created_at),
        "crm": {
            "counters": {"orders": sales.orders, "tickets": sales.tickets},
            "values": {"avg": render(avg), "sum": render(sales.total)},
        },
        "email": None,
        "first_name": user.label or None,
        "id": user.id,
        "last_name": None,
        "partners": [user.partner],
        "tags": [],
        "updated_at": iso(user.created_at),
    }


def venue_v1(venue: Venue) -> dict[str, Any]:
    return {
        "address": venue.address,
        "city": venue.city,
        "country": venue.country,
        "created_at": None,
        "description": None,
        "id": venue.id,
        "name": venue.name,
        "point": None,
        "removed": False,
        "updated_at": None,
    }


def _csv(value: str | None) -> list[str]:
    return [part.strip() for part in (value or "").split(",") if part.strip()]


@router.get("/v1/resources/partners", tags=ACCOUNTS, response_model=list[PartnerV1])
async def list_partners(
    who: Caller,
    ctx: Ctx,
    ids: Annotated[str | None, Query(description="comma-separated partner ids")] = None,
) -> Any:
    """The caller's partner and its counterparties (an organiser: its sellers; a seller: its
    organiser)."""
    found = await accounts.partners(ctx.db, who, _csv(ids) if ids is not None else None)
    return json_response([partner_v1(p) for p in found], partner=who.id)


@router.get("/v1/resources/partners/{partner_id}", tags=ACCOUNTS, response_model=PartnerV1)
async def read_partner(partner_id: str, who: Caller, ctx: Ctx) -> Any:
    found = await accounts.partner(ctx.db, who, partner_id)
    return json_response(partner_v1(found), partner=who.id)


@router.get("/v1/resources/deals", tags=ACCOUNTS, response_model=list[DealV1])
async def list_deals(
    who: Caller,
    ctx: Ctx,
    partner: Annotated[str | None, Query(description="the deal's `obj` or `subj`")] = None,
    status: Annotated[str | None, Query(description="`accepted`")] = None,
    sel: fields.DealFields = None,
) -> Any:
    """The caller's active deals: one per public event and seller."""
    found = [
        d
        for d in await accounts.deals(ctx.db, who)
        if (partner is None or partner in (d.obj, d.subj)) and (status in (None, d.status))
    ]
    shown = await fields.shaped(
        ctx, who, sel, [deal_v1(d) for d in found], event_ids=[d.event_id for d in found]
    )
    return json_response(shown, partner=who.id)


@router.get("/v1/resources/deals/{deal_id}", tags=ACCOUNTS, response_model=DealV1)
async def read_deal(deal_id: str, who: Caller, ctx: Ctx, sel: fields.DealFields) -> Any:
    found = await accounts.deal(ctx.db, who, deal_id)
    shown = await fields.shaped_one(ctx, who, sel, deal_v1(found), event_id=found.event_id)
    return json_response(shown, partner=who.id)


@router.get("/v1/resources/users", tags=ACCOUNTS, response_model=list[UserV1])
async def list_users(
    who: Caller,
    ctx: Ctx,
    suggest: Annotated[str | None, Query(max_length=200, description="part of the name")] = None,
    sort: Sort | None = None,
    page: Annotated[int, Query(ge=1, le=1_000_000)] = 1,
    page_size: Annotated[int, Query(alias="page-size", ge=1, le=200)] = 50,
) -> Any:
    """The caller's users (its API keys); the total is in the `TOTAL` header."""
    found = await accounts.users(ctx.db, who)
    if suggest:
        found = [f for f in found if suggest.lower() in f[0].label.lower()]
    if sort is not None:
        found.sort(key=lambda f: (f[0].label.lower(), f[0].id), reverse=sort.startswith("-"))
    start = (page - 1) * page_size
    answer = json_response(
        [user_v1(u, s) for u, s in found[start : start + page_size]], partner=who.id
    )
    answer.headers["TOTAL"] = str(len(found))
    return answer


@router.get("/v1/resources/users/{user_id}", tags=ACCOUNTS, response_model=UserV1)
async def read_user(user_id: str, who: Caller, ctx: Ctx) -> Any:
    found, sales = await accounts.user(ctx.db, who, user_id)
    return json_response(user_v1(found, sales), partner=who.id)


@router.get("/v1/services/whoami", tags=ACCOUNTS, response_model=UserV1)
async def whoami(who: Caller, ctx: Ctx) -> Any:
    """The current user: the API key of this call."""
    found, sales = await accounts.whoami(ctx.db, who)
    return json_response(user_v1(found, sales), partner=who.id)


@router.get("/v1/resources/venues", tags=ACCOUNTS, response_model=list[VenueV1])
async def list_venues(
    who: Caller,
    ctx: Ctx,
    org: Annotated[str | None, Query(description="the organiser's id")] = None,
    removed: Annotated[
        bool, Query(description="include deleted ones (Kassa deletes none)")
    ] = False,
) -> Any:
    """An organiser's venues; a seller's: those of the public events it may sell."""
    found = [] if org not in (None, who.org_id) else await accounts.venues(ctx.db, who)
    return json_response([venue_v1(v) for v in found], partner=who.id)


@router.get("/v1/resources/venues/{venue_id}", tags=ACCOUNTS, response_model=VenueV1)
async def read_venue(venue_id: str, who: Caller, ctx: Ctx) -> Any:
    found = await accounts.venue(ctx.db, who, venue_id)
    return json_response(venue_v1(found), partner=who.id)
