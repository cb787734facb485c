"""The wire models of Kassa's loyalty admin API (the organiser's key).

Amounts and percentages go out as decimal strings (`"300.00"`, `"5"`), as in the rest of
Kassa's own API. A program comes in as JSON and is read by `program_from`, which checks and
bounds every value (a number may also be sent as a numeric string); `ProgramIn` documents that
form without validating it first, so the program's own messages reach the caller.
"""

from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

from fastapi import Path
from pydantic import BaseModel, ConfigDict, Field, SkipValidation, WithJsonSchema

from kassa.app import demo
from kassa.core.loyalty_program import MAX_AMOUNT, MAX_COUNT, MAX_DAYS, MAX_NAME, MAX_RULES
from kassa.faces.ticketing.schemas import _Body


def _number(low: int, high: int | Decimal) -> Any:
    """A JSON number from `low` to `high`, or the same as a numeric string."""
    return WithJsonSchema(
        {
            "anyOf": [
                {"type": "number", "minimum": low, "maximum": float(high)},
                {"type": "string", "pattern": r"^\s*[0-9]{1,10}(\.[0-9]{1,2})?\s*$"},
            ]
        }
    )


def _whole(low: int, high: int) -> Any:
    return WithJsonSchema({"type": "integer", "minimum": low, "maximum": high})


PROGRAM_EXAMPLE: Any = demo.DEMO_PROGRAM
Percent = Annotated[Decimal, _number(0, 100)]
Money = Annotated[Decimal, _number(0, MAX_AMOUNT)]
Name = Annotated[str, Field(min_length=1, max_length=MAX_NAME)]


class ProgramLevelIn(BaseModel):
    name: Name
    min_spent: Money
    discount_percent: Percent


class ProgramReferralIn(BaseModel):
    referee_discount_percent: Percent = Decimal(0)
    referrer_reward: Money = Decimal(0)


class ProgramStickerRuleIn(BaseModel):
    """`per_unit` stickers per unit of `product_id`; `needed` stickers buy one reward unit."""

    product_id: Name
    per_unit: Annotated[int, _whole(0, MAX_COUNT)]
    needed: Annotated[int, _whole(1, MAX_COUNT)]
    reward_product_id: Name


class ProgramCouponRuleIn(BaseModel):
    """A confirmed order paying at least `min_order_total` earns a coupon for the next one."""

    min_order_total: Money
    kind: Literal["fix", "percent"]
    value: Annotated[Money, Field(description="Over 0; a percent at most 100")]
    valid_days: Annotated[int, _whole(1, MAX_DAYS)]


class ProgramIn(BaseModel):
    """A loyalty program; every field may be left out (its default applies)."""

    model_config = ConfigDict(json_schema_extra={"examples": [PROGRAM_EXAMPLE]})

    earn_percent: Percent = Decimal(5)
    spend_cap_percent: Percent = Decimal(30)
    bonus_expiry_days: Annotated[
        int | None,
        Field(description="Days a bonus lives; null: forever"),
        WithJsonSchema(
            {"anyOf": [{"type": "integer", "minimum": 1, "maximum": MAX_DAYS}, {"type": "null"}]}
        ),
    ] = 365
    welcome_bonuses: Money = Decimal(0)
    levels: Annotated[list[ProgramLevelIn], Field(max_length=MAX_RULES)] = []
    referral: ProgramReferralIn = ProgramReferralIn()
    stickers: Annotated[list[ProgramStickerRuleIn], Field(max_length=MAX_RULES)] = []
    coupons: Annotated[list[ProgramCouponRuleIn], Field(max_length=MAX_RULES)] = []


# The program as sent, for `program_from` to read (documented as `ProgramIn`).
ProgramJson = SkipValidation[ProgramIn]


def as_sent(program: ProgramJson) -> Any:
    """A `ProgramJson` is the JSON as sent (any JSON value), not a `ProgramIn`."""
    return program


class LoyaltyShopCreate(_Body):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"name": "Second Coffee", "program": PROGRAM_EXAMPLE}]}
    )

    name: Annotated[str, Field(min_length=1, max_length=200)]
    program: ProgramJson = Field(default_factory=dict)  # type: ignore[assignment]


