"""Settings, read once from the environment (KASSA_*).

Every variable is declared once, in VARIABLES, with its default and what it means:
`Settings.from_env` reads them, `kassa --help` lists them, and tests hold the README's table
and the dataclass defaults to them. A value Kassa cannot use is a ConfigError whose message
says which variable is wrong and what to set instead.
"""

import math
import os
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Literal

from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from kassa.notify.smtp import SmtpSettings

DEFAULT_DATABASE_URL = "sqlite:///./kassa.db"
Kind = Literal["number", "integer", "flag", "text", "level", "url", "choice"]
LOG_LEVELS = ("debug", "info", "warning", "error", "critical")
_TRUE = ("1", "true", "yes", "on")
_FALSE = ("0", "false", "no", "off", "")
_POSTGRES_DRIVERS = ("postgresql", "postgres", "postgresql+asyncpg", "postgresql+psycopg")
_SQLITE_DRIVERS = ("sqlite", "sqlite+aiosqlite")
URL_HINT = "postgresql://user:password@host:5432/dbname or sqlite:///path/to/kassa.db"


class ConfigError(ValueError):
    """A setting Kassa cannot use; the message names it and says what to set instead."""


@dataclass(frozen=True)
class Variable:
    """One KASSA_* environment variable: its default (as written in the environment) and
    what it does."""

    name: str
    default: str
    meaning: str
    kind: Kind = "number"
    minimum: float = 0
    maximum: float = math.inf
    choices: tuple[str, ...] = ()


