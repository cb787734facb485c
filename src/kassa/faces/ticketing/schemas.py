"""Request bodies of the v1 API. Types are strict: a count is an integer, never "1" or 1.5."""

from datetime import UTC, datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    field_validator,
)

from kassa.core.orders import MAX_TICKETS_PER_ORDER

ObjectId = Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{24}$")]
Count = Annotated[int, Field(strict=True, ge=0, le=MAX_TICKETS_PER_ORDER)]
Amount = Annotated[Decimal, Field(ge=0, le=Decimal("9999999999.99"), decimal_places=2)]
Text = Annotated[str, StringConstraints(max_length=1000)]


def in_utc_range(moment: datetime) -> datetime:
    """A moment that has a UTC time: 9999-12-31T23:00-05:00 has none (a ValueError)."""
    try:
        moment.astimezone(UTC)
    except OverflowError:
        raise ValueError("the time must lie between the years 1 and 9999 in UTC") from None
    return moment


Moment = Annotated[AwareDatetime, AfterValidator(in_utc_range)]
Timezone = Annotated[str, StringConstraints(min_length=1, max_length=64)]
# The venues table holds the ISO 3166-1 alpha-2 code; "ru" is taken as "RU".
Country = Annotated[
    str, StringConstraints(pattern=r"^([A-Za-z]{2})?$", to_upper=True, max_length=2)
]


def _flag(value: Any) -> Any:
    """all_or_nothing arrives as a JSON bool or, from some clients, the string "true"."""
    if isinstance(value, str) and value.lower() in ("true", "false", "1", "0"):
        return value.lower() in ("true", "1")
    return value


class _Body(BaseModel):
    model_config = ConfigDict(extra="ignore", str_strip_whitespace=True)


class CustomerV1(_Body):
    lang: Literal["ru", "en"] | None = None
    email: Annotated[str, StringConstraints(max_length=254)] | None = None
    first_name: Annotated[str, StringConstraints(max_length=128)] | None = None
    last_name: Annotated[str, StringConstraints(max_length=128)] | None = None
    mobile: Annotated[str, StringConstraints(max_length=32)] | None = None


class PaymentV1(_Body):
    system: Annotated[str, StringConstraints(max_length=64)] | None = None
    success_url: Annotated[str, StringConstraints(max_length=2048)] | None = None
    failure_url: Annotated[str, StringConstraints(max_length=2048)] | None = None
    redirect_url: Annotated[str, StringConstraints(max_length=2048)] | None = None


class _Reservation(_Body):
    random: dict[ObjectId, Count] | None = None
    tickets: Annotated[list[ObjectId], Field(max_length=MAX_TICKETS_PER_ORDER)] | None = None
    all_or_nothing: bool = False

    _flag = field_validator("all_or_nothing", mode="before")(_flag)


class OrderCreateV1(_Reservation):
    event: ObjectId
    customer: CustomerV1 | None = None
    payment: PaymentV1 | None = None


class OrderPatchV1(_Reservation):
    status: Literal["executed", "in_progress", "done", "canceled", "expired"] | None = None
    customer: CustomerV1 | None = None
    payment: PaymentV1 | None = None


class TitleIn(_Body):
    text: Annotated[str, StringConstraints(min_length=1, max_length=300)]
    desc: Text | None = None


class LifetimeIn(_Body):
    start: Moment
    finish: Moment


class EventCreate(_Body):
    """An event of the caller's organisation (Kassa's organiser API)."""

    title: TitleIn
    lifetime: LifetimeIn
    timezone: Timezone = "UTC"
    status: Literal["draft", "public", "cancelled", "archived"] = "draft"
    venue: ObjectId | None = None
    age_rating: Annotated[int, Field(strict=True, ge=0, le=21)] = 0


class EventPatch(_Body):
    title: TitleIn | None = None
    lifetime: LifetimeIn | None = None
    timezone: Timezone | None = None
    status: Literal["draft", "public", "cancelled", "archived"] | None = None
    venue: ObjectId | None = None
    age_rating: Annotated[int, Field(strict=True, ge=0, le=21)] | None = None


class SetCreate(_Body):
    """A ticket set: `amount` tickets at `price` (the organiser's part; the fee comes on top)."""

    name: Annotated[str, StringConstraints(min_length=1, max_length=200)]
    price: Amount
    amount: Annotated[int, Field(strict=True, ge=0, le=100_000)]
    pos: Annotated[int, Field(strict=True, ge=0, le=10_000)] = 0


class SetPatch(_Body):
    name: Annotated[str, StringConstraints(min_length=1, max_length=200)] | None = None
    price: Amount | None = None
    amount: Annotated[int, Field(strict=True, ge=0, le=100_000)] | None = None
    pos: Annotated[int, Field(strict=True, ge=0, le=10_000)] | None = None


class RuleCreate(_Body):
    """A price for a time window [start, finish); an open end means until the event ends."""

    price: Amount
    start: Moment | None = None
    finish: Moment | None = None


class VenueCreate(_Body):
    name: Annotated[str, StringConstraints(min_length=1, max_length=200)]
    timezone: Timezone = "UTC"
    address: Annotated[str, StringConstraints(max_length=500)] = ""
    city: Annotated[str, StringConstraints(max_length=200)] = ""
    country: Country = ""
