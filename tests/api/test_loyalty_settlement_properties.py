"""Settlement, property-based: one member's several loyalty orders go through any sequence of
apply, confirm, change (a smaller cart, a partial cancel by the engine, or a larger one) and
cancel, with an operator's bonus adjustments of either sign in between. After every step:

- every order's ledger accounts hold exactly what its details show: the bonuses and
  certificate money it spends (`bonuses_used`, `certificates`) while Created or Fulfilled, and
  once Fulfilled its reward, its stickers and what it paid; nothing once Cancelled;
- a confirm is refused (in REES46's words) exactly when the member no longer covers the
  applied figures: bonuses spent while the balance is negative, or stickers no longer held;
- the checkout module's promise: the bonus balance goes negative, or deeper, only in a step
  that takes bonuses back (a reward revoked by a change or cancel, or an operator's
  correction), never in an apply or a confirm.

Once every order is cancelled, every account is back where it started, but for the
adjustments. Hypothesis drives it; each example runs on a loop of its own against the real
app and database (SQLite and PostgreSQL)."""

import itertools
from decimal import Decimal
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, event, example, given, settings
from hypothesis import strategies as st

from kassa.app import demo
from kassa.config import Settings
from kassa.core.loyalty_orders import current_accounts
from kassa.store.db import Database
from tests.api.test_loyalty import ADMIN, AUTH, ORGANISER, call, ledger_state, ok
from tests.conftest import FakeClock, create_app, run_sync

PRICES = {"latte": "250", "cake": "400.50", "coffee": "150", "tv": "2000"}
ORDERS = 3
REFUSED = "Could not confirm order in its current status"
_seq = itertools.count()

carts = st.dictionaries(st.sampled_from(sorted(PRICES)), st.integers(1, 7), min_size=1, max_size=3)
steps = st.one_of(
    st.tuples(st.just("apply"), st.integers(0, ORDERS - 1), carts, st.booleans(), st.booleans()),
    st.tuples(st.just("confirm"), st.integers(0, ORDERS - 1)),
    st.tuples(st.just("change"), st.integers(0, ORDERS - 1), st.booleans(), st.integers(0, 9)),
    st.tuples(st.just("cancel"), st.integers(0, ORDERS - 1)),
    st.tuples(st.just("adjust"), st.sampled_from([-900, -300, 150, 600])),
)
scenarios = st.fixed_dictionaries(
    {"bonuses": st.sampled_from([0, 500, 1000]), "steps": st.lists(steps, max_size=12)}
)


def _items(cart: dict[str, int]) -> list[dict[str, Any]]:
    return [{"product_id": p, "price": Decimal(PRICES[p]), "quantity": q} for p, q in cart.items()]


def _taken_back(row: dict[str, Any]) -> Decimal:
    """A ledger row's bonuses taken back: a revoked reward or an operator's negative
    correction (zero for any other row)."""
    amount = Decimal(str(row["amount"]))
    if row["account"] == "bonus" and row["entry"] in ("revoke", "adjust") and amount < 0:
        return amount
    return Decimal(0)


