"""Promo-code lists (`/promo_codes*` and the organiser's `promo_code_lists`): create a list,
upload codes, hand them out, list, delete and purge. Rules in `kassa.core.promo_lists`; the
codes are coupons of no member, so checkout and the cancellation engine treat them as coupons.
"""

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from kassa.app.ids import new_id
from kassa.core.errors import LoyaltyInvalid, LoyaltyNotFound
from kassa.core.loyalty_orders import Shop
from kassa.core.promo_lists import PromoList, codes_of, list_id, pick, validate_list
from kassa.store.db import Database, UnitOfWork

# List codes have no expiry of their own; the coupon row needs a date.
NEVER = datetime(2100, 1, 1, tzinfo=UTC)
MAX_PAGE = 50


async def create_list(
    db: Database,
    shop: Shop,
    raw_id: Any,
    name: str,
    kind: str,
    value: Decimal,
    issue_order: str,
    now: datetime,
) -> PromoList:
    validate_list(kind, value, issue_order)
    found = PromoList(shop.id, list_id(raw_id or new_id(now)), name, kind, value, issue_order, now)
    async with db.unit_of_work() as uow:
        if not await uow.loyalty_codes.add_list(found):
            raise LoyaltyInvalid(f"Promo code list {found.id} already exists")
        await uow.commit()
    return found


async def _list(uow: UnitOfWork, shop: Shop, raw_id: Any) -> PromoList:
    found = await uow.loyalty_codes.promo_list(shop.id, list_id(raw_id))
    if found is None:
        raise LoyaltyNotFound("Promo code list not found")
    return found


async def upload(db: Database, shop: Shop, raw_id: Any, raw_codes: Any, now: datetime) -> int:
    codes = codes_of(raw_codes)
    async with db.unit_of_work() as uow:
        found = await _list(uow, shop, raw_id)
        added = await uow.loyalty_codes.upload(
            found, [(new_id(now), code) for code in codes], NEVER, now
        )
        await uow.commit()
    return added


async def fetch(db: Database, shop: Shop, raw_id: Any, device: str | None, now: datetime) -> str:
    """The next free code; with `device` (a call without the secret), the device's code."""
    async with db.unit_of_work() as uow:
        found = await _list(uow, shop, raw_id)
        code = await uow.loyalty_codes.hand_out(found, device, now)
        if code is None:
            raise LoyaltyNotFound("No free promo code in the list")
        await uow.commit()
    return code


async def lists(
    db: Database,
    shop: Shop,
    *,
    limit: int,
    offset: int,
    active: bool,
    include: set[str] | None,
    exclude: set[str],
) -> list[dict[str, Any]]:
    if not 1 <= limit <= MAX_PAGE or not 0 <= offset <= 1_000_000:
        raise LoyaltyInvalid(f"limit is 1..{MAX_PAGE}, offset 0 or more")
    async with db.unit_of_work(write=False) as uow:
        found = await uow.loyalty_codes.promo_lists(shop.id)
    shown = pick(found, active=active, include=include, exclude=exclude)[offset : offset + limit]
    return [{"id": f.id, "name": f.name, "available": available} for f, available in shown]


async def delete_codes(db: Database, shop: Shop, raw_id: Any, raw_codes: Any) -> tuple[int, int]:
    """(deleted, not found): a code an order holds is not deleted."""
    codes = codes_of(raw_codes)
    async with db.unit_of_work() as uow:
        found = await _list(uow, shop, raw_id)
        deleted = await uow.loyalty_codes.delete_codes(found, codes)
        await uow.commit()
    return deleted, len(codes) - deleted


async def purge(db: Database, shop: Shop, raw_id: Any) -> int:
    async with db.unit_of_work() as uow:
        found = await _list(uow, shop, raw_id)
        gone = await uow.loyalty_codes.purge(found)
        await uow.commit()
    return gone
