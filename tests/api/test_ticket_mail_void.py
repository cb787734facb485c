"""void_ticket_mail on its own: inside the caller's transaction, on that order's unsent
ticket mails only."""

from typing import Any

import httpx

from kassa.app.mail_jobs import void_ticket_mail
from kassa.store.db import Database
from tests.api.helpers import outbox_rows
from tests.api.test_mail import done_order
from tests.conftest import FakeClock


async def ticket_mails(db: Database) -> list[dict[str, Any]]:
    return [r for r in await outbox_rows(db) if r["topic"] == "tickets.email"]


async def test_a_rolled_back_cancel_leaves_the_mail_as_it_was(
    client: httpx.AsyncClient, seller: dict[str, str], db: Database, clock: FakeClock
) -> None:
    order = await done_order(client, seller)
    before = await ticket_mails(db)
    async with db.unit_of_work() as uow:
        await void_ticket_mail(uow, order["id"], [t["id"] for t in order["tickets"]], clock())
    assert await ticket_mails(db) == before


async def test_only_that_orders_unsent_mails_change(
    client: httpx.AsyncClient, seller: dict[str, str], db: Database, clock: FakeClock
) -> None:
    mine, other = await done_order(client, seller), await done_order(client, seller)
    tickets = [t["id"] for t in mine["tickets"]]
    async with db.unit_of_work() as uow:
        await void_ticket_mail(uow, mine["id"], tickets[:1], clock())
        await uow.commit()
    by_order = {r["order_id"]: r for r in await ticket_mails(db)}
    assert by_order[mine["id"]]["payload"]["tickets"] == tickets[1:]
    assert by_order[other["id"]]["payload"]["tickets"] == [t["id"] for t in other["tickets"]]
    assert by_order[other["id"]]["delivered_at"] is None