class Member:
    """One member's orders as the test drives them, and the checks after each step."""

    def __init__(self, http: httpx.AsyncClient, db: Database, identifier: str) -> None:
        self.http, self.db, self.identifier = http, db, identifier
        self.prefix = f"SET-{identifier}"
        self.status: dict[int, str] = {}  # created | fulfilled | cancelled
        self.carts: dict[int, dict[str, int]] = {}
        self.bodies: dict[int, dict[str, Any]] = {}
        self.adjusted = Decimal(0)
        self.seen: set[str] = set()

    def order(self, i: int) -> str:
        return f"{self.prefix}-{i}"

    async def ledger(self) -> list[dict[str, Any]]:
        answer = await self.http.get(f"{ADMIN}/members/{self.identifier}", headers=ORGANISER)
        assert answer.status_code == 200, answer.text
        rows: list[dict[str, Any]] = answer.json()["ledger"]
        return rows

    async def step(self, step: tuple[Any, ...]) -> None:
        before = await ledger_state(self.http, self.identifier)
        rows_before = len(await self.ledger())
        await getattr(self, f"_{step[0]}")(*step[1:], before)
        after = await ledger_state(self.http, self.identifier)
        new_rows = (await self.ledger())[rows_before:]
        taken = -sum(
            (
                Decimal(str(r["amount"]))
                for r in new_rows
                if r["account"] == "bonus"
                and (
                    r["entry"] == "revoke"
                    or (r["entry"] == "adjust" and Decimal(str(r["amount"])) < 0)
                )
            ),
            Decimal(0),
        )
        if after["bonuses"] < min(before["bonuses"], Decimal(0)):
            assert taken > 0, (step, before, after, new_rows)
            self.seen.add("a take-back left the balance negative")
        for i in self.status:
            await self.check_order(i)

    async def _apply(
        self, i: int, cart: dict[str, int], charge: bool, certificate: bool, _: Any
    ) -> None:
        body: dict[str, Any] = {"identifier": self.identifier, "charge_bonuses": charge}
        if certificate:
            body["certificates"] = [demo.CERTIFICATE]
        answer = await call(
            self.http, "apply", order_id=self.order(i), cart_items=_items(cart), **body
        )
        if self.status.get(i, "created") != "created":
            assert answer.status_code == 400
            assert (
                answer.json()["payload"]["message"] == "Could not apply order in its current status"
            )
            return
        assert answer.status_code == 200, answer.text
        self.status[i], self.carts[i], self.bodies[i] = "created", dict(cart), body

    async def _confirm(self, i: int, before: dict[str, Any]) -> None:
        if i not in self.status:
            return
        shown = await self.details(i)
        answer = await call(self.http, "confirm", order_id=self.order(i))
        if self.status[i] == "cancelled":
            assert answer.status_code == 400
            return
        short = any(before["stickers"].get(s, 0) < n for s, n in shown["used_stickers"].items())
        uncovered = Decimal(str(shown["bonuses_used"])) > 0 and before["bonuses"] < 0
        if self.status[i] == "created" and (short or uncovered):
            assert answer.status_code == 400, answer.text
            assert answer.json()["payload"]["message"] == REFUSED
            self.seen.add("a confirm was refused")
            return
        assert answer.status_code == 200, answer.text
        if self.status[i] == "created" and before["bonuses"] != shown["bonuses_balance_after"]:
            self.seen.add("the balance moved between apply and confirm")
        self.status[i] = "fulfilled"

    async def _change(self, i: int, larger: bool, pick: int, _: Any) -> None:
        if self.status.get(i) != "fulfilled":
            return
        cart = dict(self.carts[i])
        if larger:
            product = sorted(PRICES)[pick % len(PRICES)]
            cart[product] = cart.get(product, 0) + 1
        else:
            if sum(cart.values()) < 2:
                return
            product = sorted(cart)[pick % len(cart)]
            cart[product] -= 1 + pick % cart[product] if len(cart) > 1 else 1
            cart = {p: q for p, q in cart.items() if q > 0}
        answer = await call(
            self.http, "change", order_id=self.order(i), cart_items=_items(cart), **self.bodies[i]
        )
        assert answer.status_code == 200, answer.text
        self.carts[i] = cart

    async def _cancel(self, i: int, _: Any) -> None:
        if i not in self.status:
            return
        answer = await call(self.http, "cancel", order_id=self.order(i))
        if self.status[i] == "cancelled":
            assert answer.status_code == 400
            return
        assert answer.status_code == 200, answer.text
        self.status[i] = "cancelled"

    async def _adjust(self, amount: int, _: Any) -> None:
        done = await self.http.post(
            f"{ADMIN}/members/{self.identifier}/adjust",
            headers=ORGANISER,
            json={"amount": str(amount), "reason": "property test"},
        )
        assert done.status_code == 200, done.text
        self.adjusted += amount

    async def details(self, i: int) -> dict[str, Any]:
        answer = await self.http.get(
            "/loyalty/checkout/details", params={**AUTH, "order_id": self.order(i)}
        )
        assert answer.status_code == 200, answer.text
        payload: dict[str, Any] = answer.json()["payload"]
        return payload

    async def check_order(self, i: int) -> None:
        """The order's ledger accounts hold what its details show, for its status."""
        shown = await self.details(i)
        assert shown["status"] == self.status[i]
        async with self.db.unit_of_work(write=False) as uow:
            rows = await uow.loyalty.order_rows(demo.SHOP_ID, self.order(i))
        held: dict[tuple[str, str | None, bool], Decimal] = {}
        for (account, _m, certificate, sticker, spending), amount in current_accounts(rows).items():
            key = (account, certificate or sticker, spending)
            held[key] = held.get(key, Decimal(0)) + amount
        expected: dict[tuple[str, str | None, bool], Decimal] = {}
        if self.status[i] != "cancelled":
            expected[("bonus", None, True)] = -Decimal(str(shown["bonuses_used"]))
            for c in shown["certificates"]:
                expected[("certificate", c["id"], True)] = -Decimal(str(c["amount"]))
        if self.status[i] == "fulfilled":
            expected[("bonus", None, False)] = Decimal(str(shown["bonuses_reward"]))
            expected[("spent", None, False)] = Decimal(str(shown["order_to_pay"]))
            for sticker, n in shown["rewarded_stickers"].items():
                expected[("sticker", sticker, False)] = Decimal(n)
            for sticker, n in shown["used_stickers"].items():
                expected[("sticker", sticker, True)] = -Decimal(n)
        assert held == {k: v for k, v in expected.items() if v}, (i, self.status[i], shown)


