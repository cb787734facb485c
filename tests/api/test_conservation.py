"""Conservation, property-based: any order (random sets and counts, with or without a promo
code, a loyalty member as buyer), any sequence of partial cancels, then paid or not, then a
full cancel or refund, leaves every ticket count, every promo code's uses and every member's
bonuses exactly where they started. Hypothesis drives it; each example runs on a loop of its
own against the real app and database (SQLite and PostgreSQL)."""

from collections import Counter
from decimal import Decimal
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from kassa.app import demo
from kassa.config import Settings
from kassa.store.db import Database
from tests.conftest import FakeClock, create_app, run_sync

SELLER = {"Authorization": f"key {demo.PARTNER_KEY}"}
ORGANISER = {"Authorization": f"key {demo.ORG_KEY}"}
SETS = (demo.V2_STALLS_SET_ID, demo.V2_BALCONY_SET_ID)
ORDERS = "/v2/resources/orders"

scenarios = st.fixed_dictionaries(
    {
        "counts": st.tuples(st.integers(0, 4), st.integers(0, 4)).filter(lambda c: sum(c) > 0),
        "promo": st.sampled_from([None, "PROMO100", "promo5%"]),
        "member": st.booleans(),
        "cuts": st.lists(st.integers(0, 10), max_size=3),
        "paid": st.booleans(),
    }
)


async def _state(http: httpx.AsyncClient) -> dict[str, Any]:
    tickets = (
        await http.get(f"/v1/resources/events/{demo.V2_EVENT_ID}/tickets", headers=ORGANISER)
    ).json()
    counts = Counter(t["status"] for t in tickets)
    codes = (
        await http.get(f"/v1/resources/events/{demo.V2_EVENT_ID}/promocodes", headers=ORGANISER)
    ).json()
    member = (
        await http.get(
            "/loyalty/bonuses/balance",
            params={
                "shop_id": demo.SHOP_ID,
                "shop_secret": demo.SHOP_SECRET,
                "identifier": demo.MEMBER,
            },
        )
    ).json()
    return {
        "tickets": dict(counts),
        "uses": {c["code"]: c["used"] for c in codes},
        "bonuses": Decimal(str(member["payload"]["bonuses_balance"])),
    }


async def _scenario(url: str, s: dict[str, Any]) -> None:
    db = Database(url, pool_size=4)
    app = create_app(Settings(database_url=url), db=db, clock=FakeClock())
    try:
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://kassa.test"
        ) as http:
            start = await _state(http)
            body: dict[str, Any] = {
                "event": demo.V2_EVENT_ID,
                "random": {set_id: n for set_id, n in zip(SETS, s["counts"], strict=True) if n},
            }
            if s["promo"]:
                body["promocodes"] = [s["promo"]]
            if s["member"]:
                body["settings"] = {"customer": {"phone": "+79990000001", "email": "m@x.ru"}}
            response = await http.post(ORDERS, headers=SELLER, json=body)
            assert response.status_code == 200, response.text
            order = response.json()["data"]
            held = [t["id"] for t in order["tickets"]]
            for cut in s["cuts"]:
                if len(held) < 2:
                    break
                gone = held[cut % len(held)]
                answer = await http.post(
                    f"/api/v1/orders/{order['id']}/cancellation",
                    headers=SELLER,
                    json={"reason": "customer_request", "tickets": [gone]},
                )
                assert answer.status_code == 200, answer.text
                held.remove(gone)
                data = (await http.get(f"{ORDERS}/{order['id']}", headers=SELLER)).json()["data"]
                values = data["values"]
                total = sum(Decimal(t["full"]) for t in data["tickets"])
                assert Decimal(values["full"]) == total
                assert Decimal(values["nominal"]) == Decimal(values["price"]) - Decimal(
                    values["discount"]
                )
            if s["paid"]:
                done = await http.patch(
                    f"{ORDERS}/{order['id']}", headers=SELLER, json={"status": "done"}
                )
                assert done.status_code == 200, done.text
            end = await http.post(
                f"/api/v1/orders/{order['id']}/cancellation",
                headers=SELLER,
                json={"reason": "event_cancelled"},
            )
            assert end.status_code == 200, end.text
            assert await _state(http) == start
    finally:
        await db.dispose()


