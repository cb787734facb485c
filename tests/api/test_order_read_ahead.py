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
from tests.api.test_one_engine import v2_order


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
