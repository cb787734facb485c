"""Sending e-mail over SMTP (aiosmtplib): host, port, credentials and TLS from settings."""

from dataclasses import dataclass
from email.message import EmailMessage

import aiosmtplib


@dataclass(frozen=True)
class SmtpSettings:
    host: str = "localhost"
    port: int = 25
    username: str | None = None
    password: str | None = None
    starttls: bool = False
    ssl: bool = False
    timeout: float = 30.0
    sender: str = "tickets@kassa.local"


async def send(settings: SmtpSettings, message: EmailMessage) -> None:
    """Hand the message to the SMTP server; raises on any refusal (the outbox retries)."""
    await aiosmtplib.send(
        message,
        hostname=settings.host,
        port=settings.port,
        username=settings.username,
        password=settings.password,
        use_tls=settings.ssl,
        start_tls=settings.starttls,
        timeout=settings.timeout,
    )
