"""Kassa's webhook API (the organiser's key): endpoints, deliveries, dead letters, replay."""

from typing import Annotated, Any

from fastapi import APIRouter, Body, Query
from pydantic import Field, StringConstraints

from kassa.app import webhooks
from kassa.core.webhooks import Delivery
from kassa.faces import kassa_models as out
from kassa.faces.ticketing.schemas import _Body
from kassa.web.deps import Caller, Ctx
from kassa.web.responses import Json, json_response

router = APIRouter(prefix="/api/v1/webhooks", default_response_class=Json, tags=["webhooks"])


class EndpointIn(_Body):
    url: Annotated[str, StringConstraints(min_length=8, max_length=500)]
    events: Annotated[
        list[Annotated[str, StringConstraints(min_length=1, max_length=64)]],
        Field(min_length=1, max_length=50),
    ]


ENDPOINT_EXAMPLES = {
    "orders and delivery": {
        "value": {"url": "https://kassa.example/hooks", "events": ["order.*", "delivery.*"]}
    }
}
State = Annotated[
    str | None,
    Query(
        description="pending, delivered or dead (another value matches none)",
        openapi_examples={"dead letters": {"value": "dead"}},
    ),
]


def _delivery(d: Delivery) -> dict[str, Any]:
    return {
        "id": d.id,
        "endpoint": d.endpoint_id,
        "event_id": d.event_id,
        "event": d.topic,
        "state": d.state,
        "attempts": d.attempts,
        "created_at": d.created_at.isoformat(),
        "next_attempt_at": d.available_at.isoformat() if d.state == "pending" else None,
        "delivered_at": d.delivered_at.isoformat() if d.delivered_at else None,
        "last_error": d.last_error,
    }


@router.post("/endpoints", status_code=201, response_model=out.EndpointCreated)
async def add_endpoint(
    body: Annotated[EndpointIn, Body(openapi_examples=ENDPOINT_EXAMPLES)], who: Caller, ctx: Ctx
) -> Any:
    """Events: `order.*`, `order.canceled`, `refund.*`, `loyalty.*`, `delivery.*`, `*`. The
    answer holds the endpoint's signing `secret`, shown this once."""
    endpoint = await webhooks.add_endpoint(ctx.db, who, body.url, body.events, ctx.clock())
    return json_response(
        {
            "id": endpoint.id,
            "url": endpoint.url,
            "events": list(endpoint.events),
            "secret": endpoint.secret,
        },
        201,
    )


@router.get("/endpoints", response_model=list[out.EndpointOut])
async def list_endpoints(who: Caller, ctx: Ctx) -> Any:
    return Json(
        [
            {"id": e.id, "url": e.url, "events": list(e.events), "active": e.active}
            for e in await webhooks.endpoints(ctx.db, who)
        ]
    )


@router.delete("/endpoints/{endpoint_id}", response_model=out.Removed)
async def remove_endpoint(endpoint_id: str, who: Caller, ctx: Ctx) -> Any:
    """The endpoint stops receiving events (it stays listed, `active: false`)."""
    await webhooks.remove_endpoint(ctx.db, who, endpoint_id)
    return Json({})


@router.get("/deliveries", response_model=list[out.WebhookDelivery])
async def list_deliveries(who: Caller, ctx: Ctx, state: State = None) -> Any:
    """The latest deliveries (`state=pending|delivered|dead`): dead letters wait here."""
    return Json([_delivery(d) for d in await webhooks.deliveries(ctx.db, who, state)])


@router.post("/deliveries/{delivery_id}/replay", response_model=out.Replayed)
async def replay(delivery_id: int, who: Caller, ctx: Ctx) -> Any:
    """A delivery (a dead letter, say) goes out again, with a fresh three days of retries."""
    await webhooks.replay(ctx.db, who, delivery_id, ctx.clock())
    return Json({"id": delivery_id, "state": "pending"})
