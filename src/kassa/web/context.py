"""What every face and the console need per process: the database, settings, the clock and the
auth cache."""

import re
import time
from dataclasses import dataclass, field

from kassa.app.clock import Clock, utcnow
from kassa.app.db import Database
from kassa.app.ids import hash_api_key
from kassa.app.orders import Holds
from kassa.app.readcache import Loads
from kassa.app.tenants import authenticate
from kassa.config import Settings
from kassa.core.errors import ApiKeyInvalid
from kassa.core.tenancy import Principal


@dataclass
class KeyCache:
    """Recently checked keys, by hash, for a few seconds: a revoked key stops within the TTL."""

    ttl: float
    _entries: dict[str, tuple[Principal, float]] = field(default_factory=dict)
    loads: Loads[Principal] = field(default_factory=Loads)

    def get(self, key_hash: str) -> Principal | None:
        found = self._entries.get(key_hash)
        if found is None:
            return None
        principal, expires = found
        if expires < time.monotonic():
            del self._entries[key_hash]
            return None
        return principal

    def put(self, key_hash: str, principal: Principal) -> None:
        if len(self._entries) > 10_000:
            self._entries.clear()
        self._entries[key_hash] = (principal, time.monotonic() + self.ttl)


@dataclass
class Context:
    db: Database
    settings: Settings
    clock: Clock = utcnow
    keys: KeyCache = field(init=False)

    def __post_init__(self) -> None:
        self.keys = KeyCache(self.settings.auth_cache_seconds)

    @property
    def holds(self) -> Holds:
        return Holds(reserve=self.settings.hold, payment=self.settings.payment_hold)

    async def principal(self, key: str) -> Principal:
        """The caller behind an API key (cached briefly); a bad key is ApiKeyInvalid."""
        if not _is_key(key):
            raise ApiKeyInvalid("Invalid API key")
        key_hash = hash_api_key(key)
        cached = self.keys.get(key_hash)
        if cached is not None:
            return cached
        # One check of a key at a time: the calls that come meanwhile wait for it.
        principal = await self.keys.loads.run(key_hash, lambda: authenticate(self.db, key))
        assert principal is not None  # authenticate refuses a bad key, never answers None
        self.keys.put(key_hash, principal)
        return principal


_KEY = re.compile(r"[0-9a-fA-F]{32}")


def _is_key(key: str) -> bool:
    return _KEY.fullmatch(key) is not None
