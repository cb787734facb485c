"""The hot path of every face, measured with bench/load.py at one concurrency.

Each flow first makes what it needs (members, an event with a promo code, orders) without
timing it, then times one phase per operation, each over its own objects, so a phase is one
kind of request only:

  loyalty    checkout/estimate, checkout/apply, checkout/confirm, checkout/cancel
             (64 members, a two-line cart, each order applied, confirmed, then cancelled)
  delivery   POST /order, PUT /order/{id}/status DELIVERED, DELETE /order/{id}
             (an item without stock limit; half the orders delivered, half deleted)
  v2         PATCH /v2/resources/orders/{id} with customer, vendor data and a promo code
  kassa      GET and POST /api/v1/orders/{id}/cancellation (preview, then apply its version)
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from load import Answer, CpuMeter, Outcome, request, run_phase

ORG_KEY = "047bdb8bcee44d3693371920aaf9135c"
SELLER_KEY = "0123456789abcdef0123456789abcdef"
SHOP = {
    "shop_id": "5f1e0c2d9b8a47e6a3c4d5e6f7a8b9c0",
    "shop_secret": "d3m0s3cr3t0123456789abcdef012345",
}
DELIVERY_CLIENT = ("demo-eats", "demo-eats-secret-0123456789abcdef")
RESTAURANT = "demo-kitchen-1"
ORG = {"Authorization": f"key {ORG_KEY}"}
SELLER = {"Authorization": f"key {SELLER_KEY}"}
MEMBERS = 64
# PostgreSQL round trips of each timed operation (bench/run.py's name: bench/roundtrips.py's
# name and its count; roundtrips.py says so when a count here is no longer true). bench/run.py
# holds each operation's CPU against the ceiling's reserve of as many round trips.
ROUND_TRIPS: dict[str, tuple[str, int]] = {
    "reserve": ("v1 reserve", 1),
    "cancel": ("v1 cancel", 3),
    "loyalty estimate": ("loyalty estimate", 1),
    "loyalty apply": ("loyalty apply", 3),
    "loyalty confirm": ("loyalty confirm", 3),
    "loyalty cancel": ("loyalty cancel", 3),
    "delivery POST /order": ("delivery POST", 3),
    "delivery status DELIVERED": ("delivery DELIVERED", 4),
    "delivery DELETE /order": ("delivery DELETE", 3),
    "v2 PATCH details+promo": ("v2 PATCH", 3),
    "kassa cancel preview": ("kassa preview", 1),
    "kassa cancel apply": ("kassa apply", 3),
}


@dataclass
class Measured:
    what: str
    outcome: Outcome
    cpu: dict[str, float]


class Bench:
    def __init__(self, host: str, port: int, meter: CpuMeter, ops: int, concurrency: int) -> None:
        self.host, self.port, self.meter = host, port, meter
        self.ops, self.concurrency = ops, concurrency
        self.results: list[Measured] = []

    async def untimed(self, items: Any, build: Callable[[Any], bytes], seen: Any = None) -> Outcome:
        return await run_phase(self.host, self.port, items, build, self.concurrency, seen)

    async def timed(
        self,
        what: str,
        items: Any,
        build: Callable[[Any], bytes],
        seen: Callable[[Any, Answer], Awaitable[None] | None] | None = None,
    ) -> Outcome:
        await self.meter.start()
        out = await run_phase(self.host, self.port, items, build, self.concurrency, seen)
        cpu = await self.meter.stop()
        self.results.append(Measured(what, out, cpu))
        return out


def _ok(answer: Answer) -> bool:
    return 200 <= answer.status < 300


async def loyalty(b: Bench) -> None:
    members = [f"7999200{n:04d}" for n in range(MEMBERS)]
    await b.untimed(
        members,
        lambda m: request("POST", "/loyalty/members/join", {}, {**SHOP, "identifier": m}),
    )
    cart = [
        {"product_id": "coffee", "price": 250, "quantity": 1},
        {"product_id": "cake", "price": 180, "quantity": 2},
    ]

    def checkout(name: str, n: int, **extra: Any) -> bytes:
        body = {**SHOP, "identifier": members[n % MEMBERS], "cart_items": cart, **extra}
        return request("POST", f"/loyalty/checkout/{name}", {}, body)

    await b.timed("loyalty estimate", range(b.ops), lambda n: checkout("estimate", n))
    applied: list[str] = []

    def keep(n: int, answer: Answer) -> None:
        if _ok(answer):
            applied.append(f"B-{n}")

    await b.timed(
        "loyalty apply", range(b.ops), lambda n: checkout("apply", n, order_id=f"B-{n}"), keep
    )
    order_body = lambda o: request(  # noqa: E731
        "POST", "/loyalty/checkout/confirm", {}, {**SHOP, "order_id": o}
    )
    await b.timed("loyalty confirm", list(applied), order_body)
    await b.timed(
        "loyalty cancel",
        list(applied),
        lambda o: request("POST", "/loyalty/checkout/cancel", {}, {**SHOP, "order_id": o}),
    )


async def delivery(b: Bench) -> None:
    form = (
        f"client_id={DELIVERY_CLIENT[0]}&client_secret={DELIVERY_CLIENT[1]}"
        "&grant_type=client_credentials&scope=read write"
    ).encode()
    got: list[str] = []

    def token(_: Any, answer: Answer) -> None:
        got.append(answer.json()["access_token"])

    await run_phase(
        b.host,
        b.port,
        [0],
        lambda _: request(
            "POST",
            "/security/oauth/token",
            {"Content-Type": "application/x-www-form-urlencoded"},
            form,
        ),
        1,
        token,
    )
    auth = {"Authorization": f"Bearer {got[0]}"}
    made: list[tuple[str, str]] = []

    def body(n: int) -> dict[str, Any]:
        return {
            "discriminator": "yandex",
            "platform": "YE",
            "eatsId": f"261130-{n:08d}",
            "restaurantId": RESTAURANT,
            "deliveryInfo": {
                "clientName": "Ivan",
                "phoneNumber": "+79990000001",
                "courierArrivementDate": "2026-11-24T12:00:00.000000+03:00",
            },
            "paymentInfo": {"itemsCost": 240, "paymentType": "CARD"},
            "items": [{"id": "kompot", "name": "kompot", "quantity": 2, "price": 120}],
            "persons": 1,
            "comment": "",
            "promos": [],
        }

    def keep(n: int, answer: Answer) -> None:
        if _ok(answer):
            made.append((answer.json()["orderId"], f"261130-{n:08d}"))

    await b.timed(
        "delivery POST /order",
        range(2 * b.ops),
        lambda n: request("POST", "/order", auth, body(n)),
        keep,
    )
    half = len(made) // 2
    await b.timed(
        "delivery status DELIVERED",
        made[:half],
        lambda o: request("PUT", f"/order/{o[0]}/status", auth, {"status": "DELIVERED"}),
    )
    await b.timed(
        "delivery DELETE /order",
        made[half:],
        lambda o: request("DELETE", f"/order/{o[0]}", auth, {"eatsId": o[1], "comment": "bench"}),
    )


async def v2_and_kassa(b: Bench, event_id: str, set_id: str) -> None:
    """v2 PATCH with a promo code; Kassa's cancellation preview and apply on those orders."""
    await b.untimed(
        [0],
        lambda _: request(
            "POST",
            f"/v1/resources/events/{event_id}/promocodes",
            ORG,
            {"code": "BENCH10", "discount": {"percentage": "10"}},
        ),
    )
    orders: list[str] = []

    def keep(_: Any, answer: Answer) -> None:
        if _ok(answer):
            orders.append(answer.json()["data"]["id"])

    await b.untimed(
        range(b.ops),
        lambda _: request(
            "POST", "/v2/resources/orders", SELLER, {"event": event_id, "random": {set_id: 2}}
        ),
        keep,
    )
    patch = {
        "settings": {"customer": {"name": "Ivan", "email": "ivan@example.com"}},
        "vendor_data": {"order_id": "shop-1"},
        "promocodes": ["BENCH10"],
    }
    await b.timed(
        "v2 PATCH details+promo",
        list(orders),
        lambda o: request("PATCH", f"/v2/resources/orders/{o}", SELLER, patch),
    )
    versions: dict[str, str] = {}

    def version(order_id: str, answer: Answer) -> None:
        if _ok(answer):
            versions[order_id] = answer.json()["version"]

    path = "/api/v1/orders/{}/cancellation"
    await b.timed(
        "kassa cancel preview",
        list(orders),
        lambda o: request("GET", path.format(o), SELLER),
        version,
    )
    await b.timed(
        "kassa cancel apply",
        list(versions.items()),
        lambda ov: request(
            "POST", path.format(ov[0]), SELLER, {"reason": "customer_request", "version": ov[1]}
        ),
    )


def bench_event(now: dt.datetime) -> dict[str, Any]:
    return {
        "title": {"text": "Bench faces"},
        "lifetime": {
            "start": (now + dt.timedelta(days=30)).isoformat(),
            "finish": (now + dt.timedelta(days=30, hours=3)).isoformat(),
        },
        "status": "public",
    }


async def all_faces(
    host: str, port: int, meter: CpuMeter, ops: int, concurrency: int, event: tuple[str, str]
) -> list[Measured]:
    b = Bench(host, port, meter, ops, concurrency)
    await loyalty(b)
    await delivery(b)
    await v2_and_kassa(b, *event)
    return b.results
