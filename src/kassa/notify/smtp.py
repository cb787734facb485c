"""Sending e-mail over SMTP (aiosmtplib): host, port, credentials and TLS from settings."""

import os
import socket
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


# Where the operator sets the server: named in every "cannot reach it" error.
WHERE_SET = "KASSA_SMTP_HOST / KASSA_SMTP_PORT"


async def send(settings: SmtpSettings, message: EmailMessage) -> None:
    """Hand the message to the SMTP server; raises on any refusal (the outbox retries)."""
    try:
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
    except (aiosmtplib.SMTPConnectError, aiosmtplib.SMTPConnectTimeoutError) as exc:
        raise unreachable(settings, exc) from exc


async def probe(settings: SmtpSettings) -> str:
    """Connect (TLS and login as configured) and say goodbye; returns the server's greeting.
    Raises as `send` does."""
    client = aiosmtplib.SMTP(
        hostname=settings.host,
        port=settings.port,
        username=settings.username,
        password=settings.password,
        use_tls=settings.ssl,
        start_tls=settings.starttls,
        timeout=min(settings.timeout, 10.0),
    )
    try:
        greeting = await client.connect()
    except (aiosmtplib.SMTPConnectError, aiosmtplib.SMTPConnectTimeoutError) as exc:
        raise unreachable(settings, exc) from exc
    try:
        await client.quit()
    except aiosmtplib.SMTPException:
        client.close()
    return greeting.message.splitlines()[0] if greeting.message else ""


def unreachable(settings: SmtpSettings, exc: Exception) -> aiosmtplib.SMTPConnectError:
    """The connection error, naming the settings that chose the server."""
    cause = exc.__cause__
    if isinstance(cause, socket.gaierror):
        reason = "no such host"
    elif isinstance(cause, OSError) and cause.errno:
        reason = os.strerror(cause.errno).lower()  # "connection refused"
    else:
        reason = str(exc).split(": ", 1)[-1]  # aiosmtplib's own text repeats host and port
    return aiosmtplib.SMTPConnectError(
        f"cannot reach the SMTP server at {settings.host}:{settings.port} ({reason}): "
        f"check {WHERE_SET}"
    )
