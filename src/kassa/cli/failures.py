"""Mistakes in configuration and surroundings, told in one line: what is wrong and what to do.

`explain(error)` answers that line for the errors a command meets when the setting, the
database or the port is wrong; for anything else it answers None, and the traceback stays (a
bug must not pass for a mistake of the operator's).
"""

import os
import socket
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import asyncpg
from sqlalchemy.engine import make_url

from kassa.config import ConfigError
from kassa.core.errors import KassaError


class StartupFailure(Exception):
    """Kassa cannot start here; the message says why and what to do."""


def preflight(database_url: str) -> None:
    """Refuse, before any connection, an SQLite file whose folder does not exist (sqlite would
    only fail on a worker thread, whose late traceback no one line can hold)."""
    try:
        parsed = make_url(database_url)
    except Exception:  # Settings tells a malformed URL in its own words
        return
    path = parsed.database or ""
    if parsed.get_backend_name() != "sqlite" or path in ("", ":memory:") or "mode=memory" in path:
        return
    folder = Path(path).resolve().parent
    if not folder.is_dir():
        raise StartupFailure(_missing_folder(path, folder))


def _missing_folder(path: str, folder: Path) -> str:
    return (
        f"cannot create the SQLite database {path}: the folder {folder} does not "
        "exist: create it, or point KASSA_DATABASE_URL elsewhere"
    )


def explain(error: BaseException, database_url: str | None = None) -> str | None:
    """One line for a mistake of configuration or surroundings; None for anything else."""
    if isinstance(error, (ConfigError, StartupFailure)):
        return str(error)
    if database_url is not None:
        line = _database(error, database_url)
        if line is not None:
            return line
    if isinstance(error, KassaError):
        return f"{error.message} [{error.code}]"
    return None


def _chain(error: BaseException) -> Iterator[BaseException]:
    """The error, the driver's error SQLAlchemy wraps and whatever caused each."""
    seen: set[int] = set()
    todo: list[BaseException | None] = [error]
    while todo:
        current = todo.pop()
        if current is None or id(current) in seen:
            continue
        seen.add(id(current))
        yield current
        todo += [getattr(current, "orig", None), current.__cause__, current.__context__]


def _database(error: BaseException, url: str) -> str | None:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        return _sqlite(error, parsed.database or "")
    where = f"{parsed.host or 'localhost'}:{parsed.port or 5432}"
    for cause in _chain(error):
        line = _postgres(cause, where, parsed.database or "", parsed.username or "")
        if line is not None:
            return line
    return None


def _postgres(cause: BaseException, where: str, name: str, user: str) -> str | None:
    fix = "fix KASSA_DATABASE_URL"
    if isinstance(cause, asyncpg.InvalidCatalogNameError):
        return (
            f'the database "{name}" does not exist on {where}: create it (createdb {name}) or {fix}'
        )
    if isinstance(cause, asyncpg.InvalidPasswordError):
        return f'PostgreSQL at {where} refused the password of "{user}": {fix}'
    if isinstance(cause, asyncpg.InvalidAuthorizationSpecificationError):
        return f"PostgreSQL at {where} refused the user: {cause}: {fix}"
    if isinstance(cause, asyncpg.TooManyConnectionsError):
        return (
            f"PostgreSQL at {where} has no connection left (max_connections): stop a process "
            "or lower KASSA_DB_POOL_SIZE (README: connection budget)"
        )
    if isinstance(cause, socket.gaierror):
        return f"cannot find the PostgreSQL host of {where}: {fix}"
    if isinstance(cause, (OSError, TimeoutError)):
        errno = cause.errno if isinstance(cause, OSError) else None
        said = os.strerror(errno).lower() if errno else "no answer"
        return f"cannot reach PostgreSQL at {where} ({said}): start it, or {fix}"
    return None


def _sqlite(error: BaseException, path: str) -> str | None:
    for cause in _chain(error):
        if isinstance(cause, sqlite3.OperationalError) and "unable to open" in str(cause):
            folder = Path(path).resolve().parent
            if not folder.is_dir():
                return _missing_folder(path, folder)
            return f"cannot open the SQLite database {path}: check its folder's permissions"
    return None
