"""The delivery face: Kassa as the restaurant's server, called by Yandex Eats.

Errors are `[{"code": <int>, "description": ...}]` (400, 404, 500; the numbers in
kassa.web.delivery_errors and the README); a missing, wrong or expired token is 401
`{"reason": "Access token has been expired. You should request a new one"}`. Times are RFC 3339
with fractional seconds. Orders are accepted as `application/json` and
`application/vnd.eats.order.v2+json`; the answers are `application/json`.
"""

import json
from datetime import datetime
from decimal import Decimal, InvalidOperation
from enum import Enum
from typing import Annotated, Any
from urllib.parse import parse_qs

from fastapi import APIRouter, Path, Request, Response
from pydantic import BaseModel, ValidationError

from kassa.app import delivery as app
from kassa.core.cancellation import Reason
from kassa.core.cancellation.reasons import AGGREGATOR
from kassa.core.delivery import (
    Client,
    Status,
    Wanted,
    validate_comment,
    validate_eats_id,
)
from kassa.core.errors import (
    DeliveryReasonUnknown,
    DeliveryRequestInvalid,
    EatsIdInvalid,
)
from kassa.core.money import money
from kassa.faces import delivery_models as wire
from kassa.web import hot
from kassa.web.context import Context
from kassa.web.deps import Ctx
from kassa.web.openapi import request_body
from kassa.web.responses import Json
from kassa.web.routes import JsonRoute

router = APIRouter(default_response_class=Json, route_class=JsonRoute)
DELIVERY: list[str | Enum] = ["delivery (Yandex Eats partner API)"]
# Bounds where numbers enter: a line's quantity (stock is kept in thousandths, a BIGINT), a
# price (the menu's columns), and any number the order keeps as sent (a JSON column).
MAX_QUANTITY = Decimal(100_000)
MAX_PRICE = Decimal("9999999999.99")
MAX_EXPONENT = 64
RestaurantId = Annotated[str, Path(openapi_examples={"demo": {"value": wire.R}})]


def rfc3339(moment: datetime) -> str:
    return moment.isoformat(timespec="microseconds")


async def _client(request: Request, ctx: Any) -> Client:
    return await app.authenticate(ctx.db, request.headers.get("authorization"), ctx.clock())


def _int(text: str) -> int:
    number = int(text)
    if not -(2**63) <= number < 2**63:
        raise DeliveryRequestInvalid(f"number {text[:20]}... is out of range")
    return number


def _float(text: str) -> Decimal:
    number = Decimal(text)
    if abs(number.adjusted()) > MAX_EXPONENT:
        raise DeliveryRequestInvalid(f"number {text[:20]} is out of range")
    return number


async def _json(request: Request) -> dict[str, Any]:
    """The body as sent, numbers exact (Decimal) and within what a JSON column keeps."""
    raw = await request.body()
    try:
        data = json.loads(raw or b"{}", parse_float=_float, parse_int=_int)
    except ValueError:
        raise DeliveryRequestInvalid("Malformed JSON in request body") from None
    if not isinstance(data, dict):
        raise DeliveryRequestInvalid("The request body must be a JSON object")
    return data


def _decimal(value: Any, what: str, most: Decimal) -> Decimal:
    """A finite number of at most `most` (in size: a sign is the caller's to check)."""
    if isinstance(value, bool) or not isinstance(value, (int, str, Decimal)):
        raise DeliveryRequestInvalid(f"{what} must be a number")
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        raise DeliveryRequestInvalid(f"{what} must be a number") from None
    if not number.is_finite():
        raise DeliveryRequestInvalid(f"{what} must be a number")
    if abs(number) > most:
        raise DeliveryRequestInvalid(f"{what} must be at most {most}")
    return number


