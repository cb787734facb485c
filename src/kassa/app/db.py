"""The database handle the outer layers hold: opened once per process, passed to every command.

Faces, the console and the server keep it and hand it on; only `app` (through `store`) ever
opens a transaction on it.
"""

from kassa.store.db import Database as Database  # the handle, re-exported on purpose


def open_database(
    url: str, *, pool_size: int = 15, max_overflow: int = 0, pool_timeout: float = 10.0
) -> Database:
    """An engine for `url` (`sqlite:///...` or `postgresql://...`); the caller disposes of it.
    It opens at most `pool_size + max_overflow` connections (the process's budget)."""
    return Database(url, pool_size=pool_size, max_overflow=max_overflow, pool_timeout=pool_timeout)