VARIABLES: tuple[Variable, ...] = (
    Variable("KASSA_DATABASE_URL", DEFAULT_DATABASE_URL, URL_HINT, "url"),
    Variable("KASSA_HOLD_MINUTES", "10", "how long a reservation is held", minimum=0.01),
    Variable("KASSA_PAYMENT_HOLD_MINUTES", "720", "the hold once an order is in_progress"),
    Variable(
        "KASSA_WAITLIST_OFFER_MINUTES",
        "120",
        "how long tickets offered to the next person on a waiting list are held for them",
        minimum=0.01,
    ),
    Variable("KASSA_MAX_BODY_BYTES", "1048576", "larger request bodies get 413", "integer", 1),
    Variable(
        "KASSA_LEAN_ROUTES",
        "1",
        "0: every request through the whole stack, none the lean way of the hot routes (the "
        'same answers, more CPU; see "How Kassa is built")',
        "flag",
    ),
    Variable(
        "KASSA_ONE_WRITE",
        "1",
        "0: `kassa serve` writes an answer's head and body to the socket apart, as uvicorn does "
        '(the same bytes, more CPU; see "How Kassa is built")',
        "flag",
    ),
    Variable(
        "KASSA_AUTH_CACHE_SECONDS",
        "5",
        "how long a checked API key is cached (a revoked key stops working within this)",
    ),
    Variable(
        "KASSA_DB_POOL_SIZE",
        "15",
        "PostgreSQL connections a server process keeps open (opened as needed)",
        "integer",
        1,
    ),
    Variable(
        "KASSA_DB_MAX_OVERFLOW",
        "0",
        "extra connections a server process may open under load, closed again after each use",
        "integer",
    ),
    Variable(
        "KASSA_DB_POOL_TIMEOUT_SECONDS",
        "10",
        "how long a request waits for a free connection before it answers 503",
        minimum=0.1,
    ),
    Variable("KASSA_WORKER_INTERVAL_SECONDS", "1", "the worker's poll when it has nothing to do"),
    Variable(
        "KASSA_WORKER_LEASE_SECONDS",
        "60",
        "how long a worker holds a delivery before another worker may take it over",
        minimum=1,
    ),
    Variable(
        "KASSA_WEBHOOK_TIMEOUT_SECONDS",
        "10",
        "how long a webhook receiver has to answer",
        minimum=0.1,
    ),
    Variable(
        "KASSA_WEBHOOK_PER_ENDPOINT",
        "2",
        "webhook requests in flight to one receiving URL",
        "integer",
        1,
    ),
    Variable(
        "KASSA_DELIVERY_TOKEN_MINUTES",
        "60",
        "how long an aggregator's access token is valid",
        minimum=1,
    ),
    Variable(
        "KASSA_IDEMPOTENCY_RETENTION_HOURS",
        "24",
        "how long an Idempotency-Key's answer is replayed",
        minimum=0.01,
    ),
    Variable("KASSA_SMTP_HOST", "localhost", "where `kassa worker` sends e-mail", "text"),
    Variable("KASSA_SMTP_PORT", "25", "the SMTP server's port", "integer", 1, 65535),
    Variable("KASSA_SMTP_USERNAME", "", "SMTP login, if the server wants one", "text"),
    Variable("KASSA_SMTP_PASSWORD", "", "its password", "text"),
    Variable("KASSA_SMTP_STARTTLS", "0", "1: STARTTLS on a plain port (587)", "flag"),
    Variable("KASSA_SMTP_SSL", "0", "1: TLS from the start (465)", "flag"),
    Variable("KASSA_MAIL_FROM", "tickets@kassa.local", "the sender of tickets and exports", "text"),
    Variable("KASSA_DEMO", "1", "0: `kassa serve` never seeds demo data", "flag"),
    Variable("KASSA_LOG_LEVEL", "info", "debug, info, warning or error", "level"),
    Variable("KASSA_ACCESS_LOG", "0", "1: log every request (uvicorn's access log)", "flag"),
    Variable(
        "KASSA_LOG_FORMAT",
        "text",
        "text: readable lines; json: one JSON object a line",
        "choice",
        choices=("text", "json"),
    ),
    Variable(
        "KASSA_OTP_SENDER",
        "log",
        "where loyalty one-time codes go: log (the server log, development) or email",
        "choice",
        choices=("log", "email"),
    ),
    Variable(
        "KASSA_OTP_EMAIL",
        "{identifier}@sms.invalid",
        "with KASSA_OTP_SENDER=email: the address a code is mailed to ({identifier}: the phone)",
        "text",
    ),
    Variable(
        "KASSA_SECRET_KEY",
        "",
        "signs buyers' self-service links; unset: a random one is made and kept in the database",
        "text",
    ),
    Variable(
        "KASSA_PASSWORD_HASH_MEMORY_KIB",
        "65536",
        "memory of each console password hash (argon2id, KiB); keep the default: lower only"
        " for a test run",
        "integer",
        32,
    ),
    Variable(
        "KASSA_PUBLIC_URL",
        "http://127.0.0.1:8000",
        "where buyers reach Kassa: the start of self-service links in e-mails and the API",
        "text",
    ),
)
_BY_NAME = {variable.name: variable for variable in VARIABLES}


