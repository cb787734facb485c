"""Expiry at scale: several sweepers at once expire every due order exactly once; a confirm
racing the sweeper ends in exactly one of the two states, with the tickets to match."""

import asyncio
from datetime import timedelta

from sqlalchemy import func, select

from kassa.app import demo
from kassa.app.cancellation import expire_due
from kassa.app.cancellation import expire_if_due as expire_order
from kassa.app.orders import Holds, OrderChange, change_order, place_order
from kassa.core.errors import KassaError
from kassa.core.orders import Flow, OrderStatus, ReservationRequest
from kassa.core.tenancy import Principal
from kassa.store import tables
from kassa.store.db import Database
from tests.conftest import FakeClock

SELLER = Principal(demo.ORG_ID, demo.PARTNER_ID)
REQUEST = ReservationRequest(random={demo.STALLS_SET_ID: 1})


async def _count(db: Database, *where: object) -> int:
    async with db.unit_of_work(write=False) as uow:
        return int(
            await uow.tx.scalar(select(func.count()).select_from(tables.audit_log).where(*where))
            or 0
        )


async def test_four_sweepers_expire_each_order_once(
    db: Database, demo_data: demo.DemoInfo, clock: FakeClock
) -> None:
    for _ in range(60):
        await place_order(db, SELLER, demo.EVENT_ID, REQUEST, clock(), Holds())
    later = clock.advance(minutes=11)
    counts = await asyncio.gather(*(expire_due(db, later, batch=16) for _ in range(4)))
    assert sum(counts) == 60
    assert await _count(db, tables.audit_log.c.action == "order.expired") == 60
    async with db.unit_of_work(write=False) as uow:
        reserved = await uow.tx.scalar(
            select(func.count())
            .select_from(tables.tickets)
            .where(tables.tickets.c.status != "vacant")
        )
    assert reserved == 0


async def test_a_confirm_racing_the_sweeper_ends_in_one_state(
    db: Database, demo_data: demo.DemoInfo, clock: FakeClock
) -> None:
    """The confirm is sent a second before the hold runs out, the sweeper sweeps a second
    after: whichever takes the order first wins, the other changes nothing."""
    holds = Holds(reserve=timedelta(minutes=10))
    start = clock()
    orders = [
        await place_order(db, SELLER, demo.EVENT_ID, REQUEST, start, holds) for _ in range(20)
    ]
    before, after = (
        start + timedelta(minutes=10) - timedelta(seconds=1),
        start + timedelta(minutes=10, seconds=1),
    )

    async def confirm(order_id: str) -> str:
        try:
            await change_order(
                db,
                SELLER,
                order_id,
                OrderChange(status=OrderStatus.DONE),
                before,
                holds,
                Flow.DIRECT,
            )
        except KassaError as exc:
            return exc.code
        return "done"

    outcomes = await asyncio.gather(
        *(confirm(o.id) for o in orders), *(expire_order(db, o.id, after) for o in orders)
    )
    assert all(isinstance(x, (str, bool)) for x in outcomes)
    async with db.unit_of_work(write=False) as uow:
        for order in orders:
            found = await uow.orders.get(order.id)
            assert found is not None
            ticket = (
                await uow.tx.execute(
                    select(tables.tickets.c.status, tables.tickets.c.order_id).where(
                        tables.tickets.c.id == order.lines[0].ticket_id
                    )
                )
            ).one()
            if found.status is OrderStatus.DONE:
                assert ticket.status == "sold" and ticket.order_id == order.id
            else:
                assert found.status is OrderStatus.EXPIRED
                assert ticket.status == "vacant" or ticket.order_id != order.id
    done = sum(1 for x in outcomes[:20] if x == "done")
    expired = sum(1 for x in outcomes[20:] if x is True)
    assert done + expired == 20