@pytest.fixture
def linked(database_url: str) -> str:
    """The demo, with the v2 event attached to the demo loyalty shop."""

    async def seed() -> None:
        db = Database(database_url, pool_size=2)
        try:
            app = create_app(Settings(database_url=database_url), db=db, clock=FakeClock())
            from kassa.app.demo import seed as seed_demo

            await seed_demo(db, FakeClock()())
            async with httpx.AsyncClient(
                transport=httpx.ASGITransport(app=app), base_url="http://kassa.test"
            ) as http:
                linked = await http.put(
                    f"/api/v1/loyalty/shops/{demo.SHOP_ID}/events/{demo.V2_EVENT_ID}",
                    headers=ORGANISER,
                )
                assert linked.status_code == 200, linked.text
        finally:
            await db.dispose()

    run_sync(seed())
    return database_url


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(scenario=scenarios)
def test_partial_cancels_then_a_full_cancel_conserve_everything(
    linked: str, scenario: dict[str, Any]
) -> None:
    run_sync(_scenario(linked, scenario))


# -- delivery and loyalty orders, cancelled in part and then whole through Kassa's API ------

other_faces = st.fixed_dictionaries(
    {
        "dishes": st.dictionaries(
            st.sampled_from(["borscht", "kompot", "pelmeni"]), st.integers(1, 3), min_size=1
        ),
        "cart": st.dictionaries(
            st.sampled_from(["latte", "cake", "coffee", "tea"]), st.integers(1, 4), min_size=1
        ),
        "bonuses": st.booleans(),
        "promo": st.booleans(),
        "certificate": st.booleans(),
        "cuts": st.lists(st.tuples(st.integers(0, 9), st.integers(1, 3)), max_size=3),
    }
)
PRICES = {"latte": "250", "cake": "400.50", "coffee": "150", "tea": "99.99"}
_seq = iter(range(10**9))


async def _other_state(http: httpx.AsyncClient) -> dict[str, Any]:
    from tests.api.test_delivery import stock
    from tests.api.test_loyalty import certificate_left, ledger_state

    return {
        "stock": await stock(http),
        "member": await ledger_state(http, demo.MEMBER),
        "certificate": await certificate_left(http),
    }


async def _cut(
    http: httpx.AsyncClient, order_id: str, have: dict[str, int], pick: int, amount: int
) -> None:
    """Cancel part of one line (never the last unit of the order)."""
    if sum(have.values()) < 2:
        return
    item = sorted(have)[pick % len(have)]
    quantity = min(amount, have[item], sum(have.values()) - 1)
    answer = await http.post(
        f"/api/v1/orders/{order_id}/cancellation",
        headers=ORGANISER,
        json={"reason": "customer_request", "items": [{"id": item, "quantity": quantity}]},
    )
    assert answer.status_code == 200, answer.text
    have[item] -= quantity
    if not have[item]:
        del have[item]


async def _other_scenario(url: str, s: dict[str, Any]) -> None:
    from tests.api.test_delivery import order_body, send, token
    from tests.api.test_loyalty import ok

    db = Database(url, pool_size=4)
    app = create_app(Settings(database_url=url), db=db, clock=FakeClock())
    number = next(_seq)
    try:
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://kassa.test"
        ) as http:
            start = await _other_state(http)
            auth = await token(http)
            created = await send(
                http, "POST", "/order", auth, order_body(f"190330-{number:08d}", **s["dishes"])
            )
            assert created.status_code == 200, created.text
            delivery_id = created.json()["orderId"]
            dishes = dict(s["dishes"])

            extra: dict[str, Any] = {"charge_bonuses": s["bonuses"]}
            if s["promo"]:
                extra["promo_codes"] = [demo.LOYALTY_PROMO]
            if s["certificate"]:
                extra["certificates"] = [demo.CERTIFICATE]
            shop_order = f"PROP-{number}"
            await ok(
                http,
                "apply",
                order_id=shop_order,
                identifier=demo.MEMBER,
                cart_items=[
                    {"product_id": p, "price": Decimal(PRICES[p]), "quantity": q}
                    for p, q in s["cart"].items()
                ],
                **extra,
            )
            await ok(http, "confirm", order_id=shop_order)
            async with db.unit_of_work(write=False) as uow:
                found = await uow.loyalty.order(demo.SHOP_ID, shop_order)
            assert found is not None
            cart = dict(s["cart"])

            for pick, amount in s["cuts"]:
                await _cut(http, delivery_id, dishes, pick, amount)
                await _cut(http, found.id, cart, pick, amount)
            for order_id in (delivery_id, found.id):
                end = await http.post(
                    f"/api/v1/orders/{order_id}/cancellation",
                    headers=ORGANISER,
                    json={"reason": "other"},
                )
                assert end.status_code == 200, end.text
            assert await _other_state(http) == start
    finally:
        await db.dispose()


