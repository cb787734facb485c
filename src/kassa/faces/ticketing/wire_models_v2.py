"""The v2 answers as pydantic models: what `wire_v2.py`, the promo-code check and the refunds
render, for the OpenAPI document only (see `wire_models`)."""

from typing import Annotated, Literal

from pydantic import Field

from kassa.app import demo
from kassa.faces.ticketing.wire_models import Absent, Discount, Id, Money, Wire, with_examples

ORDER_ID = "5bacf64ea0eb2f000c45160a"  # the order of seed 002
TICKET_ID = "5d664830b8a2cb5ce0576457"
REFUND_ID = "5e1f0c2d9b8a47e6a3c4d5e6"

Time = Annotated[
    str,
    Field(
        pattern=r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$",
        description="UTC, `YYYY-MM-DD HH:MM:SS`",
        examples=["2018-09-27 15:25:02"],
    ),
]
RawValue = str | bool | int


class OrderCustomerV2(Wire):
    email: str | None
    lang: str = Field(examples=["ru"])
    name: str | None
    phone: str | None


class OrderSettingsV2(Wire):
    customer: OrderCustomerV2
    invitation: bool
    send_tickets: bool
    courier: bool | Absent = None
    subscribe_agree: bool | Absent = None


class SeatV2(Wire):
    number: int | None
    row: int | None
    sector: str | None


class TicketV2(Wire):
    """A ticket with its figures; `seat` only for seated sets; the barcode once sold."""

    barcode: str | None
    discount: Money
    extra: Money
    full: Money
    id: Id
    nominal: Money
    number: int
    price: Money
    serial: str
    set: Id
    status: Literal["reserved", "sold", "cancelled"]
    seat: SeatV2 | Absent = None


class SetValuesV2(Wire):
    discount: Money
    id: Id
    nominal: Money
    price: Money
    promocode: Id | None


class ValuesV2(Wire):
    """price - discount = nominal (the organiser's part); nominal + extra (the fee) = full."""

    discount: Money
    extra: Money
    full: Money
    nominal: Money
    price: Money
    sets_values: dict[str, SetValuesV2] = Field(description="By set id, every set of the event")
    viral_promocodes: list[Id]


class OrderVendorDataV2(Wire):
    order_id: str | None = None
    raw: dict[str, RawValue] | None = None


ORDER_V2 = {
    "created_at": "2018-09-27 15:25:02",
    "event": demo.V2_EVENT_ID,
    "expired_after": "2018-09-27 15:40:02",
    "id": ORDER_ID,
    "number": 41564,
    "org": demo.ORG_ID,
    "origin": "api",
    "promocodes": [demo.PROMO100_ID],
    "settings": {
        "customer": {
            "email": "hello@world.ru",
            "lang": "ru",
            "name": "Ivan Ivanov",
            "phone": "+79991234576",
        },
        "invitation": False,
        "send_tickets": True,
    },
    "status": "executed",
    "tickets": [
        {
            "barcode": None,
            "discount": "100.00",
            "extra": "0.00",
            "full": "900.00",
            "id": TICKET_ID,
            "nominal": "900.00",
            "number": 142278,
            "price": "1000.00",
            "serial": "BKC",
            "set": demo.V2_STALLS_SET_ID,
            "status": "reserved",
        }
    ],
    "values": {
        "discount": "100.00",
        "extra": "0.00",
        "full": "900.00",
        "nominal": "900.00",
        "price": "1000.00",
        "sets_values": {
            demo.V2_STALLS_SET_ID: {
                "discount": "100.00",
                "id": demo.V2_STALLS_SET_ID,
                "nominal": "900.00",
                "price": "1000.00",
                "promocode": demo.PROMO100_ID,
            },
        },
        "viral_promocodes": [],
    },
    "vendor": demo.PARTNER_ID,
    "vendor_data": {"order_id": "A-1001", "raw": {"enable_call_to_customer": True}},
}


class OrderV2(Wire):
    """The v2 order (seed 002); `done_at` and `code` appear once it is done."""

    model_config = with_examples(ORDER_V2)

    created_at: Time
    event: Id
    expired_after: Time
    id: Id
    number: int
    org: Id
    origin: str = Field(examples=["api"])
    promocodes: list[Id]
    settings: OrderSettingsV2
    status: Literal["executed", "in_progress", "done", "cancelled", "expired"]
    tickets: list[TicketV2]
    values: ValuesV2
    vendor: Id
    vendor_data: OrderVendorDataV2
    done_at: Time | Absent = None
    code: Annotated[str, Field(min_length=8, max_length=8)] | Absent = Field(
        default=None, description="The order's code, once done", examples=["7SERP7P9"]
    )


class LifetimeV2(Wire):
    finish: Time | None
    start: Time | None


class TitleV2(Wire):
    desc: str | None
    text: str


class EventRef(Wire):
    age_rating: int
    id: Id
    lifetime: LifetimeV2
    org: Id
    status: Literal["draft", "public", "cancelled", "archived"]
    timezone: str
    title: TitleV2
    venue: Id | None


class PartnerRef(Wire):
    id: Id
    name: str


class PromocodeRef(Wire):
    code: str
    discount: Discount
    id: Id
    viral: bool
    lifetime: LifetimeV2 | Absent = None


class SetRef(Wire):
    id: Id
    name: str
    price: Money
    with_seats: bool


class VenueRef(Wire):
    address: str
    city: str
    country: str
    id: Id
    name: str
    timezone: str


