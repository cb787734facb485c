"""Tables of the ticketing face's side services: the visitors' names a Mosbilet venue needs
(`PUT /v2/services/orders/mosbilet/user_data`). On the one `metadata` of
`kassa.store.tables`."""

from sqlalchemy import Column, Integer, String, Table

from kassa.store.tables import Id, metadata
from kassa.store.types import UTCDateTime

# One row per visitor, in the order sent; a second PUT replaces the order's whole list.
order_visitors = Table(
    "order_visitors",
    metadata,
    Column("order_id", Id, primary_key=True),
    Column("position", Integer, primary_key=True),
    Column("ticket_id", Id, nullable=False),
    Column("user_id", String(128), nullable=False),
    Column("name", String(200), nullable=False),
    Column("surname", String(200), nullable=False),
    Column("middle_name", String(200)),
    Column("created_at", UTCDateTime, nullable=False),
)
