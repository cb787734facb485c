"""v2 refund requests: ask for tickets of a done order back; the organiser decides."""

from enum import Enum
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Body, Query
from pydantic import Field

from kassa.app import demo
from kassa.app import refunds as refunds_app
from kassa.core.errors import QueryInvalid
from kassa.core.money import render
from kassa.core.orders import MAX_TICKETS_PER_ORDER
from kassa.core.refunds import RefundFilter, RefundRequest, RefundStatus
from kassa.faces.ticketing.examples import (
    REFUND_CREATE,
    REFUND_DECIDE,
    RefundId,
    answer,
    query_with_examples,
)
from kassa.faces.ticketing.schemas import Moment, ObjectId
from kassa.faces.ticketing.schemas_v2 import PAGE_SIZE_MAX, _Body
from kassa.faces.ticketing.v2 import _csv, created_range
from kassa.faces.ticketing.wire_models_v2 import RefundEnvelopeV2, RefundListV2
from kassa.faces.ticketing.wire_v2 import v2_time
from kassa.web.deps import Caller, Ctx
from kassa.web.responses import Json, json_response

router = APIRouter(default_response_class=Json)
REFUNDS: list[str | Enum] = ["ticketing v2: refunds"]
BASE = "/v2/resources/refund_requests"
_RANGE = "`<from>,<to>`: ISO or `YYYY-MM-DD HH:MM:SS`, UTC unless an offset is given"
_DECADE = "2020-01-01 00:00:00,2030-01-01 00:00:00"


class RefundCreate(_Body):
    order: ObjectId
    culprit: Literal["user", "org"]
    tickets: Annotated[list[ObjectId], Field(max_length=MAX_TICKETS_PER_ORDER)]
    requested_at: Moment | None = None
    policy: Literal["general", "law_ru_193"] = "general"


class RefundPatch(_Body):
    status: Literal["in_progress", "approved", "rejected"]


def refund_v2(refund: RefundRequest) -> dict[str, Any]:
    return {
        "created_at": v2_time(refund.created_at),
        "culprit": refund.culprit,
        "customer_money": render(refund.customer_money),
        "delta": render(refund.refund_nominal),  # deprecated; the same as refund_nominal
        "event": refund.event_id,
        "finished_at": v2_time(refund.finished_at),
        "id": refund.id,
        "order": refund.order_id,
        "org": refund.org_id,
        "policy": refund.policy,
        "refund_nominal": render(refund.refund_nominal),
        "requested_at": v2_time(refund.requested_at),
        "status": refund.status.value,
        "tickets": list(refund.tickets),
        "vendor": refund.vendor_id,
    }


@router.post(BASE, tags=REFUNDS, response_model=RefundEnvelopeV2, responses=answer())
async def create_refund(
    body: Annotated[RefundCreate, Body(openapi_examples=REFUND_CREATE)], who: Caller, ctx: Ctx
) -> Any:
    """Ask for `tickets` of a done order back; the request starts `new`."""
    refund = await refunds_app.request_refund(
        ctx.db,
        who,
        body.order,
        body.tickets,
        ctx.clock(),
        culprit=body.culprit,
        policy=body.policy,
        requested_at=body.requested_at,
    )
    return json_response({"data": refund_v2(refund), "refs": {}}, partner=who.id)


@router.get(
    f"{BASE}/{{refund_id}}", tags=REFUNDS, response_model=RefundEnvelopeV2, responses=answer()
)
async def read_refund(refund_id: RefundId, who: Caller, ctx: Ctx) -> Any:
    refund = await refunds_app.get_refund(ctx.db, who, refund_id)
    return json_response({"data": refund_v2(refund), "refs": {}}, partner=who.id)


@router.patch(
    f"{BASE}/{{refund_id}}", tags=REFUNDS, response_model=RefundEnvelopeV2, responses=answer()
)
async def decide_refund(
    refund_id: RefundId,
    body: Annotated[RefundPatch, Body(openapi_examples=REFUND_DECIDE)],
    who: Caller,
    ctx: Ctx,
) -> Any:
    """Organiser only: `approved` returns the tickets to sale, `rejected` ends the request."""
    refund = await refunds_app.decide_refund(
        ctx.db, who, refund_id, RefundStatus(body.status), ctx.clock()
    )
    return json_response({"data": refund_v2(refund), "refs": {}}, partner=who.id)


@router.get(BASE, tags=REFUNDS, response_model=RefundListV2, responses=answer())
async def list_refunds(
    who: Caller,
    ctx: Ctx,
    created_at: Annotated[str | None, query_with_examples(_RANGE, this_decade=_DECADE)] = None,
    finished_at: Annotated[str | None, query_with_examples(_RANGE, this_decade=_DECADE)] = None,
    events: Annotated[
        str | None, query_with_examples("comma-separated event ids", v2_demo_event=demo.V2_EVENT_ID)
    ] = None,
    status: Annotated[
        str | None,
        query_with_examples(
            "comma-separated: new, in_progress, approved, rejected", open="new,in_progress"
        ),
    ] = None,
    page: Annotated[int, Query(ge=1, le=1_000_000)] = 1,
    page_size: Annotated[int, Query(ge=1, le=PAGE_SIZE_MAX)] = 50,
) -> Any:
    created_from, created_to = created_range(created_at)
    finished_from, finished_to = created_range(finished_at)
    try:
        statuses = [RefundStatus(s) for s in _csv(status)]
    except ValueError:
        raise QueryInvalid(f"unknown refund status in {status!r}") from None
    where = RefundFilter(
        org_id=who.org_id,
        vendor_id=who.partner_id,
        statuses=statuses,
        event_ids=_csv(events),
        created_from=created_from,
        created_to=created_to,
        finished_from=finished_from,
        finished_to=finished_to,
    )
    found, total = await refunds_app.list_refunds(
        ctx.db, who, where, page=page, page_size=page_size
    )
    return json_response(
        {
            "data": [refund_v2(r) for r in found],
            "pagination": {"page": page, "page_size": page_size, "total": total},
            "refs": {},
        },
        partner=who.id,
    )
