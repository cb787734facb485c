"""The REES46 certificate API (`/loyalty/certificates*`) and the organiser's pools: issue from
a pool, activate, read the balance, block, unblock, deactivate, a member's personal
certificates, a pool's certificates by date, a certificate's transactions. Rules in
`kassa.core.certificates`; spending happens in checkout, giving back in the cancellation
engine, as for every certificate."""

from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from kassa.app.ids import new_id
from kassa.app.loyalty.members import random_code
from kassa.core import certificates as rules
from kassa.core.certificates import Pool
from kassa.core.errors import LoyaltyInvalid
from kassa.core.loyalty import validate_identifier
from kassa.core.loyalty_orders import CertificateRow, Shop
from kassa.store.db import Database, UnitOfWork

INVALID = "Code is not valid"
EVENTS = ("created", "activated", "deactivated")


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def pool_view(pool: Pool | None) -> dict[str, Any] | None:
    if pool is None:
        return None
    return {
        "id": pool.id,
        "status": pool.status,
        "name": pool.name,
        "description": pool.description,
        "nominal": pool.nominal,
        "flexible_nominal": pool.max_flexible_nominal if pool.flexible_nominal else None,
        "max_flexible_nominal": pool.max_flexible_nominal,
        "personal": pool.personal,
        "code": pool.code,
        "expiration_days": pool.expiration_days,
        "streams": [],
        "location_ids": [],
        "min_order_value": pool.min_order_value,
        "payable_order_share": pool.payable_order_share,
        "promo": pool.promo,
        "activation_delay": pool.activation_delay,
        "exclude_products": [],
    }


def certificate_view(cert: CertificateRow, balance: Decimal, now: datetime) -> dict[str, Any]:
    return {
        "id": cert.id,
        "status": cert.state(now),
        "code": cert.code,
        "nominal": cert.amount,
        "balance": balance,
        "owner_identifier": cert.owner_identifier,
        "owner_name": cert.owner_name,
        "buyer_identifier": cert.buyer_identifier,
        "created_date": _iso(cert.created_at),
        "activated_date": _iso(cert.activated_at),
        "deactivated_date": _iso(cert.deactivated_at),
        "expiration_date": _iso(cert.expires_at),
        "planned_activation_date": _iso(cert.planned_activation_at),
        "batch": None,
    }


async def _both(uow: UnitOfWork, shop: Shop, cert: CertificateRow, now: datetime) -> dict[str, Any]:
    pool = await uow.certificates.pool(shop.id, pool_id=cert.pool_id) if cert.pool_id else None
    balance = await uow.loyalty.certificate_balance(cert)
    return {"certificate": certificate_view(cert, balance, now), "pool": pool_view(pool)}


async def _certificate(uow: UnitOfWork, shop: Shop, code: Any, *, lock: bool) -> CertificateRow:
    if not isinstance(code, str) or not code.strip() or len(code) > 64:
        raise LoyaltyInvalid(INVALID)
    cert = await uow.certificates.get(shop.id, code.strip(), lock=lock)
    if cert is None:
        raise LoyaltyInvalid(INVALID)
    return cert


def _amount(raw: Any) -> Decimal | None:
    if raw in (None, ""):
        return None
    if isinstance(raw, bool) or not isinstance(raw, int | Decimal | str):
        raise LoyaltyInvalid("Nominal is not valid")
    try:
        return Decimal(raw)
    except ArithmeticError:
        raise LoyaltyInvalid("Nominal is not valid") from None


async def create_pool(db: Database, shop: Shop, pool: Pool, now: datetime) -> Pool:
    rules.validate_pool(pool)
    async with db.unit_of_work() as uow:
        await uow.certificates.add_pool(pool, now)
        await uow.commit()
    return pool


async def issue(
    db: Database, shop: Shop, identifier: str, pool_code: Any, nominal: Any, now: datetime
) -> dict[str, Any]:
    """A `created` certificate of the pool, bought by `identifier`."""
    validate_identifier(identifier)
    async with db.unit_of_work() as uow:
        pool = await uow.certificates.pool(shop.id, code=str(pool_code or ""))
        if pool is None or pool.status != "active":
            raise LoyaltyInvalid(INVALID)
        cert = CertificateRow(
            new_id(now),
            random_code(16),
            pool.nominal_of(_amount(nominal)),
            None,
            status="created",
            pool_id=pool.id,
            buyer_identifier=identifier,
            created_at=now,
        )
        await uow.certificates.add(shop.id, cert, now)
        answer = await _both(uow, shop, cert, now)
        await uow.commit()
    return answer


