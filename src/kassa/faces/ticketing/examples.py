"""What the OpenAPI document shows of the ticketing requests: examples that work against the
demo data (`kassa demo`, the organiser's key), path parameters that carry them, and the
response headers the face sends.

Examples never break the demo for the next caller: they reserve a ticket, add an event, a
set, a rule or a code, or set a field to the value it has; nothing is deleted or unpublished.
Orders and refund requests get new ids every time, so their examples name the documents'
own ids and are answered 404.
"""

from typing import Annotated, Any

from fastapi import Path, Query
from fastapi.openapi.models import Example

from kassa.app import demo
from kassa.faces.ticketing import wire_models, wire_models_v2

Examples = dict[str, Example]


def examples(**values: Any) -> Examples:
    """`openapi_examples` from name=value pairs; the name is the summary."""
    return {
        name: Example(summary=name.replace("_", " "), value=value) for name, value in values.items()
    }


def _path(description: str, **values: str) -> Any:
    return Path(description=description, openapi_examples=examples(**values))


OrderIdV1 = Annotated[str, _path("The order's id", seed_000_order=wire_models.ORDER_ID)]
OrderIdV2 = Annotated[str, _path("The order's id", seed_002_order=wire_models_v2.ORDER_ID)]
RefundId = Annotated[str, _path("The refund request's id", refund=wire_models_v2.REFUND_ID)]
EventId = Annotated[str, _path("The event's id", demo_event=demo.EVENT_ID)]
PromoEventId = Annotated[str, _path("The event's id", v2_demo_event=demo.V2_EVENT_ID)]
SetId = Annotated[str, _path("The set's id (of the event)", stalls=demo.STALLS_SET_ID)]
RuleId = Annotated[str, _path("The price rule's id", stalls_open_rule=demo.STALLS_RULE_ID)]
PromoId = Annotated[str, _path("The promo code's id", promo100=demo.PROMO100_ID)]


def query_with_examples(description: str, **values: str) -> Any:
    return Query(description=description, openapi_examples=examples(**values))


# Response headers. X-Partner names the caller on every answer of the face that passed the
# key check; the error answers carry it too, but are documented by `kassa.web.openapi`.
PARTNER: dict[str, Any] = {
    "X-Partner": {
        "description": "The caller: the seller's partner id, or the organiser's id",
        "required": True,
        "schema": {"type": "string", "pattern": "^[0-9a-f]{24}$"},
    }
}
TOTAL: dict[str, Any] = {
    "X-Total-Count": {
        "description": "How many orders the filters select, over all pages",
        "required": True,
        "schema": {"type": "integer", "minimum": 0},
    }
}


def answer(
    status: int = 200, description: str | None = None, *, headers: dict[str, Any] | None = None
) -> dict[int | str, dict[str, Any]]:
    """The `responses` entry of a route's success answer: its headers, X-Partner included."""
    entry: dict[str, Any] = {"headers": {**PARTNER, **(headers or {})}}
    if description is not None:
        entry["description"] = description
    return {status: entry}


RESERVE_V1 = examples(
    seed_000_random={"event": demo.EVENT_ID, "random": {demo.STALLS_SET_ID: 1}},
    with_customer_and_payment={
        "event": demo.EVENT_ID,
        "random": {demo.BALCONY_SET_ID: 2},
        "all_or_nothing": True,
        "customer": {"lang": "ru", "email": "ivan@example.com", "first_name": "Ivan"},
        "payment": {"system": "api/BASE"},
    },
)
CHANGE_V1 = examples(
    seed_000_cancel={"status": "canceled"},
    customer={"customer": {"email": "ivan@example.com", "mobile": "+79991234576"}},
    reserve_more={"random": {demo.STALLS_SET_ID: 2}},
)
EVENT_CREATE = examples(
    jazz_night={
        "title": {"text": "Jazz night", "desc": "Three sets, one bar"},
        "lifetime": {"start": "2030-06-01T19:00:00+03:00", "finish": "2030-06-01T23:00:00+03:00"},
        "timezone": "Europe/Moscow",
        "status": "public",
        "venue": demo.VENUE_ID,
        "age_rating": 16,
    }
)
EVENT_CHANGE = examples(
    title={"title": {"text": "Demo concert", "desc": "Kassa's demo event"}},
    age_rating={"age_rating": 12},
)
SET_CREATE = examples(vip={"name": "VIP", "price": "1500.00", "amount": 20, "pos": 2})
SET_CHANGE = examples(rename={"name": "Партер"}, resize={"amount": 200})
RULE_CREATE = examples(
    early_bird={
        "price": "80.00",
        "start": "2030-01-01T00:00:00+00:00",
        "finish": "2030-01-15T00:00:00+00:00",
    }
)
VENUE_CREATE = examples(
    club={
        "name": "Club Nevsky",
        "timezone": "Europe/Moscow",
        "address": "Nevsky prospekt 1",
        "city": "Saint Petersburg",
        "country": "RU",
    }
)

RESERVE_V2 = examples(
    random={"event": demo.V2_EVENT_ID, "random": {demo.V2_STALLS_SET_ID: 1}},
    with_promocode_and_customer={
        "event": demo.V2_EVENT_ID,
        "random": {demo.V2_STALLS_SET_ID: 1, demo.V2_BALCONY_SET_ID: 1},
        "promocodes": ["PROMO100"],
        "settings": {
            "customer": {"name": "Ivan Ivanov", "email": "hello@world.ru", "lang": "ru"},
            "send_tickets": True,
        },
        "vendor_data": {"order_id": "A-1001", "raw": {"enable_call_to_customer": True}},
    },
)
CHANGE_V2 = examples(
    seed_002_customer={
        "settings": {
            "customer": {
                "email": "hello@world.ru",
                "lang": "ru",
                "name": "Ivan Ivanov",
                "phone": "+79991234576",
            }
        }
    },
    seed_002_promocodes={"promocodes": ["PROMO100"]},
    done={"status": "done"},
)
EXPORT = examples(
    done_orders_of_an_event={
        "email": "reports@example.com",
        "status": "done",
        "events": demo.V2_EVENT_ID,
        "created_at": "2020-01-01 00:00:00,2040-01-01 00:00:00",
        "only_with_customer": True,
    },
    everything={"email": "reports@example.com"},
)
PROMO_CREATE = examples(
    percentage={"code": "SUMMER10", "discount": {"percentage": "10%"}, "limit": 100},
    fix_for_one_set={
        "code": "STALLS50",
        "discount": {"fix": "50.00"},
        "sets": [demo.V2_STALLS_SET_ID],
        "tickets_count": {"min": 2},
        "lifetime": {"finish": "2040-01-01T00:00:00+00:00"},
    },
)
PROMO_CHANGE = examples(keep_active={"active": True}, not_viral={"viral": False})
PROMO_CHECK = examples(
    promo100={"event": demo.V2_EVENT_ID, "code": "PROMO100"},
    percentage={"event": demo.V2_EVENT_ID, "code": "promo5%"},
)
REFUND_CREATE = examples(
    user_refund={
        "order": wire_models_v2.ORDER_ID,
        "culprit": "user",
        "tickets": [wire_models_v2.TICKET_ID],
    }
)
REFUND_DECIDE = examples(approve={"status": "approved"}, reject={"status": "rejected"})
