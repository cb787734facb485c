"""v2 refund requests: ask, approve (tickets back on sale, values shrink), reject, errors."""

import asyncio
from typing import Any

import httpx

from kassa.app import demo
from kassa.store.db import Database
from tests.api.helpers import db_state

EVENT = demo.V2_EVENT_ID
STALLS = demo.V2_STALLS_SET_ID
BALCONY = demo.V2_BALCONY_SET_ID
ORDERS = "/v2/resources/orders"
REFUNDS = "/v2/resources/refund_requests"


async def done_order(client: httpx.AsyncClient, seller: dict[str, str]) -> dict[str, Any]:
    order = (
        await client.post(
            ORDERS, headers=seller, json={"event": EVENT, "random": {STALLS: 2, BALCONY: 1}}
        )
    ).json()["data"]
    response = await client.patch(
        f"{ORDERS}/{order['id']}", headers=seller, json={"status": "done"}
    )
    data: dict[str, Any] = response.json()["data"]
    return data


async def ask(
    client: httpx.AsyncClient,
    headers: dict[str, str],
    order: dict[str, Any],
    tickets: list[str],
    **more: Any,
) -> httpx.Response:
    return await client.post(
        REFUNDS,
        headers=headers,
        json={"order": order["id"], "culprit": "user", "tickets": tickets, **more},
    )


async def vacant(client: httpx.AsyncClient, seller: dict[str, str]) -> set[str]:
    rows = (
        await client.get(
            f"/v1/resources/events/{EVENT}/tickets", headers=seller, params={"status": "vacant"}
        )
    ).json()
    return {r["id"] for r in rows}


async def test_approved_refund_returns_tickets_and_shrinks_the_order(
    client: httpx.AsyncClient, seller: dict[str, str], organiser: dict[str, str]
) -> None:
    order = await done_order(client, seller)
    stalls = [t["id"] for t in order["tickets"] if t["set"] == STALLS]
    response = await ask(client, seller, order, stalls[:1])
    assert response.status_code == 200
    refund = response.json()["data"]
    assert refund["status"] == "new" and refund["tickets"] == stalls[:1]
    assert refund["refund_nominal"] == "1000.00" and refund["customer_money"] == "1000.00"
    assert refund["order"] == order["id"] and refund["finished_at"] is None
    assert stalls[0] not in await vacant(client, seller)

    response = await client.patch(
        f"{REFUNDS}/{refund['id']}", headers=organiser, json={"status": "approved"}
    )
    assert response.status_code == 200
    approved = response.json()["data"]
    assert approved["status"] == "approved" and approved["finished_at"]
    assert stalls[0] in await vacant(client, seller)

    v2 = (await client.get(f"{ORDERS}/{order['id']}", headers=seller)).json()["data"]
    assert v2["status"] == "done"
    assert stalls[0] not in [t["id"] for t in v2["tickets"]]
    assert v2["values"]["nominal"] == "1500.00"
    v1 = (await client.get(f"/v1/resources/orders/{order['id']}", headers=seller)).json()
    assert v1["values"]["full"] == "1500.00" and stalls[0] not in v1["tickets"]
    timeline = (await client.get(f"/api/v1/orders/{order['id']}/timeline", headers=seller)).json()[
        "timeline"
    ]
    assert "order.partially_canceled" in [e["action"] for e in timeline]


async def test_reject_changes_nothing_and_frees_the_tickets_for_another_request(
    client: httpx.AsyncClient, seller: dict[str, str], organiser: dict[str, str]
) -> None:
    order = await done_order(client, seller)
    ticket = order["tickets"][0]["id"]
    refund = (await ask(client, seller, order, [ticket])).json()["data"]
    again = await ask(client, seller, order, [ticket])
    assert again.status_code == 400
    assert again.json() == {"errors": ["Some tickets already use in another refund request"]}
    rejected = await client.patch(
        f"{REFUNDS}/{refund['id']}", headers=organiser, json={"status": "rejected"}
    )
    assert rejected.json()["data"]["status"] == "rejected"
    assert ticket not in await vacant(client, seller)
    assert (await ask(client, seller, order, [ticket])).status_code == 200


