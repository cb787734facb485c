"""A shop's loyalty program: its rules, and `program_from`, which reads them from JSON.

Every number is bounded where it enters (`program_from`), so nothing later can overflow a date
or a ledger column: percentages are 0..100, days 1..3650, counts up to a million, amounts up
to ten billion, and nothing is NaN, infinite, a bool or a fraction where a whole is meant.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from kassa.core.errors import LoyaltyInvalid
from kassa.core.money import ZERO, money

MAX_PERCENT = Decimal(100)
MAX_AMOUNT = Decimal(10) ** 10
MAX_DAYS = 3650
MAX_COUNT = 10**6
MAX_RULES = 100  # levels, sticker rules, coupon rules: each
MAX_NAME = 200


@dataclass(frozen=True)
class Level:
    name: str
    min_spent: Decimal
    discount_percent: Decimal


@dataclass(frozen=True)
class StickerRule:
    """`per_unit` stickers per unit of `product_id`; `needed` stickers buy one reward unit."""

    product_id: str
    per_unit: int
    needed: int
    reward_product_id: str


@dataclass(frozen=True)
class CouponRule:
    """A confirmed order paying at least `min_order_total` earns a coupon for the next one."""

    min_order_total: Decimal
    kind: str  # fix | percent
    value: Decimal
    valid_days: int


@dataclass(frozen=True)
class Program:
    earn_percent: Decimal = Decimal(5)
    spend_cap_percent: Decimal = Decimal(30)
    bonus_expiry_days: int | None = 365
    levels: tuple[Level, ...] = ()
    referee_discount_percent: Decimal = ZERO
    referrer_reward: Decimal = ZERO
    stickers: tuple[StickerRule, ...] = ()
    coupons: tuple[CouponRule, ...] = ()
    welcome_bonuses: Decimal = ZERO

    def level_for(self, spent: Decimal) -> Level | None:
        reached = [level for level in self.levels if spent >= level.min_spent]
        return max(reached, key=lambda level: level.min_spent, default=None)

    def as_dict(self) -> dict[str, Any]:
        return {
            "earn_percent": str(self.earn_percent),
            "spend_cap_percent": str(self.spend_cap_percent),
            "bonus_expiry_days": self.bonus_expiry_days,
            "welcome_bonuses": str(self.welcome_bonuses),
            "levels": [
                {
                    "name": x.name,
                    "min_spent": str(x.min_spent),
                    "discount_percent": str(x.discount_percent),
                }
                for x in self.levels
            ],
            "referral": {
                "referee_discount_percent": str(self.referee_discount_percent),
                "referrer_reward": str(self.referrer_reward),
            },
            "stickers": [
                {
                    "product_id": s.product_id,
                    "per_unit": s.per_unit,
                    "needed": s.needed,
                    "reward_product_id": s.reward_product_id,
                }
                for s in self.stickers
            ],
            "coupons": [
                {
                    "min_order_total": str(c.min_order_total),
                    "kind": c.kind,
                    "value": str(c.value),
                    "valid_days": c.valid_days,
                }
                for c in self.coupons
            ],
        }


def program_from(data: Mapping[str, Any]) -> Program:
    """A program from its JSON form, every value checked and bounded (see the module doc)."""
    if not isinstance(data, Mapping):
        raise _invalid("a program is a JSON object")
    referral = data.get("referral") or {}
    if not isinstance(referral, Mapping):
        raise _invalid("referral is a JSON object")
    return Program(
        earn_percent=_percent(data, "earn_percent", "5"),
        spend_cap_percent=_percent(data, "spend_cap_percent", "30"),
        bonus_expiry_days=_expiry_days(data),
        welcome_bonuses=_amount(data, "welcome_bonuses", "0"),
        levels=tuple(_level(x) for x in _rules(data, "levels")),
        referee_discount_percent=_percent(referral, "referee_discount_percent", "0", "referral."),
        referrer_reward=_amount(referral, "referrer_reward", "0", "referral."),
        stickers=tuple(_sticker(x) for x in _rules(data, "stickers")),
        coupons=tuple(_coupon(x) for x in _rules(data, "coupons")),
    )


def _invalid(why: str) -> LoyaltyInvalid:
    return LoyaltyInvalid(f"program is not valid: {why}")


def _rules(data: Mapping[str, Any], key: str) -> list[Mapping[str, Any]]:
    rules = data.get(key) or []
    if not isinstance(rules, list) or len(rules) > MAX_RULES:
        raise _invalid(f"{key} is a list of at most {MAX_RULES}")
    if not all(isinstance(rule, Mapping) for rule in rules):
        raise _invalid(f"each of {key} is a JSON object")
    return rules


def _number(data: Mapping[str, Any], key: str, default: Any, where: str) -> Decimal:
    """A finite decimal (a JSON number or a numeric string; never a bool)."""
    value = data.get(key, default) if default is not None else data.get(key)
    if isinstance(value, bool) or not isinstance(value, int | float | str | Decimal):
        raise _invalid(f"{where}{key} must be a number")
    try:
        number = Decimal(str(value).strip())
    except InvalidOperation:
        raise _invalid(f"{where}{key} must be a number") from None
    if not number.is_finite():
        raise _invalid(f"{where}{key} must be a finite number")
    return number


def _bounded(
    data: Mapping[str, Any], key: str, default: Any, where: str, low: Decimal, high: Decimal
) -> Decimal:
    number = _number(data, key, default, where)
    if not low <= number <= high:
        raise _invalid(f"{where}{key} must be from {low} to {high}")
    return number


def _percent(data: Mapping[str, Any], key: str, default: Any, where: str = "") -> Decimal:
    return _bounded(data, key, default, where, ZERO, MAX_PERCENT)


def _amount(data: Mapping[str, Any], key: str, default: Any, where: str = "") -> Decimal:
    return money(_bounded(data, key, default, where, ZERO, MAX_AMOUNT))


def _whole(data: Mapping[str, Any], key: str, default: Any, where: str, low: int, high: int) -> int:
    number = _bounded(data, key, default, where, Decimal(low), Decimal(high))
    if number != number.to_integral_value():
        raise _invalid(f"{where}{key} must be a whole number")
    return int(number)


def _name(data: Mapping[str, Any], key: str, where: str) -> str:
    value = data.get(key)
    if isinstance(value, bool) or not isinstance(value, str | int) or not str(value).strip():
        raise _invalid(f"{where}{key} is needed")
    if len(str(value)) > MAX_NAME:
        raise _invalid(f"{where}{key} is at most {MAX_NAME} characters")
    return str(value)


def _expiry_days(data: Mapping[str, Any]) -> int | None:
    """Days a bonus lives (null: forever)."""
    if "bonus_expiry_days" in data and data["bonus_expiry_days"] is None:
        return None
    return _whole(data, "bonus_expiry_days", 365, "", 1, MAX_DAYS)


def _level(x: Mapping[str, Any]) -> Level:
    where = "levels."
    return Level(
        _name(x, "name", where),
        _amount(x, "min_spent", None, where),
        _percent(x, "discount_percent", None, where),
    )


def _sticker(x: Mapping[str, Any]) -> StickerRule:
    where = "stickers."
    return StickerRule(
        _name(x, "product_id", where),
        _whole(x, "per_unit", None, where, 0, MAX_COUNT),
        _whole(x, "needed", None, where, 1, MAX_COUNT),
        _name(x, "reward_product_id", where),
    )


def _coupon(x: Mapping[str, Any]) -> CouponRule:
    where = "coupons."
    kind = x.get("kind")
    if kind not in ("fix", "percent"):
        raise _invalid("coupons.kind is fix or percent")
    value = _amount(x, "value", None, where)
    if value <= 0 or (kind == "percent" and value > MAX_PERCENT):
        raise _invalid("coupons.value must be over 0 (a percent at most 100)")
    return CouponRule(
        _amount(x, "min_order_total", None, where),
        kind,
        value,
        _whole(x, "valid_days", None, where, 1, MAX_DAYS),
    )
