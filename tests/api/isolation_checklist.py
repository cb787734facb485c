"""The isolation checklist: what organisation B sends naming organisation A's ids (`{a.x}`)
or its own (`{b.x}`), by face, and the answer it must get. Read by
tests/api/test_tenant_isolation.py, which sends each row twice (A's ids, then ids nobody has)."""

from dataclasses import dataclass
from typing import Any

from tests.api.world import delivery_body

FAR = {"start": "2031-01-01T18:00:00+00:00", "finish": "2031-01-01T21:00:00+00:00"}
EVENT_FORM = {
    "title": "Mine",
    "starts_at": "2031-01-01T18:00",
    "ends_at": "2031-01-01T21:00",
    "status": "draft",
}


@dataclass(frozen=True)
class Try:
    """B (`who`: org, seller, token, shop, or a console account) sends this naming A's ids."""

    who: str
    method: str
    path: str
    body: Any = None
    status: int = 404
    code: str | int | None = None  # Kassa's error code, or the delivery face's number

    def __str__(self) -> str:
        return f"{self.who} {self.method} {self.path}"


CANCEL = {"reason": "customer_request"}
SET = "/v1/resources/events/{a.event}/sets/{a.set}"
A_PROMO = "/v1/resources/events/{a.event}/promocodes/{a.promo}"
WAITING_LIST = "/api/v1/events/{a.event}/sets/{a.set}/waiting_list"
ORDER_IDS = ("{a.order}", "{a.delivery_order}", "{a.loyalty_kassa_id}")

TICKETING_V1 = [
    Try("seller", "GET", "/v1/resources/orders/{a.order}", code="order_not_found"),
    Try("org", "GET", "/v1/resources/orders/{a.order}", code="order_not_found"),
    Try("org", "GET", "/v1/resources/orders/{a.order}/tickets", code="order_not_found"),
    Try("org", "PATCH", "/v1/resources/orders/{a.order}", {"status": "canceled"}),
    Try("seller", "PATCH", "/v1/resources/orders/{a.order}", {"random": {"{a.set}": 1}}),
    Try("seller", "PATCH", "/v1/resources/orders/{a.done_order}", {"status": "canceled"}),
    Try("org", "DELETE", "/v1/resources/orders/{a.order}", code="order_not_found"),
    # References in a body: A's event, A's set on B's event, A's ticket in B's order.
    Try(
        "seller",
        "POST",
        "/v1/resources/orders",
        {"event": "{a.event}", "random": {"{a.set}": 1}},
        400,
        "event_not_found",
    ),
    Try(
        "seller",
        "POST",
        "/v1/resources/orders",
        {"event": "{b.event}", "random": {"{a.set}": 1}},
        400,
        "set_not_found",
    ),
    Try(
        "seller",
        "POST",
        "/v1/resources/orders",
        {"event": "{b.event}", "tickets": ["{a.ticket}"]},
        400,
        "ticket_not_in_event",
    ),
    Try(
        "seller",
        "PATCH",
        "/v1/resources/orders/{b.order}",
        {"tickets": ["{a.ticket}"]},
        400,
        "ticket_not_in_event",
    ),
]

CATALOGUE = [
    Try("seller", "GET", "/v1/resources/events/{a.event}", code="event_not_found"),
    Try("org", "GET", "/v1/resources/events/{a.event}/sets", code="event_not_found"),
    Try("org", "GET", "/v1/resources/events/{a.event}/tickets", code="event_not_found"),
    Try("org", "PATCH", "/v1/resources/events/{a.event}", {"age_rating": 18}),
    Try(
        "org",
        "POST",
        "/v1/resources/events/{a.event}/sets",
        {"name": "X", "price": "1.00", "amount": 1},
    ),
    Try("org", "PATCH", SET, {"name": "Mine"}, code="event_not_found"),
    Try("org", "PATCH", "/v1/resources/events/{b.event}/sets/{a.set}", {"name": "Mine"}),
    Try("org", "POST", SET + "/rules", {"price": "1.00"}, code="event_not_found"),
    Try("org", "POST", "/v1/resources/events/{b.event}/sets/{a.set}/rules", {"price": "1.00"}),
    Try("org", "DELETE", SET + "/rules/{a.rule}", code="event_not_found"),
    Try("org", "DELETE", "/v1/resources/events/{b.event}/sets/{b.set}/rules/{a.rule}"),
    # An event's venue: A's venue on B's new event, or on B's event.
    Try(
        "org",
        "POST",
        "/v1/resources/events",
        {"title": {"text": "Mine"}, "lifetime": FAR, "venue": "{a.venue}"},
        400,
    ),
    Try("org", "PATCH", "/v1/resources/events/{b.event}", {"venue": "{a.venue}"}, 400),
]

