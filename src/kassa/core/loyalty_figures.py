"""Kassa's loyalty figures: what a checkout showed the shop, as the order keeps them.

Kassa's loyalty model is REES46's, so the figures carry REES46's names (`bonuses_used`,
`certificates`, `used_stickers`, `bonuses_reward`, ...; `figures_of` makes them from a
calculation). They are a promise: apply reserves the spends they show, confirm settles
exactly them (or refuses), and an order's ledger accounts always hold what its figures say
(`Settlement`). Nothing is recomputed against later balances. The checkout face sends them as
they are, inside REES46's envelope.
"""

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from kassa.core.cancellation.ledger import LedgerKey
from kassa.core.errors import LoyaltyInvalid
from kassa.core.loyalty import Buyer, Calculation, Line
from kassa.core.money import ZERO, money

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


# --- the figures of a calculation -------------------------------------------------------


def _per(amount: Decimal, line: Line) -> Decimal:
    return money(amount / line.item.quantity)


def _item(calc: Calculation, line: Line) -> dict[str, Any]:
    item = line.item
    certificates = {
        cid: {
            "id": cid,
            "code": calc.certificates[cid].code,
            "pool_id": None,
            "amount": amount,
            "amount_per_product": _per(amount, line),
        }
        for cid, amount in line.certificates.items()
    }
    paid_certificates = sum(line.certificates.values(), ZERO)
    max_discountable = line.item.total - line.offers if item.discountable else ZERO
    return {
        "product_id": item.product_id,
        "uniqid": item.product_id,
        "quantity": item.quantity,
        "price": money(item.price),
        "total": item.total,
        "discountable": item.discountable,
        "discountable_reason": None if item.discountable else "Forbidden by request",
        "bonusable": item.bonusable,
        "bonusable_reason": None if item.bonusable else "Forbidden by request",
        "rewardable": item.rewardable,
        "rewardable_reason": None if item.rewardable else "Forbidden by request",
        "paid_with_offers": line.offers,
        "paid_with_offers_per_product": _per(line.offers, line),
        "paid_with_referral_discounts": line.referral,
        "paid_with_referral_discounts_per_product": _per(line.referral, line),
        "paid_with_discounts": line.discounts,
        "paid_with_discounts_per_product": _per(line.discounts, line),
        "paid_with_bonuses": line.bonuses,
        "paid_with_bonuses_per_product": _per(line.bonuses, line),
        "paid_with_certificates": paid_certificates,
        "paid_with_certificates_per_product": _per(paid_certificates, line),
        "bonuses_used": line.bonuses,
        "bonuses_reward": line.reward,
        "bonuses_reward_loyalty_program": {
            "total": line.reward,
            "per_product": _per(line.reward, line),
        },
        "bonuses_reward_referral_program": {
            "referral_program_id": None,
            "total": ZERO,
            "per_product": ZERO,
        },
        "bonuses_reward_promotions": {},
        "certificates": certificates,
        "max_discountable_amount": max_discountable,
        "max_discountable_amount_left": max(
            max_discountable - line.promo - line.referral - line.level, ZERO
        ),
        "max_payable_by_bonuses": line.max_bonuses,
        "total_after_discounts": line.after_discounts,
        "total_after_discounts_per_product": _per(line.after_discounts, line),
        "total_to_pay": line.left,
    }


def figures_of(
    calc: Calculation,
    buyer: Buyer | None,
    *,
    order_id: str | None,
    identifier: str | None,
    payment_type: str | None,
) -> dict[str, Any]:
    """A calculation as Kassa's loyalty figures, the form an order keeps and the checkout
    face shows: REES46's fields, amounts as Decimal, each per-item amount the item's share of
    the matching total (the shares add up to it)."""
    discounts = calc.total("promo") + calc.total("level")
    offers = calc.total("offers")
    referral = calc.total("referral")
    bonuses = calc.bonuses_used
    certificates = calc.saved_by_certificates
    balance = buyer.bonuses if buyer is not None else ZERO
    return {
        "order_id": order_id,
        "identifier": identifier,
        "payment_type": payment_type,
        "products_total": calc.products_total,
        "order_total": calc.order_total,
        "saved_total": discounts + offers + referral + bonuses + certificates,
        "saved_by_discounts": discounts + referral,
        "saved_by_referral_discounts": referral,
        "saved_by_level": calc.total("level"),
        "saved_by_bonuses": bonuses,
        "saved_by_offers": offers,
        "saved_by_certificates": certificates,
        "order_to_pay": calc.order_to_pay,
        "order_bonuses_to_charge": calc.max_bonuses,
        "bonuses_used": bonuses,
        "bonuses_balance": balance,
        "bonuses_balance_after": balance - bonuses,
        "bonuses_reward": calc.bonuses_reward,
        "bonuses_referrer_reward": calc.referrer_reward,
        "referrer_identifier": buyer.referrer_identifier if buyer and calc.referral else None,
        "referral_program": calc.referral,
        "level": calc.level.name if calc.level else None,
        "applied_promotions": [
            {"type": "stickers", "product_id": k, "stickers": v}
            for k, v in calc.used_stickers.items()
        ],
        "rewarded_stickers": dict(calc.rewarded_stickers),
        "used_stickers": dict(calc.used_stickers),
        "stickers_balance": dict(buyer.stickers) if buyer else {},
        "promo_codes": [c.code for c in calc.codes],
        "promo_codes_failed": [{"code": c, "message": m} for c, m in calc.failed_codes],
        "certificates": [
            {"id": cid, "code": c.code, "amount": calc.certificate_used(cid), "balance": c.balance}
            for cid, c in calc.certificates.items()
        ],
        "certificates_failed": [{"code": c, "message": m} for c, m in calc.failed_certificates],
        "coupons_to_issue": len(calc.coupons),
        "items": [_item(calc, line) for line in calc.lines],
    }
