"""The delivery face's wire objects (Yandex Eats v2, /work/shared/spec/delivery.md) as pydantic
models: what the OpenAPI document shows, and the shape check of the parts of an order Kassa
keeps as sent and shows again in `GET /order/{orderId}`.

Numbers are JSON numbers both ways (the face parses them as exact decimals, never strings).
Objects take keys beyond the documented ones (Yandex adds fields; Kassa keeps them as sent).
"""

from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, RootModel, WithJsonSchema
from pydantic.json_schema import SkipJsonSchema

from kassa.app import demo
from kassa.core.cancellation.reasons import AGGREGATOR

DeliveryStatus = Literal[
    "NEW",
    "ACCEPTED_BY_RESTAURANT",
    "COOKING",
    "READY",
    "TAKEN_BY_COURIER",
    "DELIVERED",
    "CANCELLED",
]


def _number(value: Any) -> Any:
    """A JSON number as the face parsed it (int or Decimal); never a string, bool or NaN."""
    if isinstance(value, bool) or not isinstance(value, (int, Decimal)):
        raise ValueError("must be a number")
    if not Decimal(value).is_finite():
        raise ValueError("must be a finite number")
    return value


MAX_QUANTITY = 100_000
MAX_PRICE = Decimal("9999999999.99")
_NUMBER = BeforeValidator(_number)
Number = Annotated[Decimal, _NUMBER, WithJsonSchema({"type": "number"})]
Amount = Annotated[
    Decimal,
    _NUMBER,
    Field(ge=0, le=MAX_PRICE),
    WithJsonSchema({"type": "number", "minimum": 0, "maximum": float(MAX_PRICE)}),
]
Portions = Annotated[
    Decimal,
    _NUMBER,
    Field(ge=0, le=MAX_QUANTITY),
    WithJsonSchema({"type": "number", "minimum": 0, "maximum": MAX_QUANTITY}),
]
Quantity = Annotated[
    Decimal,
    _NUMBER,
    Field(gt=0, le=MAX_QUANTITY),
    WithJsonSchema(
        {
            "type": "number",
            "exclusiveMinimum": 0,
            "maximum": MAX_QUANTITY,
            "description": "may be fractional",
        }
    ),
]
Text = Annotated[str, Field(max_length=10_000)]


class Wire(BaseModel):
    """A wire object: unknown keys are kept (and allowed in the document)."""

    model_config = ConfigDict(extra="allow")


# --- the order, as Yandex sends it (POST /order, PUT /order/{orderId}) ------------------------


class EatsModification(Wire):
    id: Text | None = None
    group_id: Text | None = None
    name: Text | None = None
    quantity: Portions | None = None
    price: Amount | None = None


class EatsPromo(Wire):
    type: Text | None = Field(None, examples=["GIFT"])
    discount: Number | None = None
    partner_discount: Number | None = None
    yandex_discount: Number | None = None


class EatsComboInfo(Wire):
    id: Text | None = None
    componentId: Text | None = None


class EatsOrderItem(Wire):
    """A line: `id` is the dish in the restaurant's menu (`/menu/{id}/composition`)."""

    id: Annotated[str, Field(min_length=1, max_length=64)]
    quantity: Quantity
    name: Text | None = None
    price: Number | None = None
    modifications: Annotated[list[EatsModification], Field(max_length=100)] | None = None
    promos: Annotated[list[EatsPromo], Field(max_length=100)] | None = None
    comboInfo: EatsComboInfo | None = None


class EatsDeliveryAddress(Wire):
    full: Text | None = None
    latitude: Text | None = Field(None, description="a string, as Yandex sends it")
    longitude: Text | None = Field(None, description="a string, as Yandex sends it")


Phones = Annotated[list[Text], Field(max_length=20)]


class EatsDeliveryInfo(Wire):
    """`yandex`: clientName … pickupCode, batches; `marketplace`: … deliveryDate,
    deliveryAddress; `pickup`: clientArrivementDate. Dates are RFC 3339 strings."""

    clientName: Text | None = None
    phoneNumber: Text | None = None
    additionalPhoneNumbers: Phones | None = None
    courierArrivementDate: Text | None = None
    realPhoneNumber: Text | None = None
    pickupCode: int | Text | None = None
    batches: Phones | None = None
    deliveryDate: Text | None = None
    deliveryAddress: EatsDeliveryAddress | None = None
    clientArrivementDate: Text | None = None


class EatsPaymentInfo(Wire):
    """`yandex`: itemsCost, paymentType; `marketplace`: also deliveryFee, total, change."""

    itemsCost: Number | None = None
    paymentType: Text | None = Field(None, examples=["CARD", "CASH"])
    deliveryFee: Number | None = None
    total: Number | None = None
    change: Number | None = None


EatsId = Annotated[
    str,
    Field(pattern=r"^\d{6}-\d{7,8}$", examples=["190330-12345678"], description="Yandex's id"),
]
Comment = Annotated[str, Field(max_length=500)]


