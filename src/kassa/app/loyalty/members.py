"""Loyalty members: joining (with a referral code), a member's status, their order history."""

import secrets
import string
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from kassa.app.ids import new_id
from kassa.core.errors import LoyaltyInvalid, LoyaltyNotFound
from kassa.core.loyalty import expiry, validate_identifier
from kassa.core.loyalty_orders import LedgerRow, Member, Shop
from kassa.core.money import ZERO
from kassa.store.db import Database, UnitOfWork

_CODE = string.ascii_uppercase + string.digits


def random_code(length: int) -> str:
    """Upper-case letters and digits (referral codes, certificates, coupons)."""
    return "".join(secrets.choice(_CODE) for _ in range(length))


async def join(
    db: Database, shop: Shop, identifier: str, now: datetime, referral_code: str | None = None
) -> Member:
    """A new member, referred by the owner of `referral_code`; the program's welcome gift."""
    validate_identifier(identifier)
    async with db.unit_of_work() as uow:
        referrer = None
        if referral_code:
            referrer = await uow.loyalty.member(shop.id, referral_code=referral_code)
            if referrer is None:
                raise LoyaltyInvalid("Code is not valid")
        member = Member(
            new_id(now),
            shop.id,
            identifier,
            random_code(8),
            referrer.id if referrer else None,
            now,
        )
        if await uow.loyalty.member(shop.id, identifier=identifier) is not None:
            raise LoyaltyInvalid("Member already exists")
        await uow.loyalty.add_member(member)
        if shop.program.welcome_bonuses > 0:
            welcome = LedgerRow.earn(
                member.id, shop.program.welcome_bonuses, now, expiry(shop.program, now), "welcome"
            )
            await uow.loyalty.append(shop.id, [welcome])
        await uow.commit()
    return member


@dataclass(frozen=True)
class MemberStatus:
    member: Member
    bonuses: Decimal
    spent: Decimal
    level: str | None
    level_discount: Decimal
    stickers: dict[str, int]
    referrer_identifier: str | None
    ledger: list[LedgerRow] = field(default_factory=list)


async def member_status(
    db: Database, shop: Shop, identifier: str, now: datetime, *, ledger: bool = False
) -> MemberStatus:
    """The member's balances, level, stickers, referrer and, with `ledger`, their ledger. The
    balances are a checkout's figures of the member (their kept fold and the entries after
    it, `LoyaltyRepo.state`), not a read of their whole history."""
    async with db.unit_of_work(write=False) as uow:
        member = await find_member(uow, shop, identifier)
        found = await uow.loyalty.state(
            shop.id, member_id=member.id, figures=True, calculation=False
        )
        figures = found.figures
        assert figures is not None  # the member exists
        level = shop.program.level_for(figures.spent)
        referrer = (
            await uow.loyalty.member(shop.id, member_id=member.referrer_id)
            if member.referrer_id
            else None
        )
        return MemberStatus(
            member,
            figures.bonuses(now),
            figures.spent,
            level.name if level else None,
            level.discount_percent if level else ZERO,
            figures.stickers,
            referrer.identifier if referrer else None,
            await uow.loyalty.member_rows(member.id) if ledger else [],
        )


async def find_member(
    uow: UnitOfWork, shop: Shop, identifier: str, *, lock: bool = False
) -> Member:
    """The shop's member with this identifier, or LoyaltyNotFound."""
    validate_identifier(identifier)
    member = await uow.loyalty.member(shop.id, identifier=identifier, lock=lock)
    if member is None:
        raise LoyaltyNotFound("Loyalty program member is not found")
    return member


async def history(db: Database, shop: Shop, identifier: str) -> dict[str, Any]:
    """The member's orders, newest first, with their carts."""
    async with db.unit_of_work(write=False) as uow:
        member = await find_member(uow, shop, identifier)
        orders = await uow.loyalty.orders_of(shop.id, member.id)
    return {
        "identifier": identifier,
        "orders": [
            {
                "id": o.order_id,
                "date": o.created_at.isoformat(),
                "status": o.status.value,
                "total": o.result.get("order_to_pay"),
                "items": [
                    {
                        "id": i["product_id"],
                        "name": i["product_id"],
                        "quantity": Decimal(i["quantity"]),
                        "price": Decimal(i["price"]),
                    }
                    for i in o.request.get("cart_items", [])
                ],
            }
            for o in orders
        ],
    }