@dataclass(frozen=True)
class Settings:
    database_url: str = DEFAULT_DATABASE_URL
    hold: timedelta = timedelta(minutes=10)
    payment_hold: timedelta = timedelta(hours=12)
    # How long tickets offered to a waiting list's next person are held for them (an entry
    # keeps the hold in force when it joined).
    waitlist_offer_hold: timedelta = timedelta(hours=2)
    max_body_bytes: int = 1024 * 1024
    # Each face's hot routes answer their plain requests the lean way (kassa.web.hot); 0 sends
    # every request through the whole stack (the same answers, more CPU: BENCHMARKS.md).
    lean_routes: bool = True
    # `kassa serve` sends an answer's head and body in one write (kassa.cli.protocol).
    one_write: bool = True
    auth_cache_seconds: float = 5.0
    # The connection budget of one process: pool_size + max_overflow (README, "Connection
    # budget"); waiting longer than the timeout for a connection answers 503. No overflow by
    # default: an overflow connection is closed as soon as it is returned while the pool is
    # full, so under a steady load above the pool size every few requests paid for a new
    # PostgreSQL connection (a backend forked, statements prepared again): BENCHMARKS.md.
    db_pool_size: int = 15
    db_max_overflow: int = 0
    db_pool_timeout_seconds: float = 10.0
    worker_interval_seconds: float = 1.0
    worker_lease_seconds: float = 60.0
    webhook_timeout_seconds: float = 10.0
    # Webhook deliveries in flight to one receiver at once; a slow one only fills its own.
    webhook_per_endpoint: int = 2
    smtp: SmtpSettings = field(default_factory=SmtpSettings)
    delivery_token_ttl: timedelta = timedelta(hours=1)
    # How long an Idempotency-Key's answer is replayed; the worker purges older keys.
    idempotency_retention: timedelta = timedelta(hours=24)
    demo: bool = True
    log_level: str = "info"
    access_log: bool = False
    # Loyalty one-time codes: "log" writes them to the log (development), "email" mails them
    # over SMTP to `otp_email` with {identifier} filled in (an e-mail-to-SMS gateway).
    otp_sender: str = "log"
    otp_email: str = "{identifier}@sms.invalid"
    # "text" (one readable line) or "json" (one JSON object a line, for a log collector).
    log_format: str = "text"
    # Buyers' self-service links: signed with `secret_key` (empty: a random secret kept in
    # the database, shared by every process), starting with `public_url`.
    secret_key: str = ""
    public_url: str = "http://127.0.0.1:8000"
    # argon2id's memory cost (KiB) for the console's password hashes: 65536 is argon2-cffi's
    # default (RFC 9106's low-memory profile, ~0.1 s of CPU a check). Only a test suite, which
    # signs in hundreds of times, sets it lower; a hash keeps the cost it was made with.
    password_hash_memory_kib: int = 65536

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> "Settings":
        """Read KASSA_* variables; anything unset keeps its default. Raises ConfigError."""
        read = _Reader(dict(os.environ if env is None else env))
        return cls(
            database_url=read.url("KASSA_DATABASE_URL"),
            hold=timedelta(minutes=read.number("KASSA_HOLD_MINUTES")),
            payment_hold=timedelta(minutes=read.number("KASSA_PAYMENT_HOLD_MINUTES")),
            waitlist_offer_hold=timedelta(minutes=read.number("KASSA_WAITLIST_OFFER_MINUTES")),
            max_body_bytes=read.integer("KASSA_MAX_BODY_BYTES"),
            lean_routes=read.flag("KASSA_LEAN_ROUTES"),
            one_write=read.flag("KASSA_ONE_WRITE"),
            auth_cache_seconds=read.number("KASSA_AUTH_CACHE_SECONDS"),
            db_pool_size=read.integer("KASSA_DB_POOL_SIZE"),
            db_max_overflow=read.integer("KASSA_DB_MAX_OVERFLOW"),
            db_pool_timeout_seconds=read.number("KASSA_DB_POOL_TIMEOUT_SECONDS"),
            worker_interval_seconds=read.number("KASSA_WORKER_INTERVAL_SECONDS"),
            worker_lease_seconds=read.number("KASSA_WORKER_LEASE_SECONDS"),
            webhook_timeout_seconds=read.number("KASSA_WEBHOOK_TIMEOUT_SECONDS"),
            webhook_per_endpoint=read.integer("KASSA_WEBHOOK_PER_ENDPOINT"),
            delivery_token_ttl=timedelta(minutes=read.number("KASSA_DELIVERY_TOKEN_MINUTES")),
            idempotency_retention=timedelta(hours=read.number("KASSA_IDEMPOTENCY_RETENTION_HOURS")),
            otp_sender=read.choice("KASSA_OTP_SENDER"),
            otp_email=read.text("KASSA_OTP_EMAIL"),
            log_format=read.choice("KASSA_LOG_FORMAT"),
            secret_key=read.text("KASSA_SECRET_KEY"),
            public_url=read.text("KASSA_PUBLIC_URL").rstrip("/"),
            password_hash_memory_kib=read.integer("KASSA_PASSWORD_HASH_MEMORY_KIB"),
            smtp=SmtpSettings(
                host=read.text("KASSA_SMTP_HOST") or "localhost",
                port=read.integer("KASSA_SMTP_PORT"),
                username=read.text("KASSA_SMTP_USERNAME") or None,
                password=read.text("KASSA_SMTP_PASSWORD") or None,
                starttls=read.flag("KASSA_SMTP_STARTTLS"),
                ssl=read.flag("KASSA_SMTP_SSL"),
                sender=read.text("KASSA_MAIL_FROM") or "tickets@kassa.local",
            ),
            demo=read.flag("KASSA_DEMO"),
            log_level=read.level("KASSA_LOG_LEVEL"),
            access_log=read.flag("KASSA_ACCESS_LOG"),
        )


