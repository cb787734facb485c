"""The waiting list of sold-out ticket sets, on the one `metadata` of `kassa.store.tables`.

Tickets offered to an entry stay in `tickets` with status `offered` (no order): the sale's
claim takes `vacant` rows only, so nobody else can take them. The entry lists them."""

from sqlalchemy import JSON, Column, ForeignKey, Index, Integer, String, Table

from kassa.store.tables import Id, metadata, partial
from kassa.store.types import UTCDateTime

waiting_list = Table(
    "waiting_list",
    metadata,
    Column("id", Id, primary_key=True),
    Column("org_id", Id, nullable=False),
    Column("event_id", Id, nullable=False),
    Column("set_id", Id, ForeignKey("ticket_sets.id"), nullable=False),
    Column("vendor_id", Id, nullable=False),  # the organisation or the partner who added them
    Column("email", String(254), nullable=False),  # lowercased
    Column("name", String(200)),
    Column("quantity", Integer, nullable=False),
    Column("status", String(16), nullable=False),  # waiting|offered|taken|passed|left|closed
    Column("hold_seconds", Integer, nullable=False),  # how long an offer to them is held
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    Column("offered_at", UTCDateTime),
    Column("offer_expires_at", UTCDateTime),
    Column("tickets", JSON, nullable=False),  # the ticket ids held while offered
    Column("order_id", Id),  # the order made when the offer was taken
    # The line of a set, in joining order (released tickets look up the live ones).
    Index("ix_waiting_list_set", "set_id", "status", "created_at"),
    Index("ix_waiting_list_event", "event_id"),
    # The worker's scan for offers whose hold ran out.
    partial("ix_waiting_list_offers", "offer_expires_at", where="status = 'offered'"),
    # One live entry per e-mail and set.
    partial(
        "uq_waiting_list_live_email",
        "set_id",
        "email",
        where="status IN ('waiting', 'offered')",
        unique=True,
    ),
)
