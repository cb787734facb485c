"""The outbox: messages written with the change that caused them, delivered signed, retried."""

import hmac
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import timedelta

import httpx
import pytest

from kassa.app import demo
from kassa.app.cancellation import expire_due
from kassa.app.outbox import SIGNATURE_HEADER, DrainResult, backoff, drain, sign
from kassa.store.db import Database
from tests.api.helpers import (
    ORDERS,
    Receiver,
    Tenant,
    assert_v1_error,
    create_order,
    db_state,
    order_url,
    outbox_rows,
    patch_order,
)
from tests.conftest import FakeClock

STALLS = demo.STALLS_SET_ID
BALCONY = demo.BALCONY_SET_ID
EVENT = demo.EVENT_ID
SECRET = "whsec-test-0123456789"
NewTenant = Callable[..., Awaitable[Tenant]]


@pytest.fixture
async def webhook_client() -> AsyncIterator[httpx.AsyncClient]:
    """A real HTTP client, as the worker uses (no proxies from the environment)."""
    async with httpx.AsyncClient(timeout=5, trust_env=False) as http:
        yield http


async def set_org_webhook(db: Database, org_id: str, url: str | None, secret: str | None) -> None:
    async with db.unit_of_work() as uow:
        await uow.tenants.set_org_webhook(org_id, url, secret)
        await uow.commit()


def verify(secret: str, signature: str, body: bytes) -> int:
    """Check `t=<unix>,v1=<hex>` as a receiver would; returns t."""
    parts = dict(part.split("=", 1) for part in signature.split(","))
    timestamp = int(parts["t"])
    assert hmac.compare_digest(sign(secret, timestamp, body), signature)
    return timestamp


async def test_place_and_cancel_leave_their_messages(
    client: httpx.AsyncClient, seller: dict[str, str], organiser: dict[str, str], db: Database
) -> None:
    order = await create_order(client, seller, EVENT, random={STALLS: 2})
    rows = await outbox_rows(db, order["id"])
    assert [r["topic"] for r in rows] == ["order.placed"]

    await patch_order(client, seller, order["id"], customer={"email": "x@example.com"})
    assert len(await outbox_rows(db, order["id"])) == 1  # details are audited, not published
    await patch_order(client, seller, order["id"], status="canceled")

    rows = await outbox_rows(db, order["id"])
    assert [r["topic"] for r in rows] == ["order.placed", "order.canceled"]
    for row in rows:
        assert (row["org_id"], row["partner_id"], row["order_id"]) == (
            demo.ORG_ID,
            demo.PARTNER_ID,
            order["id"],
        )
        assert (row["attempts"], row["delivered_at"]) == (0, None)
    placed, canceled = (r["payload"] for r in rows)
    assert placed["type"] == "order.placed"
    assert placed["order"] == {
        "id": order["id"],
        "number": order["number"],
        "status": "executed",
        "event": EVENT,
        "org": demo.ORG_ID,
        "vendor": demo.PARTNER_ID,
        "tickets": order["tickets"],
        "values": {"nominal": "200.00", "extra": "0.00", "full": "200.00"},
    }
    assert canceled["type"] == "order.canceled"
    assert canceled["order"]["status"] == "canceled"
    assert canceled["order"]["tickets"] == order["tickets"]

    # The organiser's own orders are published with no partner.
    own = await create_order(client, organiser, EVENT, random={BALCONY: 1})
    await patch_order(client, organiser, own["id"], status="in_progress")
    await patch_order(client, organiser, own["id"], status="done")
    own_rows = await outbox_rows(db, own["id"])
    assert [r["topic"] for r in own_rows] == ["order.placed", "order.in_progress", "order.done"]
    assert {r["partner_id"] for r in own_rows} == {None}


