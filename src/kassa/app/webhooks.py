"""Organisations register webhook endpoints (their shops and restaurants are theirs too),
choose events, and replay dead letters."""

import secrets
from datetime import datetime
from urllib.parse import urlparse

from kassa.app.ids import new_id
from kassa.core.errors import ActionForbidden, CatalogInvalid, NotFound
from kassa.core.tenancy import Principal
from kassa.core.webhooks import Delivery, Endpoint
from kassa.store.db import Database

EVENT_FAMILIES = ("order", "refund", "loyalty", "delivery")
MAX_ID = 2**63 - 1  # a delivery id is a BIGINT: a larger one names no delivery


def _organiser(principal: Principal) -> None:
    if not principal.is_organiser:
        raise ActionForbidden("Only the organiser's key manages webhooks")


def _check(url: str, events: list[str]) -> None:
    parsed = urlparse(url)
    if parsed.scheme not in ("http", "https") or not parsed.netloc:
        raise CatalogInvalid("url must be an http(s) URL")
    for event in events:
        family = event.split(".", 1)[0]
        if event != "*" and family not in EVENT_FAMILIES:
            raise CatalogInvalid(
                f"unknown event {event!r}: order.*, refund.*, loyalty.*, delivery.*"
            )


async def add_endpoint(
    db: Database, principal: Principal, url: str, events: list[str], now: datetime
) -> Endpoint:
    _organiser(principal)
    _check(url, events)
    endpoint = Endpoint(
        new_id(now), principal.org_id, url, "whsec_" + secrets.token_hex(24), tuple(events), True
    )
    async with db.unit_of_work() as uow:
        await uow.webhooks.add_endpoint(endpoint, now)
        await uow.commit()
    return endpoint


async def endpoints(db: Database, principal: Principal) -> list[Endpoint]:
    _organiser(principal)
    async with db.unit_of_work(write=False) as uow:
        return await uow.webhooks.endpoints_of(principal.org_id)


async def remove_endpoint(db: Database, principal: Principal, endpoint_id: str) -> None:
    _organiser(principal)
    async with db.unit_of_work() as uow:
        found = await uow.webhooks.endpoint(endpoint_id)
        if found is None or found.org_id != principal.org_id:
            raise NotFound(f"Endpoint {endpoint_id} not found")
        await uow.webhooks.deactivate(endpoint_id)
        await uow.commit()


async def deliveries(db: Database, principal: Principal, state: str | None) -> list[Delivery]:
    _organiser(principal)
    async with db.unit_of_work(write=False) as uow:
        return await uow.webhooks.of_org(principal.org_id, state)


async def replay(db: Database, principal: Principal, delivery_id: int, now: datetime) -> None:
    """A dead letter (or any delivery) goes out again, with a fresh three days of retries."""
    _organiser(principal)
    if not 1 <= delivery_id <= MAX_ID:
        raise NotFound(f"Delivery {delivery_id} not found")
    async with db.unit_of_work() as uow:
        found = await uow.webhooks.delivery(delivery_id)
        endpoint = await uow.webhooks.endpoint(found.endpoint_id) if found else None
        if found is None or endpoint is None or endpoint.org_id != principal.org_id:
            raise NotFound(f"Delivery {delivery_id} not found")
        await uow.webhooks.replay(delivery_id, now)
        await uow.commit()