@pytest.fixture
def seeded(database_url: str) -> str:
    async def seed() -> None:
        db = Database(database_url, pool_size=2)
        try:
            await demo.seed(db, FakeClock()())
        finally:
            await db.dispose()

    run_sync(seed())
    return database_url


@settings(
    max_examples=20,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(scenario=other_faces)
def test_delivery_and_loyalty_partial_cancels_then_a_full_cancel_conserve_everything(
    seeded: str, scenario: dict[str, Any]
) -> None:
    run_sync(_other_scenario(seeded, scenario))


# -- the waiting list: offers hold tickets, and every ticket is somewhere ---------------------

WAITLIST_HOLD_S = 7200
steps = st.lists(
    st.one_of(
        st.tuples(st.just("buy"), st.integers(1, 3)),
        st.tuples(st.just("join"), st.integers(1, 3)),
        st.tuples(st.just("cancel"), st.integers(0, 9)),
        st.tuples(st.just("cut"), st.integers(0, 9)),
        st.tuples(st.just("pay"), st.integers(0, 9)),
        st.tuples(st.just("take"), st.integers(0, 9)),
        st.tuples(st.just("leave"), st.integers(0, 9)),
        st.tuples(st.just("pass_"), st.just(0)),
        st.tuples(st.just("expire"), st.just(0)),
        st.tuples(st.just("refill"), st.just(0)),
    ),
    min_size=1,
    max_size=14,
)


async def _ledger(db: Database, set_id: str, capacity: int) -> None:
    """Tickets in equal tickets out: vacant + reserved + sold + offered is the capacity, and
    every offered ticket is held by exactly one open offer."""
    from sqlalchemy import func, select

    from kassa.store.tables import tickets
    from kassa.store.waitlist_tables import waiting_list

    async with db.unit_of_work(write=False) as uow:
        counts = dict(
            (
                await uow.tx.execute(
                    select(tickets.c.status, func.count())
                    .where(tickets.c.set_id == set_id)
                    .group_by(tickets.c.status)
                )
            ).all()
        )
        offered = sorted(
            (
                await uow.tx.scalars(
                    select(tickets.c.id).where(
                        tickets.c.set_id == set_id, tickets.c.status == "offered"
                    )
                )
            ).all()
        )
        held = (
            await uow.tx.scalars(
                select(waiting_list.c.tickets).where(
                    waiting_list.c.set_id == set_id, waiting_list.c.status == "offered"
                )
            )
        ).all()
    assert set(counts) <= {"vacant", "reserved", "sold", "offered"}, counts
    assert sum(counts.values()) == capacity, counts
    assert sorted(t for entry in held for t in entry) == offered


class _Waitlisting:
    """One example's world: a set of four, its orders and its waiting list, driven through
    Kassa's API (orders, cancels, the list) and the worker's and buyer's steps."""

    def __init__(self, http: httpx.AsyncClient, db: Database, clock: FakeClock, t: Any) -> None:
        self.http, self.db, self.clock, self.t = http, db, clock, t
        self.line = f"/api/v1/events/{t.event_id}/sets/{t.set_id}/waiting_list"
        self.orders: list[str] = []
        self.people = 0

    async def step(self, action: str, n: int) -> None:
        await getattr(self, action)(n)

    async def buy(self, n: int) -> None:
        body = {"event": self.t.event_id, "random": {self.t.set_id: n}}
        answer = await self.http.post(ORDERS, headers=self.t.seller, json=body)
        if answer.status_code == 200:
            self.orders.append(answer.json()["data"]["id"])

    async def join(self, n: int) -> None:
        self.people += 1
        body = {"email": f"p{self.people}@x.io", "quantity": n}
        answer = await self.http.post(self.line, headers=self.t.organiser, json=body)
        assert answer.status_code in (201, 409), answer.text

    async def _cancel(self, order_id: str, tickets: list[str] | None = None) -> None:
        body: dict[str, Any] = {"reason": "customer_request"}
        if tickets:
            body["tickets"] = tickets
        url = f"/api/v1/orders/{order_id}/cancellation"
        await self.http.post(url, headers=self.t.organiser, json=body)

    async def cancel(self, n: int) -> None:
        if self.orders:
            await self._cancel(self.orders[n % len(self.orders)])

    async def cut(self, n: int) -> None:
        if not self.orders:
            return
        order_id = self.orders[n % len(self.orders)]
        got = (await self.http.get(f"{ORDERS}/{order_id}", headers=self.t.organiser)).json()
        held = [x["id"] for x in got["data"]["tickets"]]
        if len(held) > 1:
            await self._cancel(order_id, held[:1])

    async def pay(self, n: int) -> None:
        if self.orders:
            url = f"{ORDERS}/{self.orders[n % len(self.orders)]}"
            await self.http.patch(url, headers=self.t.seller, json={"status": "done"})

    async def _live(self) -> list[Any]:
        from kassa.store.waitlist import WaitlistRepo

        async with self.db.unit_of_work(write=False) as uow:
            return [e for e in await WaitlistRepo(uow.tx).of_set(self.t.set_id) if e.live]

    async def take(self, n: int) -> None:
        from kassa.app import waitlist_offers
        from kassa.app.orders import Holds
        from kassa.app.selflinks import Links, secret_of
        from kassa.app.waitlist_mail import offer_url

        offers = [e for e in await self._live() if e.offer_open(self.clock())]
        if offers:
            links = Links("http://kassa.test")
            secret = await secret_of(self.db, links, self.clock())
            token = offer_url(links, secret, offers[n % len(offers)]).rsplit("/", 1)[1]
            order, _ = await waitlist_offers.take_offer(
                self.db, links, token, self.clock(), Holds()
            )
            self.orders.append(order.id)

    async def leave(self, n: int) -> None:
        live = await self._live()
        if live:
            url = f"/api/v1/waiting_list/{live[n % len(live)].id}"
            gone = await self.http.delete(url, headers=self.t.organiser)
            assert gone.status_code == 200, gone.text

    async def pass_(self, _: int) -> None:
        from kassa.app import waitlist

        self.clock.advance(seconds=WAITLIST_HOLD_S + 1)
        await waitlist.pass_due(self.db, self.clock())

    async def expire(self, _: int) -> None:
        from kassa.app.cancellation import expire_due

        self.clock.advance(minutes=11)
        await expire_due(self.db, self.clock())

    async def refill(self, _: int) -> None:
        from kassa.app import waitlist

        await waitlist.refill(self.db, self.clock())

    async def give_everything_back(self) -> None:
        for order_id in self.orders:
            await self._cancel(order_id)
        for _ in await self._live():
            await self.leave(0)


async def _waitlist_scenario(url: str, plan: list[tuple[str, int]]) -> None:
    from tests.api.helpers import make_tenant

    clock = FakeClock()
    db = Database(url, pool_size=4)
    app = create_app(Settings(database_url=url), db=db, clock=clock)
    capacity = 4
    try:
        t = await make_tenant(db, clock(), name=f"Waiting {next(_seq)}", capacity=capacity)
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://kassa.test"
        ) as http:
            world = _Waitlisting(http, db, clock, t)
            for action, n in plan:
                await world.step(action, n)
                await _ledger(db, t.set_id, capacity)
            await world.give_everything_back()
            await _ledger(db, t.set_id, capacity)
            url_ = f"/v1/resources/events/{t.event_id}/tickets"
            tickets_now = (await http.get(url_, headers=t.organiser)).json()
            assert Counter(x["status"] for x in tickets_now) == {"vacant": capacity}
    finally:
        await db.dispose()


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(plan=steps)
@example(  # every move at least once: offers made, taken, passed, refilled after an expiry
    plan=[
        ("buy", 3),
        ("buy", 1),
        ("join", 1),
        ("join", 2),
        ("cancel", 1),
        ("take", 0),
        ("cut", 0),
        ("pay", 2),
        ("cancel", 2),
        ("pass_", 0),
        ("leave", 0),
        ("expire", 0),
        ("refill", 0),
    ]
)
def test_waiting_list_offers_conserve_every_ticket(
    database_url: str, plan: list[tuple[str, int]]
) -> None:
    run_sync(_waitlist_scenario(database_url, plan))