def _extra(item: dict[str, Any], index: int) -> Decimal:
    """The per-unit cost of a line's `modifications` (price x quantity each)."""
    extra = Decimal(0)
    for mod in item.get("modifications") or []:
        if not isinstance(mod, dict):
            raise DeliveryRequestInvalid(f"items[{index}].modifications is not valid")
        price = _decimal(mod.get("price", 0), "modification price", MAX_PRICE)
        quantity = _decimal(mod.get("quantity", 1), "modification quantity", MAX_QUANTITY)
        if price < 0 or quantity < 0:
            raise DeliveryRequestInvalid(f"items[{index}].modifications must not be negative")
        extra += price * quantity
    return money(extra)


def _shaped(model: type[BaseModel], body: dict[str, Any]) -> None:
    """The parts of a body Kassa keeps as sent must have their documented types (they come
    back in `GET /order/{orderId}` and feed the loyalty earning): a 400 otherwise."""
    try:
        model.model_validate(body)
    except ValidationError as error:
        first = error.errors()[0]
        where = ".".join(str(part) for part in first["loc"]) or "body"
        raise DeliveryRequestInvalid(f"{where}: {first['msg']}") from None


def _order(body: dict[str, Any]) -> list[Wanted]:
    """The basket of an order body (`POST`/`PUT /order`), its kept parts checked."""
    wanted = basket(body)
    _shaped(wire.EatsOrderKept, body)
    kind = body.get("discriminator")
    if kind is not None and (not isinstance(kind, str) or kind not in app.KINDS):
        raise DeliveryRequestInvalid("discriminator must be yandex, marketplace or pickup")
    return wanted


def basket(body: dict[str, Any]) -> list[Wanted]:
    """The aggregator's `items[]` (id, quantity, modifications) as the lines wanted."""
    items = body.get("items")
    if not isinstance(items, list) or not items or len(items) > 200:
        raise DeliveryRequestInvalid("items must be a list of 1 to 200 lines")
    wanted = []
    for index, item in enumerate(items):
        if not isinstance(item, dict) or not isinstance(item.get("id"), str):
            raise DeliveryRequestInvalid(f"items[{index}].id is required")
        quantity = _decimal(item.get("quantity"), f"items[{index}].quantity", MAX_QUANTITY)
        wanted.append(Wanted(item["id"], quantity, _extra(item, index)))
    return wanted


TOKEN_FORM = {
    "requestBody": {
        "required": True,
        "content": {
            "application/x-www-form-urlencoded": {
                "schema": wire.EatsTokenRequest.model_json_schema(),
                "examples": {k: {"value": v} for k, v in wire.TOKEN_EXAMPLES.items()},
            }
        },
    }
}


@router.post(
    "/security/oauth/token",
    tags=DELIVERY,
    response_model=wire.EatsToken,
    openapi_extra=TOKEN_FORM,
)
async def token(request: Request, ctx: Ctx) -> Json:
    """Form-encoded `client_id`, `client_secret`, `grant_type=client_credentials`, `scope`."""
    raw = (await request.body()).decode("utf-8", errors="replace")
    fields = {k: v[0] for k, v in parse_qs(raw, keep_blank_values=True).items()}
    issued = await app.issue_token(ctx.db, fields, ctx.clock(), ctx.settings.delivery_token_ttl)
    return Json({"access_token": issued})


@router.get("/restaurants", tags=DELIVERY, response_model=wire.EatsPlaces)
async def restaurants(request: Request, ctx: Ctx) -> Json:
    client = await _client(request, ctx)
    found = await app.restaurants(ctx.db, client.org_id)
    return Json({"places": [{"id": r.id, "title": r.title, "address": r.address} for r in found]})


@router.get("/restaurants/availability", tags=DELIVERY, response_model=wire.EatsPlacesAvailability)
async def restaurants_availability(request: Request, ctx: Ctx) -> Json:
    """Every restaurant of the chain, switched on while it has something to sell: a menu with
    at least one dish not counted or still in stock (Kassa keeps no other on/off switch)."""
    client = await _client(request, ctx)
    states = await app.restaurant_states(ctx.db, client.org_id)
    return Json({"places": [{"id": rid, "enabled": on} for rid, on in states]})