REFS_V2 = {
    "events": {
        demo.V2_EVENT_ID: {
            "age_rating": 12,
            "id": demo.V2_EVENT_ID,
            "lifetime": {"finish": "2026-12-31 22:00:00", "start": "2026-12-31 19:00:00"},
            "org": demo.ORG_ID,
            "status": "public",
            "timezone": "Europe/Moscow",
            "title": {"desc": None, "text": "Demo concert (v2 examples)"},
            "venue": demo.VENUE_ID,
        }
    },
    "partners": {demo.PARTNER_ID: {"id": demo.PARTNER_ID, "name": "Demo Seller"}},
    "promocodes": {
        demo.PROMO100_ID: {
            "code": "promo100",
            "discount": {"fix": "100.00"},
            "id": demo.PROMO100_ID,
            "viral": False,
        }
    },
    "sets": {
        demo.V2_STALLS_SET_ID: {
            "id": demo.V2_STALLS_SET_ID,
            "name": "Партер",
            "price": "1000.00",
            "with_seats": False,
        }
    },
    "venues": {
        demo.VENUE_ID: {
            "address": "Tverskaya 1",
            "city": "Moscow",
            "country": "RU",
            "id": demo.VENUE_ID,
            "name": "Demo Hall",
            "timezone": "Europe/Moscow",
        }
    },
}


class RefsV2(Wire):
    """Everything the order refers to by id, by kind and id."""

    events: dict[str, EventRef]
    partners: dict[str, PartnerRef]
    promocodes: dict[str, PromocodeRef]
    sets: dict[str, SetRef]
    venues: dict[str, VenueRef]


class ListRefsV2(Wire):
    """The refs of every order listed, merged; empty (`{}`) when the page is."""

    events: dict[str, EventRef] | Absent = None
    partners: dict[str, PartnerRef] | Absent = None
    promocodes: dict[str, PromocodeRef] | Absent = None
    sets: dict[str, SetRef] | Absent = None
    venues: dict[str, VenueRef] | Absent = None


class PromoError(Wire):
    code: Literal[
        "promocode_not_found",
        "promocode_already_used",
        "promocode_limit_min_tickets",
        "promocode_apply_info",
    ]
    msg: str


class OrderEnvelopeV2(Wire):
    """`{data, refs}`; a promo code that failed is named in `errors` (the status stays 200)."""

    model_config = with_examples(
        {"data": ORDER_V2, "refs": REFS_V2},
        {
            "data": {**ORDER_V2, "promocodes": []},
            "refs": {**REFS_V2, "promocodes": {}},
            "errors": [{"code": "promocode_not_found", "msg": "Promocode not found"}],
        },
    )

    data: OrderV2
    refs: RefsV2
    errors: list[PromoError] | Absent = None


class Pagination(Wire):
    page: int
    page_size: int
    total: int


class OrderListV2(Wire):
    """A page of orders, newest first."""

    model_config = with_examples(
        {
            "data": [ORDER_V2],
            "pagination": {"page": 1, "page_size": 50, "total": 1},
            "refs": REFS_V2,
        }
    )

    data: list[OrderV2]
    pagination: Pagination
    refs: ListRefsV2


class TicketsCountV2(Wire):
    min: int | Absent = None
    max: int | Absent = None


class PromoCheckData(Wire):
    discount: Discount
    sets: list[Id] = Field(description="The sets it applies to; empty: all")
    tickets_count: TicketsCountV2
    lifetime: LifetimeV2 | Absent = None


class PromoSetRef(Wire):
    id: Id
    name: str
    price: Money


class PromoCheckRefs(Wire):
    sets: dict[str, PromoSetRef]


class PromoCheckV2(Wire):
    """What a promo code gives now, and the sets it applies to."""

    model_config = with_examples(
        {
            "data": {"discount": {"fix": "100.00"}, "sets": [], "tickets_count": {}},
            "refs": {
                "sets": {
                    demo.V2_STALLS_SET_ID: {
                        "id": demo.V2_STALLS_SET_ID,
                        "name": "Партер",
                        "price": "1000.00",
                    },
                    demo.V2_BALCONY_SET_ID: {
                        "id": demo.V2_BALCONY_SET_ID,
                        "name": "Балкон",
                        "price": "500.00",
                    },
                }
            },
        }
    )

    data: PromoCheckData
    refs: PromoCheckRefs


REFUND_V2 = {
    "created_at": "2026-11-30 12:00:00",
    "culprit": "user",
    "customer_money": "1000.00",
    "delta": "1000.00",
    "event": demo.V2_EVENT_ID,
    "finished_at": None,
    "id": REFUND_ID,
    "order": ORDER_ID,
    "org": demo.ORG_ID,
    "policy": "general",
    "refund_nominal": "1000.00",
    "requested_at": "2026-11-30 12:00:00",
    "status": "new",
    "tickets": [TICKET_ID],
    "vendor": demo.PARTNER_ID,
}


class RefundV2(Wire):
    id: Id
    created_at: Time
    culprit: Literal["user", "org"]
    customer_money: Money
    delta: Money = Field(description="Deprecated: the same as refund_nominal")
    event: Id
    finished_at: Time | None
    order: Id
    org: Id
    policy: Literal["general", "law_ru_193"]
    refund_nominal: Money
    requested_at: Time
    status: Literal["new", "in_progress", "approved", "rejected"]
    tickets: list[Id]
    vendor: Id


class NoRefs(Wire):
    """Always `{}`: a refund refers to nothing it does not name by id."""


class RefundEnvelopeV2(Wire):
    model_config = with_examples({"data": REFUND_V2, "refs": {}})

    data: RefundV2
    refs: NoRefs


class RefundListV2(Wire):
    model_config = with_examples(
        {"data": [REFUND_V2], "pagination": {"page": 1, "page_size": 50, "total": 1}, "refs": {}}
    )

    data: list[RefundV2]
    pagination: Pagination
    refs: NoRefs
