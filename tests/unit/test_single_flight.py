"""One load at a time per key (`kassa.app.readcache.Loads`), as the read caches, the catalogue
snapshot and the API key cache use it: calls that find an entry stale while it loads wait for
that load; a load that fails or is cancelled fails only its own caller."""

import asyncio

import pytest

from kassa.app.readcache import Loads, ReadCache
from kassa.app.snapshots import Snapshots


class Loader:
    """A load that waits until it is let go, counting how often it ran."""

    def __init__(self, value: object = "value", error: Exception | None = None) -> None:
        self.value = value
        self.error = error
        self.calls = 0
        self.go = asyncio.Event()

    async def __call__(self) -> object:
        self.calls += 1
        await self.go.wait()
        if self.error is not None:
            raise self.error
        return self.value


async def settle() -> None:
    for _ in range(5):
        await asyncio.sleep(0)


async def test_calls_during_a_load_wait_for_it_instead_of_loading() -> None:
    loads: Loads[object] = Loads()
    loader = Loader()
    calls = [asyncio.create_task(loads.run("k", loader)) for _ in range(20)]
    await settle()
    assert loader.calls == 1
    loader.go.set()
    assert await asyncio.gather(*calls) == ["value"] * 20
    assert loader.calls == 1

    # Done loading: the next call loads again (a cache decides when, not Loads).
    again = Loader("again")
    again.go.set()
    assert await loads.run("k", again) == "again"


async def test_other_keys_load_apart() -> None:
    loads: Loads[object] = Loads()
    first, second = Loader("one"), Loader("two")
    a = asyncio.create_task(loads.run("a", first))
    b = asyncio.create_task(loads.run("b", second))
    await settle()
    assert (first.calls, second.calls) == (1, 1)
    first.go.set()
    second.go.set()
    assert (await a, await b) == ("one", "two")


async def test_a_failed_load_fails_its_caller_and_the_waiters_load_for_themselves() -> None:
    loads: Loads[object] = Loads()
    failing = Loader(error=RuntimeError("database gone"))
    first = asyncio.create_task(loads.run("k", failing))
    await settle()
    waiter = asyncio.create_task(loads.run("k", failing))
    await settle()
    failing.go.set()
    with pytest.raises(RuntimeError, match="database gone"):
        await first
    with pytest.raises(RuntimeError, match="database gone"):  # its own load, its own error
        await waiter
    assert failing.calls == 2


async def test_a_cancelled_waiter_leaves_the_load_and_a_cancelled_loader_its_waiters() -> None:
    loads: Loads[object] = Loads()
    loader = Loader()
    first = asyncio.create_task(loads.run("k", loader))
    await settle()
    quitter = asyncio.create_task(loads.run("k", loader))
    stayer = asyncio.create_task(loads.run("k", loader))
    await settle()
    quitter.cancel()
    await settle()
    assert quitter.cancelled()
    first.cancel()  # the loading call goes away: the one left waiting loads for itself
    await settle()
    assert first.cancelled()
    assert loader.calls == 2
    loader.go.set()
    assert await stayer == "value"


async def test_a_stale_cache_entry_is_loaded_once_for_every_caller() -> None:
    cache: ReadCache[object] = ReadCache(ttl=0.0001)
    snapshots = Snapshots(ttl=0.0001)
    for get in (cache.get, snapshots.get):
        loader = Loader()
        calls = [asyncio.create_task(get("k", loader)) for _ in range(10)]  # type: ignore[operator]
        await settle()
        loader.go.set()
        assert await asyncio.gather(*calls) == ["value"] * 10
        assert loader.calls == 1


async def test_a_fresh_snapshot_is_the_callers_own_load() -> None:
    """A reserve naming a set the snapshot lacks reloads it itself: a load already running may
    have read the sets before that one was made."""
    snapshots = Snapshots()
    running, fresh = Loader("before"), Loader("after")
    first = asyncio.create_task(snapshots.get("event", running))  # type: ignore[arg-type]
    await settle()
    own = asyncio.create_task(snapshots.get("event", fresh, fresh=True))  # type: ignore[arg-type]
    await settle()
    assert (running.calls, fresh.calls) == (1, 1)
    running.go.set()
    fresh.go.set()
    assert (await first, await own) == ("before", "after")
