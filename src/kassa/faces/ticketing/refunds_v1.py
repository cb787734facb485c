"""v1 refund requests: the 2016 body (`tickets` stay, or `tickets_refund` return), 201 answers.

The same requests and the same engine as v2 (`kassa.app.refunds`); only the wire differs. The
trap the spec names: v1 `tickets` are the tickets that *stay* in the order, v2 `tickets` the
ones to refund; the path's version decides. An approved request returns its tickets to sale
through the one cancellation engine; a v1 order whose every ticket was refunded reads
`refunded`.
"""

from enum import Enum
from typing import Annotated, Any, Literal, Self

from fastapi import APIRouter, Body, Query
from pydantic import BaseModel, ConfigDict, Field, model_validator

from kassa.app import refunds as refunds_app
from kassa.core.errors import QueryInvalid
from kassa.core.money import render
from kassa.core.orders import MAX_TICKETS_PER_ORDER
from kassa.core.refunds import RefundFilter, RefundRequest, RefundStatus
from kassa.faces.ticketing.schemas import ObjectId
from kassa.faces.ticketing.wire import iso
from kassa.web.deps import Caller, Ctx
from kassa.web.responses import Json, json_response

router = APIRouter(default_response_class=Json)
REFUNDS_V1: list[str | Enum] = ["ticketing v1: refunds"]
BASE = "/v1/resources/refund_requests"
Tickets = Annotated[list[ObjectId], Field(max_length=MAX_TICKETS_PER_ORDER)]
Sort = Literal["created_at", "-created_at", "value", "-value"]

# The 2018 doc's example (simple/examples/refund.rst), ids as there.
EXAMPLE_CREATE = {
    "culprit": "user",
    "order": "5703d7542d709509727f929c",
    "tickets_refund": ["56ba2b6f9cb53851972a28db", "56ba2b6f9cb53851972a2883"],
}
EXAMPLE_ANSWER: dict[str, Any] = {
    "created_at": "2016-04-05T15:34:02.502481+00:00",
    "culprit": "user",
    "id": "5703daea2d709509727f92a5",
    "order": "5703d7542d709509727f929c",
    "org": "54bcf9269cb538597597b5c8",
    "payment_system": None,
    "status": "new",
    "tickets_refund": ["56ba2b6f9cb53851972a28db", "56ba2b6f9cb53851972a2883"],
    "tickets": [],
    "updated_at": "2016-04-05T15:34:02.502481+00:00",
    "value": "0.00",
    "vendor": "54bcf9269c3248597597b5c8",
}


class RefundCreateV1(BaseModel):
    """`order`, `culprit` and exactly one of `tickets` (stay) or `tickets_refund` (return)."""

    model_config = ConfigDict(extra="ignore")

    order: ObjectId
    culprit: Literal["user", "org"]
    tickets: Tickets | None = None
    tickets_refund: Tickets | None = None

    @model_validator(mode="after")
    def _one_list(self) -> Self:
        if (self.tickets is None) == (self.tickets_refund is None):
            raise ValueError("exactly one of tickets or tickets_refund must be set")
        return self


class RefundPatchV1(BaseModel):
    model_config = ConfigDict(extra="ignore")

    status: Literal["in_progress", "approved", "rejected"]


class RefundV1(BaseModel):
    """A v1 refund request. `value` is what the buyer gets back (decimal string);
    `payment_system` is null: Kassa leaves collecting and returning money to the seller."""

    model_config = ConfigDict(json_schema_extra={"examples": [dict(EXAMPLE_ANSWER)]})

    id: str
    order: str
    org: str
    vendor: str
    culprit: Literal["user", "org"]
    status: Literal["new", "in_progress", "approved", "rejected"]
    tickets: list[str]
    tickets_refund: list[str]
    value: str
    payment_system: str | None
    created_at: str
    updated_at: str


