"""v1 refund requests (`tickets` stay, `tickets_refund` return; 201) on the v2 refund engine,
and `done -> refunded` in the v1 status machine."""

from decimal import Decimal
from typing import Any

import httpx

from tests.api.test_refunds_v2 import done_order, vacant

REFUNDS = "/v1/resources/refund_requests"
ORDERS_V1 = "/v1/resources/orders"
KEYS = {
    "created_at",
    "culprit",
    "id",
    "order",
    "org",
    "payment_system",
    "status",
    "tickets_refund",
    "tickets",
    "updated_at",
    "value",
    "vendor",
}


async def test_the_docs_example_tickets_refund_answers_201_field_for_field(
    client: httpx.AsyncClient, seller: dict[str, str], organiser: dict[str, str]
) -> None:
    order = await done_order(client, seller)
    two = [t["id"] for t in order["tickets"]][:2]
    response = await client.post(
        REFUNDS,
        headers=seller,
        json={"culprit": "user", "order": order["id"], "tickets_refund": two},
    )
    assert response.status_code == 201, response.text
    assert response.headers["X-Partner"] == order["vendor"]
    refund = response.json()
    assert set(refund) == KEYS
    assert refund["status"] == "new" and refund["culprit"] == "user"
    assert refund["tickets_refund"] == two and refund["tickets"] == []
    assert refund["order"] == order["id"] and refund["org"] == order["org"]
    assert refund["vendor"] == order["vendor"]
    assert refund["created_at"].endswith("+00:00") and refund["updated_at"] == refund["created_at"]
    # The buyer's fault: the nominal back, the service fee kept.
    nominal = sum(Decimal(t["nominal"]) for t in order["tickets"] if t["id"] in two)
    assert refund["value"] == f"{nominal:.2f}"

    # The doc's approval: PATCH {"status": "approved"} answers 201 with the updated object.
    response = await client.patch(
        f"{REFUNDS}/{refund['id']}", headers=organiser, json={"status": "approved"}
    )
    assert response.status_code == 201, response.text
    approved = response.json()
    assert set(approved) == KEYS and approved["status"] == "approved"
    assert set(two) <= await vacant(client, seller)
    read = await client.get(f"{REFUNDS}/{refund['id']}", headers=seller)
    assert read.status_code == 200 and read.json() == approved
    v1 = (await client.get(f"{ORDERS_V1}/{order['id']}", headers=seller)).json()
    assert v1["status"] == "done"  # one ticket is still sold


async def test_v1_tickets_are_the_ones_that_stay(
    client: httpx.AsyncClient, seller: dict[str, str], organiser: dict[str, str]
) -> None:
    order = await done_order(client, seller)
    ids = [t["id"] for t in order["tickets"]]
    response = await client.post(
        REFUNDS, headers=seller, json={"culprit": "org", "order": order["id"], "tickets": ids[:1]}
    )
    assert response.status_code == 201, response.text
    refund = response.json()
    assert refund["tickets"] == ids[:1]
    assert sorted(refund["tickets_refund"]) == sorted(ids[1:])


async def test_a_fully_refunded_order_reads_refunded_in_v1_and_done_in_v2(
    client: httpx.AsyncClient, seller: dict[str, str], organiser: dict[str, str]
) -> None:
    order = await done_order(client, seller)
    refund = (
        await client.post(
            REFUNDS, headers=seller, json={"culprit": "org", "order": order["id"], "tickets": []}
        )
    ).json()
    assert len(refund["tickets_refund"]) == len(order["tickets"])
    v1 = (await client.get(f"{ORDERS_V1}/{order['id']}", headers=seller)).json()
    assert v1["status"] == "done"  # asked, not yet approved
    await client.patch(f"{REFUNDS}/{refund['id']}", headers=organiser, json={"status": "approved"})
    v1 = (await client.get(f"{ORDERS_V1}/{order['id']}", headers=seller)).json()
    assert v1["status"] == "refunded"
    listed = (await client.get(ORDERS_V1, headers=seller)).json()
    assert next(o for o in listed if o["id"] == order["id"])["status"] == "refunded"
    v2 = (await client.get(f"/v2/resources/orders/{order['id']}", headers=seller)).json()
    assert v2["data"]["status"] == "done"
    # Nobody sets `refunded` by hand, nor changes a refunded order.
    for status in ("refunded", "canceled"):
        response = await client.patch(
            f"{ORDERS_V1}/{order['id']}", headers=seller, json={"status": status}
        )
        assert response.status_code == 400, response.text


