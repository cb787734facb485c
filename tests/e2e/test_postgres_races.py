"""Races on PostgreSQL: `kassa serve --workers 2`, hundreds of clients, exact counts."""

import random
from typing import Any

import pytest

from tests.e2e.conftest import KassaServer
from tests.e2e.helpers import (
    ORDERS,
    SELLER,
    assert_no_5xx,
    assert_v1_error,
    burst,
    buy,
    buyers_race_for_the_last_tickets,
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

PATCH_ATTEMPTS = 5


async def test_a_hundred_buyers_for_the_last_ten_tickets(pg: KassaServer) -> None:
    await buyers_race_for_the_last_tickets(pg.base_url, buyers=100, left=10)
    pg.assert_alive_and_quiet()


async def test_twenty_changes_to_one_order_at_once(pg: KassaServer) -> None:
    """Twenty PATCHes of one order, each to another ticket count: 200 or 409, never half.

    Each attempt uses a new order of 25 tickets, so every count asked (1..20) is a real change
    and every 200 leaves one entry in the timeline. A burst with no 409 is tried again (the
    invariants are checked on every attempt); some 409 must show up within a few.
    """
    conflicts = 0
    async with client(pg.base_url, SELLER) as http:
        sale = await new_sale(http, 200, "Patch race")
        for attempt in range(PATCH_ATTEMPTS):
            order = await place(http, sale, 25)
            counts = random.Random(attempt).sample(range(1, 21), 20)

            outcome = await patch_burst(pg.base_url, order["id"], sale, counts)

            for refused in outcome.refused:
                assert_v1_error(refused, 409, "order_busy")
            assert outcome.applied, "every change was refused: none can have been in flight"
            await check_patch_outcome(http, sale, order["id"], order["tickets"], outcome)
            conflicts = len(outcome.refused)
            gone = await http.patch(f"{ORDERS}/{order['id']}", json={"status": "canceled"})
            assert gone.status_code == 200, gone.text
            if conflicts:
                break
        assert await ticket_ids(http, sale, "reserved") == []
    assert conflicts > 0, f"{PATCH_ATTEMPTS} bursts of 20 changes to one order, never a 409"
    pg.assert_alive_and_quiet()


async def test_flash_sale_three_hundred_buyers_fifty_tickets(pg: KassaServer) -> None:
    """1-3 tickets each, all or nothing: 50 sold, or fewer only if nobody could be served."""
    async with client(pg.base_url, SELLER) as http:
        sale = await new_sale(http, 50, "Flash sale")
        wanted = random.Random(7).choices([1, 2, 3], k=300)

        answers = await burst(
            pg.base_url, SELLER, [buy(sale, n, all_or_nothing=True) for n in wanted]
        )

        assert_no_5xx(answers)
        assert set(statuses(answers)) <= {201, 400}, statuses(answers)
        served: list[dict[str, Any]] = []
        refused: list[int] = []
        for count, answer in zip(wanted, answers, strict=True):
            if answer.status_code == 201:
                order = answer.json()
                assert len(order["tickets"]) == count, (count, order["tickets"])
                served.append(order)
            else:
                assert_v1_error(answer, 400, "not_enough_tickets")
                refused.append(count)
        sold = [t for o in served for t in o["tickets"]]
        assert len(sold) == len(set(sold)), "a ticket is in two orders"
        left = 50 - len(sold)
        assert left >= 0
        could_have_been_served = [n for n in refused if n <= left]
        assert not could_have_been_served, (
            f"{len(sold)} sold, {left} left, yet {len(could_have_been_served)} buyers asking "
            f"for {sorted(set(could_have_been_served))} (<= {left}) were refused"
        )
        assert sorted(await ticket_ids(http, sale, "reserved")) == sorted(sold)
        assert len(await ticket_ids(http, sale, "vacant")) == left
        assert (await ticket_set(http, sale))["amount_vacant"] == left
    pg.assert_alive_and_quiet()
