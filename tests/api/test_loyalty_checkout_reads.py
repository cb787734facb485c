"""The loyalty checkout's rarer paths, over HTTP on SQLite and PostgreSQL: a re-apply that gets
back what the order held, a re-apply by another member, a cancel that keeps an issued coupon
another order used. (The hot paths read the order, the member and what they hold in few
statements; these pin what they answer.)"""

from decimal import Decimal
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from kassa.app import demo
from kassa.store.db import Database
from kassa.store.tables import loyalty_coupons, loyalty_ledger
from tests.api.test_loyalty import MEMBER, REFERRED, call, cart, ledger_state, ok


@pytest.fixture
async def shop(client: httpx.AsyncClient, demo_data: demo.DemoInfo) -> None:
    """The demo shop with its members (seeded with the rest of the demo)."""


async def test_a_reapply_spends_again_what_the_order_gave_back(
    client: httpx.AsyncClient, shop: None
) -> None:
    before = (await ledger_state(client, MEMBER))["bonuses"]
    assert before > 0
    body: dict[str, Any] = {"identifier": MEMBER, "charge_bonuses": True}
    big = cart(("tv", "100000", 1))
    first = await ok(client, "apply", order_id="RA-1", cart_items=big, **body)
    used = Decimal(str(first["bonuses_used"]))
    assert used > 0
    assert (await ledger_state(client, MEMBER))["bonuses"] == before - used
    again = await ok(client, "apply", order_id="RA-1", cart_items=big, **body)
    assert again == first
    assert (await ledger_state(client, MEMBER))["bonuses"] == before - used
    await ok(client, "cancel", order_id="RA-1")
    assert (await ledger_state(client, MEMBER))["bonuses"] == before


async def test_a_reapply_by_another_member_is_refused(
    client: httpx.AsyncClient, shop: None
) -> None:
    await ok(client, "apply", order_id="AM-1", identifier=MEMBER, cart_items=cart(("a", "10", 1)))
    other = await call(
        client, "apply", order_id="AM-1", identifier=REFERRED, cart_items=cart(("a", "10", 1))
    )
    assert other.status_code == 400, other.text
    assert other.json()["payload"]["message"] == "Order belongs to another member"
    nobody = await call(client, "apply", order_id="AM-1", cart_items=cart(("a", "10", 1)))
    assert nobody.status_code == 400, nobody.text
    assert nobody.json()["payload"]["message"] == "Order belongs to another member"
    same = await ok(
        client, "apply", order_id="AM-1", identifier=MEMBER, cart_items=cart(("a", "20", 1))
    )
    assert same["identifier"] == MEMBER


async def test_a_cancel_keeps_an_issued_coupon_another_order_used(
    client: httpx.AsyncClient, shop: None, db: Database
) -> None:
    await ok(
        client, "apply", order_id="K-1", identifier=MEMBER, cart_items=cart(("set", "3500", 1))
    )
    await ok(client, "confirm", order_id="K-1")
    async with db.unit_of_work(write=False) as uow:
        [coupon] = (await uow.tx.execute(select(loyalty_coupons))).all()
    assert coupon.status == "active" and coupon.issued_by == "K-1"
    await ok(
        client,
        "apply",
        order_id="K-2",
        identifier=MEMBER,
        promo_codes=[coupon.code],
        cart_items=cart(("tea", "500", 1)),
    )
    await ok(client, "cancel", order_id="K-1")
    async with db.unit_of_work(write=False) as uow:
        [kept] = (await uow.tx.execute(select(loyalty_coupons))).all()
        notes = (
            await uow.tx.execute(
                select(loyalty_ledger.c.note).where(
                    loyalty_ledger.c.order_id == "K-1", loyalty_ledger.c.account == "coupon"
                )
            )
        ).all()
    assert (kept.status, kept.used_by) == ("used", "K-2")
    assert [n.note for n in notes] == [
        f"coupon {coupon.code} issued by this order was already used by order K-2: kept"
    ]
    # The order that used it gives it back on its cancel: it is active again.
    await ok(client, "cancel", order_id="K-2")
    async with db.unit_of_work(write=False) as uow:
        [back] = (await uow.tx.execute(select(loyalty_coupons))).all()
    assert (back.status, back.used_by) == ("active", None)
