"""Idempotency-Keys expire: the worker purges old ones in bounded batches, keeps fresh ones,
and a key it purged starts a new call."""

from dataclasses import replace
from datetime import timedelta

import httpx
import pytest
from sqlalchemy import func, select

from kassa.app import demo
from kassa.app.idempotency import purge_expired
from kassa.app.worker import run_once
from kassa.config import Settings
from kassa.store import tables
from kassa.store.db import Database
from kassa.store.idempotency import IdempotencyRepo
from tests.conftest import FakeClock, create_app

ORDERS = "/v1/resources/orders"
BODY = {"event": demo.EVENT_ID, "random": {demo.STALLS_SET_ID: 1}}


async def add_keys(db: Database, prefix: str, count: int, clock: FakeClock) -> None:
    async with db.unit_of_work() as uow:
        for i in range(count):
            assert await uow.idempotency.claim("caller", f"{prefix}-{i}", "f", clock())
        await uow.commit()


async def keys_left(db: Database) -> list[str]:
    async with db.unit_of_work(write=False) as uow:
        rows = await uow.tx.execute(select(tables.idempotency_keys.c.key))
        return sorted(row.key for row in rows)


async def count_keys(db: Database) -> int:
    async with db.unit_of_work(write=False) as uow:
        return int(await uow.tx.scalar(select(func.count()).select_from(tables.idempotency_keys)))


async def test_old_keys_go_in_bounded_batches_and_fresh_ones_stay(
    db: Database, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    await add_keys(db, "old", 25, clock)
    clock.advance(hours=23)
    await add_keys(db, "fresh", 3, clock)
    batches: list[int] = []
    purge = IdempotencyRepo.purge

    async def counted(repo: IdempotencyRepo, *args: object) -> int:
        batches.append(await purge(repo, *args))  # type: ignore[arg-type]
        return batches[-1]

    monkeypatch.setattr(IdempotencyRepo, "purge", counted)
    clock.advance(hours=2)  # the old keys are 25 h old, the fresh ones 2 h
    assert await purge_expired(db, clock(), batch=10, max_batches=2) == 20
    assert batches == [10, 10]  # one pass stops at its cap
    assert await count_keys(db) == 8
    assert await purge_expired(db, clock(), batch=10, max_batches=2) == 5
    assert batches == [10, 10, 5]
    assert await keys_left(db) == ["fresh-0", "fresh-1", "fresh-2"]
    assert await purge_expired(db, clock(), batch=10) == 0


async def test_the_worker_purges_keys_past_the_retention(
    client: httpx.AsyncClient, seller: dict[str, str], db: Database, clock: FakeClock
) -> None:
    await client.post(ORDERS, headers={**seller, "Idempotency-Key": "kept"}, json=BODY)
    await add_keys(db, "old", 30, clock)
    clock.advance(hours=24, seconds=1)
    async with httpx.AsyncClient() as http:
        await run_once(db, http, clock=clock)
    assert await keys_left(db) == []


async def test_a_purged_key_starts_a_new_call_and_a_fresh_one_still_replays(
    client: httpx.AsyncClient, seller: dict[str, str], db: Database, clock: FakeClock
) -> None:
    # The API replays for 24 h; this worker keeps keys for 1 h only, so a replay 2 h later
    # is new only because the worker purged the key.
    first = await client.post(ORDERS, headers={**seller, "Idempotency-Key": "gone"}, json=BODY)
    clock.advance(hours=2)
    fresh = await client.post(ORDERS, headers={**seller, "Idempotency-Key": "kept"}, json=BODY)
    async with httpx.AsyncClient() as http:
        await run_once(db, http, clock=clock, keep_keys=timedelta(hours=1))
    again = await client.post(ORDERS, headers={**seller, "Idempotency-Key": "gone"}, json=BODY)
    assert again.status_code == 201 and "Idempotent-Replayed" not in again.headers
    assert again.json()["id"] != first.json()["id"]
    replay = await client.post(ORDERS, headers={**seller, "Idempotency-Key": "kept"}, json=BODY)
    assert replay.headers["Idempotent-Replayed"] == "true"
    assert replay.json() == fresh.json()


def test_the_retention_is_a_setting() -> None:
    assert Settings().idempotency_retention == timedelta(hours=24)
    env = {"KASSA_IDEMPOTENCY_RETENTION_HOURS": "2"}
    assert Settings.from_env(env).idempotency_retention == timedelta(hours=2)


async def test_the_api_replays_only_within_the_retention(
    db: Database, settings: Settings, clock: FakeClock, seller: dict[str, str]
) -> None:
    short = replace(settings, idempotency_retention=timedelta(hours=1))
    app = create_app(short, db=db, clock=clock)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://kassa.test") as http:
        headers = {**seller, "Idempotency-Key": "short"}
        first = await http.post(ORDERS, headers=headers, json=BODY)
        clock.advance(minutes=59)
        assert (await http.post(ORDERS, headers=headers, json=BODY)).json() == first.json()
        clock.advance(minutes=2)
        later = await http.post(ORDERS, headers=headers, json=BODY)
    assert later.status_code == 201 and later.json()["id"] != first.json()["id"]
