"""Registered webhook endpoints: chosen events, signed with the endpoint's secret, each event
once per endpoint, retried, dead after three days, replayed by an operator."""

import hmac
import json

import httpx

from kassa.app import demo
from kassa.app.outbox import drain, sign
from kassa.store.db import Database
from tests.api.helpers import Receiver
from tests.conftest import FakeClock

HOOKS = "/api/v1/webhooks"
ORDERS = "/v1/resources/orders"
BODY = {"event": demo.EVENT_ID, "random": {demo.STALLS_SET_ID: 1}}


def verify(secret: str, signature: str, body: bytes) -> None:
    parts = dict(part.split("=", 1) for part in signature.split(","))
    assert hmac.compare_digest(sign(secret, int(parts["t"]), body), signature)


async def test_endpoints_get_their_events_signed_once(
    client: httpx.AsyncClient,
    seller: dict[str, str],
    organiser: dict[str, str],
    db: Database,
    clock: FakeClock,
) -> None:
    async with Receiver() as orders_only, Receiver() as everything:
        first = await client.post(
            HOOKS + "/endpoints",
            headers=organiser,
            json={"url": orders_only.url, "events": ["order.canceled"]},
        )
        assert first.status_code == 201
        second = await client.post(
            HOOKS + "/endpoints", headers=organiser, json={"url": everything.url, "events": ["*"]}
        )
        order = (await client.post(ORDERS, headers=seller, json=BODY)).json()
        await client.delete(f"{ORDERS}/{order['id']}", headers=seller)
        async with httpx.AsyncClient(trust_env=False) as http:
            await drain(db, http, clock())
            await drain(db, http, clock.advance(minutes=1))
        assert [r.headers["x-kassa-event"] for r in orders_only.requests] == ["order.canceled"]
        assert sorted(r.headers["x-kassa-event"] for r in everything.requests) == [
            "order.canceled",
            "order.placed",
        ]
        for receiver, endpoint in ((orders_only, first.json()), (everything, second.json())):
            for request in receiver.requests:
                verify(endpoint["secret"], request.headers["x-kassa-signature"], request.body)
                assert json.loads(request.body)["order"]["id"] == order["id"]
        ids = [r.headers["x-kassa-event-id"] for r in everything.requests]
        assert len(set(ids)) == 2
    assert (
        await client.post(
            HOOKS + "/endpoints", headers=seller, json={"url": "http://x.test/h", "events": ["*"]}
        )
    ).status_code == 403
    bad = await client.post(
        HOOKS + "/endpoints", headers=organiser, json={"url": "ftp://x", "events": ["order.*"]}
    )
    assert bad.status_code == 400


async def test_a_failing_endpoint_ends_as_a_dead_letter_that_can_be_replayed(
    client: httpx.AsyncClient,
    seller: dict[str, str],
    organiser: dict[str, str],
    db: Database,
    clock: FakeClock,
) -> None:
    async with Receiver(status=500) as receiver:
        await client.post(
            HOOKS + "/endpoints",
            headers=organiser,
            json={"url": receiver.url, "events": ["order.placed"]},
        )
        await client.post(ORDERS, headers=seller, json=BODY)
        async with httpx.AsyncClient(trust_env=False) as http:
            await drain(db, http, clock())
            for _ in range(60):
                await drain(db, http, clock.advance(hours=2))
        dead = (
            await client.get(HOOKS + "/deliveries", headers=organiser, params={"state": "dead"})
        ).json()
        assert len(dead) == 1 and "HTTP 500" in dead[0]["last_error"]
        tries = len(receiver.requests)
        assert tries > 5
        receiver.status = 200
        replayed = await client.post(
            f"{HOOKS}/deliveries/{dead[0]['id']}/replay", headers=organiser
        )
        assert replayed.status_code == 200
        async with httpx.AsyncClient(trust_env=False) as http:
            await drain(db, http, clock.advance(seconds=1))
        assert len(receiver.requests) == tries + 1
        done = (
            await client.get(
                HOOKS + "/deliveries", headers=organiser, params={"state": "delivered"}
            )
        ).json()
        assert [d["id"] for d in done] == [dead[0]["id"]]


async def test_an_endpoint_hears_of_events_from_its_registration_on(
    client: httpx.AsyncClient,
    seller: dict[str, str],
    organiser: dict[str, str],
    db: Database,
    clock: FakeClock,
) -> None:
    async with Receiver() as receiver:
        before = (await client.post(ORDERS, headers=seller, json=BODY)).json()
        clock.advance(seconds=1)
        await client.post(
            HOOKS + "/endpoints", headers=organiser, json={"url": receiver.url, "events": ["*"]}
        )
        after = (await client.post(ORDERS, headers=seller, json=BODY)).json()
        async with httpx.AsyncClient(trust_env=False) as http:
            await drain(db, http, clock())
            await drain(db, http, clock.advance(minutes=1))
        seen = [json.loads(r.body)["order"]["id"] for r in receiver.requests]
        assert seen == [after["id"]]
        assert before["id"] != after["id"]
