"""`PUT /v2/services/orders/mosbilet/user_data`: visitors' names for venues of AIS Mosbilet.

Only while the order is `executed`; 202 with an empty `text/html` body, as the docs show.
Errors are the v2 list, `{"errors": ["Incorrect status done for this operation"]}`. A second
PUT replaces the whole list; entries without `ticket_id` fill the order's other tickets in
order.
"""

from enum import Enum
from typing import Annotated, Any

from fastapi import APIRouter, Body
from fastapi.responses import HTMLResponse
from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from kassa.app import visitors as visitors_app
from kassa.core.orders import MAX_TICKETS_PER_ORDER
from kassa.core.visitors import Visitor
from kassa.faces.ticketing.schemas import ObjectId
from kassa.web.deps import Caller, Ctx

router = APIRouter()
MOSBILET: list[str | Enum] = ["ticketing v2: Mosbilet"]
Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]

# The docs' example (walkthrough/order_create.rst, "ais_mosbilet").
EXAMPLE: dict[str, Any] = {
    "order": "6911f0f346066e24b2175982",
    "user_data": [
        {
            "ticket_id": "6911f10246066e24b2175983",
            "user_id": "6911f28e46066e24b2175984",
            "name": "Иванов",
            "surname": "Иван",
            "middle_name": "Иванович",
        }
    ],
}


class UserData(BaseModel):
    model_config = ConfigDict(extra="forbid")

    ticket_id: ObjectId | None = None
    user_id: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=128)]
    name: Name
    surname: Name
    middle_name: Name | None = None


class MosbiletUserData(BaseModel):
    """The order and one entry per visitor; only `ticket_id` and `middle_name` may be left out."""

    model_config = ConfigDict(extra="forbid")

    order: ObjectId
    user_data: Annotated[list[UserData], Field(min_length=1, max_length=MAX_TICKETS_PER_ORDER)]


@router.put(
    "/v2/services/orders/mosbilet/user_data",
    status_code=202,
    tags=MOSBILET,
    response_class=HTMLResponse,
    responses={202: {"description": "Accepted; the body is empty"}},
)
async def mosbilet_user_data(
    body: Annotated[MosbiletUserData, Body(openapi_examples={"docs": {"value": EXAMPLE}})],
    who: Caller,
    ctx: Ctx,
) -> HTMLResponse:
    """Visitors' names of an `executed` order (named tickets at Mosbilet venues)."""
    visitors = [
        Visitor(e.user_id, e.name, e.surname, e.middle_name, e.ticket_id) for e in body.user_data
    ]
    await visitors_app.set_visitors(ctx.db, who, body.order, visitors, ctx.clock())
    return HTMLResponse("", status_code=202, headers={"X-Partner": who.id})
