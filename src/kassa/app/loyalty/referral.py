"""REES46 referral programs (`referral/join`, `referral/code`) on Kassa's one referral
program per shop: program id 1, running while the shop's program gives the referee a discount
or the referrer a reward. A member's code for it is the `referral_code` they got on joining
(a new member brings it as `referral_code` to `members/join`)."""

from typing import Any

from kassa.app.loyalty.members import find_member
from kassa.core.errors import LoyaltyInvalid
from kassa.core.loyalty_orders import Shop
from kassa.core.money import ZERO
from kassa.store.db import Database

PROGRAM_ID = 1


def _running(shop: Shop) -> bool:
    program = shop.program
    return program.referee_discount_percent > ZERO or program.referrer_reward > ZERO


def describe(shop: Shop) -> str:
    program = shop.program
    return (
        f"{program.referee_discount_percent}% off a friend's orders, "
        f"{program.referrer_reward} bonuses to you for each"
    )


async def join_program(db: Database, shop: Shop, identifier: str, program_id: Any) -> str:
    """The member's code in the program (the same code every time)."""
    if str(program_id).strip() != str(PROGRAM_ID) or not _running(shop):
        raise LoyaltyInvalid("Referral program is not found")
    async with db.unit_of_work(write=False) as uow:
        member = await find_member(uow, shop, identifier)
    return member.referral_code


async def codes(db: Database, shop: Shop, identifier: str) -> list[dict[str, Any]]:
    """The member's codes in the shop's running programs."""
    async with db.unit_of_work(write=False) as uow:
        member = await find_member(uow, shop, identifier)
    if not _running(shop):
        return []
    return [
        {
            "referral_program_id": PROGRAM_ID,
            "code": member.referral_code,
            "description": describe(shop),
        }
    ]
