"""Reads of the v1 account resources: partners (organisations and sellers), API keys as
users, what a partner sold, and venues."""

from collections.abc import Sequence
from decimal import Decimal

from sqlalchemy import func, select

from kassa.core.accounts import ApiUser, PartnerAccount, Sales
from kassa.core.catalog import Venue
from kassa.store.tables import api_keys, order_lines, orders, organisations, partners, venues
from kassa.store.tx import Tx


class AccountsRepo:
    def __init__(self, conn: Tx) -> None:
        self._conn = conn

    async def organisation(self, org_id: str) -> PartnerAccount | None:
        row = (
            await self._conn.execute(select(organisations).where(organisations.c.id == org_id))
        ).first()
        return PartnerAccount(row.id, row.id, row.name, row.created_at) if row else None

    async def partner(self, partner_id: str) -> PartnerAccount | None:
        """An organisation or a seller by its id."""
        row = (
            await self._conn.execute(select(partners).where(partners.c.id == partner_id))
        ).first()
        if row is not None:
            return PartnerAccount(row.id, row.org_id, row.name, row.created_at)
        return await self.organisation(partner_id)

    async def sellers(self, org_id: str) -> list[PartnerAccount]:
        rows = await self._conn.execute(
            select(partners).where(partners.c.org_id == org_id).order_by(partners.c.created_at)
        )
        return [PartnerAccount(r.id, r.org_id, r.name, r.created_at) for r in rows]

    async def keys(self, org_id: str, partner_id: str | None = None) -> list[ApiUser]:
        """The organisation's live keys (a seller's only, when `partner_id` is given)."""
        query = select(api_keys).where(api_keys.c.org_id == org_id, api_keys.c.revoked_at.is_(None))
        if partner_id is not None:
            query = query.where(api_keys.c.partner_id == partner_id)
        rows = await self._conn.execute(query.order_by(api_keys.c.created_at, api_keys.c.id))
        return [ApiUser(r.id, r.org_id, r.partner_id, r.label, r.created_at) for r in rows]

    async def key(self, key_id: str) -> ApiUser | None:
        row = (
            await self._conn.execute(
                select(api_keys).where(api_keys.c.id == key_id, api_keys.c.revoked_at.is_(None))
            )
        ).first()
        return (
            ApiUser(row.id, row.org_id, row.partner_id, row.label, row.created_at) if row else None
        )

    async def sales(self, org_id: str, vendor_id: str) -> Sales:
        """Done orders the vendor sold for the organisation, with their tickets and money."""
        done = select(orders.c.id).where(
            orders.c.org_id == org_id, orders.c.vendor_id == vendor_id, orders.c.status == "done"
        )
        count = await self._conn.scalar(select(func.count()).select_from(done.subquery()))
        rows = await self._conn.execute(
            select(order_lines.c.full).where(
                order_lines.c.order_id.in_(done), order_lines.c.state == "active"
            )
        )
        amounts = [Decimal(row.full) for row in rows]
        return Sales(int(count or 0), len(amounts), sum(amounts, Decimal("0.00")))

    async def venues_of(self, org_id: str, ids: Sequence[str] | None = None) -> list[Venue]:
        query = select(venues).where(venues.c.org_id == org_id).order_by(venues.c.name)
        if ids is not None:
            query = query.where(venues.c.id.in_(list(ids)))
        return [Venue(**row._mapping) for row in await self._conn.execute(query)]

    async def venue(self, venue_id: str) -> Venue | None:
        row = (await self._conn.execute(select(venues).where(venues.c.id == venue_id))).first()
        return Venue(**row._mapping) if row else None
