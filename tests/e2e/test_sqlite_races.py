"""Races on SQLite: `kassa serve --workers 1`; writers queue (BEGIN IMMEDIATE), none fails."""

import random

import pytest

from tests.e2e.conftest import KassaServer
from tests.e2e.helpers import (
    SELLER,
    assert_no_5xx,
    assert_v1_error,
    burst,
    buy,
    check_patch_outcome,
    client,
    new_sale,
    patch_burst,
    place,
    statuses,
    ticket_ids,
    ticket_set,
)

pytestmark = pytest.mark.race


async def test_fifty_buyers_for_the_last_ten_tickets(sqlite: KassaServer) -> None:
    async with client(sqlite.base_url, SELLER) as http:
        sale = await new_sale(http, 30, "Last ten")
        early = await place(http, sale, 20)
        last_ten = await ticket_ids(http, sale, "vacant")
        assert len(last_ten) == 10

        answers = await burst(sqlite.base_url, SELLER, [buy(sale, 1)] * 50)

        assert_no_5xx(answers)
        assert statuses(answers) == {201: 10, 400: 40}
        for answer in answers:
            assert "database is locked" not in answer.text
            if answer.status_code == 400:
                assert_v1_error(answer, 400, "not_enough_tickets")
        orders = [a.json() for a in answers if a.status_code == 201]
        assert all(len(o["tickets"]) == 1 for o in orders), [o["tickets"] for o in orders]
        sold = [t for o in orders for t in o["tickets"]]
        assert sorted(sold) == sorted(last_ten), "the ten orders do not hold the last ten"
        reserved = await ticket_ids(http, sale, "reserved")
        assert sorted(reserved) == sorted(sold + early["tickets"])
        assert await ticket_ids(http, sale, "vacant") == []
        assert (await ticket_set(http, sale))["amount_vacant"] == 0
    sqlite.assert_alive_and_quiet()


async def test_twenty_changes_to_one_order_queue_up(sqlite: KassaServer) -> None:
    """One writer at a time: twenty PATCHes of one order are applied one after another.

    A 409 would be tolerated (it is a clean refusal), a 5xx or "database is locked" never; the
    order must end exactly as the last applied change left it.
    """
    async with client(sqlite.base_url, SELLER) as http:
        sale = await new_sale(http, 200, "Patch queue")
        order = await place(http, sale, 25)
        counts = random.Random(1).sample(range(1, 21), 20)

        outcome = await patch_burst(sqlite.base_url, order["id"], sale, counts)

        for refused in outcome.refused:
            assert_v1_error(refused, 409, "order_busy")
        assert len(outcome.applied) + len(outcome.refused) == 20
        assert outcome.applied
        await check_patch_outcome(http, sale, order["id"], order["tickets"], outcome)
    sqlite.assert_alive_and_quiet()
