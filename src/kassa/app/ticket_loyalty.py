"""Ticket orders that earn loyalty bonuses: an organiser attaches one of its loyalty shops to
an event; a done order whose buyer's phone is a member of that shop earns the shop's
`earn_percent` of what the tickets cost (`values.full`), in whole bonuses; a cancel or a refund
takes back what no longer applies. The ledger moves come from the same plan as the loyalty
face's (`plan_ledger_moves`): bring the order's account to its target, zero once it is over.
"""

from datetime import datetime
from decimal import Decimal

from kassa.core.cancellation import LedgerKey, plan_ledger_moves
from kassa.core.loyalty import expiry, round_down
from kassa.core.loyalty_orders import LedgerRow, Shop
from kassa.core.orders import Order, OrderStatus
from kassa.store.db import UnitOfWork


def member_phone(customer: dict[str, object]) -> str | None:
    """`7XXXXXXXXXX` from a v2 `phone` or a v1 `mobile` (+7..., 8..., spaces and dashes)."""
    raw = customer.get("phone") or customer.get("mobile")
    if not isinstance(raw, str):
        return None
    digits = "".join(ch for ch in raw if ch.isdigit())
    if len(digits) == 10:
        digits = "7" + digits
    if len(digits) == 11 and digits[0] == "8":
        digits = "7" + digits[1:]
    return digits if len(digits) == 11 and digits[0] == "7" else None


async def settle(uow: UnitOfWork, order: Order, now: datetime) -> None:
    """Bring the order's bonuses to what it earns now (nothing unless it is done)."""
    shop = await uow.loyalty.shop_of_event(order.event_id)
    if shop is None:
        return
    paid = order.values.full if order.status is OrderStatus.DONE else Decimal(0)
    await settle_earning(
        uow,
        shop,
        f"ticket:{order.id}",
        member_phone(order.customer),
        paid,
        now,
        f"ticket order {order.number}",
    )


async def settle_earning(
    uow: UnitOfWork,
    shop: Shop,
    key: str,
    phone: str | None,
    paid: Decimal,
    now: datetime,
    note: str,
) -> None:
    """The shop's reward on `paid` for the member with `phone`, as ledger moves keyed `key`
    (any order of any face): earned when paid, taken back as `paid` shrinks to zero."""
    # The order's ledger rows and the member by phone in one read (the rows name the member
    # once the order has earned; the phone finds them the first time).
    found = await uow.loyalty.state(shop.id, identifier=phone or None, order_id=key)
    rows = found.rows
    member_id = rows[0].member_id if rows else None
    if member_id is None:
        member_id = found.member.id if found.member else None
    if member_id is None:
        return
    current: dict[LedgerKey, Decimal] = {}
    for row in rows:
        k: LedgerKey = ("bonus", row.member_id, None, None, False)
        current[k] = current.get(k, Decimal(0)) + row.amount
    target: dict[LedgerKey, Decimal] = {}
    reward = round_down(paid * shop.program.earn_percent / 100)
    if reward:
        target[("bonus", member_id, None, None, False)] = reward
    moves = plan_ledger_moves(current, target)
    await uow.loyalty.append(
        shop.id,
        [
            LedgerRow.of_move(
                move, key, now, expiry(shop.program, now) if move.amount > 0 else None, note
            )
            for move in moves
        ],
    )
