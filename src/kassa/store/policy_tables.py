"""Tables of cancellation policies (one row per owner and terms: unpaid, paid). On the one
`metadata` of `kassa.store.tables`."""

from sqlalchemy import Boolean, Column, Index, Integer, String, Table

from kassa.store.tables import Id, metadata
from kassa.store.types import ExactDecimal, UTCDateTime

# The owner is an event, a restaurant or a loyalty shop (`scope`), of organisation `org_id`.
cancellation_policies = Table(
    "cancellation_policies",
    metadata,
    Column("scope", String(16), primary_key=True),
    Column("scope_id", String(64), primary_key=True),
    Column("terms", String(8), primary_key=True),  # unpaid | paid
    Column("org_id", Id, nullable=False),
    Column("allowed", Boolean, nullable=False),
    Column("deadline_hours", Integer),
    Column("fixed_fee", ExactDecimal(14, 2), nullable=False),
    Column("percent", ExactDecimal(7, 4), nullable=False),
    Column("per_ticket", ExactDecimal(14, 2), nullable=False),
    Column("keep_service_fee", Boolean, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    Column("updated_by", String(320), nullable=False),
    Index("ix_cancellation_policies_org", "org_id"),
)
