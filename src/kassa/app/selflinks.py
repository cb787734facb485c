"""Buyers' self-service links: the signing secret (configured, or generated once and kept in
the database so every process agrees) and the link of an order."""

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from kassa.core.selfservice import link_expiry, sign
from kassa.store.db import Database
from kassa.store.selfservice import SelfServiceRepo

SECRET_NAME = "self_service_links"  # noqa: S105 - the row name, not the secret


@dataclass(frozen=True)
class Links:
    """How links are made: where buyers reach Kassa, and the configured secret (empty: the
    database's generated one)."""

    public_url: str
    secret_key: str = ""

    def url(self, token: str) -> str:
        return f"{self.public_url.rstrip('/')}/my/{token}"


async def secret_of(db: Database, links: Links, now: datetime) -> str:
    """The signing secret: KASSA_SECRET_KEY, else the database's, made on first use."""
    if links.secret_key:
        return links.secret_key
    async with db.unit_of_work(write=False) as uow:
        found = await SelfServiceRepo(uow.tx).stored_secret(SECRET_NAME)
    if found:
        return found
    async with db.unit_of_work() as uow:
        value = await SelfServiceRepo(uow.tx).secret(SECRET_NAME, secrets.token_urlsafe(32), now)
        await uow.commit()
    return value


async def link_of(
    db: Database, links: Links, order_id: str, now: datetime, ttl: timedelta | None = None
) -> tuple[str, datetime]:
    """(url, expires_at) of a new link to the order's self-service page. Not inside a unit of
    work: on SQLite the secret's first write would wait for the caller's own."""
    return signed(links, await secret_of(db, links, now), order_id, now, ttl)


def signed(
    links: Links, secret: str, order_id: str, now: datetime, ttl: timedelta | None = None
) -> tuple[str, datetime]:
    """(url, expires_at) of a link signed with `secret`."""
    expires_at = link_expiry(now, ttl)
    return links.url(sign(secret, order_id, expires_at)), expires_at
