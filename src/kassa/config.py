"""Settings, read once from the environment (KASSA_*)."""

import os
from dataclasses import dataclass, field
from datetime import timedelta

from kassa.notify.smtp import SmtpSettings

DEFAULT_DATABASE_URL = "sqlite:///./kassa.db"


@dataclass(frozen=True)
class Settings:
    database_url: str = DEFAULT_DATABASE_URL
    hold: timedelta = timedelta(minutes=10)
    payment_hold: timedelta = timedelta(hours=12)
    max_body_bytes: int = 1024 * 1024
    auth_cache_seconds: float = 5.0
    # The connection budget of one process: pool_size + max_overflow (README, "Connection
    # budget"); waiting longer than the timeout for a connection answers 503.
    db_pool_size: int = 10
    db_max_overflow: int = 5
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
    # Loyalty one-time codes: "log" writes them to the log (development), "email" mails them
    # over SMTP to `otp_email` with {identifier} filled in (an e-mail-to-SMS gateway).
    otp_sender: str = "log"
    otp_email: str = "{identifier}@sms.invalid"
    # "text" (one readable line) or "json" (one JSON object a line, for a log collector).
    log_format: str = "text"

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> "Settings":
        """Read KASSA_* variables; anything unset keeps its default."""
        env = dict(os.environ if env is None else env)
        return cls(
            database_url=env.get("KASSA_DATABASE_URL") or DEFAULT_DATABASE_URL,
            hold=timedelta(minutes=float(env.get("KASSA_HOLD_MINUTES", 10))),
            payment_hold=timedelta(minutes=float(env.get("KASSA_PAYMENT_HOLD_MINUTES", 720))),
            max_body_bytes=int(env.get("KASSA_MAX_BODY_BYTES", 1024 * 1024)),
            auth_cache_seconds=float(env.get("KASSA_AUTH_CACHE_SECONDS", 5)),
            db_pool_size=int(env.get("KASSA_DB_POOL_SIZE", 10)),
            db_max_overflow=int(env.get("KASSA_DB_MAX_OVERFLOW", 5)),
            db_pool_timeout_seconds=float(env.get("KASSA_DB_POOL_TIMEOUT_SECONDS", 10)),
            worker_interval_seconds=float(env.get("KASSA_WORKER_INTERVAL_SECONDS", 1)),
            worker_lease_seconds=float(env.get("KASSA_WORKER_LEASE_SECONDS", 60)),
            webhook_timeout_seconds=float(env.get("KASSA_WEBHOOK_TIMEOUT_SECONDS", 10)),
            webhook_per_endpoint=int(env.get("KASSA_WEBHOOK_PER_ENDPOINT", 2)),
            delivery_token_ttl=timedelta(
                minutes=float(env.get("KASSA_DELIVERY_TOKEN_MINUTES", 60))
            ),
            idempotency_retention=timedelta(
                hours=float(env.get("KASSA_IDEMPOTENCY_RETENTION_HOURS", 24))
            ),
            otp_sender=_choice(env, "KASSA_OTP_SENDER", ("log", "email"), "log"),
            otp_email=env.get("KASSA_OTP_EMAIL") or "{identifier}@sms.invalid",
            log_format=_choice(env, "KASSA_LOG_FORMAT", ("text", "json"), "text"),
            smtp=SmtpSettings(
                host=env.get("KASSA_SMTP_HOST") or "localhost",
                port=int(env.get("KASSA_SMTP_PORT", 25)),
                username=env.get("KASSA_SMTP_USERNAME") or None,
                password=env.get("KASSA_SMTP_PASSWORD") or None,
                starttls=_flag(env.get("KASSA_SMTP_STARTTLS")),
                ssl=_flag(env.get("KASSA_SMTP_SSL")),
                sender=env.get("KASSA_MAIL_FROM") or "tickets@kassa.local",
            ),
        )


def _flag(value: str | None) -> bool:
    return (value or "").strip().lower() in ("1", "true", "yes", "on")


def _choice(env: dict[str, str], name: str, allowed: tuple[str, ...], default: str) -> str:
    value = (env.get(name) or default).strip().lower()
    if value not in allowed:
        raise ValueError(f"{name} must be one of {', '.join(allowed)}, not {value!r}")
    return value
