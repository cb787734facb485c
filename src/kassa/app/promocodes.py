"""Organiser use cases for promo codes, and the seller's check of one."""

from dataclasses import replace
from datetime import datetime
from decimal import Decimal

from kassa.app.catalog import own_event
from kassa.app.ids import new_id
from kassa.core.catalog import TicketSet
from kassa.core.errors import (
    ActionForbidden,
    PromoCodeInvalid,
    PromoCodeNotFound,
    PromoCodeUnknown,
)
from kassa.core.promocodes import DiscountKind, PromoCode, validate_promo
from kassa.core.tenancy import Principal
from kassa.store.db import Database, UnitOfWork


def _organiser(principal: Principal) -> None:
    if not principal.is_organiser:
        raise ActionForbidden("Only the organiser's key may manage promo codes")


async def _ensure_sets(uow: UnitOfWork, event_id: str, set_ids: tuple[str, ...]) -> None:
    known = {s.id for s in await uow.catalog.sets_of(event_id)}
    unknown = sorted(set(set_ids) - known)
    if unknown:
        raise PromoCodeInvalid(f"sets not in the event: {', '.join(unknown)}", sets=unknown)


async def create_promocode(
    db: Database,
    principal: Principal,
    event_id: str,
    now: datetime,
    *,
    code: str,
    kind: DiscountKind,
    value: Decimal,
    starts_at: datetime | None = None,
    finishes_at: datetime | None = None,
    set_ids: tuple[str, ...] = (),
    min_tickets: int | None = None,
    max_tickets: int | None = None,
    usage_limit: int | None = None,
    viral: bool = False,
    promo_id: str | None = None,
) -> PromoCode:
    _organiser(principal)
    promo = PromoCode(
        id=promo_id or new_id(now),
        org_id=principal.org_id,
        event_id=event_id,
        code=code.strip(),
        kind=kind,
        value=value,
        starts_at=starts_at,
        finishes_at=finishes_at,
        set_ids=tuple(dict.fromkeys(set_ids)),
        min_tickets=min_tickets,
        max_tickets=max_tickets,
        usage_limit=usage_limit,
        viral=viral,
    )
    validate_promo(promo)
    async with db.unit_of_work() as uow:
        await own_event(uow, principal, event_id)
        await _ensure_sets(uow, event_id, promo.set_ids)
        await uow.promos.add(promo, now)
        await uow.commit()
    return promo


async def list_promocodes(db: Database, principal: Principal, event_id: str) -> list[PromoCode]:
    _organiser(principal)
    async with db.unit_of_work(write=False) as uow:
        await own_event(uow, principal, event_id)
        return await uow.promos.of_event(event_id)


async def get_promocode(
    db: Database, principal: Principal, event_id: str, promo_id: str
) -> PromoCode:
    _organiser(principal)
    async with db.unit_of_work(write=False) as uow:
        return await _own_promo(uow, principal, event_id, promo_id)


async def update_promocode(
    db: Database,
    principal: Principal,
    event_id: str,
    promo_id: str,
    now: datetime,
    **changes: object,
) -> PromoCode:
    """Change any field but the event; `active=False` stops new uses (orders keep theirs)."""
    _organiser(principal)
    async with db.unit_of_work() as uow:
        current = await _own_promo(uow, principal, event_id, promo_id)
        promo = replace(current, **changes)  # type: ignore[arg-type]
        validate_promo(promo)
        await _ensure_sets(uow, event_id, promo.set_ids)
        await uow.promos.update(promo, now)
        await uow.commit()
    return promo


async def _own_promo(
    uow: UnitOfWork, principal: Principal, event_id: str, promo_id: str
) -> PromoCode:
    await own_event(uow, principal, event_id)
    promo = await uow.promos.get(promo_id)
    if promo is None or promo.event_id != event_id:
        raise PromoCodeNotFound(f"Promocode {promo_id} not found", promocode=promo_id)
    return promo


async def check_promocode(
    db: Database, principal: Principal, event_id: str, code: str, now: datetime
) -> tuple[PromoCode, dict[str, TicketSet]]:
    """The seller's check: the code as it applies now, and the event's sets (for refs)."""
    async with db.unit_of_work(write=False) as uow:
        await own_event(uow, principal, event_id)
        promo = await uow.promos.by_code(event_id, code)
        if promo is None or not promo.active or not promo.is_live(now):
            raise PromoCodeUnknown("Promocode not found", event=event_id)
        sets = {s.id: s for s in await uow.catalog.sets_of(event_id)}
    return promo, sets