async def test_bad_refund_requests_are_400_in_the_v1_error_format(
    client: httpx.AsyncClient, seller: dict[str, str], organiser: dict[str, str]
) -> None:
    order = await done_order(client, seller)
    ids = [t["id"] for t in order["tickets"]]
    base = {"culprit": "user", "order": order["id"]}
    bad: list[dict[str, Any]] = [
        {**base, "tickets": ids[:1], "tickets_refund": ids[1:]},  # both lists
        dict(base),  # neither
        {**base, "culprit": "agent", "tickets_refund": ids[:1]},
        {**base, "tickets_refund": ["0" * 24]},  # not in the order
        {**base, "tickets": ["0" * 24]},
        {**base, "tickets_refund": "nope"},
        {"culprit": "user", "tickets_refund": ids[:1]},
    ]
    for body in bad:
        response = await client.post(REFUNDS, headers=seller, json=body)
        assert response.status_code == 400, (body, response.text)
        assert set(response.json()) >= {"error", "reason", "code"}
    first = await client.post(REFUNDS, headers=seller, json={**base, "tickets_refund": ids[:1]})
    assert first.status_code == 201
    again = await client.post(REFUNDS, headers=seller, json={**base, "tickets_refund": ids[:1]})
    assert again.status_code == 400
    assert again.json()["reason"] == "Some tickets already use in another refund request"
    # An open order cannot be refunded.
    open_order = (
        await client.post(
            ORDERS_V1,
            headers=seller,
            json={"event": order["event"], "random": {order["tickets"][0]["set"]: 1}},
        )
    ).json()
    response = await client.post(
        REFUNDS, headers=seller, json={**base, "order": open_order["id"], "tickets": []}
    )
    assert response.status_code == 400
    assert response.json()["reason"].startswith(f"wrong order (id: {open_order['id']}) status")
    # Only the organiser decides; a status outside the list is 400.
    refund = first.json()
    decided = await client.patch(
        f"{REFUNDS}/{refund['id']}", headers=seller, json={"status": "approved"}
    )
    assert decided.status_code == 403
    odd = await client.patch(f"{REFUNDS}/{refund['id']}", headers=organiser, json={"status": "x"})
    assert odd.status_code == 400


async def test_the_list_filters_sorts_and_counts(
    client: httpx.AsyncClient, seller: dict[str, str], organiser: dict[str, str]
) -> None:
    order = await done_order(client, seller)
    ids = [t["id"] for t in order["tickets"]]
    base = {"culprit": "user", "order": order["id"]}
    small = await client.post(REFUNDS, headers=seller, json={**base, "tickets_refund": ids[2:]})
    big = await client.post(REFUNDS, headers=seller, json={**base, "tickets_refund": ids[:2]})
    assert small.status_code == big.status_code == 201
    await client.patch(
        f"{REFUNDS}/{small.json()['id']}", headers=organiser, json={"status": "rejected"}
    )
    for headers in (seller, organiser):
        response = await client.get(REFUNDS, headers=headers, params={"sort": "-value"})
        assert response.status_code == 200 and response.headers["TOTAL"] == "2"
        values = [r["value"] for r in response.json()]
        assert [float(v) for v in values] == sorted((float(v) for v in values), reverse=True)
    rejected = (await client.get(REFUNDS, headers=organiser, params={"status": "rejected"})).json()
    assert [r["id"] for r in rejected] == [small.json()["id"]]
    mine = await client.get(REFUNDS, headers=organiser, params={"vendor": order["vendor"]})
    assert len(mine.json()) == 2
    elsewhere = await client.get(REFUNDS, headers=seller, params={"org": "0" * 24})
    assert elsewhere.json() == [] and elsewhere.headers["TOTAL"] == "0"
    for params in ({"status": "nope"}, {"sort": "price"}, {"page-size": "0"}):
        assert (await client.get(REFUNDS, headers=seller, params=params)).status_code == 400


async def test_another_organisations_refunds_and_orders_are_not_found(
    client: httpx.AsyncClient, seller: dict[str, str], new_tenant: Any
) -> None:
    order = await done_order(client, seller)
    refund = (
        await client.post(
            REFUNDS,
            headers=seller,
            json={"culprit": "user", "order": order["id"], "tickets": []},
        )
    ).json()
    other = await new_tenant()
    for headers in (other.organiser, other.seller):
        asked = await client.post(
            REFUNDS, headers=headers, json={"culprit": "user", "order": order["id"], "tickets": []}
        )
        assert asked.status_code == 404 and asked.json()["code"] == "order_not_found"
        read = await client.get(f"{REFUNDS}/{refund['id']}", headers=headers)
        assert read.status_code == 404
        decided = await client.patch(
            f"{REFUNDS}/{refund['id']}", headers=headers, json={"status": "approved"}
        )
        assert decided.status_code in (403, 404)
        assert (await client.get(REFUNDS, headers=headers)).json() == []
