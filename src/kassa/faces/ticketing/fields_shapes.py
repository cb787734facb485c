"""The keys of each v1 object as `wire` renders it, for checking a `fields-schema`.

A key added to a wire object must be added here too (tests/api/test_fields_schema.py
compares both). References Kassa can expand name their kind; the others take no sub-schema.
"""

from kassa.faces.ticketing.fields_schema import SCALAR, Kind, Obj, Ref


def _scalars(*names: str, **others: Kind) -> Obj:
    return Obj({**dict.fromkeys(names, SCALAR), **others})


FREE = Obj()  # customer, payment, rules, media: their keys vary
NOT_EXPANDED = Ref(None)

SEAT = _scalars("number", "row", "sector")
RULE = _scalars("id", "cal", "current", "price", "price_extra", "price_org")
SET = _scalars(
    "id",
    "amount",
    "amount_vacant",
    "name",
    "pos",
    "price",
    "price_extra",
    "price_org",
    "seats",
    "sector",
    rules=RULE,
)
VENUE = _scalars(
    "id", "address", "country", "desc", "name", city=_scalars("name", "timezone"), point=FREE
)
ORG = _scalars("id", "desc", "name", "tags", contact=FREE, media=FREE)
EVENT = _scalars(
    "id",
    "age_rating",
    "created_at",
    "lifetime",
    "map",
    "status",
    "tags",
    "ticket_template",
    "tickets_amount",
    "tickets_amount_vacant",
    "timezone",
    "updated_at",
    deal=NOT_EXPANDED,
    media=FREE,
    org=ORG,
    partner=NOT_EXPANDED,
    sets=SET,
    title=_scalars("desc", "text"),
    venue=VENUE,
)
ORDER_TICKET = _scalars(
    "id", "barcode", "number", "serial", "price", seat=SEAT, set=Ref("set", SET)
)
EVENT_TICKET = _scalars(
    "id", "number", "reserved_till", "serial", "status", seat=SEAT, set=Ref("set", SET)
)
ORDER = _scalars(
    "id",
    "created_at",
    "number",
    "reserved_till",
    "status",
    "updated_at",
    "value",
    "value_extra",
    customer=FREE,
    deal=NOT_EXPANDED,
    event=Ref("event", EVENT),
    org=NOT_EXPANDED,
    payment=FREE,
    promocodes=NOT_EXPANDED,
    rules=FREE,
    tickets=Ref("ticket", ORDER_TICKET),
    values=_scalars("extra", "full", "nominal", "discount", sets=_scalars("id", "p", "d", "ps")),
    vendor=NOT_EXPANDED,
)
PROMOCODE = _scalars(
    "id",
    "active",
    "code",
    "limit",
    "used",
    "viral",
    discount=FREE,
    event=Ref("event", EVENT),
    lifetime=_scalars("finish", "start"),
    sets=Ref("set", SET),
    tickets_count=_scalars("max", "min"),
)
DEAL = _scalars(
    "id",
    "created_at",
    "status",
    "reversed_deal",
    "updated_at",
    event=Ref("event", EVENT),
    obj=NOT_EXPANDED,
    subj=NOT_EXPANDED,
    term=_scalars("core", "extra", "org", "pfc"),
)