async def test_delete_and_expiry_publish_too(
    client: httpx.AsyncClient, seller: dict[str, str], db: Database, clock: FakeClock
) -> None:
    deleted = await create_order(client, seller, EVENT, random={STALLS: 1})
    expired = await create_order(client, seller, EVENT, random={STALLS: 1})
    await client.delete(order_url(deleted["id"]), headers=seller)
    assert await expire_due(db, clock() + timedelta(minutes=10)) == 1

    assert [r["topic"] for r in await outbox_rows(db, deleted["id"])] == [
        "order.placed",
        "order.canceled",
    ]
    expired_rows = await outbox_rows(db, expired["id"])
    assert [r["topic"] for r in expired_rows] == ["order.placed", "order.expired"]
    assert expired_rows[1]["payload"]["reason"] == "expired"  # the reason code


async def test_failed_requests_leave_no_messages(
    client: httpx.AsyncClient, seller: dict[str, str], db: Database
) -> None:
    order = await create_order(client, seller, EVENT, random={STALLS: 2})
    paying = await create_order(client, seller, EVENT, random={STALLS: 1})
    await patch_order(client, seller, paying["id"], status="in_progress")
    before = await db_state(db)
    messages = await outbox_rows(db)

    failures = [
        ("POST", ORDERS, {"event": EVENT, "random": {BALCONY: 101}, "all_or_nothing": True}),
        (
            "PATCH",
            order_url(order["id"]),
            {"random": {STALLS: 3, BALCONY: 101}, "all_or_nothing": "true"},
        ),
        ("PATCH", order_url(order["id"]), {"status": "done"}),
        # Drops every ticket, then `done` finds none: the drop is undone with it.
        ("PATCH", order_url(paying["id"]), {"random": {STALLS: 0}, "status": "done"}),
    ]
    for method, url, body in failures:
        response = await client.request(method, url, headers=seller, json=body)
        assert_v1_error(response, 400)

    assert await outbox_rows(db) == messages
    assert await db_state(db) == before


async def test_drain_delivers_signed_messages_to_a_real_receiver(
    client: httpx.AsyncClient,
    seller: dict[str, str],
    db: Database,
    clock: FakeClock,
    webhook_client: httpx.AsyncClient,
) -> None:
    async with Receiver() as receiver:
        await set_org_webhook(db, demo.ORG_ID, receiver.url, SECRET)
        order = await create_order(client, seller, EVENT, random={STALLS: 1})
        await patch_order(client, seller, order["id"], status="canceled")
        clock.advance(seconds=30)
        now = clock()

        result = await drain(db, webhook_client, now)

        assert (result.delivered, result.failed) == (2, 0)
        assert [r.method for r in receiver.requests] == ["POST", "POST"]
        assert {r.path for r in receiver.requests} == {"/hooks/kassa"}
        rows = await outbox_rows(db, order["id"])
        for request, row in zip(receiver.requests, rows, strict=True):
            assert request.headers["content-type"] == "application/json"
            assert request.headers["x-kassa-event"] == row["topic"]
            assert request.headers["x-kassa-delivery"] == str(row["id"])
            assert verify(SECRET, request.headers[SIGNATURE_HEADER.lower()], request.body) == int(
                now.timestamp()
            )
            assert json.loads(request.body) == row["payload"]
            assert (row["delivered_at"], row["attempts"], row["last_error"]) == (now, 1, None)
        assert [json.loads(r.body)["type"] for r in receiver.requests] == [
            "order.placed",
            "order.canceled",
        ]
        # A forged or altered body does not verify.
        first = receiver.requests[0]
        signature = first.headers[SIGNATURE_HEADER.lower()]
        assert not hmac.compare_digest(
            sign(SECRET, int(now.timestamp()), first.body + b" "), signature
        )
        assert not hmac.compare_digest(sign("other", int(now.timestamp()), first.body), signature)

        # Delivered messages are not sent again.
        assert await drain(db, webhook_client, now + timedelta(hours=1)) == DrainResult(0, 0)
        assert len(receiver.requests) == 2


