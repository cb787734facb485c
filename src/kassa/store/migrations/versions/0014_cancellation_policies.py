"""cancellation_policies: an event's, restaurant's or shop's terms for unpaid and paid orders

Revision ID: 0014_cancellation_policies
Revises: 0013_v1_refunds_visitors
Create Date: 2026-11-30
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from kassa.store.types import ExactDecimal, UTCDateTime

revision: str = "0014_cancellation_policies"
down_revision: str | Sequence[str] | None = "0013_v1_refunds_visitors"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "cancellation_policies",
        sa.Column("scope", sa.String(16), primary_key=True),
        sa.Column("scope_id", sa.String(64), primary_key=True),
        sa.Column("terms", sa.String(8), primary_key=True),
        sa.Column("org_id", sa.String(24), nullable=False),
        sa.Column("allowed", sa.Boolean, nullable=False),
        sa.Column("deadline_hours", sa.Integer),
        sa.Column("fixed_fee", ExactDecimal(14, 2), nullable=False),
        sa.Column("percent", ExactDecimal(7, 4), nullable=False),
        sa.Column("per_ticket", ExactDecimal(14, 2), nullable=False),
        sa.Column("keep_service_fee", sa.Boolean, nullable=False),
        sa.Column("updated_at", UTCDateTime, nullable=False),
        sa.Column("updated_by", sa.String(320), nullable=False),
    )
    op.create_index("ix_cancellation_policies_org", "cancellation_policies", ["org_id"])


def downgrade() -> None:
    op.drop_index("ix_cancellation_policies_org", table_name="cancellation_policies")
    op.drop_table("cancellation_policies")
