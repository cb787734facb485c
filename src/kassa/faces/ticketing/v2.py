"""The v2 partner API: `{data, refs}` envelopes over the same order core as v1.

Every action on an order goes through one `PATCH /v2/resources/orders/{id}`, several at once,
applied whole or not at all; a promo code that fails is the one documented exception: the
answer stays 200 and says why in `errors`.
"""

from datetime import UTC, datetime
from enum import Enum
from typing import Annotated, Any

from fastapi import APIRouter, Body, Query, Request, Response

from kassa.app import demo, views
from kassa.app import orders as orders_app
from kassa.app.exports import export_orders
from kassa.core.errors import ExpiredAfterNotChangeable, QueryInvalid
from kassa.core.orders import Flow, OrderStatus, ReservationRequest
from kassa.core.promocodes import PromoFailure
from kassa.faces.ticketing import schemas_v2, wire_v2
from kassa.faces.ticketing import wire_models_v2 as models
from kassa.faces.ticketing.examples import (
    CHANGE_V2,
    EXPORT,
    RESERVE_V2,
    OrderIdV2,
    answer,
    query_with_examples,
)
from kassa.faces.ticketing.schemas import in_utc_range
from kassa.faces.ticketing.schemas_v2 import PAGE_SIZE_MAX
from kassa.web import hot
from kassa.web.deps import Caller, Ctx, context_of, principal_of
from kassa.web.responses import Json, json_response
from kassa.web.routes import JsonRoute

router = APIRouter(default_response_class=Json, route_class=JsonRoute)
ORDERS_V2: list[str | Enum] = ["ticketing v2: orders"]
_STATUS_V2 = {"cancelled": OrderStatus.CANCELED, "canceled": OrderStatus.CANCELED}
CREATED_AT = query_with_examples(
    "`<from>,<to>`: ISO or `YYYY-MM-DD HH:MM:SS`, UTC unless an offset is given",
    this_decade="2020-01-01 00:00:00,2030-01-01 00:00:00",
)
STATUS = query_with_examples(
    "comma-separated: executed, done, cancelled, expired", settled="done,cancelled"
)
EVENTS = query_with_examples("comma-separated event ids", v2_demo_event=demo.V2_EVENT_ID)


def _change(body: schemas_v2._Order) -> orders_app.OrderChange:
    if body.expired_after is not None:
        raise ExpiredAfterNotChangeable("expired_after is not changable")
    reservation = None
    if body.random is not None or body.tickets is not None:
        reservation = ReservationRequest(
            tickets=tuple(body.tickets) if body.tickets is not None else None,
            random=dict(body.random) if body.random is not None else None,
            all_or_nothing=body.all_or_nothing,
        )
    customer = settings = vendor_data = None
    if body.settings is not None:
        if body.settings.customer is not None:
            customer = body.settings.customer.model_dump(exclude_unset=True)
        settings = body.settings.model_dump(exclude_unset=True, exclude={"customer"}) or None
    if body.vendor_data is not None:
        vendor_data = body.vendor_data.model_dump(exclude_unset=True)
    return orders_app.OrderChange(
        reservation=reservation,
        customer=customer,
        settings=settings,
        vendor_data=vendor_data,
        promocodes=tuple(body.promocodes) if body.promocodes is not None else None,
    )


def _errors(failures: list[PromoFailure]) -> list[dict[str, str]]:
    return [{"code": f.code, "msg": f.message} for f in failures]


@router.post(
    "/v2/resources/orders",
    tags=ORDERS_V2,
    response_model=models.OrderEnvelopeV2,
    responses=answer(),
)
async def create_order(
    body: Annotated[schemas_v2.OrderCreateV2, Body(openapi_examples=RESERVE_V2)],
    who: Caller,
    http: Request,
) -> Any:
    """Reserve tickets (`random` or `tickets`), with settings, vendor data and promo codes."""
    ctx = context_of(http)
    change = _change(body)
    now = ctx.clock()
    outcome = await orders_app.place(
        ctx.db,
        who,
        body.event,
        change.reservation or ReservationRequest(),
        now,
        ctx.holds,
        change,
    )
    view = await views.order_view(ctx.db, outcome.order, now, outcome.promos)
    return json_response(wire_v2.envelope(view, _errors(outcome.promo_errors)), partner=who.id)


@router.get(
    "/v2/resources/orders/{order_id}",
    tags=ORDERS_V2,
    response_model=models.OrderEnvelopeV2,
    responses=answer(),
)
async def read_order(order_id: OrderIdV2, who: Caller, ctx: Ctx) -> Any:
    now = ctx.clock()
    order = await orders_app.get_order(ctx.db, who, order_id, now)
    view = await views.order_view(ctx.db, order, now)
    return json_response(wire_v2.envelope(view), partner=who.id)


