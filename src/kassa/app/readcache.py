"""Per-process read caches of what every call of a face looks up first: the loyalty shop
behind a `shop_id`, the delivery client behind a bearer token.

Each was a transaction of its own (BEGIN, SELECT, ROLLBACK) before the command's transaction,
on every call. An entry lives `TTL` seconds (monotonic clock), as the catalogue snapshot does
(`kassa.app.snapshots`): a change made through this process drops the cache at once; one made
through another process is seen within a second. Secrets are checked on every call against
the cached hash; a token's own expiry is checked on every call.

One load at a time (`Loads`): when an entry is missing or stale, the first call loads it and
the calls that come while it loads wait for that load instead of each running its own (at 32
requests at once, every one of them used to reload the same entry when it went stale).
"""

import asyncio
import time
import weakref
from collections.abc import Awaitable, Callable
from typing import Generic, TypeVar

from kassa.store.db import Database

TTL = 1.0
MAX_ENTRIES = 10_000

V = TypeVar("V")


class _Failed:
    """What a load that raised (or was cancelled) hands its waiters: load it yourselves."""


_FAILED = _Failed()


class Loads(Generic[V]):
    """Single flight: `run(key, load)` runs `load()` unless a load of `key` is running, in
    which case it waits for that one's value. A load that fails fails only its own caller;
    its waiters then load for themselves, each seeing its own error, if any."""

    def __init__(self) -> None:
        self._running: dict[str, asyncio.Future[V | _Failed | None]] = {}

    async def run(self, key: str, load: Callable[[], Awaitable[V | None]]) -> V | None:
        running = self._running.get(key)
        if running is not None:
            # A waiter that is cancelled leaves the load running for the others.
            value = await asyncio.shield(running)
            if not isinstance(value, _Failed):
                return value
            return await load()
        future: asyncio.Future[V | _Failed | None] = asyncio.get_running_loop().create_future()
        self._running[key] = future
        try:
            value = await load()
        except BaseException:
            future.set_result(_FAILED)
            raise
        finally:
            del self._running[key]
        future.set_result(value)
        return value


class ReadCache(Generic[V]):
    """`max_entries`: past it the cache starts over (None: no bound)."""

    def __init__(self, ttl: float = TTL, *, max_entries: int | None = MAX_ENTRIES) -> None:
        self.ttl = ttl
        self.max_entries = max_entries
        self._entries: dict[str, tuple[float, V]] = {}
        self._loads: Loads[V] = Loads()

    async def get(
        self, key: str, load: Callable[[], Awaitable[V | None]], *, fresh: bool = False
    ) -> V | None:
        """The cached value, or `load()` when it is missing, older than the TTL or `fresh` is
        asked (one load at a time: `Loads`; a load asked `fresh` is the caller's own, as one
        already running may have begun before what the caller looks for was made); a missing
        value (None) is never cached."""
        now = time.monotonic()
        entry = self._entries.get(key)
        if entry is not None and not fresh and now - entry[0] < self.ttl:
            return entry[1]
        value = await (load() if fresh else self._loads.run(key, load))
        if value is None:
            self._entries.pop(key, None)
        elif self.ttl > 0:
            if self.max_entries is not None and len(self._entries) >= self.max_entries:
                self._entries.clear()
            self._entries[key] = (now, value)
        return value

    def forget(self, key: str) -> None:
        self._entries.pop(key, None)

    def clear(self) -> None:
        self._entries.clear()


_BY_DB: "weakref.WeakKeyDictionary[Database, dict[str, ReadCache[object]]]" = (
    weakref.WeakKeyDictionary()
)


def cache_of(db: Database, name: str) -> ReadCache[object]:
    """The cache `name` of one database handle (one per process in a server)."""
    caches = _BY_DB.get(db)
    if caches is None:
        caches = _BY_DB[db] = {}
    found = caches.get(name)
    if found is None:
        found = caches[name] = ReadCache()
    return found