async def _certificate_left(http: httpx.AsyncClient) -> Decimal:
    estimate = await ok(
        http,
        "estimate",
        certificates=[demo.CERTIFICATE],
        cart_items=[{"product_id": "big", "price": Decimal(5000), "quantity": 1}],
    )
    found = estimate["certificates"]
    return Decimal(str(found[0]["amount"])) if found else Decimal(0)


async def _scenario(url: str, scenario: dict[str, Any]) -> set[str]:
    """Run one scenario; returns what it went through, for Hypothesis' statistics."""
    db = Database(url, pool_size=4)
    app = create_app(Settings(database_url=url), db=db, clock=FakeClock())
    try:
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://kassa.test"
        ) as http:
            identifier = f"7988{next(_seq):07d}"
            joined = await http.post(
                "/loyalty/members/join", json={**AUTH, "identifier": identifier}
            )
            assert joined.status_code == 200, joined.text
            member = Member(http, db, identifier)
            if scenario["bonuses"]:
                await member._adjust(scenario["bonuses"], None)
            member.adjusted = Decimal(0)
            start = await ledger_state(http, identifier)
            certificate = await _certificate_left(http)
            for step in scenario["steps"]:
                await member.step(step)
            for i in sorted(member.status):
                if member.status[i] != "cancelled":
                    await member.step(("cancel", i))
            end = await ledger_state(http, identifier)
            assert end == {**start, "bonuses": start["bonuses"] + member.adjusted}
            assert await _certificate_left(http) == certificate
    finally:
        await db.dispose()
    return member.seen


@pytest.fixture
def seeded(database_url: str) -> str:
    """The demo (its loyalty shop and gift certificate), seeded once for every example."""

    async def seed() -> None:
        db = Database(database_url, pool_size=2)
        try:
            await demo.seed(db, FakeClock()())
        finally:
            await db.dispose()

    run_sync(seed())
    return database_url


@settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(scenario=scenarios)
# Found by this test: a smaller cart of a confirmed order whose stickers earned it a free
# coffee (the one engine's partial cancel) once recomputed its figures after appending its own
# ledger moves, so what the order held counted twice and the figures drifted from the ledger.
@example(
    scenario={
        "bonuses": 0,
        "steps": [
            ("apply", 2, {"cake": 1, "coffee": 6}, False, False),
            ("confirm", 2),
            ("apply", 0, {"cake": 1}, False, False),
            ("change", 2, False, 0),
        ],
    }
)
# The case: nothing to spend at apply, 600 bonuses added before confirm.
@example(
    scenario={
        "bonuses": 0,
        "steps": [("apply", 0, {"tv": 3}, True, False), ("adjust", 600), ("confirm", 0)],
    }
)
# The reserved bonuses taken away, then covered again; the order changed both ways.
@example(
    scenario={
        "bonuses": 1000,
        "steps": [
            ("apply", 0, {"tv": 1, "latte": 2}, True, True),
            ("apply", 1, {"coffee": 6}, True, False),
            ("confirm", 1),
            ("adjust", -900),
            ("confirm", 0),
            ("adjust", 600),
            ("confirm", 0),
            ("change", 0, False, 1),
            ("change", 0, True, 2),
            ("cancel", 1),
        ],
    }
)
def test_every_order_settles_what_it_shows_whatever_the_sequence(
    seeded: str, scenario: dict[str, Any]
) -> None:
    for seen in run_sync(_scenario(seeded, scenario)):
        event(seen)  # the scenario runs on a thread of its own: events are recorded here
