"""Idempotency-Key on mutating calls of every face: replay, mismatch, in flight, expiry."""

import asyncio
from typing import Any

import httpx

from kassa.app import demo
from kassa.store.db import Database
from tests.api.helpers import db_state
from tests.conftest import FakeClock

ORDERS = "/v1/resources/orders"
BODY = {"event": demo.EVENT_ID, "random": {demo.STALLS_SET_ID: 1}}


def keyed(headers: dict[str, str], key: str) -> dict[str, str]:
    return {**headers, "Idempotency-Key": key}


async def test_a_retry_gets_the_first_answer_and_changes_nothing(
    client: httpx.AsyncClient, seller: dict[str, str], db: Database
) -> None:
    first = await client.post(ORDERS, headers=keyed(seller, "k-1"), json=BODY)
    assert first.status_code == 201
    before = await db_state(db)
    again = await client.post(ORDERS, headers=keyed(seller, "k-1"), json=BODY)
    assert again.status_code == 201
    assert again.json() == first.json()
    assert again.headers["Idempotent-Replayed"] == "true"
    assert await db_state(db) == before
    # Without a key, or with another one, it is a new call.
    other = await client.post(ORDERS, headers=keyed(seller, "k-2"), json=BODY)
    assert other.json()["id"] != first.json()["id"]


async def test_the_same_key_with_another_body_is_422(
    client: httpx.AsyncClient, seller: dict[str, str]
) -> None:
    await client.post(ORDERS, headers=keyed(seller, "k-3"), json=BODY)
    changed = {**BODY, "random": {demo.STALLS_SET_ID: 2}}
    response = await client.post(ORDERS, headers=keyed(seller, "k-3"), json=changed)
    assert response.status_code == 422
    assert response.json()["code"] == "idempotency_key_reused"


async def test_keys_belong_to_their_caller(
    client: httpx.AsyncClient, seller: dict[str, str], organiser: dict[str, str]
) -> None:
    mine = await client.post(ORDERS, headers=keyed(seller, "shared"), json=BODY)
    theirs = await client.post(ORDERS, headers=keyed(organiser, "shared"), json=BODY)
    assert theirs.status_code == 201 and theirs.json()["id"] != mine.json()["id"]


async def test_errors_are_replayed_too_and_keys_expire_after_a_day(
    client: httpx.AsyncClient, seller: dict[str, str], clock: FakeClock
) -> None:
    bad = {"event": demo.EVENT_ID, "random": {demo.STALLS_SET_ID: 999}}
    first = await client.post(ORDERS, headers=keyed(seller, "k-4"), json=bad)
    assert first.status_code == 400
    again = await client.post(ORDERS, headers=keyed(seller, "k-4"), json=bad)
    assert again.status_code == 400 and again.headers.get("Idempotent-Replayed") == "true"
    clock.advance(hours=25)
    later = await client.post(ORDERS, headers=keyed(seller, "k-4"), json=bad)
    assert later.status_code == 400 and "Idempotent-Replayed" not in later.headers


async def test_concurrent_retries_run_once(
    client: httpx.AsyncClient, seller: dict[str, str]
) -> None:
    answers = await asyncio.gather(
        *(client.post(ORDERS, headers=keyed(seller, "k-5"), json=BODY) for _ in range(6))
    )
    codes = sorted(a.status_code for a in answers)
    assert set(codes) <= {201, 409}
    ids = {a.json()["id"] for a in answers if a.status_code == 201}
    assert len(ids) == 1
    for refused in (a for a in answers if a.status_code == 409):
        assert refused.json()["code"] == "idempotency_key_in_flight"


async def test_every_face_takes_keys(
    client: httpx.AsyncClient, seller: dict[str, str], demo_data: Any
) -> None:
    v2 = {"event": demo.V2_EVENT_ID, "random": {demo.V2_STALLS_SET_ID: 1}}
    a = await client.post("/v2/resources/orders", headers=keyed(seller, "v2"), json=v2)
    b = await client.post("/v2/resources/orders", headers=keyed(seller, "v2"), json=v2)
    assert a.json()["data"]["id"] == b.json()["data"]["id"]
    reused = await client.post(
        "/v2/resources/orders", headers=keyed(seller, "v2"), json={**v2, "random": {}}
    )
    assert reused.status_code == 422 and "errors" in reused.json()
    loyalty = {
        "shop_id": demo.SHOP_ID,
        "shop_secret": demo.SHOP_SECRET,
        "order_id": "IDEM-1",
        "identifier": demo.MEMBER,
        "cart_items": [{"product_id": "tea", "price": 100, "quantity": 1}],
    }
    first = await client.post(
        "/loyalty/checkout/apply", headers={"Idempotency-Key": "l"}, json=loyalty
    )
    second = await client.post(
        "/loyalty/checkout/apply", headers={"Idempotency-Key": "l"}, json=loyalty
    )
    assert second.headers["Idempotent-Replayed"] == "true" and first.json() == second.json()
    mismatch = await client.post(
        "/loyalty/checkout/apply",
        headers={"Idempotency-Key": "l"},
        json={**loyalty, "order_id": "IDEM-2"},
    )
    assert mismatch.status_code == 422 and mismatch.json()["status"] == "error"


async def test_the_openapi_document_names_the_cancellation_timeline_and_idempotency(
    client: httpx.AsyncClient,
) -> None:
    schema = (await client.get("/openapi.json")).json()
    paths = schema["paths"]
    cancellation = paths["/api/v1/orders/{order_id}/cancellation"]
    assert set(cancellation) == {"get", "post"}
    assert "tickets" in {p["name"] for p in cancellation["get"]["parameters"]}
    assert "get" in paths["/api/v1/orders/{order_id}/timeline"]
    mutating = [
        (path, method, op)
        for path, ops in paths.items()
        for method, op in ops.items()
        if method in ("post", "put", "patch", "delete")
    ]
    assert len(mutating) > 20
    for path, method, op in mutating:
        names = [p["name"] for p in op.get("parameters", [])]
        assert names.count("Idempotency-Key") == 1, (path, method)
    assert not [p for p in paths if p.startswith("/console")]