async def activate(
    db: Database,
    shop: Shop,
    code: Any,
    now: datetime,
    *,
    nominal: Any = None,
    owner_identifier: Any = None,
    owner_name: Any = None,
) -> dict[str, Any]:
    owner = str(owner_identifier) if owner_identifier else None
    if owner is not None:
        validate_identifier(owner)
    name = str(owner_name)[:200] if owner_name else None
    async with db.unit_of_work() as uow:
        cert = await _certificate(uow, shop, code, lock=True)
        pool = await uow.certificates.pool(shop.id, pool_id=cert.pool_id) if cert.pool_id else None
        moved = rules.activate(
            cert, pool, now, nominal=_amount(nominal), owner_identifier=owner, owner_name=name
        )
        await uow.certificates.save(moved)
        answer = await _both(uow, shop, moved, now)
        await uow.commit()
    return answer


async def _move(
    db: Database,
    shop: Shop,
    code: Any,
    now: datetime,
    move: Callable[[CertificateRow, datetime], CertificateRow],
) -> dict[str, Any]:
    async with db.unit_of_work() as uow:
        moved = move(await _certificate(uow, shop, code, lock=True), now)
        await uow.certificates.save(moved)
        answer = await _both(uow, shop, moved, now)
        await uow.commit()
    return answer


async def block(db: Database, shop: Shop, code: Any, now: datetime) -> dict[str, Any]:
    return await _move(db, shop, code, now, rules.block)


async def unblock(db: Database, shop: Shop, code: Any, now: datetime) -> dict[str, Any]:
    return await _move(db, shop, code, now, rules.unblock)


async def deactivate(db: Database, shop: Shop, code: Any, now: datetime) -> dict[str, Any]:
    return await _move(db, shop, code, now, rules.deactivate)


async def balance(db: Database, shop: Shop, code: Any, now: datetime) -> dict[str, Any]:
    async with db.unit_of_work(write=False) as uow:
        return await _both(uow, shop, await _certificate(uow, shop, code, lock=False), now)


async def by_user(db: Database, shop: Shop, identifier: str, now: datetime) -> dict[str, Any]:
    validate_identifier(identifier)
    async with db.unit_of_work(write=False) as uow:
        owned = await uow.certificates.owned_by(shop.id, identifier)
        return {"certificates": [await _both(uow, shop, cert, now) for cert in owned]}


def _day(raw: Any, name: str) -> date:
    try:
        return date.fromisoformat(str(raw))
    except ValueError:
        raise LoyaltyInvalid(f"Parameter `{name}` is not valid") from None


async def of_pool(
    db: Database, shop: Shop, pool_code: Any, event: Any, since: Any, until: Any, now: datetime
) -> dict[str, Any]:
    """The pool's certificates whose `event` fell between the two dates (both included)."""
    if event not in EVENTS:
        raise LoyaltyInvalid("Parameter `event` is not valid")
    first, last = _day(since, "date_from"), _day(until, "date_to")
    start = datetime.combine(first, time(), UTC)
    end = datetime.combine(last, time(), UTC) + timedelta(days=1)
    async with db.unit_of_work(write=False) as uow:
        pool = await uow.certificates.pool(shop.id, code=str(pool_code or ""))
        if pool is None:
            raise LoyaltyInvalid(INVALID)
        found = await uow.certificates.of_pool(pool.id, str(event), start, end)
        views = [
            certificate_view(cert, await uow.loyalty.certificate_balance(cert), now)
            for cert in found
        ]
    return {"certificates": views, "pool": pool_view(pool)}


async def transactions(db: Database, shop: Shop, code: Any, now: datetime) -> dict[str, Any]:
    async with db.unit_of_work(write=False) as uow:
        cert = await _certificate(uow, shop, code, lock=False)
        moves = await uow.certificates.transactions(shop.id, cert)
        return {"transactions": moves, **await _both(uow, shop, cert, now)}
