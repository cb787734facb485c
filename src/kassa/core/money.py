"""Money is Decimal with two places and half-up rounding, end to end."""

from collections.abc import Sequence
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

CENT = Decimal("0.01")
ZERO = Decimal("0.00")
MAX_AMOUNT = Decimal("9999999999.99")


def money(value: Decimal | int | str) -> Decimal:
    """Quantize an amount to cents, half-up; reject NaN, infinities and floats."""
    if type(value) is Decimal:  # the usual case: no copy to make
        amount = value
    elif isinstance(value, float):
        raise TypeError("money is never a float")
    else:
        try:
            amount = Decimal(value)
        except InvalidOperation as exc:
            raise ValueError(f"not an amount: {value!r}") from exc
    if not amount.is_finite():
        raise ValueError(f"not an amount: {value!r}")
    try:
        return amount.quantize(CENT, rounding=ROUND_HALF_UP)
    except InvalidOperation as exc:  # too many digits to hold in cents
        raise ValueError(f"not an amount: {value!r}") from exc


def percent_of(amount: Decimal, percent: Decimal) -> Decimal:
    """`percent` % of `amount`, rounded to cents half-up."""
    return money(amount * percent / Decimal(100))


def render(amount: Decimal) -> str:
    """The wire form: a decimal string with exactly two places, e.g. "150.00"."""
    return str(money(amount))  # two places always: the exponent of a cent


def allocate(amount: Decimal, caps: Sequence[Decimal]) -> list[Decimal]:
    """Split `amount` over items in proportion to `caps`, never over a cap, exact in cents."""
    amount = min(money(amount), sum(caps, ZERO))
    total = sum(caps, ZERO)
    if amount <= 0 or total <= 0:
        return [ZERO for _ in caps]
    cents = int(amount * 100)
    raw = [cap * 100 * amount / total for cap in caps]
    shares = [int(r) for r in raw]
    order = sorted(range(len(caps)), key=lambda i: raw[i] - shares[i], reverse=True)
    short = cents - sum(shares)
    for i in order:
        if short <= 0:
            break
        if shares[i] < int(caps[i] * 100):
            shares[i] += 1
            short -= 1
    return [Decimal(s) / 100 for s in shares]
