"""An order's ledger accounts: where they stand, where they should be, the rows between.

Every move of a re-apply, a confirm, a change and a cancel comes from one plan
(`kassa.core.cancellation.plan_ledger_moves`): bring each account of the order from where it
is to where it should be.
"""

from datetime import datetime
from decimal import Decimal

from kassa.core.cancellation import LedgerKey, LedgerMove, plan_ledger_moves
from kassa.core.loyalty import Calculation, expiry
from kassa.core.loyalty_orders import LedgerRow, Shop, current_accounts
from kassa.store.db import UnitOfWork

__all__ = [
    "current_accounts",
    "fulfilled_target",
    "ledger_rows",
    "move",
    "reservation_target",
]


def reservation_target(member_id: str | None, calc: Calculation) -> dict[LedgerKey, Decimal]:
    """The accounts an applied (not yet confirmed) order holds: bonuses and certificate money
    spent, as negative amounts."""
    target: dict[LedgerKey, Decimal] = {}
    if member_id is not None and calc.bonuses_used:
        target[("bonus", member_id, None, None, True)] = -calc.bonuses_used
    for certificate_id in calc.certificates:
        used = calc.certificate_used(certificate_id)
        if used:
            target[("certificate", None, certificate_id, None, True)] = -used
    return target


def fulfilled_target(
    member_id: str | None, referrer_id: str | None, calc: Calculation
) -> dict[LedgerKey, Decimal]:
    """The accounts a confirmed order holds: its reservations, plus what it earned."""
    target = reservation_target(member_id, calc)
    if member_id is None:
        return target
    if calc.bonuses_reward:
        target[("bonus", member_id, None, None, False)] = calc.bonuses_reward
    for sticker, count in calc.rewarded_stickers.items():
        target[("sticker", member_id, None, sticker, False)] = Decimal(count)
    for sticker, count in calc.used_stickers.items():
        target[("sticker", member_id, None, sticker, True)] = Decimal(-count)
    target[("spent", member_id, None, None, False)] = calc.order_to_pay
    if referrer_id is not None and calc.referrer_reward:
        target[("bonus", referrer_id, None, None, False)] = calc.referrer_reward
    return target


def ledger_rows(
    shop: Shop, order_id: str, moves: list[LedgerMove], now: datetime, note: str
) -> list[LedgerRow]:
    """The moves as ledger rows; bonuses that come back (returned or earned) are active from
    today."""
    return [
        LedgerRow.of_move(
            move,
            order_id,
            now,
            expiry(shop.program, now) if move.account == "bonus" and move.amount > 0 else None,
            note,
        )
        for move in moves
    ]


async def move(
    uow: UnitOfWork,
    shop: Shop,
    order_id: str,
    target: dict[LedgerKey, Decimal],
    now: datetime,
    note: str,
) -> list[LedgerMove]:
    """Append what brings the order's accounts to `target`."""
    current = current_accounts(await uow.loyalty.order_rows(shop.id, order_id))
    moves = plan_ledger_moves(current, target)
    await uow.loyalty.append(shop.id, ledger_rows(shop, order_id, moves, now, note))
    return moves
