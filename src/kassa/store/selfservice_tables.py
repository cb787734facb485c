"""Tables of buyer self-service: the server's generated secret, the events whose cancellations
need an operator's approval, and buyers' cancellation requests. On the one `metadata` of
`kassa.store.tables`."""

from sqlalchemy import JSON, Boolean, Column, Index, String, Table

from kassa.store.tables import Id, metadata
from kassa.store.types import UTCDateTime

# Secrets Kassa generates itself on first use (when no KASSA_SECRET_KEY is set), so every
# server process and worker on the database signs with the same one. The first insert wins.
server_secrets = Table(
    "server_secrets",
    metadata,
    Column("name", String(64), primary_key=True),
    Column("value", String(128), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
)

# An event's self-service rule; no row: buyers cancel themselves.
event_self_service = Table(
    "event_self_service",
    metadata,
    Column("event_id", Id, primary_key=True),
    Column("org_id", Id, nullable=False),
    Column("needs_approval", Boolean, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
)

# A buyer's request to cancel (the whole order when `tickets` is empty), decided once.
cancellation_requests = Table(
    "cancellation_requests",
    metadata,
    Column("id", Id, primary_key=True),
    Column("order_id", Id, nullable=False),
    Column("org_id", Id, nullable=False),
    Column("event_id", Id, nullable=False),
    Column("tickets", JSON, nullable=False),
    Column("comment", String(500)),
    Column("status", String(16), nullable=False),  # pending | approved | declined
    Column("requested_at", UTCDateTime, nullable=False),
    Column("decided_at", UTCDateTime),
    Column("decided_by", String(320)),
    Column("decision_reason", String(500)),
    Index("ix_cancellation_requests_org_status", "org_id", "status"),
    Index("ix_cancellation_requests_org_requested", "org_id", "requested_at", "id"),  # decided
    Index("ix_cancellation_requests_order", "order_id"),
)
