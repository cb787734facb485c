"""Kassa's loyalty figures: what a checkout showed the shop, as the order keeps them.

Kassa's loyalty model is REES46's, so the figures carry REES46's names (`bonuses_used`,
`certificates`, `used_stickers`, `bonuses_reward`, ...). They are a promise: apply reserves
the spends they show, confirm settles exactly them (or refuses), and an order's ledger
accounts always hold what its figures say. Nothing is recomputed against later balances.
"""

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from kassa.core.cancellation.ledger import LedgerKey
from kassa.core.errors import LoyaltyInvalid
from kassa.core.money import ZERO

# REES46 documents one refusal of a confirm; it serves for every confirm Kassa refuses.
CONFIRM_REFUSED = "Could not confirm order in its current status"


def _amount(value: Any) -> Decimal:
    return Decimal(str(value)) if value is not None else ZERO


@dataclass(frozen=True)
class Settlement:
    """The part of an order's figures that moves ledgers: what it spends and earns."""

    bonuses_used: Decimal = ZERO
    certificates: Mapping[str, Decimal] = field(default_factory=dict)  # id -> money paid
    used_stickers: Mapping[str, int] = field(default_factory=dict)
    rewarded_stickers: Mapping[str, int] = field(default_factory=dict)
    bonuses_reward: Decimal = ZERO
    referrer_reward: Decimal = ZERO
    order_to_pay: Decimal = ZERO

    @classmethod
    def of(cls, figures: Mapping[str, Any]) -> "Settlement":
        """The settlement an order's stored figures (or a fresh payload) promise."""
        return cls(
            bonuses_used=_amount(figures.get("bonuses_used")),
            certificates={
                str(c["id"]): _amount(c["amount"]) for c in figures.get("certificates") or ()
            },
            used_stickers={k: int(v) for k, v in (figures.get("used_stickers") or {}).items()},
            rewarded_stickers={
                k: int(v) for k, v in (figures.get("rewarded_stickers") or {}).items()
            },
            bonuses_reward=_amount(figures.get("bonuses_reward")),
            referrer_reward=_amount(figures.get("bonuses_referrer_reward")),
            order_to_pay=_amount(figures.get("order_to_pay")),
        )

    def reserved(self, member_id: str | None) -> dict[LedgerKey, Decimal]:
        """The accounts an applied (not yet confirmed) order holds: the bonuses and the
        certificate money it spends, as negative amounts."""
        target: dict[LedgerKey, Decimal] = {}
        if member_id is not None and self.bonuses_used:
            target[("bonus", member_id, None, None, True)] = -self.bonuses_used
        for certificate_id, used in self.certificates.items():
            if used:
                target[("certificate", None, certificate_id, None, True)] = -used
        return target

    def fulfilled(self, member_id: str | None, referrer_id: str | None) -> dict[LedgerKey, Decimal]:
        """The accounts a confirmed order holds: its reservations, the stickers it exchanged,
        and what it earned (the buyer's reward and stickers, the referrer's reward)."""
        target = self.reserved(member_id)
        if member_id is None:
            return target
        if self.bonuses_reward:
            target[("bonus", member_id, None, None, False)] = self.bonuses_reward
        for sticker, count in self.rewarded_stickers.items():
            target[("sticker", member_id, None, sticker, False)] = Decimal(count)
        for sticker, count in self.used_stickers.items():
            target[("sticker", member_id, None, sticker, True)] = Decimal(-count)
        target[("spent", member_id, None, None, False)] = self.order_to_pay
        if referrer_id is not None and self.referrer_reward:
            target[("bonus", referrer_id, None, None, False)] = self.referrer_reward
        return target

    def ensure_covered(self, bonus_balance: Decimal, stickers: Mapping[str, int]) -> None:
        """Refuse to settle what the member can no longer cover. The reserved bonuses are
        spent in the ledger already, so they are covered while the balance is not negative
        (an operator's correction or a reward taken back may have left it below zero);
        stickers are charged only now, so the member must still hold those exchanged.
        Reserved certificate money needs no check: only its own order moves it."""
        if self.bonuses_used > 0 and bonus_balance < 0:
            raise LoyaltyInvalid(CONFIRM_REFUSED)
        if any(stickers.get(s, 0) < count for s, count in self.used_stickers.items()):
            raise LoyaltyInvalid(CONFIRM_REFUSED)