def redacted(url: str) -> str:
    """The database URL as it may be shown: the password, if any, as ***."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except (ArgumentError, ValueError):
        return "(not a URL)"


class _Reader:
    """Values of the environment, parsed by their variable's kind, or a ConfigError. A
    variable set to nothing (`KASSA_X=`) keeps its default, as an unset one does."""

    def __init__(self, env: dict[str, str]) -> None:
        self.env = env

    def _raw(self, name: str) -> tuple[Variable, str]:
        variable = _BY_NAME[name]
        value = (self.env.get(name) or "").strip()
        return variable, value or variable.default

    def text(self, name: str) -> str:
        return self._raw(name)[1]

    def number(self, name: str) -> float:
        variable, value = self._raw(name)
        try:
            number = float(value)
        except ValueError:
            number = math.nan
        if not math.isfinite(number):
            raise _wrong(variable, value, "not a number")
        return self._bounded(variable, value, number)

    def integer(self, name: str) -> int:
        variable, value = self._raw(name)
        try:
            number = int(value)
        except ValueError:
            raise _wrong(variable, value, "not a whole number") from None
        return int(self._bounded(variable, value, number))

    def _bounded(self, variable: Variable, value: str, number: float) -> float:
        if number < variable.minimum:
            raise _wrong(variable, value, "too small")
        if number > variable.maximum:
            raise _wrong(variable, value, "too large")
        return number

    def flag(self, name: str) -> bool:
        variable, value = self._raw(name)
        if value.lower() not in _TRUE + _FALSE:
            raise _wrong(variable, value, "neither yes nor no")
        return value.lower() in _TRUE

    def level(self, name: str) -> str:
        variable, value = self._raw(name)
        if value.lower() not in LOG_LEVELS:
            raise _wrong(variable, value, "not a log level")
        return value.lower()

    def choice(self, name: str) -> str:
        variable, value = self._raw(name)
        if value.lower() not in variable.choices:
            raise _wrong(variable, value, "not one of the choices")
        return value.lower()

    def url(self, name: str) -> str:
        value = self._raw(name)[1]
        try:
            parsed = make_url(value)
        except (ArgumentError, ValueError):
            # Not echoed when it may hold a password.
            said = (
                f"={value!r}"
                if "@" not in value
                else " (check its port, and write @ : / in the password as %40 %3A %2F)"
            )
            raise ConfigError(f"{name}{said} is not a database URL: use {URL_HINT}") from None
        if parsed.drivername not in _POSTGRES_DRIVERS + _SQLITE_DRIVERS:
            raise ConfigError(
                f"{name}: Kassa runs on PostgreSQL or SQLite, not {parsed.drivername}: "
                f"use {URL_HINT}"
            )
        return value


def expected(variable: Variable) -> str:
    """What a variable takes, in words: "a number of at least 1", "1 or 0"."""
    if variable.kind == "flag":
        return "1 or 0"
    if variable.kind == "level":
        return "one of " + ", ".join(LOG_LEVELS)
    if variable.kind == "choice":
        return "one of " + ", ".join(variable.choices)
    if variable.kind not in ("number", "integer"):
        return "text"
    what = "a number" if variable.kind == "number" else "a whole number"
    if variable.maximum < math.inf:
        return f"{what} from {variable.minimum:g} to {variable.maximum:g}"
    return f"{what} of at least {variable.minimum:g}"


def _wrong(variable: Variable, value: str, problem: str) -> ConfigError:
    return ConfigError(
        f"{variable.name}={value!r} is {problem}: set it to {expected(variable)} "
        f"(default {variable.default}), or unset it"
    )
