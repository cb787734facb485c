"""What an order's read brings along (`OrdersRepo.lock(..., policy=, promocode=)`): the
event's cancellation policy for a cancel under it, the promo code a change names. Each must
be exactly what its repository's own read gives, taken once, and the order the same as a
plain read. SQLite and PostgreSQL."""

from typing import Any

import httpx
import pytest

from kassa.app import demo
from kassa.store.db import Database
from tests.api.test_cancellation_policies import EVENT_POLICY, PAID, put
from tests.api.test_one_engine import loyalty_order, v2_order
from tests.conftest import FakeClock


@pytest.mark.parametrize(
    "terms", [None, {"paid": PAID}, {"unpaid": {"allowed": False}, "paid": PAID}]
)
async def test_the_policy_read_with_the_order_is_the_policy_read_alone(
    client: httpx.AsyncClient, demo_data: demo.DemoInfo, db: Database, terms: Any
) -> None:
    """A cancel under the policy reads the event's policy in the order's statement
    (`OrdersRepo.lock(..., policy=True)`); it must be what the policy's own read gives,
    with no policy, with one set, and taken only once."""
    if terms is not None:
        await put(client, EVENT_POLICY, terms)
    order = await v2_order(client, 1, promo=None)
    async with db.unit_of_work(write=False) as uow:
        found = await uow.orders.get(order["id"], policy=True)
        assert found is not None and found.id == order["id"] and len(found.lines) == 1
        ahead = await uow.policies.of_event(demo.V2_EVENT_ID)
        assert not uow.tx.event_policies  # taken: the next read goes to the database
        alone = await uow.policies.of_event(demo.V2_EVENT_ID)
        plain = await uow.orders.get(order["id"])
    assert ahead is not None and alone is not None
    assert ahead == alone
    assert (ahead[1] is None) == (terms is None)
    assert plain == found


@pytest.mark.parametrize("code", ["PROMO100", "promo100", "NO-SUCH-CODE"])
async def test_the_promo_code_read_with_the_order_is_the_code_read_alone(
    client: httpx.AsyncClient, demo_data: demo.DemoInfo, db: Database, code: str
) -> None:
    order = await v2_order(client, 1, promo=None)
    async with db.unit_of_work() as uow:
        found = await uow.orders.lock(order["id"], promocode=code)
        assert found is not None and len(found.lines) == 1
        ahead = await uow.promos.by_code(demo.V2_EVENT_ID, code)
        assert not uow.tx.promocodes_ahead  # taken: the next read goes to the database
        alone = await uow.promos.by_code(demo.V2_EVENT_ID, code)
        plain = await uow.orders.get(order["id"])
    assert ahead == alone
    assert (ahead is None) == (code == "NO-SUCH-CODE")
    assert plain == found


@pytest.mark.parametrize("confirmed", [False, True])
async def test_a_loyalty_cancels_read_after_its_locks_is_the_reads_alone(
    client: httpx.AsyncClient,
    demo_data: demo.DemoInfo,
    db: Database,
    clock: FakeClock,
    confirmed: bool,
) -> None:
    """A loyalty cancel locks the order and its member with the BEGIN and then reads the
    order, its shop, its ledger rows and coupons in one statement; the plan takes the rows
    and coupons from there. Each part must be what the plain reads give."""
    items = [{"product_id": "latte", "price": "250", "quantity": 2}]
    await loyalty_order(client, db, "AHEAD-1", items, confirm=confirmed, charge_bonuses=True)
    async with db.unit_of_work() as uow:
        order = await uow.loyalty.locked_for_cancel(demo.SHOP_ID, "AHEAD-1")
        ahead = await uow.loyalty.state(demo.SHOP_ID, order_id="AHEAD-1", coupons=True)
        alone = await uow.loyalty.state(demo.SHOP_ID, order_id="AHEAD-1", coupons=True)
        plain, _member = await uow.loyalty.order_and_member(demo.SHOP_ID, "AHEAD-1")
        shop = await uow.loyalty.shop(demo.SHOP_ID)
        confirm = await uow.loyalty.confirm_state(demo.SHOP_ID, "AHEAD-1", clock())
        member = await uow.loyalty.member(demo.SHOP_ID, identifier=demo.MEMBER)
        figures = await uow.loyalty.state(
            demo.SHOP_ID,
            member_id=member.id if member else None,
            figures=True,
            calculation=False,
            order_id="AHEAD-1",
        )
        assert await uow.loyalty.locked_for_cancel(demo.SHOP_ID, "NO-SUCH") is None
    assert order is not None and order == plain and ahead is not alone
    assert ahead.order == plain and ahead.shop == shop
    assert (ahead.rows, ahead.coupons) == (alone.rows, alone.coupons) and ahead.rows
    assert confirm.order == plain and confirm.rows == figures.rows
    assert confirm.figures == figures.figures and confirm.figures is not None
