"""What a ticket and an order cost: price, discount, nominal, extra (service fee), full.

nominal = price - discount (the organiser's part); full = nominal + extra.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from kassa.core.money import ZERO, money, percent_of


@dataclass(frozen=True)
class FeePolicy:
    """An organisation's service fee: a percent of nominal and/or a fixed amount per ticket."""

    percent: Decimal = ZERO
    fixed: Decimal = ZERO

    def extra_for(self, nominal: Decimal) -> Decimal:
        """The fee on one ticket; a free ticket carries no fee."""
        if nominal <= 0:
            return ZERO
        return money(percent_of(nominal, self.percent) + self.fixed)


@dataclass(frozen=True)
class TicketValues:
    price: Decimal
    discount: Decimal
    nominal: Decimal
    extra: Decimal
    full: Decimal


def ticket_values(price: Decimal, fee: FeePolicy, discount: Decimal = ZERO) -> TicketValues:
    """Values of one ticket at `price`, less `discount` (never below zero), plus the fee."""
    price = money(price)
    discount = min(money(discount), price)
    nominal = price - discount
    extra = fee.extra_for(nominal)
    return TicketValues(price, discount, nominal, extra, nominal + extra)


@dataclass(frozen=True)
class SetValues:
    set_id: str
    count: int
    price: Decimal
    discount: Decimal
    nominal: Decimal


@dataclass(frozen=True)
class OrderValues:
    price: Decimal
    discount: Decimal
    nominal: Decimal
    extra: Decimal
    full: Decimal
    sets: tuple[SetValues, ...]


def order_values(lines: Iterable[tuple[str, TicketValues]]) -> OrderValues:
    """Sum the tickets of an order, in total and per set (sets in first-seen order)."""
    grouped: dict[str, list[TicketValues]] = {}
    for set_id, values in lines:
        grouped.setdefault(set_id, []).append(values)
    every = [values for group in grouped.values() for values in group]
    sets = tuple(
        SetValues(
            set_id,
            len(group),
            _total(group, "price"),
            _total(group, "discount"),
            _total(group, "nominal"),
        )
        for set_id, group in grouped.items()
    )
    return OrderValues(
        price=_total(every, "price"),
        discount=_total(every, "discount"),
        nominal=_total(every, "nominal"),
        extra=_total(every, "extra"),
        full=_total(every, "full"),
        sets=sets,
    )


def _total(values: Iterable[TicketValues], name: str) -> Decimal:
    return sum((getattr(v, name) for v in values), ZERO)
