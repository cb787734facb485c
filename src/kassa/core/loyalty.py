"""The loyalty program and the checkout calculation, as pure functions.

A cart is priced in the REES46 order: promotions (sticker exchanges) -> limits -> discount
promo codes and coupons -> referral discount -> level discount -> bonuses -> certificates ->
bonus reward -> the buyer's referral bonus -> the referrer's reward. Each step works on what
the previous ones left to pay, item by item; an amount spread over items is split in exact
cents by largest remainder, so the per-item amounts always add up to the totals.

Bonuses are whole units (1 bonus pays 1.00). The balance is computed from an append-only
ledger first-in-first-out: spends use the lots that expire first; an expired lot's unspent
rest is gone, never more. Item flags: `discountable=false` keeps every discount off an item,
`bonusable=false` keeps bonuses off it, `rewardable=false` earns nothing on it.
"""

import heapq
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from decimal import ROUND_DOWN, Decimal
from enum import StrEnum
from functools import cached_property
from typing import Any

from kassa.core.errors import LoyaltyInvalid

# The program lives in its own module; these names stay importable from here.
from kassa.core.loyalty_program import CouponRule, Level, StickerRule
from kassa.core.loyalty_program import Program as Program
from kassa.core.loyalty_program import program_from as program_from
from kassa.core.money import ZERO, allocate, money, percent_of

IDENTIFIER_DIGITS = 11
MAX_ITEMS = 500
ONE = Decimal(1)


def validate_identifier(identifier: str | None) -> str:
    """A member is their phone: `7` and ten digits."""
    if (
        not isinstance(identifier, str)
        or len(identifier) != IDENTIFIER_DIGITS
        or not identifier.isdigit()
        or not identifier.startswith("7")
    ):
        raise LoyaltyInvalid("Identifier is not valid")
    return identifier


def round_down(amount: Decimal) -> Decimal:
    """Drop the fraction of a unit (toward zero: 12.99 -> 12.00, -1.50 -> -1.00): bonuses are
    whole units."""
    return amount.quantize(ONE, rounding=ROUND_DOWN).quantize(Decimal("0.01"))


# --- ledgers ------------------------------------------------------------------------------


class Entry(StrEnum):
    EARN = "earn"  # a reward, welcome or referrer bonus (positive, may expire)
    SPEND = "spend"  # reserved by apply, final on confirm (negative)
    RETURN = "return"  # a spend given back by a re-apply, change or cancel (positive)
    REVOKE = "revoke"  # a reward taken back by a change or cancel (negative)
    ADJUST = "adjust"  # an operator's correction (either sign)


@dataclass(frozen=True)
class LedgerEntry:
    amount: Decimal  # signed
    entry: Entry
    at: datetime
    order_id: str | None = None
    expires_at: datetime | None = None


def bonus_balance(entries: Iterable[LedgerEntry], now: datetime) -> Decimal:
    """What a member can spend now: positive lots minus what was taken from them, FIFO by
    expiry; a lot that expired keeps only what had been taken from it before."""
    return BonusLots().folded(entries).balance(now)


# A lot in the heap: (never expires, expiry or _NEVER, arrival, [remaining]). Never-expiring
# lots go last, ties go by arrival: the order a FIFO by expiry takes them in.
_NEVER = datetime.max.replace(tzinfo=UTC)
_Lot = tuple[bool, datetime, int, list[Decimal]]