PROMOCODES = [
    Try("org", "GET", "/v1/resources/events/{a.event}/promocodes", code="event_not_found"),
    Try(
        "org",
        "POST",
        "/v1/resources/events/{a.event}/promocodes",
        {"code": "MINE", "discount": {"fix": "1.00"}},
    ),
    Try("org", "GET", A_PROMO, code="event_not_found"),
    Try("org", "PATCH", A_PROMO, {"active": False}, code="event_not_found"),
    Try("org", "GET", "/v1/resources/events/{b.event}/promocodes/{a.promo}"),
    Try("org", "PATCH", "/v1/resources/events/{b.event}/promocodes/{a.promo}", {"limit": 1}),
    # A code's sets: A's set on B's event's code.
    Try(
        "org",
        "POST",
        "/v1/resources/events/{b.event}/promocodes",
        {"code": "MINE", "discount": {"fix": "1.00"}, "sets": ["{a.set}"]},
        400,
        "promocode_invalid",
    ),
    Try(
        "org",
        "PATCH",
        "/v1/resources/events/{b.event}/promocodes/{b.promo}",
        {"sets": ["{a.set}"]},
        400,
        "promocode_invalid",
    ),
    Try(
        "seller",
        "POST",
        "/v2/services/promocodes/check",
        {"event": "{a.event}", "code": "{a.promo_code}"},
    ),
]

TICKETING_V2 = [
    Try("seller", "GET", "/v2/resources/orders/{a.order}"),
    Try("seller", "PATCH", "/v2/resources/orders/{a.order}", {"status": "cancelled"}),
    Try("org", "PATCH", "/v2/resources/orders/{a.order}", {"promocodes": ["{a.promo_code}"]}),
    Try("seller", "POST", "/v2/resources/orders", {"event": "{a.event}", "random": {}}, 400),
    Try("seller", "GET", "/v2/resources/refund_requests/{a.refund}"),
    Try("org", "PATCH", "/v2/resources/refund_requests/{a.refund}", {"status": "approved"}),
    Try(
        "seller",
        "POST",
        "/v2/resources/refund_requests",
        {"order": "{a.done_order}", "culprit": "user", "tickets": ["{a.done_ticket}"]},
    ),
    Try(
        "seller",
        "POST",
        "/v2/resources/refund_requests",
        {"order": "{b.done_order}", "culprit": "user", "tickets": ["{a.done_ticket}"]},
        400,
    ),
]

KASSA_API = [
    *(Try("org", "GET", f"/api/v1/orders/{i}/timeline", code="order_not_found") for i in ORDER_IDS),
    *(Try("org", "GET", f"/api/v1/orders/{i}/cancellation") for i in ORDER_IDS),
    *(Try("org", "POST", f"/api/v1/orders/{i}/cancellation", CANCEL) for i in ORDER_IDS),
    Try("seller", "POST", "/api/v1/orders/{a.order}/cancellation", CANCEL),
    Try("org", "POST", "/api/v1/events/{a.event}/cancellation", {"reason": "x"}),
    Try("org", "GET", "/api/v1/events/{a.event}/cancellation", code="event_not_found"),
    Try("org", "GET", WAITING_LIST, code="event_not_found"),
    Try("org", "POST", WAITING_LIST, {"email": "me@b.test"}, code="event_not_found"),
    Try("seller", "POST", WAITING_LIST, {"email": "me@b.test"}, code="event_not_found"),
    Try(
        "org",
        "POST",
        "/api/v1/events/{b.event}/sets/{a.set}/waiting_list",
        {"email": "me@b.test"},
        code="set_not_found",
    ),
]

DELIVERY_ADMIN = [
    Try("org", "GET", "/api/v1/delivery/restaurants/{a.restaurant}/menu"),
    Try(
        "org",
        "PUT",
        "/api/v1/delivery/restaurants/{a.restaurant}/menu",
        {"items": [{"id": "borscht", "name": "Mine", "price": "1.00", "stock": "0"}]},
        code="restaurant_not_found",
    ),
    Try(
        "org",
        "POST",
        "/api/v1/delivery/orders/{a.delivery_order}/status",
        {"status": "ACCEPTED_BY_RESTAURANT"},
        code="delivery_order_not_found",
    ),
    # A restaurant's loyalty shop (the attack of test_a_restaurant_cannot_earn_in_...).
    Try(
        "org",
        "POST",
        "/api/v1/delivery/restaurants",
        {"title": "Trap", "id": "trap", "loyalty_shop": "{a.shop}"},
        400,
        "shop_unknown",
    ),
]

