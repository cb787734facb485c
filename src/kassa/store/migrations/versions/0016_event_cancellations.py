"""Whole-event cancellations: one row per job, with its counters and the worker's lease

Revision ID: 0016_event_cancellations
Revises: 0015_cancellation_requests
Create Date: 2026-11-30
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from kassa.store.types import UTCDateTime

revision: str = "0016_event_cancellations"
down_revision: str | Sequence[str] | None = "0015_cancellation_requests"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "event_cancellations",
        sa.Column("id", sa.String(24), nullable=False),
        sa.Column("org_id", sa.String(24), nullable=False),
        sa.Column("event_id", sa.String(24), nullable=False),
        sa.Column("set_id", sa.String(24)),
        sa.Column("active", sa.String(64)),
        sa.Column("policy", sa.String(16), nullable=False),
        sa.Column("reason", sa.String(500), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("total", sa.Integer, nullable=False),
        sa.Column("cancelled", sa.Integer, nullable=False),
        sa.Column("skipped", sa.Integer, nullable=False),
        sa.Column("failed", sa.Integer, nullable=False),
        sa.Column("pass_no", sa.Integer, nullable=False),
        sa.Column("cursor", sa.BigInteger, nullable=False),
        sa.Column("lease_token", sa.String(32)),
        sa.Column("lease_until", UTCDateTime),
        sa.Column("created_by", sa.String(320), nullable=False),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.Column("updated_at", UTCDateTime, nullable=False),
        sa.Column("finished_at", UTCDateTime),
        sa.PrimaryKeyConstraint("id", name="pk_event_cancellations"),
        sa.UniqueConstraint("active", name="uq_event_cancellations_active"),
    )
    op.create_index(
        "ix_event_cancellations_event", "event_cancellations", ["event_id", "created_at"]
    )
    op.create_index("ix_event_cancellations_status", "event_cancellations", ["status"])


def downgrade() -> None:
    op.drop_table("event_cancellations")
