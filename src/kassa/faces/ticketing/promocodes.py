"""Promo codes: the organiser manages them per event (v1 resources), sellers check one (v2)."""

from decimal import Decimal
from enum import Enum
from typing import Annotated, Any

from fastapi import APIRouter, Body
from pydantic import Field, StringConstraints, model_validator

from kassa.app import promocodes as promo_app
from kassa.core.money import render
from kassa.core.promocodes import DiscountKind, PromoCode
from kassa.faces.ticketing import fields as shaping
from kassa.faces.ticketing.examples import (
    PROMO_CHANGE,
    PROMO_CHECK,
    PROMO_CREATE,
    PromoEventId,
    PromoId,
    answer,
)
from kassa.faces.ticketing.schemas import Moment, ObjectId, _Body
from kassa.faces.ticketing.wire import iso
from kassa.faces.ticketing.wire_models import PromoV1
from kassa.faces.ticketing.wire_models_v2 import PromoCheckV2
from kassa.faces.ticketing.wire_v2 import promo_discount, v2_time
from kassa.web.deps import Caller, Ctx
from kassa.web.responses import Json, json_response

router = APIRouter(default_response_class=Json)
PROMOCODES: list[str | Enum] = ["ticketing: promo codes"]

Discount = Annotated[Decimal, Field(gt=0, le=Decimal("9999999999.99"), decimal_places=2)]
Count = Annotated[int, Field(strict=True, ge=1, le=100_000)]
Percentage = Annotated[str, StringConstraints(max_length=8, pattern=r"^\d{1,3}(\.\d{1,2})?%?$")]


class DiscountIn(_Body):
    """Exactly one of `fix` (an amount off each ticket) or `percentage` (e.g. "5" or "5%")."""

    fix: Discount | None = None
    percentage: Percentage | None = None

    @model_validator(mode="after")
    def _one(self) -> "DiscountIn":
        if (self.fix is None) == (self.percentage is None):
            raise ValueError("give exactly one of fix or percentage")
        return self

    def kind_value(self) -> tuple[DiscountKind, Decimal]:
        if self.fix is not None:
            return DiscountKind.FIX, self.fix
        assert self.percentage is not None
        return DiscountKind.PERCENTAGE, Decimal(self.percentage.rstrip("%"))


class TicketsCount(_Body):
    min: Count | None = None
    max: Count | None = None


class LifetimeOpen(_Body):
    start: Moment | None = None
    finish: Moment | None = None


class PromocodeCreate(_Body):
    code: Annotated[str, StringConstraints(min_length=1, max_length=64)]
    discount: DiscountIn
    lifetime: LifetimeOpen | None = None
    sets: Annotated[list[ObjectId], Field(max_length=500)] = []
    tickets_count: TicketsCount | None = None
    limit: Count | None = None
    viral: bool = False


class PromocodePatch(_Body):
    code: Annotated[str, StringConstraints(min_length=1, max_length=64)] | None = None
    discount: DiscountIn | None = None
    lifetime: LifetimeOpen | None = None
    sets: Annotated[list[ObjectId], Field(max_length=500)] | None = None
    tickets_count: TicketsCount | None = None
    limit: Count | None = None
    viral: bool | None = None
    active: bool | None = None


class PromoCheck(_Body):
    event: ObjectId
    code: Annotated[str, StringConstraints(min_length=1, max_length=64)]


def promo_v1(promo: PromoCode) -> dict[str, Any]:
    """The organiser's view of a code (Kassa's resource; the v1 docs describe no fields)."""
    return {
        "id": promo.id,
        "active": promo.active,
        "code": promo.code,
        "discount": promo_discount(promo),
        "event": promo.event_id,
        "lifetime": {"finish": iso(promo.finishes_at), "start": iso(promo.starts_at)},
        "limit": promo.usage_limit,
        "sets": list(promo.set_ids),
        "tickets_count": {"max": promo.max_tickets, "min": promo.min_tickets},
        "used": promo.used,
        "viral": promo.viral,
    }


@router.get(
    "/v1/resources/events/{event_id}/promocodes",
    tags=PROMOCODES,
    response_model=list[PromoV1],
    responses=answer(),
)
async def list_promocodes(
    event_id: PromoEventId, who: Caller, ctx: Ctx, sel: shaping.PromocodeFields
) -> Any:
    """Organiser only: the event's codes with their uses."""
    found = await promo_app.list_promocodes(ctx.db, who, event_id)
    shown = await shaping.shaped(ctx, who, sel, [promo_v1(p) for p in found], event_ids=[event_id])
    return json_response(shown, partner=who.id)


