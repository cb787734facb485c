"""Delivery orders (the Yandex Eats partner API, Kassa as the restaurant): the status machine,
the eatsId format, and pricing a basket against the menu. No I/O.

Status: NEW -> ACCEPTED_BY_RESTAURANT -> COOKING -> READY -> TAKEN_BY_COURIER -> DELIVERED;
CANCELLED from any status but DELIVERED; never backwards. The restaurant moves the first
steps (Kassa's API), the aggregator pushes TAKEN_BY_COURIER, DELIVERED and CANCELLED.

Cancelling: before TAKEN_BY_COURIER the held stock comes back (the dishes were not handed
over; cooked ones are written off by the kitchen, not by Kassa). After TAKEN_BY_COURIER a
cancel is accepted (the aggregator's decision stands) but the stock stays consumed: the food
left the restaurant. A DELIVERED order cannot be cancelled.
"""

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

from kassa.core.errors import (
    CommentTooLong,
    DeliveryRequestInvalid,
    DeliveryStatusNotAllowed,
    EatsIdInvalid,
    MenuItemUnknown,
)
from kassa.core.money import ZERO, money

EATS_ID = re.compile(r"^\d{6}-\d{7,8}$")
MAX_COMMENT = 500
REASONS = frozenset(
    {
        "place.unable_to_call",
        "place.missing_dish",
        "place.closed_early",
        "place.technical_problem",
        "place.busy_period",
        "place.some_other_reason",
        "place.integration_failed",
        "place.late",
        "place.high_load",
        "client.does_not_want_to_wait",
        "client.refused_order_changes",
        "service.integration_failed",
        "other",
    }
)


class Status(StrEnum):
    NEW = "NEW"
    ACCEPTED = "ACCEPTED_BY_RESTAURANT"
    COOKING = "COOKING"
    READY = "READY"
    TAKEN = "TAKEN_BY_COURIER"
    DELIVERED = "DELIVERED"
    CANCELLED = "CANCELLED"


FLOW = (Status.NEW, Status.ACCEPTED, Status.COOKING, Status.READY, Status.TAKEN, Status.DELIVERED)
# The restaurant's own steps: the orders in the kitchen (the console's kitchen board).
KITCHEN = FLOW[:4]
BY_RESTAURANT = frozenset({Status.ACCEPTED, Status.COOKING, Status.READY})
BY_AGGREGATOR = frozenset({Status.TAKEN, Status.DELIVERED, Status.CANCELLED})
FINAL = frozenset({Status.DELIVERED, Status.CANCELLED})
CONTENTS_FINAL = frozenset({Status.TAKEN, Status.DELIVERED, Status.CANCELLED})


def ensure_move(current: Status, target: Status) -> None:
    """Forward along the flow (steps may be skipped), or to CANCELLED; never back."""
    if current in FINAL:
        raise DeliveryStatusNotAllowed(f"Order is {current}: no further status")
    if target is Status.CANCELLED:
        return
    if FLOW.index(target) <= FLOW.index(current):
        raise DeliveryStatusNotAllowed(f"Status cannot go from {current} to {target}")


def returns_stock(status_before_cancel: Status) -> bool:
    """A cancel gives the stock back unless the courier already took the food."""
    return FLOW.index(status_before_cancel) < FLOW.index(Status.TAKEN)


def validate_eats_id(eats_id: object) -> str:
    if not isinstance(eats_id, str) or not EATS_ID.match(eats_id):
        raise EatsIdInvalid("eatsId must look like DDDDDD-DDDDDDDD (or DDDDDD-DDDDDDD)")
    return eats_id


def validate_comment(comment: object) -> str | None:
    if comment is None:
        return None
    if not isinstance(comment, str):
        raise DeliveryRequestInvalid("comment must be a string")
    if len(comment) > MAX_COMMENT:
        raise CommentTooLong(f"comment is longer than {MAX_COMMENT}")
    return comment


@dataclass(frozen=True)
class MenuItem:
    id: str
    restaurant_id: str
    name: str
    category: str
    price: Decimal
    stock: Decimal | None  # None: not counted


@dataclass(frozen=True)
class Wanted:
    """A line of the aggregator's basket."""

    item_id: str
    quantity: Decimal
    modifications_cost: Decimal = ZERO  # per unit


