"""Alembic environment for kassa: async engines (aiosqlite, asyncpg) driven through run_sync.

Normally run by `kassa.store.migrate`, which passes an open connection (holding the migration
lock) in `config.attributes["connection"]`. From the alembic command line (see
`store/alembic.ini`) it connects by itself: `sqlalchemy.url`, else KASSA_DATABASE_URL.
"""

import asyncio
from typing import Any, Literal

from alembic import context
from alembic.autogenerate.api import AutogenContext
from sqlalchemy.engine import Connection

from kassa.config import Settings
from kassa.store import migrate
from kassa.store.db import normalize_url
from kassa.store.tables import metadata
from kassa.store.types import ExactDecimal, UTCDateTime

config = context.config
target_metadata = metadata


def _url() -> str:
    return config.get_main_option("sqlalchemy.url") or Settings.from_env().database_url


def render_item(kind: str, obj: Any, autogen: AutogenContext) -> str | Literal[False]:
    """Autogenerate writes our column types as imported names, not dotted module paths."""
    if kind == "type" and isinstance(obj, ExactDecimal):
        autogen.imports.add("from kassa.store.types import ExactDecimal")
        return f"ExactDecimal({obj.precision}, {obj.scale})"
    if kind == "type" and isinstance(obj, UTCDateTime):
        autogen.imports.add("from kassa.store.types import UTCDateTime")
        return "UTCDateTime()"
    return False


def run_migrations_offline() -> None:
    """Emit SQL instead of running it (`alembic upgrade head --sql`)."""
    url = normalize_url(_url())
    context.configure(
        url=url,
        literal_binds=True,
        dialect_opts={"paramstyle": "named"},
        render_item=render_item,
        **migrate.context_options(url.get_backend_name()),
    )
    with context.begin_transaction():
        context.run_migrations()


def do_run_migrations(connection: Connection) -> None:
    context.configure(
        connection=connection,
        render_item=render_item,
        **migrate.context_options(connection.dialect.name),
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection: Connection | None = config.attributes.get("connection")
    if connection is not None:
        do_run_migrations(connection)
    else:
        asyncio.run(migrate.run_with_connection(_url(), do_run_migrations))


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