@dataclass
class BonusLots:
    """A member's bonus ledger folded first-in-first-out by expiry, entry by entry in time
    order: the lots with something left, soonest-expiring first; what was taken beyond them
    (`debt`, paid by the next lot earned); the lots that ran out of time with something left
    (counted for a `now` before the last entry only). Folding is O(n log n) in the entries,
    and a fold can stop and go on: `folded(a).folded(b)` is `folded(a + b)` when every entry of
    `b` is at or after every entry of `a`, which `as_json`/`from_json` use to keep a member's
    older entries folded once (`kassa.store.loyalty_balances`)."""

    lots: list[_Lot] = field(default_factory=list)
    debt: Decimal = ZERO
    expired: list[_Lot] = field(default_factory=list)
    arrivals: int = 0

    def folded(self, entries: Iterable[LedgerEntry]) -> "BonusLots":
        """Fold `entries` (in time order; ties keep their given order) in, in place."""
        for item in sorted(entries, key=lambda e: e.at):
            if item.amount > 0:
                if item.expires_at is not None and item.expires_at <= item.at:
                    continue
                self._earn(item.expires_at, item.amount)
                if self.debt > 0:
                    self.debt = self._take(self.debt, item.at)
            elif item.amount < 0:
                self.debt = self._take(self.debt - item.amount, item.at)
        return self

    def balance(self, now: datetime) -> Decimal:
        live = (lot for lot in (*self.lots, *self.expired) if lot[1] > now)
        return sum((lot[3][0] for lot in live), ZERO) - self.debt

    def _earn(self, expires_at: datetime | None, amount: Decimal) -> None:
        never = expires_at is None
        lot = (never, _NEVER if expires_at is None else expires_at, self.arrivals, [amount])
        self.arrivals += 1
        heapq.heappush(self.lots, lot)

    def _take(self, amount: Decimal, at: datetime) -> Decimal:
        """Take `amount` from the lots live at `at`, soonest-expiring first; returns what could
        not be taken."""
        lots = self.lots
        while lots and amount > 0:
            lot = lots[0]
            if lot[1] <= at:  # ran out of time: never taken from again (time only goes on)
                heapq.heappop(lots)
                self.expired.append(lot)
                continue
            left = lot[3]
            taken = min(left[0], amount)
            left[0] -= taken
            amount -= taken
            if not left[0]:
                heapq.heappop(lots)
        return amount

    def as_json(self, upto: datetime) -> dict[str, Any]:
        """The fold as JSON, for a `now` after `upto` (the last entry folded): the lots in the
        order they are taken, those that expire together as one (taken from together, they
        run out together), and none that ran out of time by `upto`."""
        lots: list[list[Any]] = []
        for never, expires, _arrival, left in sorted(self.lots):
            if not left[0] or expires <= upto:
                continue
            shown = None if never else expires.isoformat()
            if lots and lots[-1][0] == shown:
                lots[-1][1] += left[0]
            else:
                lots.append([shown, left[0]])
        return {"lots": [[e, str(a)] for e, a in lots], "debt": str(self.debt)}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> "BonusLots":
        lots: list[_Lot] = [
            (e is None, _NEVER if e is None else datetime.fromisoformat(e), n, [Decimal(a)])
            for n, (e, a) in enumerate(data["lots"])
        ]
        heapq.heapify(lots)  # a no-op on lots in the order they are taken, as kept
        return cls(lots=lots, debt=Decimal(data["debt"]), arrivals=len(lots))


# --- the cart -----------------------------------------------------------------------------


@dataclass(frozen=True)
class CartItem:
    product_id: str
    price: Decimal
    quantity: Decimal
    discountable: bool = True
    bonusable: bool = True
    rewardable: bool = True

    @cached_property
    def total(self) -> Decimal:
        return money(self.price * self.quantity)


def validate_cart(items: Sequence[CartItem]) -> None:
    if not items:
        raise LoyaltyInvalid("Cart is empty")
    if len(items) > MAX_ITEMS:
        raise LoyaltyInvalid(f"Cart has more than {MAX_ITEMS} line items")
    ids = [item.product_id for item in items]
    if len(set(ids)) != len(ids):
        raise LoyaltyInvalid("Cart contains line items with the same product ID")
    for item in items:
        if not item.product_id:
            raise LoyaltyInvalid("Line item has no product ID")
        if item.price <= 0 or item.quantity <= 0:
            raise LoyaltyInvalid(f"Price and quantity must be greater than 0 ({item.product_id})")