LOYALTY_ADMIN = [
    Try("org", "PUT", "/api/v1/loyalty/shops/{a.shop}/program", {"earn_percent": "90"}),
    Try(
        "org",
        "POST",
        "/api/v1/loyalty/shops/{a.shop}/promo_codes",
        {"code": "MINE", "kind": "fix", "value": "1"},
    ),
    Try("org", "POST", "/api/v1/loyalty/shops/{a.shop}/certificates", {"amount": "1000"}),
    Try("org", "GET", "/api/v1/loyalty/shops/{a.shop}/members/{a.member}"),
    Try(
        "org",
        "POST",
        "/api/v1/loyalty/shops/{a.shop}/members/{a.member}/adjust",
        {"amount": "5000", "reason": "mine"},
    ),
    Try("org", "GET", "/api/v1/loyalty/shops/{b.shop}/members/{a.member}"),
    # An event's shop: A's shop for B's event, A's event in B's shop.
    Try("org", "PUT", "/api/v1/loyalty/shops/{a.shop}/events/{b.event}"),
    Try("org", "PUT", "/api/v1/loyalty/shops/{b.shop}/events/{a.event}", code="event_not_found"),
    Try("org", "DELETE", "/api/v1/loyalty/shops/{a.shop}/events/{a.event}"),
    Try("org", "DELETE", "/api/v1/loyalty/shops/{b.shop}/events/{a.event}"),
]

WEBHOOKS_API = [
    Try("org", "DELETE", "/api/v1/webhooks/endpoints/{a.endpoint}", code="not_found"),
    Try("org", "POST", "/api/v1/webhooks/deliveries/{a.webhook_delivery}/replay"),
]

DELIVERY_FACE = [
    Try("token", "GET", "/order/{a.delivery_order}", code=404),
    Try(
        "token",
        "PUT",
        "/order/{a.delivery_order}",
        {"eatsId": "{a.eats_id}", "items": [{"id": "borscht", "quantity": 9, "price": 350}]},
    ),
    Try("token", "DELETE", "/order/{a.delivery_order}", {"eatsId": "{a.eats_id}", "comment": ""}),
    Try("token", "GET", "/order/{a.delivery_order}/status", code=404),
    Try("token", "PUT", "/order/{a.delivery_order}/status", {"status": "DELIVERED"}, code=404),
    Try(
        "token",
        "PUT",
        "/order/{a.delivery_order}/status",
        {"status": "CANCELLED", "reason": "place.missing_dish"},
    ),
    Try("token", "PUT", "/order/{a.delivery_order}/courier", {"name": "Mine"}, code=404),
    Try("token", "GET", "/menu/{a.restaurant}/composition", code=104),
    Try("token", "GET", "/menu/{a.restaurant}/availability", code=104),
    Try("token", "GET", "/menu/{a.restaurant}/promos", code=104),
    # An order's restaurant: A's, in B's aggregator's order.
    Try(
        "token",
        "POST",
        "/order",
        delivery_body("190330-99999999", "{a.restaurant}", "79990000002"),
        400,
        104,
    ),
]

LOYALTY_FACE = [
    Try("shop", "GET", "/loyalty/checkout/details", {"order_id": "{a.loyalty_order}"}),
    Try("shop", "POST", "/loyalty/checkout/confirm", {"order_id": "{a.loyalty_order}"}),
    Try("shop", "POST", "/loyalty/checkout/cancel", {"order_id": "{a.loyalty_order}"}),
    Try(
        "shop",
        "POST",
        "/loyalty/checkout/change",
        {
            "order_id": "{a.loyalty_order}",
            "cart_items": [{"product_id": "latte", "price": 250, "quantity": 1}],
        },
    ),
    Try("shop", "GET", "/loyalty/bonuses/balance", {"identifier": "{a.member}"}),
    Try("shop", "POST", "/loyalty/bonuses/balance", {"identifier": "{a.member}"}),
    Try("shop", "GET", "/loyalty/members/status", {"identifier": "{a.member}"}),
    Try("shop", "GET", "/loyalty/checkout/history", {"identifier": "{a.member}"}),
    # A's codes at B's till: A's certificate and promo code (a code that does not apply is
    # reported in the estimate, which still answers 200), and A's member's referral code.
    Try(
        "shop",
        "POST",
        "/loyalty/checkout/estimate",
        {
            "identifier": "{b.member}",
            "certificates": ["{a.certificate}"],
            "promo_codes": ["{a.shop_promo}"],
            "cart_items": [{"product_id": "latte", "price": 250, "quantity": 1}],
        },
        200,
    ),
    Try(
        "shop",
        "POST",
        "/loyalty/members/join",
        {"identifier": "79990000077", "referral_code": "{a.referral_code}"},
        400,
    ),
]

