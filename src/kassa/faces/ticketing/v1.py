"""The v1 partner API: translate the wire format onto core commands and back, nothing more."""

from datetime import datetime
from enum import Enum
from typing import Annotated, Any

from fastapi import APIRouter, Body, Query, Request

from kassa.app import cancellation, demo
from kassa.app import catalog as catalog_app
from kassa.app import orders as orders_app
from kassa.core.cancellation import OrderKind
from kassa.core.catalog import EventStatus, TicketStatus
from kassa.core.errors import QueryInvalid, SetNotFound
from kassa.core.orders import Flow, OrderStatus, ReservationRequest
from kassa.core.tenancy import Principal
from kassa.faces.ticketing import fields, schemas, wire
from kassa.faces.ticketing import wire_models as models
from kassa.faces.ticketing.examples import (
    CHANGE_V1,
    EVENT_CHANGE,
    EVENT_CREATE,
    RESERVE_V1,
    RULE_CREATE,
    SET_CHANGE,
    SET_CREATE,
    TOTAL,
    VENUE_CREATE,
    EventId,
    OrderIdV1,
    RuleId,
    SetId,
    answer,
    query_with_examples,
)
from kassa.web import hot
from kassa.web.context import Context
from kassa.web.deps import Caller, Ctx, context_of, principal_of
from kassa.web.responses import Json, json_response
from kassa.web.routes import JsonRoute

router = APIRouter(default_response_class=Json, route_class=JsonRoute)


ORDERS: list[str | Enum] = ["ticketing v1: orders"]
CATALOGUE: list[str | Enum] = ["ticketing v1: catalogue"]


def _reservation(body: schemas._Reservation) -> ReservationRequest | None:
    if body.random is None and body.tickets is None:
        return None
    return ReservationRequest(
        tickets=tuple(body.tickets) if body.tickets is not None else None,
        random=dict(body.random) if body.random is not None else None,
        all_or_nothing=body.all_or_nothing,
    )


def _details(
    customer: schemas.CustomerV1 | None, payment: schemas.PaymentV1 | None
) -> orders_app.OrderChange:
    return orders_app.OrderChange(
        customer=customer.model_dump(exclude_unset=True) if customer is not None else None,
        payment=payment.model_dump(exclude_unset=True) if payment is not None else None,
    )


@router.post(
    "/v1/resources/orders",
    status_code=201,
    tags=ORDERS,
    response_model=models.OrderV1,
    responses=answer(201),
)
async def create_order(
    body: Annotated[schemas.OrderCreateV1, Body(openapi_examples=RESERVE_V1)],
    who: Caller,
    http: Request,
    sel: fields.OrderFields,
) -> Any:
    """Reserve tickets: `random` ({set_id: count}) or `tickets` (ids); 201 with the order."""
    ctx = context_of(http)
    request = _reservation(body) or ReservationRequest()
    order = await orders_app.place_order(
        ctx.db,
        who,
        body.event,
        request,
        ctx.clock(),
        ctx.holds,
        _details(body.customer, body.payment),
    )
    return json_response((await fields.shaped_orders(ctx, who, sel, [order]))[0], 201, who.id)


@router.get(
    "/v1/resources/orders",
    tags=ORDERS,
    response_model=list[models.OrderV1],
    responses=answer(headers=TOTAL),
)
async def list_orders(
    who: Caller,
    ctx: Ctx,
    status: Annotated[
        str | None, query_with_examples("comma-separated statuses", open="executed,in_progress")
    ] = None,
    event: Annotated[
        str | None, query_with_examples("comma-separated event ids", demo_event=demo.EVENT_ID)
    ] = None,
    created_at: Annotated[
        str | None,
        query_with_examples(
            "`<iso>,<iso>` range, with offsets",
            this_decade="2020-01-01T00:00:00+00:00,2030-01-01T00:00:00+00:00",
        ),
    ] = None,
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
    page_size: Annotated[int, Query(ge=1, le=200)] = 50,
    sel: fields.OrderFields = None,
) -> Any:
    """The caller's orders, newest first, as a bare array; the total is in X-Total-Count."""
    created_from, created_to = _range(created_at)
    found, total = await orders_app.list_orders(
        ctx.db,
        who,
        ctx.clock(),
        statuses=[_status(s) for s in _csv(status)],
        event_ids=_csv(event),
        created_from=created_from,
        created_to=created_to,
        page=page,
        page_size=page_size,
    )
    listed = json_response(await fields.shaped_orders(ctx, who, sel, found), partner=who.id)
    listed.headers["X-Total-Count"] = str(total)
    return listed


