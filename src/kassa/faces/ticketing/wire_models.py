"""The v1 answers as pydantic models: what `wire.py` renders, for the OpenAPI document only.

Nothing is validated through them at run time (routes answer `json_response(...)` directly);
they document the wire form field for field, and the schemathesis contract test holds the
two together. Every model forbids unknown keys, so a field the renderer adds without a model
here fails that test instead of going out undocumented.
"""

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field
from pydantic.json_schema import SkipJsonSchema

from kassa.app import demo

ORDER_ID = "56a7717ff06c5a28629386b3"  # the order of seed 000
TICKET_ID = "56a6253df06c5a059a9380ac"

Id = Annotated[str, Field(pattern=r"^[0-9a-f]{24}$", examples=[demo.EVENT_ID])]
Money = Annotated[str, Field(pattern=r"^-?\d+\.\d{2}$", examples=["100.00"])]
Time = Annotated[
    str,
    Field(
        pattern=r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}[+-]\d{2}:\d{2}$",
        description="ISO 8601 with microseconds and the UTC offset",
        examples=["2016-01-26T13:15:43.289000+00:00"],
    ),
]
Calendar = Annotated[
    str,
    Field(
        description="An iCalendar VEVENT with DTSTART/DTEND in UTC, lines ending in CRLF",
        examples=["BEGIN:VEVENT\r\nDTSTART;VALUE=DATE-TIME:20160301T170000Z\r\nEND:VEVENT\r\n"],
    ),
]
Nothing = Annotated[None, Field(description="Always null: Kassa has no such object")]
# A key that is left out rather than sent as null.
Absent = SkipJsonSchema[None]


class Wire(BaseModel):
    model_config = ConfigDict(extra="forbid")


def with_examples(*values: dict[str, Any]) -> ConfigDict:
    return ConfigDict(extra="forbid", json_schema_extra={"examples": list(values)})


class Empty(Wire):
    """`{}`: the answer of a v1 DELETE."""

    model_config = with_examples({})


class OrderCustomerV1(Wire):
    """The buyer as v1 names them; `lang` is always there, the rest once set."""

    lang: str = Field(examples=["ru"])
    email: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    mobile: str | None = None


class OrderPaymentV1(Wire):
    failure_url: str | None
    redirect_url: str | None = Field(
        description="Where the customer is sent to pay, if the seller gave one (ticketing.md "
        "1.3); with `api/BASE` the seller collects the money itself, so usually null"
    )
    success_url: str | None
    system: str | None = Field(examples=["api/BASE"])


class SetValuesV1(Wire):
    """A set's figures once a promo code discounts it: price, discount, the organiser's part."""

    id: Id
    p: Money
    d: Money
    ps: Money


class OrderValuesV1(Wire):
    """`nominal` (the organiser's part) + `extra` (the service fee) = `full`."""

    extra: Money
    full: Money
    nominal: Money
    discount: Money | Absent = None
    sets: list[SetValuesV1] | Absent = None


ORDER_V1 = {
    "id": ORDER_ID,
    "created_at": "2016-01-26T13:15:43.289000+00:00",
    "customer": {"lang": "ru"},
    "deal": None,
    "event": demo.EVENT_ID,
    "number": 497291910,
    "org": demo.ORG_ID,
    "payment": {"failure_url": None, "redirect_url": None, "success_url": None, "system": None},
    "promocodes": [],
    "reserved_till": "2016-01-26T13:25:43.302000+00:00",
    "rules": {demo.STALLS_SET_ID: demo.STALLS_RULE_ID},
    "status": "executed",
    "tickets": [TICKET_ID],
    "updated_at": "2016-01-26T13:15:43.302000+00:00",
    "value": "100.00",
    "value_extra": "0.00",
    "values": {"extra": "0.00", "full": "100.00", "nominal": "100.00"},
    "vendor": demo.ORG_ID,
}


class OrderV1(Wire):
    """The v1 order (seed 000): references are bare ids."""

    model_config = with_examples(ORDER_V1)

    id: Id
    created_at: Time
    customer: OrderCustomerV1
    deal: Nothing
    event: Id
    number: int
    org: Id = Field(description="The organiser")
    payment: OrderPaymentV1
    promocodes: list[Id] = Field(description="The promo codes applied to the order")
    reserved_till: Time
    rules: dict[str, Id] = Field(description="{set id: id of the price rule its tickets used}")
    status: Literal["executed", "in_progress", "done", "canceled", "expired", "refunded"]
    tickets: list[Id]
    updated_at: Time
    value: Money = Field(description="The same as values.full")
    value_extra: Money = Field(description="The same as values.extra")
    values: OrderValuesV1
    vendor: Id = Field(description="The seller")


class Seat(Wire):
    number: int | None
    row: int | None
    sector: str | None


class OrderTicketV1(Wire):
    """A ticket of an order; the barcode is null until the order is done."""

    model_config = with_examples(
        {
            "id": TICKET_ID,
            "barcode": None,
            "number": 100001,
            "serial": "AEY",
            "seat": None,
            "set": demo.STALLS_SET_ID,
            "price": "100.00",
        }
    )

    id: Id
    barcode: str | None
    number: int
    serial: str
    seat: Seat | None
    set: Id
    price: Money


