"""Kassa's admin API for restaurants (the organiser's key): aggregator credentials,
restaurants, menus and stock, and the kitchen's status steps."""

from decimal import Decimal
from enum import Enum
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Body, Path, Query
from pydantic import Field

from kassa.app import delivery as app
from kassa.app import demo
from kassa.core.delivery import Line, MenuItem, Status
from kassa.core.errors import ActionForbidden, QueryInvalid
from kassa.core.tenancy import Principal
from kassa.faces import kassa_models as out
from kassa.faces.ticketing.schemas import _Body
from kassa.web.deps import Caller, Ctx
from kassa.web.responses import Json, json_response

router = APIRouter(prefix="/api/v1/delivery", default_response_class=Json)
ADMIN: list[str | Enum] = ["delivery admin"]
RestaurantId = Annotated[str, Path(openapi_examples={"demo": {"value": demo.RESTAURANT_ID}})]


class RestaurantCreate(_Body):
    title: Annotated[str, Field(min_length=1, max_length=200)]
    address: Annotated[str, Field(max_length=500)] = ""
    id: Annotated[str, Field(min_length=1, max_length=64)] | None = None
    loyalty_shop: Annotated[str, Field(max_length=32)] | None = None


class ItemIn(_Body):
    id: Annotated[str, Field(min_length=1, max_length=64)]
    name: Annotated[str, Field(min_length=1, max_length=200)]
    category: Annotated[str, Field(min_length=1, max_length=100)] = "Menu"
    price: Annotated[Decimal, Field(gt=0, le=Decimal("9999999999.99"), decimal_places=2)]
    stock: Annotated[Decimal, Field(ge=0, le=Decimal("99999999999"), decimal_places=3)] | None = (
        None
    )


class MenuIn(_Body):
    items: Annotated[list[ItemIn], Field(max_length=2000)]


class StepIn(_Body):
    status: Literal["ACCEPTED_BY_RESTAURANT", "COOKING", "READY"]
    comment: Annotated[str, Field(max_length=500)] | None = None


RESTAURANT_EXAMPLES = {
    "new": {"value": {"title": "Demo Kitchen 2", "address": "Tverskaya 3, Moscow"}},
    "own id and loyalty shop": {
        "value": {
            "id": "demo-kitchen-2",
            "title": "Demo Kitchen 2",
            "address": "Tverskaya 3, Moscow",
            "loyalty_shop": demo.SHOP_ID,
        }
    },
}
MENU_EXAMPLES = {
    "price and stock": {
        "value": {
            "items": [
                {
                    "id": "borscht",
                    "name": "Борщ",
                    "category": "Супы",
                    "price": "350.00",
                    "stock": "20",
                },
                {"id": "kompot", "name": "Компот", "category": "Напитки", "price": "120.00"},
            ]
        }
    }
}
STEP_EXAMPLES = {"accept": {"value": {"status": "ACCEPTED_BY_RESTAURANT", "comment": "20 min"}}}


def _organiser(who: Principal) -> None:
    if not who.is_organiser:
        raise ActionForbidden("Only the organiser's key manages restaurants")


@router.post("/clients", status_code=201, tags=ADMIN, response_model=out.AggregatorCredentials)
async def create_client(who: Caller, ctx: Ctx) -> Any:
    """Credentials for the aggregator (`client_secret` is shown this once)."""
    _organiser(who)
    client_id, secret = await app.create_client(ctx.db, who.org_id, ctx.clock())
    return json_response({"client_id": client_id, "client_secret": secret}, 201)


@router.post("/restaurants", status_code=201, tags=ADMIN, response_model=out.RestaurantOut)
async def create_restaurant(
    body: Annotated[RestaurantCreate, Body(openapi_examples=RESTAURANT_EXAMPLES)],
    who: Caller,
    ctx: Ctx,
) -> Any:
    """A restaurant (its `id` given or made; 409 if taken), earning bonuses in one of the
    organisation's loyalty shops when `loyalty_shop` is set."""
    _organiser(who)
    found = await app.add_restaurant(
        ctx.db,
        who.org_id,
        body.title,
        body.address,
        ctx.clock(),
        restaurant_id=body.id,
        shop_id=body.loyalty_shop,
    )
    return json_response({"id": found.id, "title": found.title, "address": found.address}, 201)


@router.put("/restaurants/{restaurant_id}/menu", tags=ADMIN, response_model=out.MenuOut)
async def put_menu(
    restaurant_id: RestaurantId,
    body: Annotated[MenuIn, Body(openapi_examples=MENU_EXAMPLES)],
    who: Caller,
    ctx: Ctx,
) -> Any:
    """Add or change menu items (and their stock; no `stock`: not counted)."""
    _organiser(who)
    items = [
        MenuItem(i.id, restaurant_id, i.name, i.category, i.price, i.stock) for i in body.items
    ]
    await app.put_menu(ctx.db, who.org_id, restaurant_id, items)
    menu = await app.menu(ctx.db, who.org_id, restaurant_id)
    return Json({"items": [_item(i) for i in menu.values()]})


@router.get("/restaurants/{restaurant_id}/menu", tags=ADMIN, response_model=out.MenuOut)
async def read_menu(restaurant_id: RestaurantId, who: Caller, ctx: Ctx) -> Any:
    _organiser(who)
    menu = await app.menu(ctx.db, who.org_id, restaurant_id)
    return Json({"items": [_item(i) for i in menu.values()]})


def _line(x: Line) -> dict[str, Any]:
    return {
        "id": x.item_id,
        "name": x.name,
        "quantity": x.quantity,
        "price": x.price,
        "held": x.held,
    }


def _item(i: MenuItem) -> dict[str, Any]:
    return {"id": i.id, "name": i.name, "category": i.category, "price": i.price, "stock": i.stock}


@router.post("/orders/{order_id}/status", tags=ADMIN, response_model=out.KitchenStepOut)
async def kitchen_step(
    order_id: str,
    body: Annotated[StepIn, Body(openapi_examples=STEP_EXAMPLES)],
    who: Caller,
    ctx: Ctx,
) -> Any:
    """The restaurant's steps: accept, start cooking, ready."""
    _organiser(who)
    order = await app.move(
        ctx.db,
        who.org_id,
        order_id,
        Status(body.status),
        ctx.clock(),
        by_restaurant=True,
        comment=body.comment,
    )
    return Json({"orderId": order.id, "status": order.status.value})


StatusFilter = Annotated[
    str | None,
    Query(
        description="Statuses, comma-separated: " + ", ".join(Status),
        openapi_examples={"open": {"value": "NEW,ACCEPTED_BY_RESTAURANT,COOKING"}},
    ),
]


@router.get("/orders", tags=ADMIN, response_model=list[out.KitchenOrder])
async def list_orders(who: Caller, ctx: Ctx, status: StatusFilter = None) -> Any:
    """The organisation's delivery orders, newest first, optionally of some statuses."""
    _organiser(who)
    try:
        statuses = [Status(s) for s in (status or "").split(",") if s]
    except ValueError:
        raise QueryInvalid(f"status must be of {', '.join(Status)}") from None
    found = await app.orders(ctx.db, who.org_id, statuses)
    return Json(
        [
            {
                "orderId": o.id,
                "eatsId": o.eats_id,
                "restaurantId": o.restaurant_id,
                "status": o.status.value,
                "items": [_line(x) for x in o.lines],
                "droppedItems": o.dropped,
                "total": app.total(o),
                "createdAt": o.created_at.isoformat(timespec="microseconds"),
            }
            for o in found
        ]
    )
