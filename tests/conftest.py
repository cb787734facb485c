"""Shared fixtures: every storage and API test runs on SQLite and on PostgreSQL.

PostgreSQL comes from KASSA_TEST_PG_URL (default postgresql://postgres@127.0.0.1:5432/test).
If it is down, the suite tries to start the local cluster; if it still can't be reached the
PostgreSQL half is skipped on a developer's machine and FAILS when CI is set.
"""

import asyncio
import contextlib
import copy
import hashlib
import os
import re
import shutil
import socket
import sqlite3
import subprocess
import uuid
from collections.abc import AsyncIterator, Coroutine, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

import asyncpg
import httpx
import pytest
from fastapi import FastAPI

from kassa import server
from kassa.app import demo, operators
from kassa.app.clock import Clock, utcnow
from kassa.config import Settings
from kassa.store.db import Database
from kassa.store.migrate import upgrade
from kassa.store.tables import metadata

PG_ADMIN_URL = os.environ.get("KASSA_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/test")

# A console sign-in at argon2's default cost takes ~0.15 s of CPU, and the suite signs in
# hundreds of times: this process and every `kassa` process it starts (they inherit the
# environment) hash at the lowest cost KASSA_PASSWORD_HASH_MEMORY_KIB takes. Production keeps
# the default (tests/unit/test_config.py); the sign-in race tests run at it.
TEST_HASH_MEMORY_KIB = "32"
os.environ.setdefault("KASSA_PASSWORD_HASH_MEMORY_KIB", TEST_HASH_MEMORY_KIB)
operators.use_password_hash_memory(int(os.environ["KASSA_PASSWORD_HASH_MEMORY_KIB"]))
BACKENDS = ["sqlite", "postgresql"]
T = TypeVar("T")


async def _pg_reachable(url: str) -> bool:
    try:
        conn = await asyncpg.connect(url, timeout=3)
    except (OSError, asyncpg.PostgresError, TimeoutError):
        return False
    await conn.close()
    return True


def _start_local_postgres() -> None:
    if shutil.which("pg_ctlcluster") is None or not Path("/etc/postgresql").is_dir():
        return
    for version in os.listdir("/etc/postgresql"):
        subprocess.run(
            ["pg_ctlcluster", "--skip-systemctl-redirect", version, "main", "start"],
            check=False,
            capture_output=True,
        )


