"""v1 refund requests keep the tickets the caller said stay; Mosbilet visitors' names

Revision ID: 0013_v1_refunds_visitors
Revises: 0012_audit_request_id
Create Date: 2026-12-01
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from kassa.store.types import UTCDateTime

revision: str = "0013_v1_refunds_visitors"
down_revision: str | Sequence[str] | None = "0012_audit_request_id"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("refund_requests") as batch:
        batch.add_column(sa.Column("kept", sa.JSON))
    op.create_table(
        "order_visitors",
        sa.Column("order_id", sa.String(24), primary_key=True),
        sa.Column("position", sa.Integer, primary_key=True),
        sa.Column("ticket_id", sa.String(24), nullable=False),
        sa.Column("user_id", sa.String(128), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("surname", sa.String(200), nullable=False),
        sa.Column("middle_name", sa.String(200)),
        sa.Column("created_at", UTCDateTime, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("order_visitors")
    with op.batch_alter_table("refund_requests") as batch:
        batch.drop_column("kept")
