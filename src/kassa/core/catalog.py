"""Events, ticket sets and the price rules that decide a ticket's price at a moment."""

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from enum import StrEnum

from kassa.core.errors import CatalogInvalid, EventNotOnSale, SetNotOnSale


class EventStatus(StrEnum):
    DRAFT = "draft"
    PUBLIC = "public"
    CANCELLED = "cancelled"
    ARCHIVED = "archived"


class TicketStatus(StrEnum):
    VACANT = "vacant"
    RESERVED = "reserved"
    SOLD = "sold"


@dataclass(frozen=True)
class PriceRule:
    """The price of a set within a time window; an open bound means always."""

    id: str
    set_id: str
    price: Decimal
    starts_at: datetime | None = None
    ends_at: datetime | None = None

    def covers(self, now: datetime) -> bool:
        """True when `now` falls within [starts_at, ends_at)."""
        after_start = self.starts_at is None or self.starts_at <= now
        before_end = self.ends_at is None or now < self.ends_at
        return after_start and before_end

    @property
    def is_windowed(self) -> bool:
        return self.starts_at is not None or self.ends_at is not None


@dataclass(frozen=True)
class TicketSet:
    id: str
    event_id: str
    name: str
    price: Decimal
    capacity: int
    serial: str
    with_seats: bool = False
    position: int = 0
    rules: tuple[PriceRule, ...] = field(default_factory=tuple)

    def rule_at(self, now: datetime) -> PriceRule:
        """The rule in force at `now`: a windowed rule beats the open one; latest start wins."""
        covering = [rule for rule in self.rules if rule.covers(now)]
        if not covering:
            raise SetNotOnSale(f"Set {self.id} has no price at this moment", set=self.id)
        return max(covering, key=_rule_precedence)


def _rule_precedence(rule: PriceRule) -> tuple[bool, float]:
    return (rule.is_windowed, rule.starts_at.timestamp() if rule.starts_at else float("-inf"))


@dataclass(frozen=True)
class Venue:
    """Where events take place."""

    id: str
    org_id: str
    name: str
    address: str
    city: str
    country: str
    timezone: str


@dataclass(frozen=True)
class TicketRow:
    """One ticket of a set, as the catalogue lists it."""

    id: str
    set_id: str
    serial: str
    number: int
    status: TicketStatus
    order_id: str | None
    seat_sector: str | None
    seat_row: int | None
    seat_number: int | None
    reserved_till: datetime | None = None


@dataclass(frozen=True)
class Event:
    id: str
    org_id: str
    title: str
    description: str | None
    starts_at: datetime
    ends_at: datetime
    timezone: str
    status: EventStatus
    venue_id: str | None = None
    age_rating: int = 0

    def ensure_on_sale(self, now: datetime) -> None:
        """Tickets of an event sell only while it is public and not over."""
        if self.status != EventStatus.PUBLIC:
            raise EventNotOnSale(f"Event {self.id} is not on sale", event=self.id)
        if now >= self.ends_at:
            raise EventNotOnSale(f"Event {self.id} is over", event=self.id)


def validate_lifetime(starts_at: datetime, ends_at: datetime) -> None:
    """An event or rule window must start before it finishes."""
    if starts_at.tzinfo is None or ends_at.tzinfo is None:
        raise CatalogInvalid("times must carry a timezone offset")
    if starts_at >= ends_at:
        raise CatalogInvalid("lifetime start must be before finish")


MAX_PRICE = Decimal("9999999999.99")  # what the price columns hold


def validate_price(price: Decimal) -> None:
    """A price is a non-negative amount the price columns can hold."""
    if not price.is_finite():
        raise CatalogInvalid("price must be an amount")
    if price < 0:
        raise CatalogInvalid("price must not be negative")
    if price > MAX_PRICE:
        raise CatalogInvalid(f"price must be at most {MAX_PRICE}")


def validate_capacity(capacity: int, *, sold_or_held: int = 0) -> None:
    """A set holds at least the tickets already reserved or sold, and a sane maximum."""
    if capacity < 0 or capacity > 100_000:
        raise CatalogInvalid("capacity must be between 0 and 100000")
    if capacity < sold_or_held:
        raise CatalogInvalid(
            f"capacity {capacity} is below the {sold_or_held} tickets already reserved or sold"
        )
