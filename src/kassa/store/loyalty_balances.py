"""A member's older ledger entries, folded once, so a checkout does not read a member's
whole history.

A checkout needs the member's figures: the bonus balance (a first-in-first-out fold of every
bonus entry, `kassa.core.loyalty.BonusLots`), the spent total and the stickers held. Read
from the whole ledger, that costs in proportion to the member's history. So a command that
reads them under the member's lock (apply, confirm) and finds at least `ROLL_AFTER` entries
older than `KEEP_AFTER` that no fold covers yet, stages the fold of the member's entries up
to the newest of those into `loyalty_balances` (one row per member, written with the
command's other writes); later reads take that row and only the entries after it.

Why older than an hour: a fold covers every entry at or before its time, so none may still
come with an earlier time. An entry's time is its command's `now`, and a command commits
within seconds of it (a lock wait gives up after 5 s), so after an hour none can. The row
only ever moves forward (an older fold never replaces a newer one), and it is a cache:
without it the next read folds the whole ledger again.
"""

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from kassa.core.loyalty import BonusLots, LedgerEntry
from kassa.core.money import ZERO
from kassa.store.raw import Sql, decode_json, encode, json_dumps
from kassa.store.tx import Tx

KEEP_AFTER = timedelta(hours=1)
ROLL_AFTER = 32
# Before any entry: the time a member without a fold reads their ledger from.
FLOOR = datetime(1, 1, 1, tzinfo=UTC)

KEEP = Sql(
    "INSERT INTO loyalty_balances (member_id, shop_id, upto, figures) VALUES ($1, $2, $3, $4) "
    "ON CONFLICT (member_id) DO UPDATE SET upto = excluded.upto, figures = excluded.figures "
    "WHERE loyalty_balances.upto < excluded.upto",
    "loyalty_balances",
)


@dataclass(frozen=True)
class Counted:
    """A spent or sticker entry of the member: only its sum counts."""

    at: datetime
    account: str  # spent | sticker
    sticker: str | None
    amount: Decimal


@dataclass
class MemberLedger:
    """What a read took of a member's ledger: the kept fold (none: from the first entry) and
    the entries after it, in the order read."""

    lots: BonusLots = field(default_factory=BonusLots)
    spent: Decimal = ZERO
    stickers: dict[str, int] = field(default_factory=dict)
    bonus: list[LedgerEntry] = field(default_factory=list)
    counted: list[Counted] = field(default_factory=list)

    def keep(self, figures: Any) -> None:
        """The member's kept fold, as `loyalty_balances` holds it."""
        data = decode_json(figures)
        self.lots = BonusLots.from_json(data)
        self.spent = Decimal(data["spent"])
        self.stickers = {k: int(v) for k, v in data["stickers"].items()}

    def settle(self, keep_before: datetime | None) -> dict[str, Any] | None:
        """Fold the entries read into the figures, in time order. With `keep_before` and at
        least `ROLL_AFTER` entries at or before it, the fold up to the newest of those is
        returned too (`{"upto", "figures"}`), for `loyalty_balances`."""
        bonus = sorted(self.bonus, key=lambda e: e.at)
        counted = sorted(self.counted, key=lambda e: e.at)
        kept = None
        if keep_before is not None:
            old_bonus = [e for e in bonus if e.at <= keep_before]
            old_counted = [e for e in counted if e.at <= keep_before]
            if len(old_bonus) + len(old_counted) >= ROLL_AFTER:
                upto = max([e.at for e in old_bonus] + [e.at for e in old_counted])
                self._fold(old_bonus, old_counted)
                kept = {"upto": upto, "figures": self._as_json(upto)}
                bonus, counted = bonus[len(old_bonus) :], counted[len(old_counted) :]
        self._fold(bonus, counted)
        self.bonus, self.counted = [], []
        return kept

    def _fold(self, bonus: Sequence[LedgerEntry], counted: Sequence[Counted]) -> None:
        self.lots.folded(bonus)
        for entry in counted:
            if entry.account == "spent":
                self.spent += entry.amount
            elif entry.sticker is not None:
                held = self.stickers.get(entry.sticker, 0) + int(entry.amount)
                self.stickers[entry.sticker] = held

    def _as_json(self, upto: datetime) -> dict[str, Any]:
        stickers = {k: v for k, v in sorted(self.stickers.items()) if v}
        return {**self.lots.as_json(upto), "spent": str(self.spent), "stickers": stickers}


async def keep(tx: Tx, member_id: str, shop_id: str, kept: dict[str, Any]) -> None:
    """Staged: the member's fold up to `kept["upto"]`, unless a later one is kept already."""
    upto = encode("time", kept["upto"], sqlite=tx.is_sqlite)
    await tx.stage_sql(KEEP, [member_id, shop_id, upto, json_dumps(kept["figures"])])