@router.get("/menu/{restaurant_id}/composition", tags=DELIVERY, response_model=wire.EatsComposition)
async def composition(restaurant_id: RestaurantId, request: Request, ctx: Ctx) -> Json:
    client = await _client(request, ctx)
    items = await app.menu(ctx.db, client.org_id, restaurant_id)
    categories = sorted({i.category for i in items.values()})
    return Json(
        {
            "categories": [{"id": c, "name": c} for c in categories],
            "items": [
                {"id": i.id, "categoryId": i.category, "name": i.name, "price": i.price}
                for i in items.values()
            ],
        }
    )


@router.get(
    "/menu/{restaurant_id}/availability", tags=DELIVERY, response_model=wire.EatsAvailability
)
async def availability(restaurant_id: RestaurantId, request: Request, ctx: Ctx) -> Json:
    """The stop-list: counted items with their whole portions left (0: not available now);
    any other item is available. No modifiers are counted."""
    client = await _client(request, ctx)
    items = await app.menu(ctx.db, client.org_id, restaurant_id)
    counted = [
        {"itemId": i.id, "stock": int(i.stock)} for i in items.values() if i.stock is not None
    ]
    return Json({"items": counted, "modifiers": []})


@router.get("/menu/{restaurant_id}/promos", tags=DELIVERY, response_model=wire.EatsPromos)
async def promos(restaurant_id: RestaurantId, request: Request, ctx: Ctx) -> Json:
    client = await _client(request, ctx)
    await app.menu(ctx.db, client.org_id, restaurant_id)
    return Json({"promoItems": []})


@router.post(
    "/order",
    tags=DELIVERY,
    response_model=wire.EatsOrderAccepted,
    openapi_extra=request_body(wire.EatsOrderV2, wire.ORDER_EXAMPLES),
)
async def create_order(request: Request, ctx: Ctx) -> Json:
    """A new order (`yandex`, `marketplace`, `pickup`); the same eatsId again: the same orderId
    (other contents under it: 409). A line out of stock does not fail the order: it is dropped
    (see `GET /order/{orderId}`). Also accepted as `application/vnd.eats.order.v2+json`."""
    client = await _client(request, ctx)
    body = await _json(request)
    order_id = await app.create_order(ctx.db, client, body, _order(body), ctx.clock())
    return Json({"result": "OK", "orderId": order_id})


@router.get("/order/{order_id}", tags=DELIVERY, response_model=wire.EatsOrderV2)
async def read_order(order_id: str, request: Request, ctx: Ctx) -> Json:
    """The order exactly as the aggregator last sent it (the body of `POST /order`, replaced
    whole by each `PUT`): every figure with its value and JSON type, no key added. What the
    kitchen accepted or dropped and the status are Kassa's (`/order/{id}/status`, the admin
    API's kitchen list), never written into the aggregator's order."""
    client = await _client(request, ctx)
    return Json((await app.get_order(ctx.db, client, order_id)).request)


@router.put(
    "/order/{order_id}",
    tags=DELIVERY,
    response_model=wire.EatsOrderAccepted,
    openapi_extra=request_body(wire.EatsOrderV2, wire.ORDER_EXAMPLES),
)
async def change_order(order_id: str, request: Request, ctx: Ctx) -> Json:
    """New contents (the whole order): re-priced from the menu and stock held again, in one
    transaction; the eatsId, when sent, must be the order's."""
    client = await _client(request, ctx)
    body = await _json(request)
    await app.update_order(ctx.db, client, order_id, body, _order(body), ctx.clock())
    return Json({"result": "OK", "orderId": order_id})


@router.delete(
    "/order/{order_id}",
    tags=DELIVERY,
    response_class=Response,
    responses={200: {"description": "Cancelled (or already was): an empty body"}},
    openapi_extra=request_body(wire.EatsOrderCancel, wire.CANCEL_EXAMPLES),
)
async def delete_order(order_id: str, request: Request, ctx: Ctx) -> Response:
    """`{eatsId, comment}`: the eatsId must be the order's; the comment at most 500."""
    client = await _client(request, ctx)
    body = await _json(request)
    if body.get("eatsId") is None:
        raise EatsIdInvalid("eatsId is required")
    await _cancel(ctx, client, order_id, eats_id=body.get("eatsId"), comment=body.get("comment"))
    return Response(status_code=200)


