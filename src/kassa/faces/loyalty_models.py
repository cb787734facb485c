"""The loyalty checkout face's wire models (REES46): what a till sends and what Kassa answers.

The request models parse a POST's JSON body or a GET's query (the face checks the shop first,
then validates these); the `...In` and `...Query` models add the shop's credentials where
REES46 sends them (a POST's body; a GET's query is covered by the `shopId`/`shopSecret`
security schemes) and exist for the OpenAPI document. The answer models document the
`{"status": "success", "success": true, "payload": {...}}` envelope Kassa sends: amounts are
exact JSON numbers (Decimal, never float), as `kassa.core.loyalty_figures` makes them.
"""

from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StrictBool,
    WithJsonSchema,
)

from kassa.app import demo
from kassa.app import loyalty as app
from kassa.core.loyalty import MAX_ITEMS, CartItem, LoyaltyStatus

MAX_AMOUNT = Decimal("9999999999.99")


def _text(value: Any) -> Any:
    """Ids may come as numbers; they are strings to us."""
    return str(value) if isinstance(value, int) and not isinstance(value, bool) else value


Text = Annotated[str, BeforeValidator(_text), Field(min_length=1, max_length=64)]
Identifier = Annotated[
    str,
    BeforeValidator(_text),
    Field(description="The member: their phone, `7` and ten digits", examples=[demo.MEMBER]),
    WithJsonSchema({"type": "string", "pattern": r"^7[0-9]{10}$", "examples": [demo.MEMBER]}),
]
Amount = Annotated[
    Decimal,
    Field(gt=0, le=MAX_AMOUNT, allow_inf_nan=False),
    WithJsonSchema({"type": "number", "exclusiveMinimum": 0, "maximum": float(MAX_AMOUNT)}),
]
# An amount Kassa sends: an exact JSON number.
Number = Annotated[Decimal, WithJsonSchema({"type": "number"})]


class _Body(BaseModel):
    model_config = ConfigDict(extra="ignore", str_strip_whitespace=True)


class CartItemIn(_Body):
    """A cart line: a flag set to false keeps that mechanism off the line."""

    product_id: Text
    price: Amount
    quantity: Amount
    discountable: StrictBool = True
    bonusable: StrictBool = True
    rewardable: StrictBool = True


class CheckoutBody(_Body):
    identifier: Identifier | None = None
    order_id: Text | None = None
    cart_items: Annotated[list[CartItemIn], Field(min_length=1, max_length=MAX_ITEMS)]
    payment_type: Annotated[str, Field(max_length=64)] | None = None
    promo_codes: Annotated[list[Text], Field(max_length=20)] = []
    certificates: Annotated[list[Text], Field(max_length=20)] = []
    charge_bonuses: StrictBool = False
    bonuses_amount: (
        Annotated[
            Decimal,
            Field(ge=0, le=Decimal("9999999999"), allow_inf_nan=False),
            WithJsonSchema({"type": "number", "minimum": 0, "maximum": 9999999999}),
        ]
        | None
    ) = None

    def request(self) -> app.CheckoutRequest:
        return app.CheckoutRequest(
            items=tuple(
                CartItem(
                    i.product_id, i.price, i.quantity, i.discountable, i.bonusable, i.rewardable
                )
                for i in self.cart_items
            ),
            identifier=self.identifier,
            order_id=self.order_id,
            payment_type=self.payment_type,
            promo_codes=tuple(self.promo_codes),
            certificates=tuple(self.certificates),
            charge_bonuses=self.charge_bonuses,
            bonuses_amount=self.bonuses_amount,
        )


class OrderRef(_Body):
    order_id: Text


class MemberRef(_Body):
    identifier: Identifier


class JoinBody(MemberRef):
    referral_code: Annotated[str | None, BeforeValidator(_text), Field(max_length=64)] = None


# --- documentation of what a till sends --------------------------------------------------


class Credentials(BaseModel):
    """The shop's credentials, in the body of every POST."""

    shop_id: Annotated[str, Field(min_length=1, examples=[demo.SHOP_ID])]
    shop_secret: Annotated[str, Field(min_length=1, examples=[demo.SHOP_SECRET])]