@router.get(
    "/v1/resources/orders/{order_id}",
    tags=ORDERS,
    response_model=models.OrderV1,
    responses=answer(),
)
async def read_order(order_id: OrderIdV1, who: Caller, ctx: Ctx, sel: fields.OrderFields) -> Any:
    order = await orders_app.get_order(ctx.db, who, order_id, ctx.clock())
    return json_response((await fields.shaped_orders(ctx, who, sel, [order]))[0], partner=who.id)


@router.patch(
    "/v1/resources/orders/{order_id}",
    tags=ORDERS,
    response_model=models.OrderV1,
    responses=answer(),
)
async def change_order(
    order_id: OrderIdV1,
    body: Annotated[schemas.OrderPatchV1, Body(openapi_examples=CHANGE_V1)],
    who: Caller,
    ctx: Ctx,
    sel: fields.OrderFields,
) -> Any:
    """Reservation changes, customer/payment details and status, applied whole or not at all.

    A second change that arrives while one is still running on the same order gets 409.
    """
    details = _details(body.customer, body.payment)
    change = orders_app.OrderChange(
        reservation=_reservation(body),
        customer=details.customer,
        payment=details.payment,
        status=OrderStatus(body.status) if body.status is not None else None,
    )
    order = await orders_app.change_order(
        ctx.db, who, order_id, change, ctx.clock(), ctx.holds, Flow.PAYMENT_STEP
    )
    return json_response((await fields.shaped_orders(ctx, who, sel, [order]))[0], partner=who.id)


@router.delete(
    "/v1/resources/orders/{order_id}",
    tags=ORDERS,
    response_model=models.Empty,
    responses=answer(),
)
async def delete_order(order_id: OrderIdV1, who: Caller, ctx: Ctx) -> Any:
    """The same as setting status `canceled`; answers `{}`."""
    await cancellation.cancel(
        ctx.db,
        who,
        order_id,
        ctx.clock(),
        cancellation.WHOLE_OPEN,
        reason=None,
        kind=OrderKind.TICKETS,
    )
    return json_response({}, partner=who.id)


@router.get(
    "/v1/resources/orders/{order_id}/tickets",
    tags=ORDERS,
    response_model=list[models.OrderTicketV1],
    responses=answer(),
)
async def order_tickets(
    order_id: OrderIdV1, who: Caller, ctx: Ctx, sel: fields.OrderTicketFields
) -> Any:
    order = await orders_app.get_order(ctx.db, who, order_id, ctx.clock())
    found = await fields.shaped(ctx, who, sel, wire.order_tickets_v1(order), orders=[order])
    return json_response(found, partner=who.id)


@router.get(
    "/v1/services/simple/events",
    tags=CATALOGUE,
    response_model=list[models.EventV1],
    responses=answer(),
)
async def simple_events(who: Caller, ctx: Ctx, sel: fields.EventFields) -> Any:
    """The catalogue a seller may sell from: public events with sets, prices and vacancies."""
    return await _catalogue(ctx, who, sel)


@router.get(
    "/v1/resources/events",
    tags=CATALOGUE,
    response_model=list[models.EventV1],
    responses=answer(),
)
async def list_events(who: Caller, ctx: Ctx, sel: fields.EventFields) -> Any:
    """The events the caller may see (the organiser: its own), with their sets."""
    return await _catalogue(ctx, who, sel)


@router.post(
    "/v1/resources/events",
    status_code=201,
    tags=CATALOGUE,
    response_model=models.EventV1,
    responses=answer(201),
)
async def create_event(
    body: Annotated[schemas.EventCreate, Body(openapi_examples=EVENT_CREATE)],
    who: Caller,
    ctx: Ctx,
    sel: fields.EventFields,
) -> Any:
    """Organiser only: a new event (draft unless `status` says otherwise)."""
    event = await catalog_app.create_event(
        ctx.db,
        who,
        ctx.clock(),
        title=body.title.text,
        description=body.title.desc,
        starts_at=body.lifetime.start,
        ends_at=body.lifetime.finish,
        timezone=body.timezone,
        status=EventStatus(body.status),
        venue_id=body.venue,
        age_rating=body.age_rating,
    )
    return await _event(ctx, who, event.id, 201, sel)


@router.get(
    "/v1/resources/events/{event_id}",
    tags=CATALOGUE,
    response_model=models.EventV1,
    responses=answer(),
)
async def read_event(event_id: EventId, who: Caller, ctx: Ctx, sel: fields.EventFields) -> Any:
    return await _event(ctx, who, event_id, sel=sel)