def run_sync(coro: Coroutine[Any, Any, T]) -> T:
    """Run a coroutine to completion from sync code, off the test event loop's thread."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coro).result()


async def _wait_for_postgres(url: str) -> bool:
    if await _pg_reachable(url):
        return True
    _start_local_postgres()
    for _ in range(30):
        if await _pg_reachable(url):
            return True
        await asyncio.sleep(0.5)
    return False


@pytest.fixture(scope="session")
def postgres_admin_url() -> str:
    """A reachable PostgreSQL server, or skip (fail when CI is set)."""
    if not run_sync(_wait_for_postgres(PG_ADMIN_URL)):
        message = f"PostgreSQL is not reachable at {PG_ADMIN_URL}"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return PG_ADMIN_URL


# Every database the suite creates on the server is named kassa_<kind>_<owner>_<random>,
# <owner> naming the host and the process that made it (an xdist worker or a plain pytest):
# the process drops what it made, and a later run drops what a crashed one left behind.
_HOST = hashlib.sha1(socket.gethostname().encode()).hexdigest()[:4]
OWNER = f"h{_HOST}p{os.getpid()}"
_OWNED = re.compile(r"^kassa_[a-z]+_h([0-9a-f]{4})p(\d+)_[0-9a-z_]+$")


def pg_database_name(kind: str = "test") -> str:
    """A new database name of this process: kassa_<kind>_h<host>p<pid>_<worker>_<random>."""
    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    return f"kassa_{kind}_{OWNER}_{worker}_{uuid.uuid4().hex[:8]}"


def pg_url(admin_url: str, name: str) -> str:
    return admin_url.rsplit("/", 1)[0] + "/" + name


async def _pg_admin(admin_url: str, *statements: str) -> None:
    conn = await asyncpg.connect(admin_url)
    try:
        for sql in statements:
            await conn.execute(sql)
    finally:
        await conn.close()


def _create_sql(name: str, template: str | None) -> list[str]:
    # Nothing in a test database has to survive a crash of the server: commits need not wait
    # for the disk (a third of a test's time on a busy machine).
    create = f'CREATE DATABASE "{name}"' + (f' TEMPLATE "{template}"' if template else "")
    return [create, f'ALTER DATABASE "{name}" SET synchronous_commit = off']


async def create_pg_database(
    admin_url: str, *, template: str | None = None, kind: str = "test"
) -> str:
    """A new database on the server (empty, or a copy of `template`); returns its URL."""
    name = pg_database_name(kind)
    await _pg_admin(admin_url, *_create_sql(name, template))
    return pg_url(admin_url, name)


async def drop_pg_database(admin_url: str, url: str) -> None:
    name = url.rsplit("/", 1)[1]
    await _pg_admin(admin_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


class _Reaper:
    """Drops databases on a thread of its own: PostgreSQL 15 checkpoints on every DROP
    DATABASE (seconds on a busy machine), and no test needs to wait for that."""

    def __init__(self) -> None:
        self._pool: ThreadPoolExecutor | None = None
        self._pending: list[Future[None]] = []

    def drop(self, admin_url: str, url: str) -> None:
        if self._pool is None:
            self._pool = ThreadPoolExecutor(1, thread_name_prefix="kassa-test-dropdb")
        self._pending.append(self._pool.submit(asyncio.run, drop_pg_database(admin_url, url)))

    def wait(self) -> None:
        """Every drop asked for is done (its error, if any, raised)."""
        pending, self._pending = self._pending, []
        for future in pending:
            future.result()


REAPER = _Reaper()


def drop_pg_database_later(admin_url: str, url: str) -> None:
    """Drop the database in the background; done before this process's session ends."""
    REAPER.drop(admin_url, url)


E2E = "tests/e2e/"


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config: pytest.Config, log: Any) -> Any:
    """pytest-xdist's `--dist loadgroup` (pyproject's addopts), with every test of tests/e2e/
    in one group: they run on one worker, one after another. Each starts real server
    processes and bursts of clients, and two of those at once (a race test and a browser
    test, say) would only fight for the same cores; the other workers meanwhile run the
    in-process tests, one at a time each, as a CI machine's other jobs would. (Here, not as
    an `xdist_group` mark: pytest-xdist 3.8 cannot read marks under pytest 9.2.)"""
    if config.getvalue("dist") != "loadgroup":
        return None
    from xdist.scheduler import LoadGroupScheduling

    class Scheduling(LoadGroupScheduling):
        def _split_scope(self, nodeid: str) -> str:
            return "e2e" if nodeid.startswith(E2E) else super()._split_scope(nodeid)

    return Scheduling(config, log)


def pytest_sessionfinish(session: pytest.Session) -> None:
    REAPER.wait()


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


async def _drop_leftovers(admin_url: str) -> list[str]:
    """Drop the databases of this host's test processes that are gone (a crashed or killed
    run); databases named otherwise, or of a process still running, are left alone."""
    conn = await asyncpg.connect(admin_url)
    dropped = []
    try:
        for (name,) in await conn.fetch("SELECT datname FROM pg_database"):
            owned = _OWNED.match(name)
            if owned is None or owned[1] != _HOST or _alive(int(owned[2])):
                continue
            with contextlib.suppress(asyncpg.PostgresError):  # another run got there first
                await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
                dropped.append(name)
    finally:
        await conn.close()
    return dropped


@pytest.fixture(scope="session")
def postgres_template(postgres_admin_url: str) -> Iterator[str]:
    """The name of a migrated, empty database of this process: CREATE DATABASE ... TEMPLATE
    copies it in a fraction of the time the migrations take."""
    run_sync(_drop_leftovers(postgres_admin_url))
    url = run_sync(create_pg_database(postgres_admin_url, kind="tpl"))
    upgrade(url)  # its engine is disposed: nobody is connected, as a copy requires
    yield url.rsplit("/", 1)[1]
    drop_pg_database_later(postgres_admin_url, url)