def refund_v1(refund: RefundRequest) -> dict[str, Any]:
    return {
        "created_at": iso(refund.created_at),
        "culprit": refund.culprit,
        "id": refund.id,
        "order": refund.order_id,
        "org": refund.org_id,
        "payment_system": None,
        "status": refund.status.value,
        "tickets": list(refund.kept),
        "tickets_refund": list(refund.tickets),
        "updated_at": iso(refund.finished_at or refund.created_at),
        "value": render(refund.customer_money),
        "vendor": refund.vendor_id,
    }


@router.post(
    BASE,
    status_code=201,
    tags=REFUNDS_V1,
    response_model=RefundV1,
)
async def create_refund_v1(
    body: Annotated[
        RefundCreateV1, Body(openapi_examples={"tickets_refund": {"value": EXAMPLE_CREATE}})
    ],
    who: Caller,
    ctx: Ctx,
) -> Any:
    """Ask for tickets of a done order back: 201 with the request, status `new`."""
    refund = await refunds_app.request_refund(
        ctx.db,
        who,
        body.order,
        body.tickets_refund or [],
        ctx.clock(),
        culprit=body.culprit,
        keep=body.tickets,
    )
    return json_response(refund_v1(refund), 201, who.id)


@router.get(f"{BASE}/{{refund_id}}", tags=REFUNDS_V1, response_model=RefundV1)
async def read_refund_v1(refund_id: str, who: Caller, ctx: Ctx) -> Any:
    refund = await refunds_app.get_refund(ctx.db, who, refund_id)
    return json_response(refund_v1(refund), partner=who.id)


@router.patch(
    f"{BASE}/{{refund_id}}",
    status_code=201,
    tags=REFUNDS_V1,
    response_model=RefundV1,
)
async def decide_refund_v1(
    refund_id: str,
    body: Annotated[
        RefundPatchV1, Body(openapi_examples={"approve": {"value": {"status": "approved"}}})
    ],
    who: Caller,
    ctx: Ctx,
) -> Any:
    """Organiser only: `approved` returns the tickets to sale; 201, as the doc's example."""
    refund = await refunds_app.decide_refund(
        ctx.db, who, refund_id, RefundStatus(body.status), ctx.clock()
    )
    return json_response(refund_v1(refund), 201, who.id)


@router.get(BASE, tags=REFUNDS_V1, response_model=list[RefundV1])
async def list_refunds_v1(
    who: Caller,
    ctx: Ctx,
    status: Annotated[str | None, Query(description="comma-separated statuses")] = None,
    event: Annotated[str | None, Query(description="comma-separated event ids")] = None,
    org: Annotated[str | None, Query(description="the organiser (for sellers)")] = None,
    vendor: Annotated[str | None, Query(description="the seller (for organisers)")] = None,
    sort: Annotated[Sort, Query(description="`-` for descending")] = "-created_at",
    page: Annotated[int, Query(ge=1, le=1_000_000)] = 1,
    page_size: Annotated[int, Query(alias="page-size", ge=1, le=200)] = 200,
) -> Any:
    """The caller's refund requests, a bare array; the total is in the `TOTAL` header."""
    if org is not None and org != who.org_id:
        return _page([], 0, who.id)
    try:
        statuses = [RefundStatus(s) for s in _csv(status)]
    except ValueError:
        raise QueryInvalid(f"unknown refund status in {status!r}") from None
    where = RefundFilter(
        org_id=who.org_id,
        vendor_id=vendor,
        statuses=statuses,
        event_ids=_csv(event),
        sort=sort,
    )
    found, total = await refunds_app.list_refunds(
        ctx.db, who, where, page=page, page_size=page_size
    )
    return _page([refund_v1(r) for r in found], total, who.id)


def _page(items: list[dict[str, Any]], total: int, partner: str) -> Json:
    answer = json_response(items, partner=partner)
    answer.headers["TOTAL"] = str(total)
    return answer


def _csv(value: str | None) -> list[str]:
    return [part.strip() for part in (value or "").split(",") if part.strip()]