async def test_a_partner_endpoint_gets_its_own_orders(
    client: httpx.AsyncClient,
    new_tenant: NewTenant,
    db: Database,
    clock: FakeClock,
    webhook_client: httpx.AsyncClient,
) -> None:
    async with Receiver() as partner_hook, Receiver() as org_hook:
        tenant = await new_tenant(webhook_url=partner_hook.url, webhook_secret="partner-secret")
        await set_org_webhook(db, tenant.org_id, org_hook.url, "org-secret")
        by_seller = await create_order(
            client, tenant.seller, tenant.event_id, random={tenant.set_id: 1}
        )
        by_organiser = await create_order(
            client, tenant.organiser, tenant.event_id, random={tenant.set_id: 1}
        )

        result = await drain(db, webhook_client, clock())

        assert (result.delivered, result.failed) == (2, 0)
        [to_partner] = partner_hook.requests
        [to_org] = org_hook.requests
        assert json.loads(to_partner.body)["order"]["id"] == by_seller["id"]
        assert json.loads(to_org.body)["order"]["id"] == by_organiser["id"]
        verify("partner-secret", to_partner.headers[SIGNATURE_HEADER.lower()], to_partner.body)
        verify("org-secret", to_org.headers[SIGNATURE_HEADER.lower()], to_org.body)


async def test_a_failing_receiver_is_retried_later(
    client: httpx.AsyncClient,
    seller: dict[str, str],
    db: Database,
    clock: FakeClock,
    webhook_client: httpx.AsyncClient,
) -> None:
    async with Receiver(status=500) as receiver:
        await set_org_webhook(db, demo.ORG_ID, receiver.url, SECRET)
        order = await create_order(client, seller, EVENT, random={STALLS: 1})
        start = clock()

        first = await drain(db, webhook_client, start)

        assert (first.delivered, first.failed) == (0, 1)
        [row] = await outbox_rows(db, order["id"])
        assert (row["attempts"], row["delivered_at"]) == (1, None)
        assert row["last_error"].startswith("HTTP 500")
        assert row["available_at"] == start + backoff(0) == start + timedelta(seconds=5)

        # Not due yet: nothing is sent.
        early = await drain(db, webhook_client, start + timedelta(seconds=4))
        assert (early.delivered, early.failed) == (0, 0)
        assert len(receiver.requests) == 1

        retry_at = start + timedelta(seconds=5)
        second = await drain(db, webhook_client, retry_at)
        assert (second.delivered, second.failed) == (0, 1)
        [row] = await outbox_rows(db, order["id"])
        assert (row["attempts"], row["delivered_at"]) == (2, None)
        assert row["available_at"] == retry_at + timedelta(seconds=10)
        assert len(receiver.requests) == 2

        # The receiver recovers; the next due pass delivers the same message, same id.
        receiver.status = 200
        done_at = retry_at + timedelta(seconds=10)
        third = await drain(db, webhook_client, done_at)
        assert (third.delivered, third.failed) == (1, 0)
        [row] = await outbox_rows(db, order["id"])
        assert (row["attempts"], row["delivered_at"], row["last_error"]) == (3, done_at, None)
        deliveries = {r.headers["x-kassa-delivery"] for r in receiver.requests}
        assert deliveries == {str(row["id"])}
        assert len(receiver.requests) == 3


async def test_an_unreachable_receiver_is_retried_later(
    client: httpx.AsyncClient,
    seller: dict[str, str],
    db: Database,
    clock: FakeClock,
    webhook_client: httpx.AsyncClient,
) -> None:
    async with Receiver() as receiver:
        url = receiver.url
    await set_org_webhook(db, demo.ORG_ID, url, SECRET)  # the port is closed again
    order = await create_order(client, seller, EVENT, random={STALLS: 1})

    result = await drain(db, webhook_client, clock())

    assert (result.delivered, result.failed) == (0, 1)
    [row] = await outbox_rows(db, order["id"])
    assert (row["attempts"], row["delivered_at"]) == (1, None)
    assert row["last_error"].startswith("ConnectError")