async def _cancel(
    ctx: Context,
    client: Client,
    order_id: str,
    *,
    eats_id: object = None,
    comment: object = None,
    reason: str | None = None,
    attributes: list[str] | None = None,
) -> None:
    """The aggregator's cancel (`app.cancel_order`): the wire's fields checked first."""
    checked = validate_eats_id(eats_id) if eats_id is not None else None
    text = validate_comment(comment)
    if reason is not None and reason not in AGGREGATOR:
        raise DeliveryReasonUnknown(f"Unknown reason {reason}")
    await app.cancel_order(
        ctx.db,
        client,
        order_id,
        ctx.clock(),
        eats_id=checked,
        reason=Reason(reason, text) if reason or text else None,
        attributes=attributes or [],
    )


@router.get("/order/{order_id}/status", tags=DELIVERY, response_model=wire.EatsOrderStatus)
async def read_status(order_id: str, request: Request, ctx: Ctx) -> Json:
    client = await _client(request, ctx)
    order = await app.get_order(ctx.db, client, order_id)
    answer: dict[str, Any] = {
        "status": order.status.value,
        "comment": order.status_comment or "",
        "updatedAt": rfc3339(order.updated_at),
    }
    if order.status_reason:
        answer["reason"] = order.status_reason
    return Json(answer)


@router.put(
    "/order/{order_id}/status",
    tags=DELIVERY,
    status_code=204,
    response_class=Response,
    responses={204: {"description": "Done: no body"}},
    openapi_extra=request_body(wire.EatsStatusPush, wire.STATUS_EXAMPLES),
)
async def push_status(order_id: str, request: Request, ctx: Ctx) -> Response:
    """The aggregator's pushes: CANCELLED (with `reason`), TAKEN_BY_COURIER, DELIVERED; 204."""
    client = await _client(request, ctx)
    body = await _json(request)
    try:
        status = Status(str(body.get("status")))
    except ValueError:
        raise DeliveryRequestInvalid(
            "status must be CANCELLED, TAKEN_BY_COURIER or DELIVERED"
        ) from None
    attributes = body.get("attributes") or []
    if not isinstance(attributes, list) or not all(isinstance(a, str) for a in attributes):
        raise DeliveryRequestInvalid("attributes must be a list of strings")
    if status is Status.CANCELLED:
        reason = body.get("reason")
        await _cancel(
            ctx,
            client,
            order_id,
            comment=body.get("comment"),
            reason=str(reason) if reason else None,
            attributes=attributes,
        )
    else:
        if body.get("reason") is not None:
            raise DeliveryRequestInvalid("reason comes only with CANCELLED")
        await app.move(
            ctx.db,
            client.org_id,
            order_id,
            status,
            ctx.clock(),
            by_restaurant=False,
            comment=body.get("comment"),
        )
    return Response(status_code=204)


@router.put(
    "/order/{order_id}/courier",
    tags=DELIVERY,
    response_model=wire.EatsResult,
    openapi_extra=request_body(wire.EatsCourierUpdate, wire.COURIER_EXAMPLES),
)
async def courier(order_id: str, request: Request, ctx: Ctx) -> Json:
    """The courier Yandex assigned, kept with the order as sent."""
    client = await _client(request, ctx)
    body = await _json(request)
    _shaped(wire.EatsCourierUpdate, body)
    await app.set_courier(ctx.db, client.org_id, order_id, body, ctx.clock())
    return Json({"result": "OK"})


# The lean way for the aggregator's hot calls (`kassa.web.hot`): each endpoint reads its own body.
HOT = (
    hot.lean(router, "POST", create_order, hot.request_only, body="read"),
    hot.lean(router, "PUT", push_status, hot.request_only, body="read"),
    hot.lean(router, "DELETE", delete_order, hot.request_only, body="read"),
)
