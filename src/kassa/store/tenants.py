"""Organisations, partners and their API keys (stored as SHA-256 hashes only)."""

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from sqlalchemy import insert, select, update

from kassa.core.pricing import FeePolicy
from kassa.store.tables import api_keys, organisations, partners
from kassa.store.tx import Tx


@dataclass(frozen=True)
class KeyRecord:
    key_hash: str
    org_id: str
    partner_id: str | None
    id: str | None = None


@dataclass(frozen=True)
class Endpoint:
    """Where an organisation or partner takes its webhooks."""

    url: str | None
    secret: str | None


class TenantsRepo:
    def __init__(self, conn: Tx) -> None:
        self._conn = conn

    async def add_organisation(
        self, org_id: str, name: str, fee: FeePolicy, created_at: datetime
    ) -> None:
        await self._conn.execute(
            insert(organisations).values(
                id=org_id,
                name=name,
                fee_percent=fee.percent,
                fee_fixed=fee.fixed,
                created_at=created_at,
            )
        )

    async def add_partner(
        self,
        partner_id: str,
        org_id: str,
        name: str,
        webhook_url: str | None,
        webhook_secret: str | None,
        created_at: datetime,
    ) -> None:
        await self._conn.execute(
            insert(partners).values(
                id=partner_id,
                org_id=org_id,
                name=name,
                webhook_url=webhook_url,
                webhook_secret=webhook_secret,
                created_at=created_at,
            )
        )

    async def add_key(
        self,
        key_id: str,
        key_hash: str,
        org_id: str,
        partner_id: str | None,
        label: str,
        created_at: datetime,
    ) -> None:
        await self._conn.execute(
            insert(api_keys).values(
                id=key_id,
                key_hash=key_hash,
                org_id=org_id,
                partner_id=partner_id,
                label=label,
                created_at=created_at,
            )
        )

    async def key_by_hash(self, key_hash: str) -> KeyRecord | None:
        row = (
            await self._conn.execute(
                select(
                    api_keys.c.key_hash, api_keys.c.org_id, api_keys.c.partner_id, api_keys.c.id
                ).where(api_keys.c.key_hash == key_hash, api_keys.c.revoked_at.is_(None))
            )
        ).first()
        return KeyRecord(row.key_hash, row.org_id, row.partner_id, row.id) if row else None

    async def revoke_key(self, key_hash: str, at: datetime) -> bool:
        result = await self._conn.execute(
            update(api_keys)
            .where(api_keys.c.key_hash == key_hash, api_keys.c.revoked_at.is_(None))
            .values(revoked_at=at)
        )
        return bool(result.rowcount)

    async def fee_policy(self, org_id: str) -> FeePolicy:
        row = (
            await self._conn.execute(
                select(organisations.c.fee_percent, organisations.c.fee_fixed).where(
                    organisations.c.id == org_id
                )
            )
        ).one()
        return FeePolicy(Decimal(row.fee_percent), Decimal(row.fee_fixed))

    async def has_organisations(self) -> bool:
        return await self._conn.scalar(select(organisations.c.id).limit(1)) is not None

    async def organisation_name(self, org_id: str) -> str | None:
        return await self._conn.scalar(
            select(organisations.c.name).where(organisations.c.id == org_id)
        )

    async def partner_name(self, partner_id: str) -> str | None:
        """A seller's name, or the organisation's when the organiser sells itself."""
        name = await self._conn.scalar(select(partners.c.name).where(partners.c.id == partner_id))
        return name if name is not None else await self.organisation_name(partner_id)

    async def partner_org(self, partner_id: str) -> str | None:
        return await self._conn.scalar(select(partners.c.org_id).where(partners.c.id == partner_id))

    async def endpoint(self, org_id: str, partner_id: str | None) -> Endpoint:
        """The partner's webhook endpoint, else the organisation's."""
        if partner_id:
            row = (
                await self._conn.execute(
                    select(partners.c.webhook_url, partners.c.webhook_secret).where(
                        partners.c.id == partner_id
                    )
                )
            ).first()
            if row and row.webhook_url:
                return Endpoint(row.webhook_url, row.webhook_secret)
        row = (
            await self._conn.execute(
                select(organisations.c.webhook_url, organisations.c.webhook_secret).where(
                    organisations.c.id == org_id
                )
            )
        ).first()
        return Endpoint(row.webhook_url, row.webhook_secret) if row else Endpoint(None, None)

    async def set_org_webhook(self, org_id: str, url: str | None, secret: str | None) -> None:
        await self._conn.execute(
            update(organisations)
            .where(organisations.c.id == org_id)
            .values(webhook_url=url, webhook_secret=secret)
        )