class EventTicketV1(Wire):
    """A ticket of an event; `reserved_till` only while it is reserved."""

    model_config = with_examples(
        {
            "id": TICKET_ID,
            "number": 100001,
            "reserved_till": None,
            "seat": None,
            "serial": "AEY",
            "set": demo.STALLS_SET_ID,
            "status": "vacant",
        }
    )

    id: Id
    number: int
    reserved_till: Time | None
    seat: Seat | None
    serial: str
    set: Id
    status: Literal["vacant", "reserved", "sold"]


class RuleV1(Wire):
    """A price rule: its window, whether it is in force now, the buyer's price and its parts."""

    id: Id
    cal: Calendar
    current: bool
    price: Money
    price_extra: Money
    price_org: Money


RULE_V1 = {
    "id": demo.STALLS_RULE_ID,
    "cal": "BEGIN:VEVENT\r\nDTEND;VALUE=DATE-TIME:20261230T220000Z\r\nEND:VEVENT\r\n",
    "current": True,
    "price": "100.00",
    "price_extra": "0.00",
    "price_org": "100.00",
}
SET_V1 = {
    "id": demo.STALLS_SET_ID,
    "amount": 200,
    "amount_vacant": 198,
    "name": "Партер",
    "pos": 0,
    "price": "100.00",
    "price_extra": "0.00",
    "price_org": "100.00",
    "rules": [RULE_V1],
    "seats": False,
    "sector": None,
}


class SetV1(Wire):
    """A ticket set: `price` (the buyer's) = `price_org` (the organiser's) + `price_extra`."""

    model_config = with_examples(SET_V1)

    id: Id
    amount: int
    amount_vacant: int
    name: str
    pos: int
    price: Money
    price_extra: Money
    price_org: Money
    rules: list[RuleV1]
    seats: bool
    sector: Nothing


class CityV1(Wire):
    name: str
    timezone: str


VENUE_V1 = {
    "id": demo.VENUE_ID,
    "address": "Tverskaya 1",
    "city": {"name": "Moscow", "timezone": "Europe/Moscow"},
    "country": "RU",
    "desc": None,
    "name": "Demo Hall",
    "point": None,
}


class VenueV1(Wire):
    model_config = with_examples(VENUE_V1)

    id: Id
    address: str
    city: CityV1
    country: str = Field(description="ISO 3166-1 alpha-2, or empty")
    desc: Nothing
    name: str
    point: Nothing


class OrgV1(Wire):
    id: Id
    contact: dict[str, Any]
    desc: Nothing
    media: dict[str, Any]
    name: str
    tags: list[str]


class TitleV1(Wire):
    desc: str | None
    text: str


class EventV1(Wire):
    """An event with its sets, as the catalogue and `/v1/resources/events/{id}` show it."""

    model_config = with_examples(
        {
            "id": demo.EVENT_ID,
            "age_rating": 12,
            "created_at": "2026-11-30T02:57:12.246464+00:00",
            "deal": None,
            "lifetime": "BEGIN:VEVENT\r\nDTSTART;VALUE=DATE-TIME:20261230T190000Z\r\n"
            "DTEND;VALUE=DATE-TIME:20261230T220000Z\r\nEND:VEVENT\r\n",
            "map": None,
            "media": {},
            "org": {
                "id": demo.ORG_ID,
                "contact": {},
                "desc": None,
                "media": {},
                "name": "Demo Organiser",
                "tags": [],
            },
            "partner": None,
            "sets": [SET_V1],
            "status": "public",
            "tags": [],
            "ticket_template": None,
            "tickets_amount": 200,
            "tickets_amount_vacant": 198,
            "timezone": "Europe/Moscow",
            "title": {"desc": "Kassa's demo event", "text": "Demo concert"},
            "updated_at": "2026-11-30T02:57:12.246464+00:00",
            "venue": VENUE_V1,
        }
    )

    id: Id
    age_rating: int
    created_at: Time
    deal: Nothing
    lifetime: Calendar
    map: Nothing
    media: dict[str, Any]
    org: OrgV1
    partner: Nothing
    sets: list[SetV1]
    status: Literal["draft", "public", "cancelled", "archived"]
    tags: list[str]
    ticket_template: Nothing
    tickets_amount: int
    tickets_amount_vacant: int
    timezone: str
    title: TitleV1
    updated_at: Time
    venue: VenueV1 | None


class DiscountFix(Wire):
    fix: Money = Field(description="An amount off each ticket")


class DiscountPercentage(Wire):
    percentage: str = Field(pattern=r"^\d+(\.\d+)?%$", examples=["5%"])


Discount = DiscountFix | DiscountPercentage


class LifetimeV1(Wire):
    finish: Time | None
    start: Time | None


class TicketsCountV1(Wire):
    max: int | None
    min: int | None


class PromoV1(Wire):
    """The organiser's view of a promo code, with its uses."""

    model_config = with_examples(
        {
            "id": demo.PROMO100_ID,
            "active": True,
            "code": "promo100",
            "discount": {"fix": "100.00"},
            "event": demo.V2_EVENT_ID,
            "lifetime": {"finish": None, "start": None},
            "limit": None,
            "sets": [],
            "tickets_count": {"max": None, "min": None},
            "used": 0,
            "viral": False,
        }
    )

    id: Id
    active: bool
    code: str
    discount: Discount
    event: Id
    lifetime: LifetimeV1
    limit: int | None = Field(description="How many orders may use it; null: no limit")
    sets: list[Id] = Field(description="The sets it applies to; empty: all")
    tickets_count: TicketsCountV1
    used: int
    viral: bool
