"""Promo codes: who may use one, and what it takes off each ticket.

A code belongs to one event. It gives a fixed amount (`fix`, never more than the ticket's
price) or a percentage (`percentage`, rounded half-up to cents) off each ticket of the sets
it covers (none listed: every set), to at most `max_tickets` tickets of an order. It applies
only inside its lifetime and when the order holds at least `min_tickets` covered tickets.
`usage_limit` caps how many orders may hold it at once; a cancelled or expired order gives
its use back.

An order holds at most one code: of several sent, the first that applies is used, and each
other one is reported with `promocode_apply_info`. Failures never raise: the ticketing face
reports them in `errors` with the HTTP status unchanged.
"""

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from enum import StrEnum

from kassa.core.errors import PromoCodeInvalid
from kassa.core.money import MAX_AMOUNT, ZERO, money, percent_of

MAX_CODE_LENGTH = 64


class DiscountKind(StrEnum):
    FIX = "fix"
    PERCENTAGE = "percentage"


@dataclass(frozen=True)
class PromoFailure:
    """Why a code did not apply, as the v2 API reports it: `{code, msg}`."""

    code: str
    message: str


def not_found() -> PromoFailure:
    return PromoFailure("promocode_not_found", "Promocode not found")


def already_used() -> PromoFailure:
    return PromoFailure("promocode_already_used", "Promocode already used")


def min_tickets_failure(minimum: int) -> PromoFailure:
    # The docs' own spelling.
    return PromoFailure(
        "promocode_limit_min_tickets",
        f"Mimimum count of tickets in order for promocode activation is {minimum}",
    )


def apply_info(detail: str | None = None) -> PromoFailure:
    message = "Cant apply promocode by some reason"
    return PromoFailure("promocode_apply_info", f"{message}: {detail}" if detail else message)


@dataclass(frozen=True)
class PromoCode:
    id: str
    org_id: str
    event_id: str
    code: str
    kind: DiscountKind
    value: Decimal
    starts_at: datetime | None = None
    finishes_at: datetime | None = None
    set_ids: tuple[str, ...] = ()
    min_tickets: int | None = None
    max_tickets: int | None = None
    usage_limit: int | None = None
    used: int = 0
    viral: bool = False
    active: bool = True

    @property
    def key(self) -> str:
        return code_key(self.code)

    @property
    def is_percentage(self) -> bool:
        return self.kind is DiscountKind.PERCENTAGE

    def covers(self, set_id: str) -> bool:
        return not self.set_ids or set_id in self.set_ids

    def is_live(self, now: datetime) -> bool:
        if self.starts_at is not None and now < self.starts_at:
            return False
        return self.finishes_at is None or now < self.finishes_at

    def discount_for(self, price: Decimal) -> Decimal:
        """What the code takes off one ticket at `price`: never more than the price."""
        if self.is_percentage:
            return min(percent_of(price, self.value), money(price))
        return min(money(self.value), money(price))


def code_key(code: str) -> str:
    """Codes match case-insensitively."""
    return code.strip().casefold()


def validate_promo(promo: PromoCode) -> None:
    """An organiser's code must make sense before it is stored."""
    if not promo.code.strip() or len(promo.key) > MAX_CODE_LENGTH:
        raise PromoCodeInvalid(f"code must have 1 to {MAX_CODE_LENGTH} characters")
    if promo.value <= 0:
        raise PromoCodeInvalid("discount must be more than zero")
    if promo.is_percentage and promo.value > 100:
        raise PromoCodeInvalid("a percentage discount is at most 100")
    if not promo.is_percentage and promo.value > MAX_AMOUNT:
        raise PromoCodeInvalid("discount is too large")
    if promo.starts_at and promo.finishes_at and promo.finishes_at <= promo.starts_at:
        raise PromoCodeInvalid("lifetime must end after it starts")
    for name, number in (
        ("tickets_count.min", promo.min_tickets),
        ("tickets_count.max", promo.max_tickets),
        ("usage_limit", promo.usage_limit),
    ):
        if number is not None and number < 1:
            raise PromoCodeInvalid(f"{name} must be at least 1")
    if promo.min_tickets and promo.max_tickets and promo.min_tickets > promo.max_tickets:
        raise PromoCodeInvalid("tickets_count.min must not exceed tickets_count.max")


def check(
    promo: PromoCode | None, sets: Iterable[str], now: datetime, *, held: bool = False
) -> PromoFailure | None:
    """Does `promo` apply to an order holding tickets of `sets` (one entry per ticket)?

    `held`: the order holds the code already, so its lifetime no longer matters (a code that
    ran out does not leave the orders that took it in time); its ticket counts still do.
    The usage limit is not checked here: taking a use is an atomic step of the store.
    """
    if promo is None or (not promo.active and not held):
        return not_found()
    if not held and not promo.is_live(now):
        return apply_info("the promo code is not valid at this time")
    covered = sum(1 for set_id in sets if promo.covers(set_id))
    if covered == 0:
        return apply_info("no ticket of the order is covered by the promo code")
    if promo.min_tickets is not None and covered < promo.min_tickets:
        return min_tickets_failure(promo.min_tickets)
    return None


def line_discounts(lines: Sequence[tuple[str, Decimal]], promo: PromoCode | None) -> list[Decimal]:
    """Per line `(set_id, price)`, in order: the discount. At most `max_tickets` lines get it."""
    discounts: list[Decimal] = []
    left = promo.max_tickets if promo is not None and promo.max_tickets is not None else None
    for set_id, price in lines:
        if promo is None or not promo.covers(set_id) or left == 0:
            discounts.append(ZERO)
            continue
        discounts.append(promo.discount_for(price))
        if left is not None:
            left -= 1
    return discounts


@dataclass(frozen=True)
class SetValue:
    """One ticket of a set at today's price, with the order's code: `values.sets_values`."""

    price: Decimal
    discount: Decimal
    nominal: Decimal
    promocode_id: str | None


def sets_values(prices: Mapping[str, Decimal], promo: PromoCode | None) -> dict[str, SetValue]:
    """For every set of the event (`{set_id: price}`), what one ticket costs with `promo`."""
    found = {}
    for set_id, price in prices.items():
        applies = promo is not None and promo.covers(set_id)
        discount = promo.discount_for(price) if promo is not None and applies else ZERO
        found[set_id] = SetValue(
            money(price), discount, money(price) - discount, promo.id if promo and applies else None
        )
    return found
