"""Fixtures of the API tests, on top of tests/conftest.py (which stays as it is)."""

from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import httpx
import pytest

from kassa.app import demo
from kassa.config import Settings
from kassa.store.db import Database
from tests.api.helpers import Pristine, Tenant, key_header, make_tenant
from tests.conftest import (
    FakeClock,
    copy_sqlite,
    create_app,
    create_migrated_pg_database,
    drop_pg_database_later,
)


@pytest.fixture
def backend(database_url: str) -> str:
    return "sqlite" if database_url.startswith("sqlite") else "postgresql"


@pytest.fixture
def new_tenant(db: Database, clock: FakeClock) -> Callable[..., Awaitable[Tenant]]:
    """`await new_tenant(...)`: another organisation with a seller, an event and one set."""

    async def make(**kwargs: Any) -> Tenant:
        return await make_tenant(db, clock(), **kwargs)

    return make


@pytest.fixture
async def pristine(
    request: pytest.FixtureRequest,
    backend: str,
    tmp_path: Path,
    settings: Settings,
    clock: FakeClock,
) -> AsyncIterator[Pristine]:
    """A database of its own, freshly migrated and seeded, never ANALYZEd: what a new
    deployment looks like. PostgreSQL keeps planner statistics across the shared database's
    DELETEs, so the statistics-free case needs a database nobody else touched. (A copy of the
    migrated template, as the migrations would leave it: empty tables, no statistics.)"""
    if backend == "sqlite":
        url, admin_url = (
            copy_sqlite(request.getfixturevalue("sqlite_template"), tmp_path / "pristine.db"),
            None,
        )
    else:
        admin_url = request.getfixturevalue("postgres_admin_url")
        template = request.getfixturevalue("postgres_template")
        url = await create_migrated_pg_database(admin_url, template)
    try:
        db = Database(url, pool_size=4)
        try:
            info = await demo.seed(db, clock())
            app = create_app(replace(settings, database_url=url), db=db, clock=clock)
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://kassa.test") as http:
                yield Pristine(http, db, key_header(info.organiser_api_key))
        finally:
            await db.dispose()
    finally:
        if admin_url is not None:
            drop_pg_database_later(admin_url, url)
