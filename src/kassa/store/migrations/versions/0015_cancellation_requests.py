"""Buyer self-service: the server's generated secret, events whose cancellations need
approval, buyers' cancellation requests

Revision ID: 0015_cancellation_requests
Revises: 0014_cancellation_policies
Create Date: 2026-12-10
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from kassa.store.types import UTCDateTime

revision: str = "0015_cancellation_requests"
down_revision: str | Sequence[str] | None = "0014_cancellation_policies"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "server_secrets",
        sa.Column("name", sa.String(64), primary_key=True),
        sa.Column("value", sa.String(128), nullable=False),
        sa.Column("created_at", UTCDateTime, nullable=False),
    )
    op.create_table(
        "event_self_service",
        sa.Column("event_id", sa.String(24), primary_key=True),
        sa.Column("org_id", sa.String(24), nullable=False),
        sa.Column("needs_approval", sa.Boolean, nullable=False),
        sa.Column("updated_at", UTCDateTime, nullable=False),
    )
    op.create_table(
        "cancellation_requests",
        sa.Column("id", sa.String(24), primary_key=True),
        sa.Column("order_id", sa.String(24), nullable=False),
        sa.Column("org_id", sa.String(24), nullable=False),
        sa.Column("event_id", sa.String(24), nullable=False),
        sa.Column("tickets", sa.JSON, nullable=False),
        sa.Column("comment", sa.String(500)),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("requested_at", UTCDateTime, nullable=False),
        sa.Column("decided_at", UTCDateTime),
        sa.Column("decided_by", sa.String(320)),
        sa.Column("decision_reason", sa.String(500)),
    )
    op.create_index(
        "ix_cancellation_requests_org_status", "cancellation_requests", ["org_id", "status"]
    )
    op.create_index("ix_cancellation_requests_order", "cancellation_requests", ["order_id"])


def downgrade() -> None:
    op.drop_table("cancellation_requests")
    op.drop_table("event_self_service")
    op.drop_table("server_secrets")
