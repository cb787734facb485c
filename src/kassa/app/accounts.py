"""The v1 account reads (partners, deals, users, venues), scoped to the caller.

Another organisation's object is not found (404), like an id nobody has; an object of the
caller's own organisation that a seller may not read (another seller, its keys, a venue of
no event it sells) is forbidden (403), as the spec says.
"""

from collections.abc import Sequence

from kassa.core.accounts import (
    ApiUser,
    Deal,
    PartnerAccount,
    Sales,
    deals_of,
    sees_partner,
    sees_user,
)
from kassa.core.catalog import EventStatus, Venue
from kassa.core.errors import (
    ActionForbidden,
    DealNotFound,
    PartnerNotFound,
    UserNotFound,
    VenueNotFound,
)
from kassa.core.tenancy import Principal
from kassa.store.db import Database, UnitOfWork


async def partners(
    db: Database, principal: Principal, ids: Sequence[str] | None = None
) -> list[PartnerAccount]:
    """The partners the caller sees (narrowed to `ids` when given), organisation first."""
    async with db.unit_of_work(write=False) as uow:
        found = await _partners(uow, principal)
    return [p for p in found if ids is None or p.id in ids]


async def partner(db: Database, principal: Principal, partner_id: str) -> PartnerAccount:
    async with db.unit_of_work(write=False) as uow:
        found = await uow.accounts.partner(partner_id)
    if found is None or found.org_id != principal.org_id:
        raise PartnerNotFound(f"Partner {partner_id} not found", partner=partner_id)
    if not sees_partner(principal, found):
        raise ActionForbidden("A seller reads only itself and its organiser")
    return found


async def _partners(uow: UnitOfWork, principal: Principal) -> list[PartnerAccount]:
    org = await uow.accounts.organisation(principal.org_id)
    everyone = ([org] if org else []) + await uow.accounts.sellers(principal.org_id)
    return [p for p in everyone if sees_partner(principal, p)]


async def deals(db: Database, principal: Principal) -> list[Deal]:
    """One accepted deal per public event of the organisation and seller the caller sees."""
    async with db.unit_of_work(write=False) as uow:
        events = await uow.catalog.events_of(principal.org_id, [EventStatus.PUBLIC])
        sellers = await uow.accounts.sellers(principal.org_id)
        fee = await uow.tenants.fee_policy(principal.org_id)
    return deals_of(events, sellers, fee, principal)


async def deal(db: Database, principal: Principal, deal_id: str) -> Deal:
    found = next((d for d in await deals(db, principal) if d.id == deal_id), None)
    if found is None:
        raise DealNotFound(f"Deal {deal_id} not found", deal=deal_id)
    return found


async def users(db: Database, principal: Principal) -> list[tuple[ApiUser, Sales]]:
    """The caller's keys as users (an organiser: every key of its organisation)."""
    async with db.unit_of_work(write=False) as uow:
        keys = await uow.accounts.keys(principal.org_id, principal.partner_id)
        return [(key, await _sales(uow, key)) for key in keys]


async def user(db: Database, principal: Principal, user_id: str) -> tuple[ApiUser, Sales]:
    async with db.unit_of_work(write=False) as uow:
        key = await uow.accounts.key(user_id)
        if key is None or key.org_id != principal.org_id:
            raise UserNotFound(f"User {user_id} not found", user=user_id)
        if not sees_user(principal, key):
            raise ActionForbidden("A seller reads only its own users")
        return key, await _sales(uow, key)


async def whoami(db: Database, principal: Principal) -> tuple[ApiUser, Sales]:
    """The key the caller called with."""
    return await user(db, principal, principal.key_id or "")


async def _sales(uow: UnitOfWork, key: ApiUser) -> Sales:
    return await uow.accounts.sales(key.org_id, key.partner)


async def venues(db: Database, principal: Principal) -> list[Venue]:
    """An organiser's venues; a seller sees those of the public events it may sell."""
    async with db.unit_of_work(write=False) as uow:
        if principal.is_organiser:
            return await uow.accounts.venues_of(principal.org_id)
        ids = await _sold_venues(uow, principal)
        return await uow.accounts.venues_of(principal.org_id, ids)


async def venue(db: Database, principal: Principal, venue_id: str) -> Venue:
    async with db.unit_of_work(write=False) as uow:
        found = await uow.accounts.venue(venue_id)
        if found is None or found.org_id != principal.org_id:
            raise VenueNotFound(f"Venue {venue_id} not found", venue=venue_id)
        if not principal.is_organiser and venue_id not in await _sold_venues(uow, principal):
            raise ActionForbidden("A seller reads only the venues of events it sells")
        return found


async def _sold_venues(uow: UnitOfWork, principal: Principal) -> list[str]:
    events = await uow.catalog.events_of(principal.org_id, [EventStatus.PUBLIC])
    return sorted({e.venue_id for e in events if e.venue_id})