async def test_refund_errors(
    client: httpx.AsyncClient,
    seller: dict[str, str],
    organiser: dict[str, str],
    new_tenant: Any,
    db: Database,
) -> None:
    order = await done_order(client, seller)
    executed = (
        await client.post(ORDERS, headers=seller, json={"event": EVENT, "random": {STALLS: 1}})
    ).json()["data"]
    before = await db_state(db)
    cases = [
        (
            executed,
            [executed["tickets"][0]["id"]],
            f"wrong order (id: {executed['id']}) status: executed",
        ),
        (order, [], "Empty tickets for refund"),
        (order, [executed["tickets"][0]["id"]], "bad tickets"),
    ]
    for target, tickets, message in cases:
        response = await ask(client, seller, target, tickets)
        assert response.status_code == 400, message
        assert response.json() == {"errors": [message]}
    assert await db_state(db) == before
    bad = await client.post(
        REFUNDS, headers=seller, json={"order": order["id"], "culprit": "god", "tickets": []}
    )
    assert bad.status_code == 400
    refund = (await ask(client, seller, order, [order["tickets"][0]["id"]])).json()["data"]
    forbidden = await client.patch(
        f"{REFUNDS}/{refund['id']}", headers=seller, json={"status": "approved"}
    )
    assert forbidden.status_code == 403
    other = await new_tenant()
    assert (await client.get(f"{REFUNDS}/{refund['id']}", headers=other.seller)).status_code == 404
    assert (
        await client.get(f"{REFUNDS}/{refund['id']}", headers=other.organiser)
    ).status_code == 404
    await client.patch(f"{REFUNDS}/{refund['id']}", headers=organiser, json={"status": "approved"})
    twice = await client.patch(
        f"{REFUNDS}/{refund['id']}", headers=organiser, json={"status": "approved"}
    )
    assert twice.status_code == 400
    assert twice.json() == {"errors": ["Incorrect status approved for this operation"]}
    refunded = await ask(client, seller, order, [order["tickets"][0]["id"]])
    assert refunded.json() == {"errors": ["bad tickets"]}


async def test_culprit_org_refunds_the_full_price(
    client: httpx.AsyncClient, seller: dict[str, str]
) -> None:
    order = await done_order(client, seller)
    balcony = [t["id"] for t in order["tickets"] if t["set"] == BALCONY]
    refund = (await ask(client, seller, order, balcony, culprit="org")).json()["data"]
    assert (
        refund["culprit"] == "org"
        and refund["customer_money"] == refund["refund_nominal"] == "500.00"
    )


async def test_list_with_filters(
    client: httpx.AsyncClient, seller: dict[str, str], organiser: dict[str, str]
) -> None:
    order = await done_order(client, seller)
    first = (await ask(client, seller, order, [order["tickets"][0]["id"]])).json()["data"]
    second = (await ask(client, seller, order, [order["tickets"][1]["id"]])).json()["data"]
    await client.patch(f"{REFUNDS}/{first['id']}", headers=organiser, json={"status": "rejected"})
    body = (await client.get(REFUNDS, headers=organiser)).json()
    assert body["pagination"]["total"] == 2
    new = (await client.get(REFUNDS, headers=seller, params={"status": "new"})).json()
    assert [r["id"] for r in new["data"]] == [second["id"]]
    assert (await client.get(REFUNDS, headers=seller, params={"page_size": 201})).status_code == 400
    assert (await client.get(REFUNDS, headers=seller, params={"status": "lost"})).status_code == 400


async def test_concurrent_approvals_release_the_tickets_once(
    client: httpx.AsyncClient, seller: dict[str, str], organiser: dict[str, str], db: Database
) -> None:
    order = await done_order(client, seller)
    ticket = order["tickets"][0]["id"]
    refund = (await ask(client, seller, order, [ticket])).json()["data"]
    answers = await asyncio.gather(
        *(
            client.patch(
                f"{REFUNDS}/{refund['id']}", headers=organiser, json={"status": "approved"}
            )
            for _ in range(8)
        )
    )
    codes = sorted(a.status_code for a in answers)
    assert codes.count(200) == 1, codes
    assert set(codes) <= {200, 400, 409}
    timeline = (await client.get(f"/api/v1/orders/{order['id']}/timeline", headers=seller)).json()[
        "timeline"
    ]
    assert [e["action"] for e in timeline].count("order.partially_canceled") == 1
    assert ticket in await vacant(client, seller)
