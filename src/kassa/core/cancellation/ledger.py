"""Ledger moves: what a cancel, a change or a re-apply appends so that each loyalty account of
an order goes from where it is to where it should be (append-only: a reverse is a new row)."""

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal

# (account, member, certificate, sticker, spending)
LedgerKey = tuple[str, str | None, str | None, str | None, bool]


@dataclass(frozen=True)
class LedgerMove:
    """One entry to append: `account` bonus|sticker|certificate|spent, signed `amount`."""

    account: str
    member_id: str | None
    certificate_id: str | None
    sticker: str | None
    spending: bool  # a spend given back (True) or an earning taken back (False)
    amount: Decimal


def plan_ledger_moves(
    current: Mapping[LedgerKey, Decimal], target: Mapping[LedgerKey, Decimal]
) -> list[LedgerMove]:
    """What to append so that each account's net for the order goes from `current` to
    `target` (a whole cancel has an empty target: everything spent comes back, everything
    earned is taken back)."""
    moves = []
    for key in sorted(set(current) | set(target), key=str):
        delta = target.get(key, Decimal(0)) - current.get(key, Decimal(0))
        if delta:
            account, member_id, certificate_id, sticker, spending = key
            moves.append(LedgerMove(account, member_id, certificate_id, sticker, spending, delta))
    return moves


@dataclass(frozen=True)
class LedgerSummary:
    """What the moves mean to the member: given back, taken back, stickers."""

    bonuses_returned: Decimal
    bonuses_revoked: Decimal
    certificates_returned: Decimal
    stickers: dict[str, int]


def summarise(moves: tuple[LedgerMove, ...]) -> LedgerSummary:
    """Sum the moves by what they mean (spends given back, earnings taken back, stickers)."""
    returned = {"bonus": Decimal(0), "certificate": Decimal(0)}
    revoked = Decimal(0)
    stickers: dict[str, int] = {}
    for move in moves:
        if move.account == "sticker" and move.sticker:
            stickers[move.sticker] = stickers.get(move.sticker, 0) + int(move.amount)
        elif move.spending and move.account in returned:
            returned[move.account] += move.amount
        elif not move.spending and move.account == "bonus":
            revoked -= move.amount
    return LedgerSummary(returned["bonus"], revoked, returned["certificate"], stickers)
