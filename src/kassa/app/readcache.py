"""Per-process read caches of what every call of a face looks up first: the loyalty shop
behind a `shop_id`, the delivery client behind a bearer token.

Each was a transaction of its own (BEGIN, SELECT, ROLLBACK) before the command's transaction,
on every call. An entry lives `TTL` seconds (monotonic clock), as the catalogue snapshot does
(`kassa.app.snapshots`): a change made through this process drops the cache at once; one made
through another process is seen within a second. Secrets are checked on every call against
the cached hash; a token's own expiry is checked on every call.
"""

import time
import weakref
from collections.abc import Awaitable, Callable
from typing import Generic, TypeVar

from kassa.store.db import Database

TTL = 1.0
MAX_ENTRIES = 10_000

V = TypeVar("V")


class ReadCache(Generic[V]):
    def __init__(self, ttl: float = TTL) -> None:
        self.ttl = ttl
        self._entries: dict[str, tuple[float, V]] = {}

    async def get(self, key: str, load: Callable[[], Awaitable[V | None]]) -> V | None:
        """The cached value, or `load()` when it is missing or older than the TTL; a missing
        value (None) is never cached."""
        now = time.monotonic()
        entry = self._entries.get(key)
        if entry is not None and now - entry[0] < self.ttl:
            return entry[1]
        value = await load()
        if value is None:
            self._entries.pop(key, None)
        elif self.ttl > 0:
            if len(self._entries) >= MAX_ENTRIES:
                self._entries.clear()
            self._entries[key] = (now, value)
        return value

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