@dataclass(frozen=True)
class PromoCode:
    """A promo code or a coupon the shop sent that applies to this cart, as the program has it."""

    code: str
    kind: str  # fix | percent
    value: Decimal
    coupon_id: str | None = None
    promo_id: str | None = None


@dataclass(frozen=True)
class Certificate:
    id: str
    code: str
    balance: Decimal


@dataclass(frozen=True)
class Buyer:
    """The member at the till, as the ledgers show them now."""

    id: str
    identifier: str
    bonuses: Decimal
    spent: Decimal  # the sum paid in fulfilled orders (decides the level)
    stickers: Mapping[str, int] = field(default_factory=dict)
    referrer_id: str | None = None
    referrer_identifier: str | None = None
    first_order: bool = True


@dataclass(frozen=True)
class Checkout:
    items: tuple[CartItem, ...]
    buyer: Buyer | None = None
    codes: tuple[PromoCode, ...] = ()
    failed_codes: tuple[tuple[str, str], ...] = ()
    certificates: tuple[Certificate, ...] = ()
    failed_certificates: tuple[tuple[str, str], ...] = ()
    referral: bool = False  # a referral code was sent and applies to this buyer
    charge_bonuses: bool = False
    bonuses_amount: Decimal | None = None


@dataclass
class Line:
    item: CartItem
    offers: Decimal = ZERO
    promo: Decimal = ZERO
    referral: Decimal = ZERO
    level: Decimal = ZERO
    bonuses: Decimal = ZERO
    certificates: dict[str, Decimal] = field(default_factory=dict)
    max_bonuses: Decimal = ZERO
    reward: Decimal = ZERO

    @property
    def discounts(self) -> Decimal:
        return self.promo + self.level

    @property
    def after_discounts(self) -> Decimal:
        return self.item.total - self.offers - self.promo - self.referral - self.level

    @property
    def left(self) -> Decimal:
        return self.after_discounts - self.bonuses - sum(self.certificates.values(), ZERO)


@dataclass(frozen=True)
class Calculation:
    lines: tuple[Line, ...]
    codes: tuple[PromoCode, ...]
    failed_codes: tuple[tuple[str, str], ...]
    certificates: dict[str, Certificate]
    failed_certificates: tuple[tuple[str, str], ...]
    max_bonuses: Decimal
    bonuses_reward: Decimal
    referrer_reward: Decimal
    referral: bool
    used_stickers: dict[str, int]
    rewarded_stickers: dict[str, int]
    coupons: tuple[CouponRule, ...]
    level: Level | None

    @property
    def order_total(self) -> Decimal:
        return sum((line.item.total for line in self.lines), ZERO)

    @property
    def products_total(self) -> Decimal:
        return sum((line.item.quantity for line in self.lines), ZERO)

    def total(self, name: str) -> Decimal:
        return sum((getattr(line, name) for line in self.lines), ZERO)

    @property
    def bonuses_used(self) -> Decimal:
        return self.total("bonuses")

    def certificate_used(self, certificate_id: str) -> Decimal:
        return sum((line.certificates.get(certificate_id, ZERO) for line in self.lines), ZERO)

    @property
    def saved_by_certificates(self) -> Decimal:
        return sum((self.certificate_used(c) for c in self.certificates), ZERO)

    @property
    def order_to_pay(self) -> Decimal:
        return self.total("left")


