"""An order's ledger accounts: where they stand, where they should be, the rows between.

Every move of a re-apply, a confirm, a change and a cancel comes from one plan
(`kassa.core.cancellation.plan_ledger_moves`): bring each account of the order from where it
is to where it should be. Where they should be is what the order's figures say
(`kassa.core.loyalty_figures.Settlement`).
"""

from datetime import datetime
from decimal import Decimal

from kassa.core.cancellation import LedgerKey, LedgerMove, plan_ledger_moves
from kassa.core.loyalty import expiry
from kassa.core.loyalty_orders import LedgerRow, Shop, current_accounts
from kassa.store.db import UnitOfWork

__all__ = ["current_accounts", "ledger_rows", "move", "move_from"]


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
    return await move_from(uow, shop, order_id, current, target, now, note)


async def move_from(
    uow: UnitOfWork,
    shop: Shop,
    order_id: str,
    current: dict[LedgerKey, Decimal],
    target: dict[LedgerKey, Decimal],
    now: datetime,
    note: str,
) -> list[LedgerMove]:
    """`move` from the accounts the caller read (`current`, under the order's lock), staged."""
    moves = plan_ledger_moves(current, target)
    await uow.loyalty.append(shop.id, ledger_rows(shop, order_id, moves, now, note))
    return moves
