"""The checkout payload (estimate, apply, change, details), field for field as REES46 names it.

Amounts are Decimal (JSON numbers on the wire, exact); every per-item amount is the item's
share of the matching total, and the shares add up to it.
"""

from decimal import Decimal
from typing import Any, Protocol

from kassa.core.loyalty import Buyer, Calculation, Line
from kassa.core.money import ZERO, money


class _Request(Protocol):
    @property
    def order_id(self) -> str | None: ...
    @property
    def identifier(self) -> str | None: ...
    @property
    def payment_type(self) -> str | None: ...


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


def payload_of(calc: Calculation, req: _Request, buyer: Buyer | None) -> dict[str, Any]:
    discounts = calc.total("promo") + calc.total("level")
    offers = calc.total("offers")
    referral = calc.total("referral")
    bonuses = calc.bonuses_used
    certificates = calc.saved_by_certificates
    balance = buyer.bonuses if buyer is not None else ZERO
    return {
        "order_id": req.order_id,
        "identifier": req.identifier,
        "payment_type": req.payment_type,
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