class CheckoutIn(Credentials, CheckoutBody):
    """A cart: `order_id` is required by apply and change, null in estimate."""


class CheckoutOrderIn(Credentials, OrderRef):
    pass


class MemberIn(Credentials, MemberRef):
    pass


class MemberJoinIn(Credentials, JoinBody):
    pass


SHOP = {"shop_id": demo.SHOP_ID, "shop_secret": demo.SHOP_SECRET}
CART = [
    {"product_id": "latte", "price": 250, "quantity": 2},
    {"product_id": "cake", "price": 400.50, "quantity": 1, "bonusable": False},
]
SPENDING = {
    "identifier": demo.MEMBER,
    "charge_bonuses": True,
    "promo_codes": [demo.LOYALTY_PROMO],
    "certificates": [demo.CERTIFICATE],
}
# Run in the document's order, the examples make two orders: A-1 is cancelled, A-2 is confirmed,
# then one of its lattes returned.
EXAMPLES: dict[str, dict[str, Any]] = {
    "estimate": {"cart": {**SHOP, **SPENDING, "cart_items": CART}},
    "apply": {
        "an order": {**SHOP, **SPENDING, "order_id": "A-1", "cart_items": CART},
        "another order": {**SHOP, **SPENDING, "order_id": "A-2", "cart_items": CART},
    },
    "confirm": {"the second order of the apply examples": {**SHOP, "order_id": "A-2"}},
    "cancel": {"the first order of the apply examples": {**SHOP, "order_id": "A-1"}},
    "change": {
        "one latte returned": {
            **SHOP,
            "order_id": "A-2",
            "identifier": demo.MEMBER,
            "cart_items": [CART[0] | {"quantity": 1}, CART[1]],
        }
    },
    "join": {"a new member": {**SHOP, "identifier": "79990000003"}},
    "member": {"the demo member": {**SHOP, "identifier": demo.MEMBER}},
}


class OrderQuery(BaseModel):
    order_id: Annotated[str, Field(min_length=1, max_length=64, examples=["A-2"])]


class MemberQuery(BaseModel):
    identifier: Identifier


# --- what Kassa answers -------------------------------------------------------------------


class _Out(BaseModel):
    model_config = ConfigDict(extra="forbid")


class CodeRefused(_Out):
    code: str
    message: Annotated[str, Field(examples=["Code is not valid"])]


class CheckoutCertificate(_Out):
    id: str
    code: str
    amount: Number = Field(description="What the certificate pays in this order")
    balance: Number = Field(description="Its balance before this order")


class CheckoutPromotion(_Out):
    type: Literal["stickers"]
    product_id: str
    stickers: int


class RewardShare(_Out):
    total: Number
    per_product: Number


class ReferralShare(RewardShare):
    referral_program_id: None = Field(description="Always null: a shop has one referral program")


class CheckoutItemCertificate(_Out):
    id: str
    code: str
    pool_id: None = Field(description="Always null: Kassa has no certificate pools")
    amount: Number
    amount_per_product: Number


class CheckoutItemFigures(_Out):
    """A cart line's figures; each `..._per_product` is the line's amount per unit."""

    product_id: str
    uniqid: str = Field(description="The product id again (REES46's examples use this name)")
    quantity: Number
    price: Number
    total: Number
    discountable: bool
    discountable_reason: str | None
    bonusable: bool
    bonusable_reason: str | None
    rewardable: bool
    rewardable_reason: str | None
    paid_with_offers: Number
    paid_with_offers_per_product: Number
    paid_with_referral_discounts: Number
    paid_with_referral_discounts_per_product: Number
    paid_with_discounts: Number
    paid_with_discounts_per_product: Number
    paid_with_bonuses: Number
    paid_with_bonuses_per_product: Number
    paid_with_certificates: Number
    paid_with_certificates_per_product: Number
    bonuses_used: Number
    bonuses_reward: Number
    bonuses_reward_loyalty_program: RewardShare
    bonuses_reward_referral_program: ReferralShare
    bonuses_reward_promotions: dict[str, RewardShare]
    certificates: dict[str, CheckoutItemCertificate] = Field(description="By certificate id")
    max_discountable_amount: Number
    max_discountable_amount_left: Number
    max_payable_by_bonuses: Number
    total_after_discounts: Number
    total_after_discounts_per_product: Number
    total_to_pay: Number