class EatsOrderKept(Wire):
    """The top-level parts of an order Kassa keeps as sent and shows again on GET."""

    platform: Text | None = Field(None, examples=["YE"])
    restaurantId: Annotated[str, Field(max_length=64)] | None = None
    deliveryInfo: EatsDeliveryInfo | None = None
    paymentInfo: EatsPaymentInfo | None = None
    persons: Annotated[int, Field(ge=0, le=10_000)] | None = None
    comment: Comment | None = None
    promos: Annotated[list[EatsPromo], Field(max_length=100)] | None = None


class _Order(EatsOrderKept):
    eatsId: EatsId
    restaurantId: Annotated[str, Field(min_length=1, max_length=64)]
    items: Annotated[list[EatsOrderItem], Field(min_length=1, max_length=200)]


class YandexOrderV2(_Order):
    """Delivered by Yandex's couriers."""

    discriminator: Literal["yandex"]


class MarketplaceOrderV2(_Order):
    """Delivered by the restaurant's own couriers."""

    discriminator: Literal["marketplace"]


class PickupOrderV1(_Order):
    """Picked up by the client."""

    discriminator: Literal["pickup"]


class EatsOrderV2(RootModel[YandexOrderV2 | MarketplaceOrderV2 | PickupOrderV1]):
    """The order of `POST /order` and `PUT /order/{orderId}` (the whole object), by
    `discriminator`."""

    root: Annotated[
        YandexOrderV2 | MarketplaceOrderV2 | PickupOrderV1, Field(discriminator="discriminator")
    ]


R = demo.RESTAURANT_ID
ORDER_EXAMPLES: dict[str, Any] = {
    "yandex": {
        "platform": "YE",
        "discriminator": "yandex",
        "eatsId": "190330-00000002",
        "restaurantId": R,
        "deliveryInfo": {
            "clientName": "Ivan",
            "phoneNumber": "+79990000003",
            "additionalPhoneNumbers": [],
            "courierArrivementDate": "2026-11-24T12:00:00.000000+03:00",
            "realPhoneNumber": "79990000003",
            "pickupCode": "123",
            "batches": [],
        },
        "paymentInfo": {"itemsCost": 820, "paymentType": "CARD"},
        "items": [
            {
                "id": "borscht",
                "name": "Борщ",
                "quantity": 2,
                "price": 350,
                "modifications": [
                    {
                        "id": "sour",
                        "group_id": "extras",
                        "name": "Сметана",
                        "quantity": 1,
                        "price": 0,
                    }
                ],
                "promos": [],
            },
            {"id": "kompot", "name": "Компот", "quantity": 1, "price": 120},
        ],
        "persons": 1,
        "comment": "Ring twice",
        "promos": [],
    },
    "marketplace": {
        "platform": "YE",
        "discriminator": "marketplace",
        "eatsId": "190330-00000003",
        "restaurantId": R,
        "deliveryInfo": {
            "clientName": "Maria",
            "phoneNumber": "+79990000004 доб. 12",
            "additionalPhoneNumbers": [],
            "deliveryDate": "2026-11-24T13:00:00.000000+03:00",
            "deliveryAddress": {
                "full": "Tverskaya 7, Moscow",
                "latitude": "55.7600",
                "longitude": "37.6100",
            },
        },
        "paymentInfo": {
            "paymentType": "CASH",
            "itemsCost": 240,
            "deliveryFee": 100,
            "total": 340,
            "change": 500,
        },
        "items": [{"id": "kompot", "name": "Компот", "quantity": 2, "price": 120}],
        "persons": 2,
        "comment": "",
        "promos": [],
    },
    "pickup": {
        "platform": "YE",
        "discriminator": "pickup",
        "eatsId": "190330-0000004",
        "restaurantId": R,
        "deliveryInfo": {
            "clientName": "Oleg",
            "phoneNumber": "+79990000005",
            "clientArrivementDate": "2026-11-24T12:30:00.000000+03:00",
        },
        "paymentInfo": {"itemsCost": 630, "paymentType": "CARD"},
        "items": [{"id": "pelmeni", "name": "Пельмени", "quantity": 1.5, "price": 420}],
        "persons": 1,
        "promos": [],
    },
}


# --- the other bodies Yandex sends ------------------------------------------------------------


class EatsTokenRequest(BaseModel):
    """`application/x-www-form-urlencoded`, on one line."""

    client_id: Annotated[str, Field(examples=[demo.DELIVERY_CLIENT_ID])]
    client_secret: str
    grant_type: Literal["client_credentials"]
    scope: Annotated[str, Field(examples=["read write"])] = "read write"


TOKEN_EXAMPLES = {
    "demo": {
        "client_id": demo.DELIVERY_CLIENT_ID,
        "client_secret": demo.DELIVERY_CLIENT_SECRET,
        "grant_type": "client_credentials",
        "scope": "read write",
    }
}


