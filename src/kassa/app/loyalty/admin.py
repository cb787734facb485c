"""Loyalty administration: shop authentication, shops and their programs, promo codes,
certificates, operators' bonus adjustments, events linked to a shop."""

import hashlib
import hmac
import secrets
from dataclasses import replace
from datetime import datetime, timedelta
from decimal import Decimal

from kassa.app import tenants
from kassa.app.catalog import own_event
from kassa.app.ids import new_id
from kassa.app.loyalty.members import find_member, random_code
from kassa.app.readcache import cache_of
from kassa.core.errors import (
    LoyaltyInvalid,
    LoyaltyNotFound,
    LoyaltySecretWrong,
    LoyaltyShopUnknown,
)
from kassa.core.loyalty import expiry
from kassa.core.loyalty_orders import CertificateRow, LedgerRow, Shop
from kassa.core.loyalty_program import Program
from kassa.core.money import money
from kassa.core.tenancy import Principal
from kassa.store.db import Database


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


SHOPS = "loyalty.shops"


async def authenticate(db: Database, shop_id: str | None, secret: str | None) -> Shop:
    """The shop whose secret this is; a missing shop and a wrong secret are told apart. The
    shop comes from the per-process read cache (`kassa.app.readcache`)."""
    if not shop_id:
        raise LoyaltyShopUnknown("Shop not found")

    async def load() -> Shop | None:
        async with db.unit_of_work(write=False) as uow:
            return await uow.loyalty.shop(str(shop_id))

    shop = await cache_of(db, SHOPS).get(str(shop_id), load)
    if not isinstance(shop, Shop):
        raise LoyaltyShopUnknown("Shop not found")
    if not secret or not hmac.compare_digest(hash_secret(str(secret)), shop.secret_hash):
        raise LoyaltySecretWrong("API secret is not correct")
    return shop


async def create_shop(
    db: Database,
    org_id: str,
    name: str,
    program: Program,
    now: datetime,
    *,
    shop_id: str | None = None,
    secret: str | None = None,
) -> tuple[Shop, str]:
    """A shop and its secret (shown once; only its hash is kept)."""
    secret = secret or secrets.token_hex(16)
    shop = Shop(shop_id or secrets.token_hex(16), org_id, name, hash_secret(secret), program)
    async with db.unit_of_work() as uow:
        await tenants.require_organisation(uow, org_id)
        await uow.loyalty.add_shop(shop, now)
        await uow.commit()
    return shop, secret


async def set_program(db: Database, org_id: str, shop_id: str, program: Program) -> Shop:
    """The organisation's shop with a new program."""
    async with db.unit_of_work() as uow:
        shop = await uow.loyalty.shop(shop_id)
        if shop is None or shop.org_id != org_id:
            raise LoyaltyNotFound("Shop not found")
        await uow.loyalty.set_program(shop_id, program)
        await uow.commit()
    cache_of(db, SHOPS).clear()
    return replace(shop, program=program)


async def link_event(
    db: Database,
    principal: Principal,
    shop_id: str,
    event_id: str | None,
    *,
    unlink_event: str | None = None,
) -> None:
    """Attach the organiser's event to its shop (done ticket orders earn bonuses there), or
    detach it from that shop."""
    if not principal.is_organiser:
        raise LoyaltyNotFound(f"Shop {shop_id} not found")
    async with db.unit_of_work() as uow:
        shop = await uow.loyalty.shop(shop_id)
        if shop is None or shop.org_id != principal.org_id:
            raise LoyaltyNotFound(f"Shop {shop_id} not found")
        target = event_id or unlink_event
        if target is None:
            raise LoyaltyInvalid("an event is needed")
        await own_event(uow, principal, target)
        if event_id is None:  # unlink only from this shop, never from another one
            linked = await uow.loyalty.shop_of_event(target)
            if linked is None or linked.id != shop_id:
                raise LoyaltyNotFound(f"Event {target} is not linked to shop {shop_id}")
        await uow.loyalty.link_event(target, shop_id if event_id else None)
        await uow.commit()


async def shops_of(db: Database, org_id: str) -> list[Shop]:
    """The organisation's shops."""
    async with db.unit_of_work(write=False) as uow:
        return await uow.loyalty.shops_of(org_id)


async def add_promo_code(
    db: Database, shop: Shop, code: str, kind: str, value: Decimal, now: datetime
) -> str:
    """A shop-wide promo code (`fix` money or `percent`); returns its id."""
    if kind not in ("fix", "percent") or value <= 0 or (kind == "percent" and value > 100):
        raise LoyaltyInvalid("promo code: kind is fix|percent, value > 0 (percent <= 100)")
    if not code.strip() or len(code.strip().upper()) > 64:  # stored upper-cased: "ß" is "SS"
        raise LoyaltyInvalid("promo code: 1 to 64 characters")
    promo_id = new_id(now)
    async with db.unit_of_work() as uow:
        await uow.loyalty.add_promo(shop.id, promo_id, code, kind, money(value), now)
        await uow.commit()
    return promo_id


async def issue_certificate(
    db: Database,
    shop: Shop,
    amount: Decimal,
    now: datetime,
    *,
    code: str | None = None,
    valid_days: int | None = 365,
) -> CertificateRow:
    """A gift certificate worth `amount`, with a random code unless one is given."""
    if money(amount) <= 0:
        raise LoyaltyInvalid("certificate amount must be greater than 0")
    cert = CertificateRow(
        new_id(now),
        (code or random_code(12)).strip(),
        money(amount),
        now + timedelta(days=valid_days) if valid_days else None,
    )
    async with db.unit_of_work() as uow:
        await uow.loyalty.add_certificate(shop.id, cert, now)
        await uow.commit()
    return cert


async def adjust_bonuses(
    db: Database, shop: Shop, identifier: str, amount: Decimal, reason: str, now: datetime
) -> Decimal:
    """An operator's correction, with its reason, as a ledger row; returns the new balance."""
    if not reason.strip():
        raise LoyaltyInvalid("an adjustment needs a reason")
    async with db.unit_of_work() as uow:
        member = await find_member(uow, shop, identifier, lock=True)
        expires = expiry(shop.program, now) if amount > 0 else None
        row = LedgerRow.adjust(member.id, money(amount), now, expires, reason[:500])
        await uow.loyalty.append(shop.id, [row])
        found = await uow.loyalty.state(
            shop.id, member_id=member.id, figures=True, calculation=False
        )
        assert found.figures is not None  # the member exists
        balance = found.figures.bonuses(now)
        await uow.commit()
    return balance


async def shop_by_id(db: Database, shop_id: str) -> Shop:
    """A shop by its id, for Kassa's own operators (the CLI); LoyaltyNotFound otherwise."""
    async with db.unit_of_work(write=False) as uow:
        shop = await uow.loyalty.shop(shop_id)
    if shop is None:
        raise LoyaltyNotFound(f"Shop {shop_id} not found")
    return shop
