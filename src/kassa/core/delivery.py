"""Delivery orders (the Yandex Eats partner API, Kassa as the restaurant): the status machine,
the eatsId format, the error codes, and pricing a basket against the menu. No I/O.

Status: NEW -> ACCEPTED_BY_RESTAURANT -> COOKING -> READY -> TAKEN_BY_COURIER -> DELIVERED;
CANCELLED from any status but DELIVERED; never backwards. The restaurant moves the first
steps (Kassa's API), the aggregator pushes TAKEN_BY_COURIER, DELIVERED and CANCELLED.

Cancelling: before TAKEN_BY_COURIER the held stock comes back (the dishes were not handed
over; cooked ones are written off by the kitchen, not by Kassa). After TAKEN_BY_COURIER a
cancel is accepted (the aggregator's decision stands) but the stock stays consumed: the food
left the restaurant. A DELIVERED order cannot be cancelled.
"""

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from enum import IntEnum, StrEnum

from kassa.core.errors import ErrorKind, KassaError
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


class Code(IntEnum):
    """Kassa's integer error codes for the delivery face (README lists them)."""

    BAD_REQUEST = 100
    EATS_ID_INVALID = 101
    EATS_ID_MISMATCH = 102
    COMMENT_TOO_LONG = 103
    RESTAURANT_UNKNOWN = 104
    ITEM_UNKNOWN = 105
    STATUS_NOT_ALLOWED = 106
    DUPLICATE_DIFFERENT = 107
    ORDER_BUSY = 108
    REASON_UNKNOWN = 109
    CLIENT_INVALID = 110
    ORDER_NOT_FOUND = 404
    INTERNAL = 500


class DeliveryError(KassaError):
    """An error of the delivery face: `[{"code": <int>, "description": ...}]`."""

    code = "delivery_error"

    def __init__(self, number: Code, message: str, *, kind: ErrorKind = ErrorKind.INVALID) -> None:
        super().__init__(message, number=int(number))
        self.number = number
        self.kind = kind


class Status(StrEnum):
    NEW = "NEW"
    ACCEPTED = "ACCEPTED_BY_RESTAURANT"
    COOKING = "COOKING"
    READY = "READY"
    TAKEN = "TAKEN_BY_COURIER"
    DELIVERED = "DELIVERED"
    CANCELLED = "CANCELLED"


FLOW = (Status.NEW, Status.ACCEPTED, Status.COOKING, Status.READY, Status.TAKEN, Status.DELIVERED)
BY_RESTAURANT = frozenset({Status.ACCEPTED, Status.COOKING, Status.READY})
BY_AGGREGATOR = frozenset({Status.TAKEN, Status.DELIVERED, Status.CANCELLED})
FINAL = frozenset({Status.DELIVERED, Status.CANCELLED})


def ensure_move(current: Status, target: Status) -> None:
    """Forward along the flow (steps may be skipped), or to CANCELLED; never back."""
    if current in FINAL:
        raise DeliveryError(Code.STATUS_NOT_ALLOWED, f"Order is {current}: no further status")
    if target is Status.CANCELLED:
        return
    if FLOW.index(target) <= FLOW.index(current):
        raise DeliveryError(Code.STATUS_NOT_ALLOWED, f"Status cannot go from {current} to {target}")


def returns_stock(status_before_cancel: Status) -> bool:
    """A cancel gives the stock back unless the courier already took the food."""
    return FLOW.index(status_before_cancel) < FLOW.index(Status.TAKEN)


def validate_eats_id(eats_id: object) -> str:
    if not isinstance(eats_id, str) or not EATS_ID.match(eats_id):
        raise DeliveryError(
            Code.EATS_ID_INVALID, "eatsId must look like DDDDDD-DDDDDDDD (or DDDDDD-DDDDDDD)"
        )
    return eats_id


def validate_comment(comment: object) -> str | None:
    if comment is None:
        return None
    if not isinstance(comment, str):
        raise DeliveryError(Code.BAD_REQUEST, "comment must be a string")
    if len(comment) > MAX_COMMENT:
        raise DeliveryError(Code.COMMENT_TOO_LONG, f"comment is longer than {MAX_COMMENT}")
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
    def total(self) -> Decimal:
        return money(self.price * self.quantity)


def check_basket(wanted: Sequence[Wanted], menu: Mapping[str, MenuItem]) -> None:
    if not wanted:
        raise DeliveryError(Code.BAD_REQUEST, "items must not be empty")
    seen: set[str] = set()
    for line in wanted:
        if line.item_id not in menu:
            raise DeliveryError(Code.ITEM_UNKNOWN, f"Item {line.item_id} is not on the menu")
        if line.quantity <= 0:
            raise DeliveryError(Code.BAD_REQUEST, f"quantity of {line.item_id} must be > 0")
        if line.item_id in seen:
            raise DeliveryError(Code.BAD_REQUEST, f"item {line.item_id} is listed twice")
        seen.add(line.item_id)


def items_cost(lines: Sequence[Line]) -> Decimal:
    return sum((line.total for line in lines), ZERO)