class EatsOrderCancel(BaseModel):
    """`DELETE /order/{orderId}`: the eatsId must be the order's."""

    eatsId: EatsId
    comment: Comment | None = None


CANCEL_EXAMPLES = {"seed": {"eatsId": "190330-00000001", "comment": "Client refusal"}}

AggregatorReason = Annotated[
    str, WithJsonSchema({"type": "string", "enum": sorted(AGGREGATOR)})
]  # checked by the face (an unknown one is 400, code 109)


class EatsStatusPush(BaseModel):
    """What Yandex pushes; `reason` comes only with CANCELLED, `attributes` may hold `paid`."""

    status: Literal["CANCELLED", "TAKEN_BY_COURIER", "DELIVERED"]
    attributes: Annotated[list[Text], Field(max_length=20)] | None = None
    comment: Comment | None = None
    reason: AggregatorReason | None = None
    updatedAt: Text | None = Field(None, examples=["2026-11-24T12:40:00.000000+03:00"])


STATUS_EXAMPLES = {
    "taken": {"status": "TAKEN_BY_COURIER", "attributes": [], "comment": ""},
    "cancelled": {
        "status": "CANCELLED",
        "attributes": ["paid"],
        "comment": "The client did not wait",
        "reason": "client.does_not_want_to_wait",
    },
}


class EatsCourier(Wire):
    name: Text | None = None
    type: Text | None = Field(None, examples=["pedestrian"])
    phone: Text | None = None
    status: Text | None = Field(None, examples=["accepted"])


class EatsCourierOrder(Wire):
    orderNr: Text | None = Field(None, description="the eatsId")
    batches: Phones | None = None


class EatsLocation(Wire):
    latitude: Text | None = None
    longitude: Text | None = None


class EatsCourierUpdate(Wire):
    """`PUT /order/{orderId}/courier`: kept with the order as sent."""

    courier: EatsCourier | None = None
    order: EatsCourierOrder | None = None
    location: EatsLocation | None = None
    maxPlaceArrivalTime: Text | None = None


COURIER_EXAMPLES = {
    "assigned": {
        "courier": {
            "name": "Pyotr",
            "type": "pedestrian",
            "phone": "+79990000006",
            "status": "accepted",
        },
        "order": {"orderNr": "190330-00000001", "batches": []},
        "location": {"latitude": "55.7558", "longitude": "37.6173"},
        "maxPlaceArrivalTime": "2026-11-24T12:20:00.000000+03:00",
    }
}


# --- the answers ------------------------------------------------------------------------------


class EatsToken(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"access_token": "2c7f…"}]})
    access_token: str


class EatsPlace(BaseModel):
    id: str
    title: str
    address: str


class EatsPlaceState(BaseModel):
    id: Annotated[str, Field(max_length=255)]
    enabled: bool


class EatsPlacesAvailability(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"places": [{"id": R, "enabled": True}]}]}
    )
    places: list[EatsPlaceState]


class EatsPlaces(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"places": [{"id": R, "title": "Demo Kitchen", "address": "Moscow"}]}]
        }
    )
    places: list[EatsPlace]


class EatsCategory(BaseModel):
    id: str
    name: str


class EatsMenuItem(BaseModel):
    id: str
    categoryId: str
    name: str
    price: Number


class EatsComposition(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "categories": [{"id": "Супы", "name": "Супы"}],
                    "items": [
                        {"id": "borscht", "categoryId": "Супы", "name": "Борщ", "price": 350.00}
                    ],
                }
            ]
        }
    )
    categories: list[EatsCategory]
    items: list[EatsMenuItem]


class EatsItemStock(BaseModel):
    itemId: str
    stock: Annotated[int, Field(ge=0, description="portions left; 0: not available now")]


class EatsModifierStock(BaseModel):
    modifierId: str
    stock: Annotated[int, Field(ge=0)]


class EatsAvailability(BaseModel):
    """The stop-list: the counted dishes with their stock; any other dish is available."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"items": [{"itemId": "bliny", "stock": 0}], "modifiers": []}]
        }
    )
    items: list[EatsItemStock]
    modifiers: list[EatsModifierStock]


class EatsPromoItem(BaseModel):
    id: str
    promoId: str


class EatsPromos(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"promoItems": []}]})
    promoItems: list[EatsPromoItem]


class EatsOrderAccepted(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"result": "OK", "orderId": "5f9b3c1e2d4a6b8c0e1f2a3b"}]}
    )
    result: Literal["OK"]
    orderId: str


class EatsResult(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"result": "OK"}]})
    result: Literal["OK"]


class EatsOrderStatus(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "status": "COOKING",
                    "comment": "",
                    "updatedAt": "2026-11-24T11:05:00.123456+00:00",
                }
            ]
        }
    )
    status: DeliveryStatus
    comment: Annotated[str, Field(max_length=500)]
    updatedAt: Annotated[str, Field(description="RFC 3339 with fractional seconds")]
    reason: Annotated[
        str | SkipJsonSchema[None], Field(description="only when cancelled with a reason")
    ] = None