def calculate(program: Program, checkout: Checkout) -> Calculation:
    """Price a cart for a buyer: every step in the program's order (see the module doc)."""
    validate_cart(checkout.items)
    buyer = checkout.buyer
    level = program.level_for(buyer.spent) if buyer is not None else None
    lines = [Line(item) for item in checkout.items]
    used_stickers = _exchange_stickers(program.stickers, buyer, lines)
    _discount_by_codes(checkout.codes, lines)
    if checkout.referral and program.referee_discount_percent:
        _discount_for_referral(program.referee_discount_percent, lines)
    if level is not None and level.discount_percent:
        _discount_for_level(level.discount_percent, lines)
    max_bonuses = _cap_bonuses(program.spend_cap_percent, buyer, lines)
    if checkout.charge_bonuses and buyer is not None:
        _charge_bonuses(max_bonuses, checkout.bonuses_amount, lines)
    used_certificates = _charge_certificates(checkout.certificates, lines)
    if buyer is not None:
        _earn_rewards(program.earn_percent, lines)
    calc = Calculation(
        lines=tuple(lines),
        codes=checkout.codes,
        failed_codes=checkout.failed_codes,
        certificates=used_certificates,
        failed_certificates=checkout.failed_certificates,
        max_bonuses=max_bonuses,
        bonuses_reward=sum((x.reward for x in lines), ZERO),
        referrer_reward=_referrer_reward(program, checkout),
        referral=checkout.referral,
        used_stickers=used_stickers,
        rewarded_stickers=_earned_stickers(program.stickers, buyer, checkout.items),
        coupons=(),
        level=level,
    )
    return replace(calc, coupons=_earned_coupons(program.coupons, buyer, calc.order_to_pay))


# The steps of `calculate`, in its order. Each fills its own column of the lines, reading
# what the steps before it left to pay; none looks at anything outside its arguments.


def _exchange_stickers(
    rules: Sequence[StickerRule], buyer: Buyer | None, lines: Sequence[Line]
) -> dict[str, int]:
    """1. Promotions: `needed` stickers held buy one reward unit; returns the stickers used."""
    used: dict[str, int] = {}
    if buyer is None:
        return used
    for rule in rules:
        held = buyer.stickers.get(rule.product_id, 0) - used.get(rule.product_id, 0)
        spent = _exchange(rule, held, lines)
        if spent:
            used[rule.product_id] = used.get(rule.product_id, 0) + spent
    return used


