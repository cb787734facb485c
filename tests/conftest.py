"""Shared fixtures: every storage and API test runs on SQLite and on PostgreSQL.

PostgreSQL comes from KASSA_TEST_PG_URL (default postgresql://postgres@127.0.0.1:5432/test).
If it is down, the suite tries to start the local cluster; if it still can't be reached the
PostgreSQL half is skipped on a developer's machine and FAILS when CI is set.
"""

import asyncio
import os
import shutil
import subprocess
import uuid
from collections.abc import AsyncIterator, Coroutine, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

import asyncpg
import httpx
import pytest
from sqlalchemy import text

from kassa.app import demo
from kassa.config import Settings
from kassa.server import create_app
from kassa.store.db import Database
from kassa.store.migrate import upgrade
from kassa.store.tables import metadata

PG_ADMIN_URL = os.environ.get("KASSA_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/test")
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


async def create_pg_database(admin_url: str) -> str:
    """A new empty database on the server; returns its URL."""
    name = f"kassa_test_{uuid.uuid4().hex[:12]}"
    conn = await asyncpg.connect(admin_url)
    try:
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    return admin_url.rsplit("/", 1)[0] + "/" + name


async def drop_pg_database(admin_url: str, url: str) -> None:
    name = url.rsplit("/", 1)[1]
    conn = await asyncpg.connect(admin_url)
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await conn.close()


@pytest.fixture(scope="session")
def sqlite_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    """One migrated SQLite file for the session (tables emptied before each test)."""
    url = f"sqlite:///{tmp_path_factory.mktemp('sqlite') / 'kassa.db'}"
    upgrade(url)
    return url


@pytest.fixture(scope="session")
def postgresql_url(postgres_admin_url: str) -> Iterator[str]:
    """One migrated PostgreSQL database of its own for the session, dropped at the end."""
    url = run_sync(create_pg_database(postgres_admin_url))
    upgrade(url)
    yield url
    run_sync(drop_pg_database(postgres_admin_url, url))


@pytest.fixture(params=BACKENDS)
def database_url(request: pytest.FixtureRequest) -> str:
    """The URL of an empty, migrated database on each backend in turn."""
    url: str = request.getfixturevalue(f"{request.param}_url")
    run_sync(empty_database(url))
    return url


async def empty_database(url: str) -> None:
    """Delete every row of every table (the schema stays)."""
    db = Database(url, pool_size=1)
    names = [t.name for t in reversed(metadata.sorted_tables)]
    try:
        async with db.engine.begin() as conn:
            if db.is_sqlite:
                for name in names:
                    await conn.execute(text(f'DELETE FROM "{name}"'))
            else:
                joined = ", ".join(f'"{n}"' for n in names)
                await conn.execute(text(f"TRUNCATE {joined} RESTART IDENTITY CASCADE"))
    finally:
        await db.dispose()


@pytest.fixture
async def db(database_url: str) -> AsyncIterator[Database]:
    # The production budget (10 + 5), with a longer wait for a connection: a slow CI machine
    # queueing a test's burst must not turn into 503s.
    database = Database(database_url, pool_size=10, max_overflow=5, pool_timeout=30)
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
