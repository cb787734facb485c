"""The table of whole-event cancellations (one row per job). On the one `metadata` of
`kassa.store.tables`."""

from sqlalchemy import BigInteger, Column, Index, Integer, String, Table

from kassa.store.tables import Id, metadata
from kassa.store.types import UTCDateTime

# A job cancels the live orders of an event (`set_id` null) or of one of its sets. `active`
# is "<event>:<set or *>" while the job is unfinished and null once done: its uniqueness makes
# a second start of the same cancellation find the running job instead of adding one.
event_cancellations = Table(
    "event_cancellations",
    metadata,
    Column("id", Id, primary_key=True),
    Column("org_id", Id, nullable=False),
    Column("event_id", Id, nullable=False),
    Column("set_id", Id),
    Column("active", String(64), unique=True),
    Column("policy", String(16), nullable=False),  # full_refund | event
    Column("reason", String(500), nullable=False),
    Column("status", String(16), nullable=False),  # pending | running | done
    Column("total", Integer, nullable=False, default=0),
    Column("cancelled", Integer, nullable=False, default=0),
    Column("skipped", Integer, nullable=False, default=0),
    Column("failed", Integer, nullable=False, default=0),
    # Where the worker is: the pass (1, 2) and the last order number it finished in it.
    Column("pass_no", Integer, nullable=False, default=1),
    Column("cursor", BigInteger, nullable=False, default=0),
    Column("lease_token", String(32)),
    Column("lease_until", UTCDateTime),
    Column("created_by", String(320), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    Column("finished_at", UTCDateTime),
    Index("ix_event_cancellations_event", "event_id", "created_at"),
    Index("ix_event_cancellations_status", "status"),
)