@router.patch(
    "/v1/resources/events/{event_id}",
    tags=CATALOGUE,
    response_model=models.EventV1,
    responses=answer(),
)
async def change_event(
    event_id: EventId,
    body: Annotated[schemas.EventPatch, Body(openapi_examples=EVENT_CHANGE)],
    who: Caller,
    ctx: Ctx,
    sel: fields.EventFields,
) -> Any:
    changes: dict[str, Any] = {}
    if body.title is not None:
        changes.update(title=body.title.text, description=body.title.desc)
    if body.lifetime is not None:
        changes.update(starts_at=body.lifetime.start, ends_at=body.lifetime.finish)
    if body.timezone is not None:
        changes["timezone"] = body.timezone
    if body.status is not None:
        changes["status"] = EventStatus(body.status)
    if body.venue is not None:
        changes["venue_id"] = body.venue
    if body.age_rating is not None:
        changes["age_rating"] = body.age_rating
    await catalog_app.update_event(ctx.db, who, event_id, ctx.clock(), **changes)
    return await _event(ctx, who, event_id, sel=sel)


@router.get(
    "/v1/resources/events/{event_id}/sets",
    tags=CATALOGUE,
    response_model=list[models.SetV1],
    responses=answer(),
)
async def list_sets(event_id: EventId, who: Caller, ctx: Ctx, sel: fields.SetFields) -> Any:
    view = await catalog_app.event_view(ctx.db, who, event_id)
    now = ctx.clock()
    sets = [wire.set_v1(s, view.fee, view.event, now) for s in view.sets]
    return json_response(await fields.shaped(ctx, who, sel, sets), partner=who.id)


@router.post(
    "/v1/resources/events/{event_id}/sets",
    status_code=201,
    tags=CATALOGUE,
    response_model=models.SetV1,
    responses=answer(201),
)
async def create_set(
    event_id: EventId,
    body: Annotated[schemas.SetCreate, Body(openapi_examples=SET_CREATE)],
    who: Caller,
    ctx: Ctx,
) -> Any:
    """Organiser only: `amount` tickets at `price`, with an open price rule."""
    created = await catalog_app.create_set(
        ctx.db,
        who,
        event_id,
        ctx.clock(),
        name=body.name,
        price=body.price,
        capacity=body.amount,
        position=body.pos,
    )
    return await _set(ctx, who, event_id, created.id, 201)


@router.patch(
    "/v1/resources/events/{event_id}/sets/{set_id}",
    tags=CATALOGUE,
    response_model=models.SetV1,
    responses=answer(),
)
async def change_set(
    event_id: EventId,
    set_id: SetId,
    body: Annotated[schemas.SetPatch, Body(openapi_examples=SET_CHANGE)],
    who: Caller,
    ctx: Ctx,
) -> Any:
    """Rename, reprice or resize a set; reserved and sold tickets stay where they are."""
    await catalog_app.update_set(
        ctx.db,
        who,
        event_id,
        set_id,
        ctx.clock(),
        name=body.name,
        price=body.price,
        capacity=body.amount,
        position=body.pos,
    )
    return await _set(ctx, who, event_id, set_id)


@router.post(
    "/v1/resources/events/{event_id}/sets/{set_id}/rules",
    status_code=201,
    tags=CATALOGUE,
    response_model=models.SetV1,
    responses=answer(201, "The set, with the new rule among its rules"),
)
async def create_rule(
    event_id: EventId,
    set_id: SetId,
    body: Annotated[schemas.RuleCreate, Body(openapi_examples=RULE_CREATE)],
    who: Caller,
    ctx: Ctx,
) -> Any:
    """A price for a time window; inside it, it beats the set's open price."""
    await catalog_app.add_rule(
        ctx.db,
        who,
        event_id,
        set_id,
        ctx.clock(),
        price=body.price,
        starts_at=body.start,
        ends_at=body.finish,
    )
    return await _set(ctx, who, event_id, set_id, 201)


@router.delete(
    "/v1/resources/events/{event_id}/sets/{set_id}/rules/{rule_id}",
    tags=CATALOGUE,
    response_model=models.SetV1,
    responses=answer(200, "The set without the rule"),
)
async def delete_rule(
    event_id: EventId, set_id: SetId, rule_id: RuleId, who: Caller, ctx: Ctx
) -> Any:
    """Drop a windowed price rule; the set's open rule stays (400)."""
    await catalog_app.delete_rule(ctx.db, who, event_id, set_id, rule_id)
    return await _set(ctx, who, event_id, set_id)