@router.post(
    "/v1/resources/events/{event_id}/promocodes",
    status_code=201,
    tags=PROMOCODES,
    response_model=PromoV1,
    responses=answer(201),
)
async def create_promocode(
    event_id: PromoEventId,
    body: Annotated[PromocodeCreate, Body(openapi_examples=PROMO_CREATE)],
    who: Caller,
    ctx: Ctx,
    sel: shaping.PromocodeFields,
) -> Any:
    """Organiser only: a code for the event (matched case-insensitively; unique per event)."""
    kind, value = body.discount.kind_value()
    lifetime = body.lifetime or LifetimeOpen()
    count = body.tickets_count or TicketsCount()
    promo = await promo_app.create_promocode(
        ctx.db,
        who,
        event_id,
        ctx.clock(),
        code=body.code,
        kind=kind,
        value=value,
        starts_at=lifetime.start,
        finishes_at=lifetime.finish,
        set_ids=tuple(body.sets),
        min_tickets=count.min,
        max_tickets=count.max,
        usage_limit=body.limit,
        viral=body.viral,
    )
    shown = await shaping.shaped_one(ctx, who, sel, promo_v1(promo), event_id=event_id)
    return json_response(shown, 201, partner=who.id)


@router.get(
    "/v1/resources/events/{event_id}/promocodes/{promo_id}",
    tags=PROMOCODES,
    response_model=PromoV1,
    responses=answer(),
)
async def read_promocode(
    event_id: PromoEventId,
    promo_id: PromoId,
    who: Caller,
    ctx: Ctx,
    sel: shaping.PromocodeFields,
) -> Any:
    promo = await promo_app.get_promocode(ctx.db, who, event_id, promo_id)
    shown = await shaping.shaped_one(ctx, who, sel, promo_v1(promo), event_id=event_id)
    return json_response(shown, partner=who.id)


@router.patch(
    "/v1/resources/events/{event_id}/promocodes/{promo_id}",
    tags=PROMOCODES,
    response_model=PromoV1,
    responses=answer(),
)
async def change_promocode(
    event_id: PromoEventId,
    promo_id: PromoId,
    body: Annotated[PromocodePatch, Body(openapi_examples=PROMO_CHANGE)],
    who: Caller,
    ctx: Ctx,
    sel: shaping.PromocodeFields,
) -> Any:
    """Organiser only: change a code; `"active": false` stops new uses."""
    changes: dict[str, Any] = {}
    fields = body.model_fields_set
    if body.code is not None:
        changes["code"] = body.code
    if body.discount is not None:
        changes["kind"], changes["value"] = body.discount.kind_value()
    if body.lifetime is not None:
        changes["starts_at"], changes["finishes_at"] = body.lifetime.start, body.lifetime.finish
    if body.sets is not None:
        changes["set_ids"] = tuple(dict.fromkeys(body.sets))
    if body.tickets_count is not None:
        changes["min_tickets"] = body.tickets_count.min
        changes["max_tickets"] = body.tickets_count.max
    if "limit" in fields:
        changes["usage_limit"] = body.limit
    if body.viral is not None:
        changes["viral"] = body.viral
    if body.active is not None:
        changes["active"] = body.active
    now = ctx.clock()
    promo = await promo_app.update_promocode(ctx.db, who, event_id, promo_id, now, **changes)
    shown = await shaping.shaped_one(ctx, who, sel, promo_v1(promo), event_id=event_id)
    return json_response(shown, partner=who.id)


@router.post(
    "/v2/services/promocodes/check",
    tags=PROMOCODES,
    response_model=PromoCheckV2,
    responses=answer(),
)
async def check_promocode(
    body: Annotated[PromoCheck, Body(openapi_examples=PROMO_CHECK)], who: Caller, ctx: Ctx
) -> Any:
    """What a code gives now; an unknown code is 400 `Promocode not found`."""
    promo, sets = await promo_app.check_promocode(ctx.db, who, body.event, body.code, ctx.clock())
    data: dict[str, Any] = {
        "discount": promo_discount(promo),
        "sets": list(promo.set_ids),
        "tickets_count": {
            key: value
            for key, value in (("min", promo.min_tickets), ("max", promo.max_tickets))
            if value is not None
        },
    }
    if promo.starts_at or promo.finishes_at:
        data["lifetime"] = {"start": v2_time(promo.starts_at), "finish": v2_time(promo.finishes_at)}
    shown = promo.set_ids or tuple(sets)
    refs = {
        "sets": {
            set_id: {"id": set_id, "name": sets[set_id].name, "price": render(sets[set_id].price)}
            for set_id in shown
            if set_id in sets
        }
    }
    return json_response({"data": data, "refs": refs}, partner=who.id)
