"""Answers of Kassa's own API for restaurants, webhooks and order timelines, as the OpenAPI
document shows them (the routes render their answers themselves; these only document)."""

from decimal import Decimal
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, WithJsonSchema

from kassa.app import demo
from kassa.faces.delivery_models import DeliveryStatus

Number = Annotated[Decimal, WithJsonSchema({"type": "number"})]
R = demo.RESTAURANT_ID


def _examples(*examples: Any) -> ConfigDict:
    return ConfigDict(json_schema_extra={"examples": list(examples)})


# --- delivery admin ---------------------------------------------------------------------------


class AggregatorCredentials(BaseModel):
    model_config = _examples({"client_id": "5f9b3c1e2d4a6b8c", "client_secret": "Zk3…"})
    client_id: str
    client_secret: str = Field(description="shown this once")


class RestaurantOut(BaseModel):
    model_config = _examples({"id": R, "title": "Demo Kitchen", "address": "Tverskaya 1"})
    id: str
    title: str
    address: str


class MenuItemOut(BaseModel):
    id: str
    name: str
    category: str
    price: Number
    stock: Annotated[Number | None, Field(description="null: not counted")]


class MenuOut(BaseModel):
    """The restaurant's whole menu after the change."""

    model_config = _examples(
        {
            "items": [
                {
                    "id": "borscht",
                    "name": "Борщ",
                    "category": "Супы",
                    "price": 350.00,
                    "stock": 20.000,
                },
                {
                    "id": "kompot",
                    "name": "Компот",
                    "category": "Напитки",
                    "price": 120.00,
                    "stock": None,
                },
            ]
        }
    )
    items: list[MenuItemOut]


class KitchenStepOut(BaseModel):
    model_config = _examples({"orderId": "5f9b3c1e2d4a6b8c0e1f2a3b", "status": "COOKING"})
    orderId: str
    status: DeliveryStatus


class KitchenLine(BaseModel):
    id: str
    name: str
    quantity: Number
    price: Number
    held: bool = Field(description="stock was taken for it")


class KitchenDropped(BaseModel):
    id: str
    name: str
    quantity: Number
    reason: str


class KitchenOrder(BaseModel):
    orderId: str
    eatsId: str
    restaurantId: str
    status: DeliveryStatus
    items: list[KitchenLine]
    droppedItems: list[KitchenDropped]
    total: Number
    createdAt: str


# --- webhooks ---------------------------------------------------------------------------------


class EndpointCreated(BaseModel):
    model_config = _examples(
        {
            "id": "5f9b3c1e2d4a6b8c0e1f2a3b",
            "url": "https://example.com/kassa/hooks",
            "events": ["order.*", "delivery.*"],
            "secret": "whsec_…",
        }
    )
    id: str
    url: str
    events: list[str]
    secret: str = Field(description="the signing secret, shown this once")


class EndpointOut(BaseModel):
    id: str
    url: str
    events: list[str]
    active: bool


class Removed(BaseModel):
    """An empty object."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{}]})


class WebhookDelivery(BaseModel):
    id: int
    endpoint: str
    event_id: int
    event: str = Field(examples=["order.canceled"])
    state: str = Field(examples=["pending", "delivered", "dead"])
    attempts: int
    created_at: str
    next_attempt_at: str | None = Field(description="only while pending")
    delivered_at: str | None
    last_error: str | None


class Replayed(BaseModel):
    model_config = _examples({"id": 42, "state": "pending"})
    id: int
    state: str


# --- timeline ---------------------------------------------------------------------------------


class TimelineEntry(BaseModel):
    at: str
    actor: str = Field(examples=["aggregator", "restaurant", "seller", "operator", "system"])
    action: str = Field(examples=["delivery.created", "order.canceled"])
    from_status: str | None
    to_status: str | None
    reason: str | None
    details: dict[str, Any] | None


class Timeline(BaseModel):
    """Who changed the order, when, from which status to which, and why."""

    model_config = _examples(
        {
            "order": "5f9b3c1e2d4a6b8c0e1f2a3b",
            "timeline": [
                {
                    "at": "2026-11-24T11:00:00.000000+00:00",
                    "actor": "aggregator",
                    "action": "delivery.created",
                    "from_status": None,
                    "to_status": "NEW",
                    "reason": None,
                    "details": {"eatsId": "190330-00000001"},
                }
            ],
        }
    )
    order: str
    timeline: list[TimelineEntry]