class CheckoutFigures(_Out):
    """What the cart costs after promotions, codes, level discount, bonuses and certificates."""

    order_id: str | None
    identifier: str | None
    payment_type: str | None
    products_total: Number = Field(description="The number of units in the cart")
    order_total: Number
    saved_total: Number
    saved_by_discounts: Number
    saved_by_referral_discounts: Number
    saved_by_level: Number
    saved_by_bonuses: Number
    saved_by_offers: Number
    saved_by_certificates: Number
    order_to_pay: Number
    order_bonuses_to_charge: Number = Field(description="The most the cart may pay in bonuses")
    bonuses_used: Number
    bonuses_balance: Number
    bonuses_balance_after: Number
    bonuses_reward: Number
    bonuses_referrer_reward: Number
    referrer_identifier: str | None
    referral_program: bool
    level: str | None
    applied_promotions: list[CheckoutPromotion]
    rewarded_stickers: dict[str, int]
    used_stickers: dict[str, int]
    stickers_balance: dict[str, int]
    promo_codes: list[str]
    promo_codes_failed: list[CodeRefused]
    certificates: list[CheckoutCertificate]
    certificates_failed: list[CodeRefused]
    coupons_to_issue: int
    items: list[CheckoutItemFigures]


def _absent_not_null(schema: dict[str, Any]) -> None:
    schema.pop("default", None)


TotalChange = Annotated[
    Number,
    Field(
        description="What the change moved: > 0 is money to collect, < 0 money to give back",
        json_schema_extra=_absent_not_null,
    ),
]


class ChangeFigures(CheckoutFigures):
    order_total_change: TotalChange


class CheckoutOrderDetails(CheckoutFigures):
    """The figures the order keeps (the last apply or change), and its status."""

    order_total_change: TotalChange = None  # type: ignore[assignment] # absent until a change
    status: LoyaltyStatus


class CheckoutOrderDone(_Out):
    order_id: str
    identifier: str | None


class MemberHistoryItem(_Out):
    id: str
    name: str = Field(description="The product id (Kassa keeps no product names)")
    quantity: Number
    price: Number


class MemberHistoryOrder(_Out):
    id: str
    date: datetime
    status: LoyaltyStatus
    total: Number = Field(description="What the order pays in money")
    items: list[MemberHistoryItem]


class MemberHistory(_Out):
    identifier: str
    orders: list[MemberHistoryOrder] = Field(description="Newest first")


class MemberJoined(_Out):
    identifier: str
    referral_code: str


class MemberStatus(_Out):
    identifier: str
    member: Literal[True]
    level: str | None
    level_discount: Number = Field(description="The level's discount, in percent")
    bonuses_balance: Number
    stickers_balance: dict[str, int]
    referral_code: str
    referrer_identifier: str | None
    joined_at: datetime


class BonusBalance(_Out):
    identifier: str
    bonuses_balance: Number


class _Success(_Out):
    status: Literal["success"]
    success: Literal[True]


class CheckoutAnswer(_Success):
    payload: CheckoutFigures


class ChangeAnswer(_Success):
    payload: ChangeFigures


class CheckoutDetailsAnswer(_Success):
    payload: CheckoutOrderDetails


class CheckoutDoneAnswer(_Success):
    payload: CheckoutOrderDone


class MemberHistoryAnswer(_Success):
    payload: MemberHistory


class MemberJoinAnswer(_Success):
    payload: MemberJoined


class MemberStatusAnswer(_Success):
    payload: MemberStatus


class BonusBalanceAnswer(_Success):
    payload: BonusBalance
