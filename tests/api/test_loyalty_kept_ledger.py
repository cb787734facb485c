"""A member's older ledger entries folded once (`kassa.store.loyalty_balances`), on SQLite and
PostgreSQL: kept only by a command that holds the member's lock, only for entries over an
hour old and only once enough of them are unfolded; and the figures read through a kept fold
are the figures the whole ledger gives, before and after more entries, at any later time."""

from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

import httpx
from sqlalchemy import delete, func, select

from kassa.app import console, demo
from kassa.store.db import Database
from kassa.store.loyalty_balances import KEEP_AFTER, ROLL_AFTER
from kassa.store.loyalty_hot import Figures
from kassa.store.loyalty_tables import loyalty_balances
from kassa.store.tables import loyalty_ledger, loyalty_members
from tests.api.test_loyalty import MEMBER, cart, ledger_state, ok
from tests.conftest import FakeClock

BIG = cart(("tv", "100000", 1))


async def kept(db: Database) -> list[Any]:
    async with db.unit_of_work(write=False) as uow:
        return list((await uow.tx.execute(select(loyalty_balances))).all())


async def figures(db: Database, member_id: str, *, whole: bool) -> Figures:
    """The member's figures as a checkout reads them; `whole`: without the kept fold (the
    cache dropped in a transaction that is rolled back)."""
    async with db.unit_of_work() as uow:
        if whole:
            await uow.tx.execute(delete(loyalty_balances))
        found = await uow.loyalty.state(demo.SHOP_ID, member_id=member_id, figures=True)
    assert found.figures is not None
    return found.figures


async def console_bonuses(db: Database, member_id: str, now: datetime) -> Decimal:
    """The member's bonuses as the console's member list shows them."""
    async with db.unit_of_work(write=False) as uow:
        shop = await uow.loyalty.shop(demo.SHOP_ID)
    assert shop is not None
    overview = await console.loyalty_overview(db, shop, now, 1, 1)
    [row] = [row for row in overview.members if row.member.id == member_id]
    return row.bonuses


async def same_figures(db: Database, member_id: str, times: list[datetime]) -> None:
    folded, whole = (
        await figures(db, member_id, whole=False),
        await figures(db, member_id, whole=True),
    )
    assert (folded.spent, folded.stickers) == (whole.spent, whole.stickers)
    for now in times:
        assert folded.bonuses(now) == whole.bonuses(now)
        assert await console_bonuses(db, member_id, now) == whole.bonuses(now)


async def test_older_entries_are_kept_folded_and_read_as_the_whole_ledger(
    client: httpx.AsyncClient, demo_data: demo.DemoInfo, db: Database, clock: FakeClock
) -> None:
    for n in range(14):  # a history: orders that spend bonuses, then earn on confirm
        body = {"identifier": MEMBER, "charge_bonuses": True, "bonuses_amount": 5}
        await ok(client, "apply", order_id=f"H-{n}", cart_items=cart(("tea", "900", 1)), **body)
        await ok(client, "confirm", order_id=f"H-{n}")
        clock.advance(minutes=3)
    async with db.unit_of_work(write=False) as uow:
        member_id = await uow.tx.scalar(
            select(loyalty_members.c.id).where(loyalty_members.c.identifier == MEMBER)
        )
        count = select(func.count()).where(loyalty_ledger.c.member_id == member_id)
        entries = await uow.tx.scalar(count.select_from(loyalty_ledger))
    assert entries >= ROLL_AFTER  # enough to be kept, but all younger than an hour
    assert await kept(db) == []

    clock.advance(seconds=KEEP_AFTER.total_seconds())
    before = await ledger_state(client, MEMBER)  # the organiser's view: the whole ledger
    estimate = await ok(client, "estimate", identifier=MEMBER, charge_bonuses=True, cart_items=BIG)
    assert await kept(db) == []  # a read-only estimate keeps nothing
    applied = await ok(
        client, "apply", order_id="NEW", identifier=MEMBER, charge_bonuses=True, cart_items=BIG
    )
    [row] = await kept(db)
    assert row.member_id == member_id and row.shop_id == demo.SHOP_ID
    assert row.upto <= clock() - KEEP_AFTER
    assert applied["bonuses_used"] == estimate["bonuses_used"] > 0
    assert Decimal(str(applied["bonuses_used"])) == before["bonuses"]
    later = [clock(), clock() + timedelta(days=200), clock() + timedelta(days=2000)]
    await same_figures(db, member_id, later)

    # Entries after the fold, on an order older than it and on the new one.
    await ok(client, "cancel", order_id="H-0")
    await ok(client, "cancel", order_id="NEW")
    await same_figures(db, member_id, later)
    after = await ledger_state(client, MEMBER)
    again = await ok(client, "estimate", identifier=MEMBER, charge_bonuses=True, cart_items=BIG)
    assert Decimal(str(again["bonuses_used"])) == after["bonuses"] != before["bonuses"]

    # Another roll moves the fold forward; an older one never replaces it.
    clock.advance(hours=2)
    for n in range(14):
        await ok(client, "apply", order_id=f"M-{n}", identifier=MEMBER, cart_items=BIG)
        await ok(client, "confirm", order_id=f"M-{n}")
    clock.advance(hours=2)
    await ok(client, "apply", order_id="LAST", identifier=MEMBER, cart_items=BIG)
    [moved] = await kept(db)
    assert moved.upto > row.upto
    await same_figures(db, member_id, later)