class ShopPromoCreate(_Body):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"code": "WELCOME5", "kind": "percent", "value": 5}]}
    )

    code: Annotated[str, Field(min_length=1, max_length=64)]
    kind: Literal["fix", "percent"]
    value: Annotated[Decimal, Field(gt=0, le=Decimal("9999999999.99"))]


class ShopCertificateCreate(_Body):
    model_config = ConfigDict(json_schema_extra={"examples": [{"amount": 500}]})

    amount: Annotated[Decimal, Field(gt=0, le=Decimal("9999999999.99"))]
    code: Annotated[str, Field(min_length=4, max_length=64)] | None = None
    valid_days: Annotated[int, Field(ge=1, le=3650)] | None = 365


class BonusAdjustment(_Body):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"amount": 100, "reason": "a goodwill gesture"}]}
    )

    amount: Annotated[Decimal, Field(ge=Decimal("-9999999999"), le=Decimal("9999999999"))]
    reason: Annotated[str, Field(min_length=1, max_length=500)]


# --- what Kassa answers -------------------------------------------------------------------


ShopId = Annotated[str, Path(examples=[demo.SHOP_ID])]
MemberId = Annotated[str, Path(examples=[demo.MEMBER], description="The member's phone")]
EventId = Annotated[str, Path(examples=[demo.EVENT_ID])]


# `kassa.core.loyalty.Entry`'s values.
EntryKind = Literal["earn", "spend", "return", "revoke", "adjust"]


class _Out(BaseModel):
    model_config = ConfigDict(extra="forbid")


Decimal2 = Annotated[str, Field(examples=["300.00"], description="A decimal, as a string")]


class ProgramLevel(_Out):
    name: str
    min_spent: Decimal2
    discount_percent: Decimal2


class ProgramReferral(_Out):
    referee_discount_percent: Decimal2
    referrer_reward: Decimal2


class ProgramStickerRule(_Out):
    product_id: str
    per_unit: int
    needed: int
    reward_product_id: str


class ProgramCouponRule(_Out):
    min_order_total: Decimal2
    kind: Literal["fix", "percent"]
    value: Decimal2
    valid_days: int


class LoyaltyProgram(_Out):
    earn_percent: Decimal2
    spend_cap_percent: Decimal2
    bonus_expiry_days: int | None
    welcome_bonuses: Decimal2
    levels: list[ProgramLevel]
    referral: ProgramReferral
    stickers: list[ProgramStickerRule]
    coupons: list[ProgramCouponRule]


class LoyaltyShop(_Out):
    shop_id: str
    name: str
    program: LoyaltyProgram


class LoyaltyShopCreated(LoyaltyShop):
    shop_secret: str = Field(description="Shown this once; Kassa keeps only its hash")


class ShopPromoCode(_Out):
    id: str
    code: str = Field(description="Upper-cased")
    kind: Literal["fix", "percent"]
    value: Decimal2


class ShopCertificate(_Out):
    id: str
    code: str
    amount: Decimal2
    expires_at: datetime | None


class LoyaltyLedgerEntry(_Out):
    account: Literal["bonus", "sticker", "spent", "certificate", "coupon"]
    entry: EntryKind
    amount: Decimal2
    order_id: str | None
    sticker: str | None
    at: datetime
    expires_at: datetime | None
    note: str | None


class LoyaltyMember(_Out):
    identifier: str
    bonuses_balance: Decimal2
    spent: Decimal2 = Field(description="What the member paid in money (it sets the level)")
    level: str | None
    stickers_balance: dict[str, int]
    referral_code: str
    referrer_identifier: str | None
    ledger: list[LoyaltyLedgerEntry] = Field(description="Oldest first")


class BonusesAdjusted(_Out):
    identifier: str
    bonuses_balance: Decimal2


class ShopEventLinked(_Out):
    shop_id: str
    event: str


class ShopEventUnlinked(_Out):
    """An empty object."""