@router.patch(
    "/v2/resources/orders/{order_id}",
    tags=ORDERS_V2,
    response_model=models.OrderEnvelopeV2,
    responses=answer(),
)
async def change_order(
    order_id: OrderIdV2,
    body: Annotated[schemas_v2.OrderPatchV2, Body(openapi_examples=CHANGE_V2)],
    who: Caller,
    ctx: Ctx,
) -> Any:
    """Any mix of `tickets`/`random`, `settings`, `vendor_data`, `promocodes` and `status`.

    `done` is final: any later PATCH is 400. A PATCH that arrives while another change to the
    same order is still running gets 409.
    """
    change = _change(body)
    if body.status is not None:
        change = orders_app.OrderChange(
            reservation=change.reservation,
            customer=change.customer,
            settings=change.settings,
            vendor_data=change.vendor_data,
            promocodes=change.promocodes,
            status=_STATUS_V2.get(body.status) or OrderStatus(body.status),
        )
    now = ctx.clock()
    outcome = await orders_app.apply_change(
        ctx.db, who, order_id, change, now, ctx.holds, Flow.DIRECT
    )
    view = await views.order_view(ctx.db, outcome.order, now, outcome.promos)
    return json_response(wire_v2.envelope(view, _errors(outcome.promo_errors)), partner=who.id)


@router.get(
    "/v2/resources/orders",
    tags=ORDERS_V2,
    response_model=models.OrderListV2,
    responses=answer(),
)
async def list_orders(
    who: Caller,
    ctx: Ctx,
    created_at: Annotated[str | None, CREATED_AT] = None,
    status: Annotated[str | None, STATUS] = None,
    events: Annotated[str | None, EVENTS] = None,
    only_with_customer: Annotated[
        bool, Query(description="Only orders whose customer has an e-mail or phone")
    ] = False,
    page: Annotated[int, Query(ge=1, le=1_000_000)] = 1,
    page_size: Annotated[int, Query(ge=1, le=PAGE_SIZE_MAX)] = 50,
) -> Any:
    """Newest first, with `pagination{page, page_size, total}`."""
    now = ctx.clock()
    created_from, created_to = created_range(created_at)
    found, total = await orders_app.list_orders(
        ctx.db,
        who,
        now,
        statuses=statuses_v2(status),
        event_ids=_csv(events),
        created_from=created_from,
        created_to=created_to,
        only_with_customer=only_with_customer,
        page=page,
        page_size=page_size,
    )
    order_views = await views.order_views(ctx.db, found, now)
    refs: dict[str, dict[str, Any]] = {}
    for view in order_views:
        for kind, items in wire_v2.refs_v2(view).items():
            refs.setdefault(kind, {}).update(items)
    return json_response(
        {
            "data": [wire_v2.order_v2(view) for view in order_views],
            "pagination": {"page": page, "page_size": page_size, "total": total},
            "refs": refs,
        },
        partner=who.id,
    )


@router.post(
    "/v2/resources/orders/export",
    tags=ORDERS_V2,
    response_class=Response,
    responses={
        200: {
            "description": "Accepted: the worker e-mails the CSV; the answer has no body",
            "headers": answer()[200]["headers"],
        }
    },
)
async def export(
    body: Annotated[schemas_v2.ExportV2, Body(openapi_examples=EXPORT)], who: Caller, ctx: Ctx
) -> Response:
    """A CSV of the orders the filters select, e-mailed to `email` by the worker; 200, no body
    (the partner API's answer)."""
    created_from, created_to = created_range(body.created_at)
    await export_orders(
        ctx.db,
        who,
        ctx.clock(),
        email=body.email,
        statuses=statuses_v2(body.status),
        event_ids=_csv(body.events),
        created_from=created_from,
        created_to=created_to,
        only_with_customer=bool(body.only_with_customer),
    )
    return Response(status_code=200, headers={"X-Partner": who.id})


def _csv(value: str | None) -> list[str]:
    return [part.strip() for part in (value or "").split(",") if part.strip()]


def statuses_v2(value: str | None) -> list[OrderStatus]:
    found = []
    for name in _csv(value):
        status = _STATUS_V2.get(name)
        if status is None:
            try:
                status = OrderStatus(name)
            except ValueError:
                raise QueryInvalid(f"unknown order status {name!r}") from None
        found.append(status)
    return found


def created_range(value: str | None) -> tuple[datetime | None, datetime | None]:
    """`<from>,<to>`, ISO or "YYYY-MM-DD HH:MM:SS"; a time without an offset is UTC."""
    parts = _csv(value)
    if len(parts) > 2:
        raise QueryInvalid("created_at must be `<from>,<to>`")
    moments: list[datetime] = []
    for part in parts:
        try:
            moment = datetime.fromisoformat(part)
            moments.append(in_utc_range(moment if moment.tzinfo else moment.replace(tzinfo=UTC)))
        except ValueError:
            raise QueryInvalid(f"created_at: not a time: {part!r}") from None
    if not moments:
        return None, None
    return moments[0], moments[1] if len(moments) > 1 else None


# The lean way for the multi-action PATCH (`kassa.web.hot`): its arguments as FastAPI binds them.
async def _change_arguments(http: Request, document: Any, path: dict[str, str]) -> dict[str, Any]:
    return {
        "order_id": path["order_id"],
        "body": schemas_v2.OrderPatchV2.model_validate(document),
        "who": await principal_of(http),
        "ctx": context_of(http),
    }


HOT = (hot.lean(router, "PATCH", change_order, _change_arguments),)