async def create_migrated_pg_database(admin_url: str, template: str, kind: str = "test") -> str:
    """A new database at the head revision, empty (a copy of `postgres_template`)."""
    return await create_pg_database(admin_url, template=template, kind=kind)


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated, empty SQLite file: copying it is what migrating a new file would give."""
    path = tmp_path_factory.mktemp("sqlite-template") / "template.db"
    upgrade(f"sqlite:///{path}")
    return path


def copy_sqlite(template: Path, target: Path) -> str:
    """A copy of the SQLite file `template` at `target`; returns its URL."""
    with (
        contextlib.closing(sqlite3.connect(template)) as source,
        contextlib.closing(sqlite3.connect(target)) as copy,
    ):
        source.backup(copy)
    return f"sqlite:///{target}"


@pytest.fixture(scope="session")
def sqlite_url(tmp_path_factory: pytest.TempPathFactory, sqlite_template: Path) -> str:
    """One migrated SQLite file for the session (tables emptied before each test)."""
    return copy_sqlite(sqlite_template, tmp_path_factory.mktemp("sqlite") / "kassa.db")


@pytest.fixture(scope="session")
def postgresql_url(postgres_admin_url: str, postgres_template: str) -> Iterator[str]:
    """One migrated PostgreSQL database of its own for the session, dropped at the end."""
    url = run_sync(create_migrated_pg_database(postgres_admin_url, postgres_template))
    yield url
    drop_pg_database_later(postgres_admin_url, url)


@pytest.fixture(params=BACKENDS)
def database_url(request: pytest.FixtureRequest) -> str:
    """The URL of an empty, migrated database on each backend in turn."""
    url: str = request.getfixturevalue(f"{request.param}_url")
    if url.startswith("sqlite"):
        empty_sqlite(url)
    else:
        run_sync(empty_pg(url))
    return url


_TABLES = [t.name for t in reversed(metadata.sorted_tables)]


def empty_sqlite(url: str) -> None:
    """Delete every row of every table of the SQLite file (the schema stays)."""
    path = url.removeprefix("sqlite:///")
    with contextlib.closing(sqlite3.connect(path, timeout=30)) as conn, conn:
        for name in _TABLES:
            conn.execute(f'DELETE FROM "{name}"')


async def empty_pg(url: str) -> None:
    """Delete every row of every table and restart the sequences (the schema stays).

    DELETE, not TRUNCATE: a TRUNCATE of the thirty-odd tables makes new files for each of
    them and their indexes, ten to twenty times the time DELETE takes on a few rows."""
    conn = await asyncpg.connect(url)
    try:
        sequences = await conn.fetch(
            "SELECT sequencename FROM pg_sequences WHERE schemaname = 'public'"
        )
        statements = [f'DELETE FROM "{name}"' for name in _TABLES]
        statements += [f'ALTER SEQUENCE "{seq}" RESTART' for (seq,) in sequences]
        async with conn.transaction():
            await conn.execute(";\n".join(statements))
    finally:
        await conn.close()


@dataclass(frozen=True)
class PgSnapshot:
    """Every row of every table, and where every sequence stood (see `snapshot_pg`)."""

    rows: dict[str, tuple[list[str], list[asyncpg.Record]]]
    sequences: dict[str, int | None]


async def snapshot_pg(url: str) -> PgSnapshot:
    """The contents of a PostgreSQL database, to put back with `restore_pg`."""
    conn = await asyncpg.connect(url)
    try:
        rows = {}
        for name in reversed(_TABLES):  # parents first, each in the order its rows are stored
            records = await conn.fetch(f'SELECT * FROM "{name}"')
            rows[name] = (list(records[0].keys()) if records else [], records)
        found = await conn.fetch(
            "SELECT sequencename, last_value FROM pg_sequences WHERE schemaname = 'public'"
        )
        return PgSnapshot(rows, {r["sequencename"]: r["last_value"] for r in found})
    finally:
        await conn.close()


async def restore_pg(url: str, snapshot: PgSnapshot) -> None:
    """The database holds exactly the snapshot's rows again, and its sequences go on from
    where they stood: what a fresh copy of the snapshotted database would hold, in a
    fraction of the time (no CREATE or DROP DATABASE)."""
    conn = await asyncpg.connect(url)
    try:
        async with conn.transaction():
            await conn.execute(";\n".join(f'DELETE FROM "{name}"' for name in _TABLES))
            for name, (columns, records) in snapshot.rows.items():
                if records:
                    await conn.copy_records_to_table(name, records=records, columns=columns)
            for seq, last in snapshot.sequences.items():
                if last is None:
                    await conn.execute(f'ALTER SEQUENCE "{seq}" RESTART')
                else:
                    await conn.execute("SELECT setval($1, $2, true)", f'"{seq}"', last)
    finally:
        await conn.close()


async def empty_database(url: str) -> None:
    """Delete every row of every table (the schema stays)."""
    if url.startswith("sqlite"):
        empty_sqlite(url)
    else:
        await empty_pg(url)


@pytest.fixture
async def db(database_url: str) -> AsyncIterator[Database]:
    # The production budget (15 connections), with a longer wait for one: a slow CI machine
    # queueing a test's burst must not turn into 503s.
    database = Database(database_url, pool_size=15, max_overflow=0, pool_timeout=30)
    yield database
    await database.dispose()


@dataclass
class FakeClock:
    """A clock the test moves by hand; always timezone-aware UTC."""

    now: datetime = field(default_factory=lambda: datetime.now(UTC).replace(microsecond=0))

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> datetime:
        self.now += timedelta(**delta)
        return self.now


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


_ROUTES: list[Any] = []
_DOCUMENT: list[dict[str, Any]] = []


def create_app(
    settings: Settings | None = None, *, db: Database | None = None, clock: Clock = utcnow
) -> FastAPI:
    """`kassa.server.create_app`, its routes those of this process's first app.

    A production process makes one app; a test process makes thousands (one per test, one
    per hypothesis example), and FastAPI builds a route's dependency tree and response models
    for each app anew, the first time it matches a request: 0.12 s of CPU an app, a third of
    the API tests' time. The routes are the same objects in every app (every app is made by
    the same code); what an app holds of its own (its database, settings and clock, its
    middleware and error handlers) stays its own."""
    app = server.create_app(settings, db=db, clock=clock)
    if not _ROUTES:
        _ROUTES.extend(app.router.routes)
    else:
        app.router.routes[:] = _ROUTES
    made = app.openapi

    def openapi() -> dict[str, Any]:
        """The same routes make the same document (0.4 s of CPU): made once, copied."""
        if app.openapi_schema is None:
            if not _DOCUMENT:
                _DOCUMENT.append(copy.deepcopy(made()))
            app.openapi_schema = copy.deepcopy(_DOCUMENT[0])
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
    return app


@pytest.fixture
def settings(database_url: str) -> Settings:
    return Settings(database_url=database_url, max_body_bytes=64 * 1024)


@pytest.fixture
async def client(
    db: Database, settings: Settings, clock: FakeClock
) -> AsyncIterator[httpx.AsyncClient]:
    """An HTTP client talking to the app in-process (real app, real database)."""
    app = create_app(settings, db=db, clock=clock)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://kassa.test") as http:
        yield http


@pytest.fixture
async def demo_data(db: Database, clock: FakeClock) -> demo.DemoInfo:
    """The demo tenant and catalogue: organiser and seller keys, one public event, two sets."""
    return await demo.seed(db, clock())


@pytest.fixture
def organiser(demo_data: demo.DemoInfo) -> dict[str, str]:
    return {"Authorization": f"key {demo_data.organiser_api_key}"}


@pytest.fixture
def seller(demo_data: demo.DemoInfo) -> dict[str, str]:
    return {"Authorization": f"key {demo_data.partner_api_key}"}
