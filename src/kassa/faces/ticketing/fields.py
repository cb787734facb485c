"""`?fields-schema=` on the v1 routes: the query parameter and the expanded, cut answers.

A route takes e.g. `sel: fields.OrderFields` (parsed and checked before the route runs, so a bad
schema is a 400 before any command) and renders through `fields.shaped`. Referenced events,
tickets and sets are read through the app's access checks, each event once per answer.
"""

from collections.abc import Callable, Coroutine, Iterable, Mapping, Sequence
from datetime import datetime
from typing import Annotated, Any

from fastapi import Depends, Query

from kassa.app import catalog as catalog_app
from kassa.core.orders import Order
from kassa.core.tenancy import Principal
from kassa.faces.ticketing import fields_shapes as shapes
from kassa.faces.ticketing import wire
from kassa.faces.ticketing.fields_schema import Obj, Refs, Selection, parse_schema
from kassa.web.context import Context

DESCRIPTION = (
    "Only these keys in the answer (each element of a list): `name[{sub-schema}],...`. "
    "On an embedded object it picks sub-keys; on a reference (`event`, `tickets`, `set`, "
    "`sets`) it puts the referenced object, cut to the sub-schema, in place of its id. "
    "Braces raw or percent-encoded; whitespace ignored; a bad or unknown name is 400."
)


def fields_of(
    shape: Obj, example: str
) -> Callable[[str | None], Coroutine[Any, Any, Selection | None]]:
    """A dependency reading `fields-schema` for objects of `shape` (`async def`: FastAPI runs
    a plain `def` dependency in a worker thread, a thread hand-off on every request)."""
    examples = {"example": {"summary": "a nested selection", "value": example}}

    async def dependency(
        raw: Annotated[
            str | None,
            Query(
                alias="fields-schema",
                description=DESCRIPTION,
                openapi_examples=examples,
            ),
        ] = None,
    ) -> Selection | None:
        return parse_schema(raw, shape) if raw is not None else None

    return dependency


Fields = Selection | None
OrderFields = Annotated[
    Fields, Depends(fields_of(shapes.ORDER, "id,tickets{id,serial},event{title{text}}"))
]
OrderTicketFields = Annotated[
    Fields, Depends(fields_of(shapes.ORDER_TICKET, "id,serial,seat{row,number},set{name}"))
]
EventFields = Annotated[
    Fields, Depends(fields_of(shapes.EVENT, "id,title{text},sets{id,name,price}"))
]
SetFields = Annotated[Fields, Depends(fields_of(shapes.SET, "id,name,price,rules{cal,price}"))]
EventTicketFields = Annotated[
    Fields, Depends(fields_of(shapes.EVENT_TICKET, "id,status,seat{row,number},set{name}"))
]
DealFields = Annotated[Fields, Depends(fields_of(shapes.DEAL, "id,event{id},term{extra}"))]
PromocodeFields = Annotated[
    Fields, Depends(fields_of(shapes.PROMOCODE, "id,code,used,sets{name,price}"))
]


async def shaped(
    ctx: Context,
    who: Principal,
    sel: Fields,
    items: Sequence[dict[str, Any]],
    *,
    event_ids: Iterable[str] = (),
    orders: Sequence[Order] = (),
) -> list[dict[str, Any]]:
    """`items` cut to the schema, references expanded; unchanged without a schema."""
    if sel is None:
        return list(items)
    ids = [*event_ids, *(order.event_id for order in orders)]
    return sel.cut_all(items, await _refs(ctx, who, sel, ids, orders))


async def shaped_orders(
    ctx: Context, who: Principal, sel: Fields, orders: Sequence[Order]
) -> list[dict[str, Any]]:
    """v1 orders as `fields-schema` asks."""
    return await shaped(ctx, who, sel, [wire.order_v1(o) for o in orders], orders=orders)


async def _refs(
    ctx: Context, who: Principal, sel: Selection, event_ids: list[str], orders: Sequence[Order]
) -> Refs:
    refs: dict[str, Mapping[str, Mapping[str, Any]]] = {}
    if "ticket" in sel.kinds:
        refs["ticket"] = {
            ticket["id"]: ticket for order in orders for ticket in wire.order_tickets_v1(order)
        }
    if sel.kinds & {"event", "set"} and event_ids:
        views = await catalog_app.event_views(ctx.db, who, event_ids)
        refs.update(_catalogue_refs(views.values(), ctx.clock()))
    return refs


def _catalogue_refs(
    views: Iterable[catalog_app.EventView], now: datetime
) -> dict[str, Mapping[str, Mapping[str, Any]]]:
    events: dict[str, Mapping[str, Any]] = {}
    sets: dict[str, Mapping[str, Any]] = {}
    for view in views:
        event = wire.event_v1(view, now)
        events[view.event.id] = event
        sets.update((s["id"], s) for s in event["sets"])
    return {"event": events, "set": sets}


async def shaped_one(
    ctx: Context, who: Principal, sel: Fields, item: dict[str, Any], *, event_id: str = ""
) -> dict[str, Any]:
    """One object as `fields-schema` asks (the POST, PATCH and single GET answers)."""
    return (await shaped(ctx, who, sel, [item], event_ids=[event_id] if event_id else ()))[0]