def _exchange(rule: StickerRule, held: int, lines: Sequence[Line]) -> int:
    """Offer the rule's reward units for `held` stickers; returns how many stickers that took."""
    spent = 0
    for line in lines:
        if line.item.product_id != rule.reward_product_id or held - spent < rule.needed:
            continue
        units = min(int(line.item.quantity), (held - spent) // rule.needed)
        if units and line.item.discountable:
            line.offers += money(line.item.price * units)
            spent += units * rule.needed
    return spent


def _discountable(lines: Sequence[Line]) -> list[Decimal]:
    """2. Limits: what each line can still be discounted (nothing, if it takes no discount)."""
    return [line.after_discounts if line.item.discountable else ZERO for line in lines]


def _discount_by_codes(codes: Sequence[PromoCode], lines: Sequence[Line]) -> None:
    """3. Promo codes and coupons, one after another, each on what the ones before it left."""
    for code in codes:
        caps = _discountable(lines)
        if code.kind == "fix":
            parts = allocate(code.value, caps)
        else:
            parts = [percent_of(cap, code.value) for cap in caps]
        for line, part in zip(lines, parts, strict=True):
            line.promo += part


def _discount_for_referral(percent: Decimal, lines: Sequence[Line]) -> None:
    """4. The referred buyer's discount on their first order."""
    for line, cap in zip(lines, _discountable(lines), strict=True):
        line.referral += percent_of(cap, percent)


def _discount_for_level(percent: Decimal, lines: Sequence[Line]) -> None:
    """5. The buyer's level discount."""
    for line, cap in zip(lines, _discountable(lines), strict=True):
        line.level += percent_of(cap, percent)


def _cap_bonuses(cap_percent: Decimal, buyer: Buyer | None, lines: Sequence[Line]) -> Decimal:
    """6a. Each bonusable line takes up to `cap_percent` of it in bonuses; returns what the
    whole cart may take, never over the buyer's balance."""
    for line in lines:
        line.max_bonuses = (
            round_down(line.after_discounts * cap_percent / 100)
            if line.item.bonusable and buyer is not None
            else ZERO
        )
    held = round_down(buyer.bonuses) if buyer is not None else ZERO
    return max(min(sum((line.max_bonuses for line in lines), ZERO), held), ZERO)


def _charge_bonuses(max_bonuses: Decimal, wanted: Decimal | None, lines: Sequence[Line]) -> None:
    """6b. Spend the bonuses the shop asked for (all it may, if it named no amount)."""
    amount = max_bonuses if wanted is None else min(max_bonuses, round_down(wanted))
    caps = [line.max_bonuses for line in lines]
    for line, part in zip(lines, allocate(amount, caps), strict=True):
        line.bonuses = part


def _charge_certificates(
    certificates: Sequence[Certificate], lines: Sequence[Line]
) -> dict[str, Certificate]:
    """7. Certificates, each up to what is left; returns those that paid anything."""
    used: dict[str, Certificate] = {}
    for certificate in certificates:
        parts = allocate(certificate.balance, [line.left for line in lines])
        if sum(parts, ZERO) > 0:
            used[certificate.id] = certificate
        for line, part in zip(lines, parts, strict=True):
            if part:
                line.certificates[certificate.id] = part
    return used


def _earn_rewards(earn_percent: Decimal, lines: Sequence[Line]) -> None:
    """8. The bonus reward on what each rewardable line leaves to pay in money."""
    for line in lines:
        if line.item.rewardable:
            line.reward = round_down(line.left * earn_percent / 100)


def _referrer_reward(program: Program, checkout: Checkout) -> Decimal:
    """9-10. The buyer's referral discount came in step 4; the referrer earns this on confirm."""
    buyer = checkout.buyer
    if checkout.referral and buyer is not None and buyer.referrer_id:
        return program.referrer_reward
    return ZERO


def _earned_stickers(
    rules: Sequence[StickerRule], buyer: Buyer | None, items: Sequence[CartItem]
) -> dict[str, int]:
    """The stickers a member earns for the units of each sticker product bought."""
    earned: dict[str, int] = {}
    if buyer is None:
        return earned
    for rule in rules:
        for item in items:
            count = rule.per_unit * int(item.quantity) if item.product_id == rule.product_id else 0
            if count:
                earned[rule.product_id] = earned.get(rule.product_id, 0) + count
    return earned


def _earned_coupons(
    rules: Sequence[CouponRule], buyer: Buyer | None, to_pay: Decimal
) -> tuple[CouponRule, ...]:
    """The coupons a member earns for an order paying at least each rule's minimum."""
    if buyer is None:
        return ()
    return tuple(rule for rule in rules if to_pay >= rule.min_order_total)


def expiry(program: Program, at: datetime) -> datetime | None:
    return (
        at + timedelta(days=int(program.bonus_expiry_days)) if program.bonus_expiry_days else None
    )


# --- orders -------------------------------------------------------------------------------


class LoyaltyStatus(StrEnum):
    CREATED = "created"
    FULFILLED = "fulfilled"
    CANCELLED = "cancelled"


def ensure_can_apply(status: LoyaltyStatus | None) -> None:
    if status not in (None, LoyaltyStatus.CREATED):
        raise LoyaltyInvalid("Could not apply order in its current status")


def ensure_can_confirm(status: LoyaltyStatus) -> None:
    if status is LoyaltyStatus.CANCELLED:
        raise LoyaltyInvalid("Could not confirm order in its current status")


def ensure_can_change(status: LoyaltyStatus) -> None:
    if status is not LoyaltyStatus.FULFILLED:
        raise LoyaltyInvalid("Could not change order in its current status")


def ensure_can_cancel(status: LoyaltyStatus) -> None:
    if status not in (LoyaltyStatus.CREATED, LoyaltyStatus.FULFILLED):
        raise LoyaltyInvalid("Could not cancel order in its current status")