@router.get(
    "/v1/resources/events/{event_id}/tickets",
    tags=CATALOGUE,
    response_model=list[models.EventTicketV1],
    responses=answer(),
)
async def event_tickets(
    event_id: EventId,
    who: Caller,
    ctx: Ctx,
    status: Annotated[
        str | None, query_with_examples("vacant,reserved,sold,pending", taken="reserved,sold")
    ] = None,
    sector: Annotated[str | None, Query(description="Only the seats of this sector")] = None,
    sel: fields.EventTicketFields = None,
) -> Any:
    """Every ticket of the event with its status; `pending` is left out unless asked for."""
    wanted = _csv(status) or ["vacant", "reserved", "sold"]
    statuses = [_ticket_status(s) for s in wanted if s != "pending"]
    rows = await catalog_app.event_tickets(ctx.db, who, event_id, statuses, sector)
    found = [wire.event_ticket_v1(row) for row in rows]
    return json_response(
        await fields.shaped(ctx, who, sel, found, event_ids=[event_id]), partner=who.id
    )


@router.post(
    "/v1/resources/venues",
    status_code=201,
    tags=CATALOGUE,
    response_model=models.VenueV1,
    responses=answer(201),
)
async def create_venue(
    body: Annotated[schemas.VenueCreate, Body(openapi_examples=VENUE_CREATE)], who: Caller, ctx: Ctx
) -> Any:
    venue = await catalog_app.create_venue(
        ctx.db,
        who,
        ctx.clock(),
        name=body.name,
        timezone=body.timezone,
        address=body.address,
        city=body.city,
        country=body.country,
    )
    return json_response(wire.venue_v1(venue), 201, who.id)


async def _catalogue(ctx: Context, who: Principal, sel: fields.Fields) -> Json:
    now = ctx.clock()
    events = [wire.event_v1(view, now) for view in await catalog_app.catalogue(ctx.db, who)]
    return json_response(await fields.shaped(ctx, who, sel, events), partner=who.id)


async def _event(
    ctx: Context, who: Principal, event_id: str, status: int = 200, sel: fields.Fields = None
) -> Json:
    view = await catalog_app.event_view(ctx.db, who, event_id)
    shown = await fields.shaped_one(ctx, who, sel, wire.event_v1(view, ctx.clock()))
    return json_response(shown, status, who.id)


async def _set(ctx: Context, who: Principal, event_id: str, set_id: str, status: int = 200) -> Json:
    view = await catalog_app.event_view(ctx.db, who, event_id)
    found = next((s for s in view.sets if s.ticket_set.id == set_id), None)
    if found is None:
        raise SetNotFound(f"Set {set_id} not found", set=set_id)
    return json_response(wire.set_v1(found, view.fee, view.event, ctx.clock()), status, who.id)


def _csv(value: str | None) -> list[str]:
    return [part.strip() for part in (value or "").split(",") if part.strip()]


def _status(value: str) -> OrderStatus:
    try:
        return OrderStatus(value)
    except ValueError:
        raise QueryInvalid(f"unknown order status {value!r}") from None


def _ticket_status(value: str) -> TicketStatus:
    try:
        return TicketStatus(value)
    except ValueError:
        raise QueryInvalid(f"unknown ticket status {value!r}") from None


def _range(value: str | None) -> tuple[datetime | None, datetime | None]:
    parts = _csv(value)
    if not parts:
        return None, None
    try:
        moments = [datetime.fromisoformat(p.replace(" ", "+")) for p in parts]
        for moment in moments:
            if moment.tzinfo is not None:
                schemas.in_utc_range(moment)
    except ValueError:
        raise QueryInvalid("created_at must be `<iso>,<iso>`") from None
    if any(m.tzinfo is None for m in moments) or len(moments) > 2:
        raise QueryInvalid("created_at must be `<iso>,<iso>` with offsets")
    return moments[0], moments[1] if len(moments) > 1 else None


# The lean way for the two hottest routes (`kassa.web.hot`): their arguments as FastAPI would
# bind them for a request without a query string, from the same model and the same caller check.
async def _reserve_arguments(http: Request, document: Any, _: dict[str, str]) -> dict[str, Any]:
    body = schemas.OrderCreateV1.model_validate(document)
    return {"body": body, "who": await principal_of(http), "http": http, "sel": None}


async def _delete_arguments(http: Request, _: Any, path: dict[str, str]) -> dict[str, Any]:
    return {"order_id": path["order_id"], "who": await principal_of(http), "ctx": context_of(http)}


HOT = (
    hot.lean(router, "POST", create_order, _reserve_arguments),
    hot.lean(router, "DELETE", delete_order, _delete_arguments, body="none"),
)
