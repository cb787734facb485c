"""Organisations, partners and API keys."""

import hmac
from dataclasses import dataclass
from datetime import datetime

from kassa.app.ids import hash_api_key, new_api_key, new_id
from kassa.core.errors import ApiKeyInvalid, OrganisationNotFound, PartnerNotFound
from kassa.core.pricing import FeePolicy
from kassa.core.tenancy import Principal
from kassa.store.db import Database, UnitOfWork


@dataclass(frozen=True)
class IssuedKey:
    """A new key: shown once, stored only as its hash."""

    key: str
    principal: Principal


async def authenticate(db: Database, key: str) -> Principal:
    """The principal behind an API key; unknown or revoked keys are refused."""
    key_hash = hash_api_key(key)
    async with db.unit_of_work(write=False) as uow:
        record = await uow.tenants.key_by_hash(key_hash)
    # The index finds the row by hash; the final check is constant-time all the same.
    if record is None or not hmac.compare_digest(record.key_hash, key_hash):
        raise ApiKeyInvalid("Invalid API key")
    return Principal(record.org_id, record.partner_id, key_id=record.id)


async def create_organisation(
    db: Database, name: str, fee: FeePolicy, now: datetime, org_id: str | None = None
) -> str:
    """A new organiser; returns its id."""
    org_id = org_id or new_id(now)
    async with db.unit_of_work() as uow:
        await uow.tenants.add_organisation(org_id, name, fee, now)
        await uow.commit()
    return org_id


async def create_partner(
    db: Database,
    org_id: str,
    name: str,
    now: datetime,
    *,
    webhook_url: str | None = None,
    webhook_secret: str | None = None,
    partner_id: str | None = None,
) -> str:
    """A seller of an organisation's tickets; returns its id."""
    partner_id = partner_id or new_id(now)
    async with db.unit_of_work() as uow:
        await uow.tenants.add_partner(partner_id, org_id, name, webhook_url, webhook_secret, now)
        await uow.commit()
    return partner_id


async def open_organisation(
    db: Database, name: str, fee: FeePolicy, now: datetime, *, webhook_url: str | None = None
) -> IssuedKey:
    """A new organiser with its webhook and its first API key, all or nothing."""
    org_id = new_id(now)
    async with db.unit_of_work() as uow:
        await uow.tenants.add_organisation(org_id, name, fee, now)
        if webhook_url:
            await uow.tenants.set_org_webhook(org_id, webhook_url, None)
        issued = await _add_key(uow, Principal(org_id, None), "first key", now)
        await uow.commit()
    return issued


async def open_partner(
    db: Database,
    org_id: str,
    name: str,
    now: datetime,
    *,
    webhook_url: str | None = None,
    label: str = "",
) -> IssuedKey:
    """A new seller of an organisation's tickets with its first API key, all or nothing."""
    partner_id = new_id(now)
    async with db.unit_of_work() as uow:
        await require_organisation(uow, org_id)
        await uow.tenants.add_partner(partner_id, org_id, name, webhook_url, None, now)
        issued = await _add_key(uow, Principal(org_id, partner_id), label, now)
        await uow.commit()
    return issued


async def issue_key(
    db: Database,
    org_id: str,
    now: datetime,
    *,
    partner_id: str | None = None,
    label: str = "",
    key: str | None = None,
) -> IssuedKey:
    """A key for the organiser itself, or for one of its partners."""
    async with db.unit_of_work() as uow:
        await require_organisation(uow, org_id)
        if partner_id is not None and await uow.tenants.partner_org(partner_id) != org_id:
            raise PartnerNotFound(f"Partner {partner_id} not found", partner=partner_id)
        issued = await _add_key(uow, Principal(org_id, partner_id), label, now, key=key)
        await uow.commit()
    return issued


async def require_organisation(uow: UnitOfWork, org_id: str) -> None:
    """OrganisationNotFound unless `org_id` is an organisation (a CLI caller may mistype it)."""
    if await uow.tenants.organisation_name(org_id) is None:
        raise OrganisationNotFound(
            f"No organisation {org_id}: check the id (`kassa orgs create` prints it)",
            org=org_id,
        )


async def _add_key(
    uow: UnitOfWork, principal: Principal, label: str, now: datetime, *, key: str | None = None
) -> IssuedKey:
    key = key or new_api_key()
    await uow.tenants.add_key(
        new_id(now), hash_api_key(key), principal.org_id, principal.partner_id, label, now
    )
    return IssuedKey(key, principal)


async def revoke_key(db: Database, key: str, now: datetime) -> bool:
    """Stop a key from working; True when it was live."""
    async with db.unit_of_work() as uow:
        revoked = await uow.tenants.revoke_key(hash_api_key(key), now)
        await uow.commit()
    return revoked
