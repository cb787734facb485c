"""v2 races on PostgreSQL with two server processes: 409 for one order, never for two, and
the last use of a limited promo code taken exactly once."""

from typing import Any

import httpx
import pytest

from tests.e2e.conftest import KassaServer
from tests.e2e.helpers import (
    EVENTS,
    ORGANISER,
    SELLER,
    SaleSet,
    assert_no_5xx,
    burst,
    client,
    new_sale,
    statuses,
    ticket_ids,
    timeline,
)

pytestmark = pytest.mark.race

ORDERS_V2 = "/v2/resources/orders"
ATTEMPTS = 5


async def place_v2(http: httpx.AsyncClient, sale: SaleSet, count: int) -> dict[str, Any]:
    response = await http.post(
        ORDERS_V2, json={"event": sale.event_id, "random": {sale.set_id: count}}
    )
    assert response.status_code == 200, response.text
    data: dict[str, Any] = response.json()["data"]
    return data


def patch_vendor(order_id: str, value: str) -> Any:
    async def call(http: httpx.AsyncClient) -> httpx.Response:
        return await http.patch(
            f"{ORDERS_V2}/{order_id}", json={"vendor_data": {"order_id": value}}
        )

    return call


async def test_twenty_v2_patches_of_one_order_get_200_or_409(pg: KassaServer) -> None:
    """Each PATCH sets vendor_data.order_id to its own value; every 200 leaves one timeline
    entry and the order ends with one of the accepted values; every other answer is 409."""
    conflicts = 0
    async with client(pg.base_url, SELLER) as http:
        sale = await new_sale(http, 50, "v2 patch race")
        for attempt in range(ATTEMPTS):
            order = await place_v2(http, sale, 1)
            values = [f"a{attempt}-{i}" for i in range(20)]
            answers = await burst(
                pg.base_url, SELLER, [patch_vendor(order["id"], v) for v in values]
            )
            assert_no_5xx(answers)
            assert set(statuses(answers)) <= {200, 409}, statuses(answers)
            accepted = [v for v, a in zip(values, answers, strict=True) if a.status_code == 200]
            for refused in (a for a in answers if a.status_code == 409):
                assert refused.json() == {
                    "errors": [f"Order {order['id']} is being changed by another request"]
                }
            assert accepted
            final = (await http.get(f"{ORDERS_V2}/{order['id']}")).json()["data"]
            assert final["vendor_data"]["order_id"] in accepted
            entries = [
                e
                for e in await timeline(http, order["id"])
                if e["action"] == "order.details_changed"
            ]
            assert len(entries) == len(accepted)
            conflicts = len(answers) - len(accepted)
            if conflicts:
                break
    assert conflicts > 0, f"{ATTEMPTS} bursts of 20 PATCHes of one order, never a 409"
    pg.assert_alive_and_quiet()


async def test_patches_of_different_orders_never_block_each_other(pg: KassaServer) -> None:
    async with client(pg.base_url, SELLER) as http:
        sale = await new_sale(http, 50, "v2 parallel orders")
        orders = [await place_v2(http, sale, 1) for _ in range(20)]
    answers = await burst(
        pg.base_url, SELLER, [patch_vendor(o["id"], f"own-{i}") for i, o in enumerate(orders)]
    )
    assert statuses(answers) == {200: 20}
    pg.assert_alive_and_quiet()


async def test_the_last_use_of_a_code_is_taken_once_across_processes(pg: KassaServer) -> None:
    async with client(pg.base_url, SELLER) as http:
        sale = await new_sale(http, 50, "v2 promo race")
        created = await http.post(
            f"{EVENTS}/{sale.event_id}/promocodes",
            headers=ORGANISER,
            json={"code": "LASTONE", "discount": {"fix": "10.00"}, "limit": 1},
        )
        assert created.status_code == 201, created.text
        code = created.json()
        orders = [await place_v2(http, sale, 1) for _ in range(20)]

        def apply(order_id: str) -> Any:
            async def call(h: httpx.AsyncClient) -> httpx.Response:
                return await h.patch(f"{ORDERS_V2}/{order_id}", json={"promocodes": ["lastone"]})

            return call

        answers = await burst(pg.base_url, SELLER, [apply(o["id"]) for o in orders])
        assert statuses(answers) == {200: 20}
        holders = [a for a in answers if a.json()["data"]["promocodes"] == [code["id"]]]
        assert len(holders) == 1
        others = [a.json()["errors"] for a in answers if a not in holders]
        assert all(
            e == [{"code": "promocode_already_used", "msg": "Promocode already used"}]
            for e in others
        )
        used = await http.get(
            f"{EVENTS}/{sale.event_id}/promocodes/{code['id']}", headers=ORGANISER
        )
        assert used.json()["used"] == 1
        # Cancelling the holder gives the use back.
        holder_id = holders[0].json()["data"]["id"]
        gone = await http.patch(f"{ORDERS_V2}/{holder_id}", json={"status": "cancelled"})
        assert gone.status_code == 200
        used = await http.get(
            f"{EVENTS}/{sale.event_id}/promocodes/{code['id']}", headers=ORGANISER
        )
        assert used.json()["used"] == 0
        assert len(await ticket_ids(http, sale, "reserved")) == 19
    pg.assert_alive_and_quiet()


async def test_an_unlimited_code_counts_every_use_and_give_back_across_processes(
    pg: KassaServer,
) -> None:
    """Uses of a code without a limit are counted on its use rows, not its one row: 20 orders
    taking it at once count 20, their 20 cancels at once give all back, and a limit set then
    counts the given-back uses as given back (the last use is free again, and taken once)."""
    async with client(pg.base_url, SELLER) as http:
        sale = await new_sale(http, 50, "v2 unlimited promo race")
        created = await http.post(
            f"{EVENTS}/{sale.event_id}/promocodes",
            headers=ORGANISER,
            json={"code": "MANY", "discount": {"fix": "10.00"}},
        )
        assert created.status_code == 201, created.text
        code = created.json()
        code_url = f"{EVENTS}/{sale.event_id}/promocodes/{code['id']}"
        orders = [await place_v2(http, sale, 1) for _ in range(20)]

        def change(order_id: str, body: dict[str, Any]) -> Any:
            async def call(h: httpx.AsyncClient) -> httpx.Response:
                return await h.patch(f"{ORDERS_V2}/{order_id}", json=body)

            return call

        taken = await burst(
            pg.base_url, SELLER, [change(o["id"], {"promocodes": ["many"]}) for o in orders]
        )
        assert statuses(taken) == {200: 20}
        assert all(a.json()["data"]["promocodes"] == [code["id"]] for a in taken)
        assert (await http.get(code_url, headers=ORGANISER)).json()["used"] == 20

        cancelled = await burst(
            pg.base_url, SELLER, [change(o["id"], {"status": "cancelled"}) for o in orders[:19]]
        )
        assert statuses(cancelled) == {200: 19}
        assert (await http.get(code_url, headers=ORGANISER)).json()["used"] == 1

        limited = await http.patch(code_url, headers=ORGANISER, json={"limit": 2})
        assert limited.status_code == 200, limited.text
        fresh = [await place_v2(http, sale, 1) for _ in range(10)]
        answers = await burst(
            pg.base_url, SELLER, [change(o["id"], {"promocodes": ["many"]}) for o in fresh]
        )
        holders = [a for a in answers if a.json()["data"]["promocodes"] == [code["id"]]]
        assert len(holders) == 1  # 1 held + 1 taken now = the limit of 2
        assert (await http.get(code_url, headers=ORGANISER)).json()["used"] == 2
    pg.assert_alive_and_quiet()
