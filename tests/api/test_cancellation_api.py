"""Kassa's cancellation API: preview, apply exactly the preview, partial cancel, reasons."""

from decimal import Decimal
from typing import Any

import httpx

from kassa.app import demo
from kassa.store.db import Database
from tests.api.helpers import db_state

ORDERS = "/v2/resources/orders"


async def reserve(client: httpx.AsyncClient, seller: dict[str, str], n: int, **extra: Any) -> Any:
    body = {"event": demo.V2_EVENT_ID, "random": {demo.V2_STALLS_SET_ID: n}, **extra}
    return (await client.post(ORDERS, headers=seller, json=body)).json()["data"]


def url(order_id: str) -> str:
    return f"/api/v1/orders/{order_id}/cancellation"


async def test_preview_changes_nothing_and_apply_does_what_it_said(
    client: httpx.AsyncClient, seller: dict[str, str], db: Database
) -> None:
    order = await reserve(client, seller, 2, promocodes=["PROMO100"])
    before = await db_state(db)
    preview = (await client.get(url(order["id"]), headers=seller)).json()
    assert await db_state(db) == before
    assert preview["to_status"] == "canceled" and not preview["partial"]
    assert sorted(preview["release"]["tickets"]) == sorted(t["id"] for t in order["tickets"])
    assert preview["promocodes_given_back"] == [demo.PROMO100_ID]
    assert preview["refund"] == {"amount": "0.00"}  # not paid yet
    applied = await client.post(
        url(order["id"]),
        headers=seller,
        json={
            "reason": "customer_request",
            "comment": "changed plans",
            "version": preview["version"],
        },
    )
    assert applied.status_code == 200, applied.text
    assert applied.json()["release"] == preview["release"]
    timeline = (await client.get(f"/api/v1/orders/{order['id']}/timeline", headers=seller)).json()
    last = timeline["timeline"][-1]
    assert (
        last["action"] == "order.canceled" and last["reason"] == "customer_request: changed plans"
    )
    assert last["actor"] == demo.PARTNER_ID


async def test_a_stale_preview_is_refused_with_409(
    client: httpx.AsyncClient, seller: dict[str, str], db: Database
) -> None:
    order = await reserve(client, seller, 2)
    preview = (await client.get(url(order["id"]), headers=seller)).json()
    await client.patch(
        f"{ORDERS}/{order['id']}", headers=seller, json={"random": {demo.V2_STALLS_SET_ID: 1}}
    )
    before = await db_state(db)
    stale = await client.post(
        url(order["id"]), headers=seller, json={"reason": "other", "version": preview["version"]}
    )
    assert stale.status_code == 409 and stale.json()["code"] == "order_changed"
    assert await db_state(db) == before


async def test_partial_cancel_and_refund_of_a_done_order(
    client: httpx.AsyncClient, seller: dict[str, str]
) -> None:
    order = await reserve(client, seller, 3)
    first = order["tickets"][0]["id"]
    partial = await client.post(
        url(order["id"]), headers=seller, json={"reason": "customer_request", "tickets": [first]}
    )
    assert partial.status_code == 200 and partial.json()["partial"] is True
    data = (await client.get(f"{ORDERS}/{order['id']}", headers=seller)).json()["data"]
    assert data["status"] == "executed" and len(data["tickets"]) == 2
    done = (
        await client.patch(f"{ORDERS}/{order['id']}", headers=seller, json={"status": "done"})
    ).json()["data"]
    preview = (await client.get(url(order["id"]), headers=seller)).json()
    assert Decimal(preview["refund"]["amount"]) == Decimal(done["values"]["full"])
    refunded = await client.post(
        url(order["id"]),
        headers=seller,
        json={"reason": "event_cancelled", "version": preview["version"]},
    )
    assert refunded.status_code == 200
    after = (await client.get(f"{ORDERS}/{order['id']}", headers=seller)).json()["data"]
    assert after["status"] == "done" and after["tickets"] == []


async def test_bad_reasons_tickets_and_strangers(
    client: httpx.AsyncClient, seller: dict[str, str], new_tenant: Any
) -> None:
    order = await reserve(client, seller, 1)
    unknown = await client.post(url(order["id"]), headers=seller, json={"reason": "bored"})
    assert unknown.status_code == 400 and unknown.json()["code"] == "reason_unknown"
    foreign = await client.post(
        url(order["id"]), headers=seller, json={"reason": "other", "tickets": ["f" * 24]}
    )
    assert foreign.status_code == 400 and foreign.json()["reason"] == "bad tickets"
    other = await new_tenant()
    assert (await client.get(url(order["id"]), headers=other.seller)).status_code == 404


async def test_a_partial_cancel_gives_back_a_code_that_no_longer_applies(
    client: httpx.AsyncClient, seller: dict[str, str], organiser: dict[str, str]
) -> None:
    made = await client.post(
        f"/v1/resources/events/{demo.V2_EVENT_ID}/promocodes",
        headers=organiser,
        json={"code": "PAIRONLY", "discount": {"fix": "100.00"}, "tickets_count": {"min": 2}},
    )
    code = made.json()
    order = await reserve(client, seller, 2, promocodes=["PAIRONLY"])
    assert order["promocodes"] == [code["id"]]
    cut = await client.post(
        url(order["id"]),
        headers=seller,
        json={"reason": "customer_request", "tickets": [order["tickets"][0]["id"]]},
    )
    assert cut.status_code == 200, cut.text
    data = (await client.get(f"{ORDERS}/{order['id']}", headers=seller)).json()["data"]
    assert data["promocodes"] == [] and data["values"]["discount"] == "0.00"
    used = await client.get(
        f"/v1/resources/events/{demo.V2_EVENT_ID}/promocodes/{code['id']}", headers=organiser
    )
    assert used.json()["used"] == 0


async def test_webhook_aliases(client: httpx.AsyncClient, organiser: dict[str, str]) -> None:
    from kassa.store.webhooks import Endpoint

    endpoint = Endpoint("e", "o", "http://x", "s", ("order.created", "refund.*"), True)
    assert endpoint.wants("order.placed") and endpoint.wants("refund.approved")
    assert not endpoint.wants("order.done") and not endpoint.wants("loyalty.applied")
