"""Request bodies of the v2 API. Unknown actions are refused (`extra="forbid"`)."""

from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StrictBool,
    StrictInt,
    StringConstraints,
    field_validator,
)

from kassa.core.orders import MAX_TICKETS_PER_ORDER
from kassa.faces.ticketing.schemas import Count, ObjectId, _flag

EMAIL_PATTERN = r"^[^@\s]+@[^@\s]+\.[^@\s]+$"
PAGE_SIZE_MAX = 200

RawKey = Annotated[str, StringConstraints(min_length=1, max_length=40)]
# The docs say every raw value is a string of at most 128 characters, and their own example
# sends a bool and an int; Kassa takes short strings and those scalars, nothing nested.
RawValue = (
    Annotated[str, StringConstraints(max_length=128)]
    | StrictBool
    | Annotated[StrictInt, Field(ge=-(2**63), lt=2**63)]
)


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class CustomerV2(_Body):
    name: Annotated[str, StringConstraints(max_length=256)] | None = None
    email: Annotated[str, StringConstraints(max_length=254, pattern=EMAIL_PATTERN)] | None = None
    phone: Annotated[str, StringConstraints(max_length=32)] | None = None
    lang: Literal["en", "ru"] | None = None


class SettingsV2(_Body):
    """Every field of the documented `settings` (ticketing.md 1.4), so that an answer's
    `settings` can be sent back as it came; each is kept with the order and returned."""

    customer: CustomerV2 | None = None
    invitation: StrictBool | None = None
    send_tickets: StrictBool | None = None
    courier: StrictBool | None = None
    subscribe_agree: StrictBool | None = None


class VendorDataV2(_Body):
    order_id: Annotated[str, StringConstraints(max_length=64)] | None = None
    raw: Annotated[dict[RawKey, RawValue], Field(max_length=20)] | None = None


Promocodes = Annotated[
    list[Annotated[str, StringConstraints(min_length=1, max_length=64)]], Field(max_length=10)
]


class _Order(_Body):
    random: dict[ObjectId, Count] | None = None
    tickets: Annotated[list[ObjectId], Field(max_length=MAX_TICKETS_PER_ORDER)] | None = None
    all_or_nothing: bool = False
    settings: SettingsV2 | None = None
    vendor_data: VendorDataV2 | None = None
    promocodes: Promocodes | None = None
    # Present only to answer with the documented message; it can never be set.
    expired_after: Any = None

    _flag = field_validator("all_or_nothing", mode="before")(_flag)


class OrderCreateV2(_Order):
    event: ObjectId


class OrderPatchV2(_Order):
    status: Literal["done", "cancelled"] | None = None


class ExportV2(_Body):
    email: Annotated[str, StringConstraints(max_length=254, pattern=EMAIL_PATTERN)]
    created_at: str | None = None
    status: str | None = None
    events: str | None = None
    only_with_customer: bool | None = None