TICKET_PAGE = "/console/orders/tickets/{a.order}"
DELIVERY_PAGE = "/console/orders/delivery/{a.delivery_order}"
LOYALTY_PAGE = "/console/orders/loyalty/{a.loyalty_kassa_id}"
EVENT_PAGE = "/console/events/{a.event}"
CONSOLE = [
    Try("admin", "GET", TICKET_PAGE),
    Try("admin", "GET", TICKET_PAGE + "/cancellation"),
    Try("admin", "POST", TICKET_PAGE + "/cancellation", CANCEL),
    Try("admin", "POST", TICKET_PAGE + "/confirm", {}),
    Try("admin", "POST", TICKET_PAGE + "/resend", {"email": "me@b.test"}),
    Try("admin", "GET", DELIVERY_PAGE),
    Try("admin", "POST", DELIVERY_PAGE + "/status", {"status": "ACCEPTED_BY_RESTAURANT"}),
    Try("admin", "POST", DELIVERY_PAGE + "/cancel", CANCEL),
    Try("admin", "GET", DELIVERY_PAGE + "/partial", {"qty-borscht": "1"}),
    Try("admin", "POST", DELIVERY_PAGE + "/partial", {"qty-borscht": "1", **CANCEL}),
    Try("kitchen", "GET", DELIVERY_PAGE),
    Try("kitchen", "POST", DELIVERY_PAGE + "/status", {"status": "ACCEPTED_BY_RESTAURANT"}),
    Try("admin", "GET", LOYALTY_PAGE),
    Try("admin", "POST", LOYALTY_PAGE + "/cancel", CANCEL),
    Try("till", "GET", LOYALTY_PAGE),
    Try("till", "POST", LOYALTY_PAGE + "/partial", {"qty-latte": "1", **CANCEL}),
    Try("admin", "GET", EVENT_PAGE),
    Try("admin", "POST", EVENT_PAGE, EVENT_FORM),
    Try("admin", "GET", EVENT_PAGE + "/cancellation"),
    Try("admin", "POST", EVENT_PAGE + "/cancellation", {"reason": "x", "confirm": "yes"}),
    Try("admin", "POST", EVENT_PAGE + "/sets", {"name": "X", "price": "1", "capacity": "1"}),
    Try(
        "admin", "POST", EVENT_PAGE + "/sets/{a.set}", {"name": "X", "price": "1", "capacity": "1"}
    ),
    Try("admin", "POST", "/console/events/{b.event}/sets/{a.set}", {"price": "1", "capacity": "1"}),
    Try("admin", "POST", EVENT_PAGE + "/sets/{a.set}/rules", {"price": "1"}),
    Try("admin", "POST", "/console/events/{b.event}/sets/{a.set}/rules", {"price": "1"}),
    Try("admin", "POST", EVENT_PAGE + "/sets/{a.set}/rules/{a.rule}/delete", {}),
    Try("admin", "POST", "/console/events/{b.event}/sets/{b.set}/rules/{a.rule}/delete", {}),
    Try("admin", "POST", EVENT_PAGE + "/promocodes", {"code": "X", "kind": "fix", "value": "1"}),
    Try("admin", "POST", EVENT_PAGE + "/sets/{a.set}/waiting_list", {"email": "me@b.test"}),
    Try("admin", "POST", EVENT_PAGE + "/promocodes/{a.promo}", {"active": "0"}),
    Try("admin", "POST", "/console/events/{b.event}/promocodes/{a.promo}", {"active": "0"}),
    Try("admin", "GET", "/console/kitchen/{a.restaurant}/board"),
    Try("kitchen", "GET", "/console/kitchen/{a.restaurant}/board"),
    Try(
        "admin",
        "POST",
        "/console/loyalty/{a.shop}/members/{a.member}/adjust",
        {"amount": "5000", "reason": "mine"},
    ),
    Try(
        "till",
        "POST",
        "/console/loyalty/{a.shop}/members/{a.member}/adjust",
        {"amount": "5000", "reason": "mine"},
    ),
    Try("admin", "POST", "/console/webhooks/endpoints/{a.endpoint}/remove", {}),
    Try("admin", "POST", "/console/webhooks/deliveries/{a.webhook_delivery}/replay", {}),
    Try("admin", "POST", "/console/operators/{a.operator_ids[viewer]}/disable", {}),
    # An operator's restaurant or shop: A's, on B's new operator.
    Try(
        "admin",
        "POST",
        "/console/operators",
        {
            "email": "cook@b.test",
            "role": "operator",
            "password": "long-enough",
            "restaurant": "{a.restaurant}",
        },
        400,
    ),
    Try(
        "admin",
        "POST",
        "/console/operators",
        {
            "email": "till2@b.test",
            "role": "operator",
            "password": "long-enough",
            "shop": "{a.shop}",
        },
        400,
    ),
]

CHECKLIST = [
    *TICKETING_V1,
    *CATALOGUE,
    *PROMOCODES,
    *TICKETING_V2,
    *KASSA_API,
    *DELIVERY_ADMIN,
    *LOYALTY_ADMIN,
    *WEBHOOKS_API,
    *DELIVERY_FACE,
    *LOYALTY_FACE,
    *CONSOLE,
]