@dataclass(frozen=True)
class Line:
    item_id: str
    name: str
    quantity: Decimal
    price: Decimal  # per unit, the menu's price plus modifications
    held: bool  # stock was taken for it

    @property
    def id(self) -> str:
        """The menu item's id, the name the wire and the console's templates use."""
        return self.item_id

    @property
    def total(self) -> Decimal:
        return money(self.price * self.quantity)


def check_basket(wanted: Sequence[Wanted], menu: Mapping[str, MenuItem]) -> None:
    if not wanted:
        raise DeliveryRequestInvalid("items must not be empty")
    seen: set[str] = set()
    for line in wanted:
        if line.item_id not in menu:
            raise MenuItemUnknown(f"Item {line.item_id} is not on the menu")
        if line.quantity <= 0:
            raise DeliveryRequestInvalid(f"quantity of {line.item_id} must be > 0")
        if line.item_id in seen:
            raise DeliveryRequestInvalid(f"item {line.item_id} is listed twice")
        seen.add(line.item_id)


def items_cost(lines: Sequence[Line]) -> Decimal:
    return sum((line.total for line in lines), ZERO)


@dataclass(frozen=True)
class Client:
    """An aggregator's credentials for one organisation."""

    client_id: str
    org_id: str
    secret_hash: str


@dataclass(frozen=True)
class Restaurant:
    id: str
    org_id: str
    title: str
    address: str
    shop_id: str | None  # the loyalty shop a delivered order earns in


@dataclass(frozen=True)
class DeliveryOrder:
    """The aggregator's order as the restaurant accepted it: its lines (with the stock held
    for them), the lines dropped for want of stock, and the status."""

    id: str
    org_id: str
    restaurant_id: str
    eats_id: str
    discriminator: str
    status: Status
    request: dict[str, Any]  # the aggregator's order as last sent
    lines: tuple[Line, ...]
    dropped: list[dict[str, Any]]  # {id, name, quantity, reason}
    status_comment: str | None
    status_reason: str | None
    courier: dict[str, Any] | None
    created_at: datetime
    updated_at: datetime

    def total(self) -> Decimal:
        """What the accepted lines cost, each line rounded."""
        return items_cost(self.lines)

    @property
    def held_lines(self) -> tuple[Line, ...]:
        """The lines stock was taken for (what a release gives back)."""
        return tuple(line for line in self.lines if line.held)

    def quantities(self) -> dict[str, Decimal]:
        return {line.item_id: line.quantity for line in self.lines}

    def name_of(self, item_id: str) -> str:
        return next((x.name for x in self.lines if x.item_id == item_id), item_id)

    def price_of(self, items: Mapping[str, Decimal]) -> Decimal:
        """What these quantities of the order's items cost, the sum rounded once."""
        prices = {line.item_id: line.price for line in self.lines}
        return money(sum((prices[i] * q for i, q in items.items()), ZERO))

    def ensure_contents_open(self) -> None:
        """The lines may change until the courier takes the food."""
        if self.status in CONTENTS_FINAL:
            raise DeliveryStatusNotAllowed(f"Order is {self.status}: contents are final")

    def take_out(self, items: Mapping[str, Decimal]) -> tuple[Line, ...]:
        """The lines with these quantities taken out; refused unless each is there and
        something is left (taking out everything is a cancel of the whole order)."""
        have = self.quantities()
        for item_id, quantity in items.items():
            if quantity <= 0 or quantity > have.get(item_id, ZERO):
                raise DeliveryRequestInvalid(
                    f"cannot cancel {quantity} of {item_id}: the order has {have.get(item_id, 0)}",
                )
        left = tuple(
            replace(line, quantity=line.quantity - items.get(line.item_id, ZERO))
            for line in self.lines
            if line.quantity - items.get(line.item_id, ZERO) > 0
        )
        if not left:
            raise DeliveryRequestInvalid("that is every item: cancel the whole order")
        return left

    def moved(self, target: Status, comment: str | None, now: datetime) -> "DeliveryOrder":
        """The order at a later status (see ensure_move)."""
        ensure_move(self.status, target)
        return replace(self, status=target, status_comment=comment, updated_at=now)


def has_something_to_sell(menu: Iterable[MenuItem]) -> bool:
    """A restaurant is switched on while a dish is not counted or still in stock."""
    return any(item.stock is None or item.stock > 0 for item in menu)
