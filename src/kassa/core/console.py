"""What the operator console lists: the orders of the three faces in common words, set
counts and the dashboard's daily points. Plain data the store fills and the console shows."""

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

FACES = ("tickets", "delivery", "loyalty")
# Every face's statuses, in the list's common words.
STAGES: dict[str, dict[str, tuple[str, ...]]] = {
    "open": {
        "tickets": ("executed", "in_progress"),
        "delivery": ("NEW", "ACCEPTED_BY_RESTAURANT", "COOKING", "READY", "TAKEN_BY_COURIER"),
        "loyalty": ("created",),
    },
    "done": {"tickets": ("done",), "delivery": ("DELIVERED",), "loyalty": ("fulfilled",)},
    "cancelled": {"tickets": ("canceled",), "delivery": ("CANCELLED",), "loyalty": ("cancelled",)},
    "expired": {"tickets": ("expired",), "delivery": (), "loyalty": ()},
}


@dataclass(frozen=True)
class OrderFilter:
    org_id: str
    restaurant_id: str | None = None  # an operator narrowed to one restaurant
    shop_id: str | None = None  # or to one loyalty shop
    query: str | None = None  # number, id, e-mail or phone
    face: str | None = None
    stage: str | None = None
    event_id: str | None = None
    since: datetime | None = None
    until: datetime | None = None


@dataclass(frozen=True)
class OrderRow:
    face: str
    id: str
    number: str
    status: str
    created_at: datetime
    buyer: str
    where: str  # event, restaurant or shop


@dataclass(frozen=True)
class SetCounts:
    event_id: str
    set_id: str
    name: str
    price: Decimal
    capacity: int
    vacant: int
    reserved: int
    sold: int
    cancelled: int  # tickets cancelled or refunded out of orders
    offered: int = 0  # held for a waiting list's offer


@dataclass(frozen=True)
class DayPoint:
    day: date
    sales: int
    cancellations: int
