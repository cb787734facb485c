"""`kassa check`: the configuration, the database (and its migrations) and the SMTP server,
one line per check; exit status 1 if any failed. It changes nothing: it never migrates, and
never creates an SQLite file."""

import asyncio
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import aiosmtplib
from alembic.runtime.migration import MigrationContext
from sqlalchemy.engine import Connection, make_url

from kassa.cli.failures import explain
from kassa.config import VARIABLES, ConfigError, Settings, redacted
from kassa.notify.smtp import probe
from kassa.store.migrate import head, migration_engine


@dataclass(frozen=True)
class Outcome:
    ok: bool
    name: str
    said: str

    def line(self) -> str:
        return f"{'ok  ' if self.ok else 'FAIL'}  {self.name}: {self.said}"


def run(env: dict[str, str] | None = None) -> int:
    """Print one line per check; 0 if every check passed, else 1."""
    env = dict(os.environ if env is None else env)
    outcomes = [configuration(env)]
    print(outcomes[0].line(), flush=True)
    if outcomes[0].ok:
        settings = Settings.from_env(env)
        for check in (database, smtp):
            outcome = _guarded(check, settings)
            print(outcome.line(), flush=True)
            outcomes.append(outcome)
    return 0 if all(o.ok for o in outcomes) else 1


def configuration(env: dict[str, str]) -> Outcome:
    try:
        Settings.from_env(env)
    except ConfigError as error:
        return Outcome(False, "configuration", str(error))
    named = [v.name for v in VARIABLES if env.get(v.name)]
    return Outcome(True, "configuration", f"{len(named)} of {len(VARIABLES)} settings given")


def _guarded(check: Callable[[Settings], Outcome], settings: Settings) -> Outcome:
    try:
        return check(settings)
    except Exception as error:
        name = check.__name__
        said = explain(error, settings.database_url) or f"{type(error).__name__}: {error}"
        return Outcome(False, name, said)


def database(settings: Settings) -> Outcome:
    """Reach the database and compare its schema's revision with the code's."""
    url = settings.database_url
    shown = redacted(url)
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite" and parsed.database not in (None, "", ":memory:"):
        path = Path(parsed.database or "")
        if not path.is_file():
            return Outcome(
                False, "database", f"no SQLite file at {path}: `kassa migrate` creates it"
            )
    version, revision = asyncio.run(_reach(url))
    expected = head()
    if revision != expected:
        now = f"is at {revision}" if revision else "has never been migrated"
        return Outcome(
            False, "database", f"{shown} {now}; this Kassa needs {expected}: run `kassa migrate`"
        )
    return Outcome(True, "database", f"{shown} answers ({version}), migrations at head {expected}")


async def _reach(url: str) -> tuple[str, str | None]:
    """The server's version and the schema's revision (None: never migrated)."""
    engine = migration_engine(url)
    try:
        async with engine.connect() as conn:
            info = conn.dialect.server_version_info or ()
            revision = await conn.run_sync(_revision)
    finally:
        await engine.dispose()
    name = "SQLite" if engine.dialect.name == "sqlite" else "PostgreSQL"
    return f"{name} {'.'.join(str(part) for part in info)}", revision


def _revision(connection: Connection) -> str | None:
    return MigrationContext.configure(connection).get_current_revision()


def smtp(settings: Settings) -> Outcome:
    """Connect to the SMTP server (TLS and login as configured) and quit."""
    where = f"{settings.smtp.host}:{settings.smtp.port}"
    try:
        greeting = asyncio.run(probe(settings.smtp))
    except aiosmtplib.SMTPException as error:
        return Outcome(False, "smtp", str(error))
    login = ", login accepted" if settings.smtp.username else ""
    return Outcome(True, "smtp", f"{where} answers{login} ({greeting})")
