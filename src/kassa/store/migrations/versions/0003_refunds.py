"""refund requests

Revision ID: 0003_refunds
Revises: 0002_v2_orders_promocodes
Create Date: 2026-11-24
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from kassa.store.types import ExactDecimal, UTCDateTime

revision: str = "0003_refunds"
down_revision: str | Sequence[str] | None = "0002_v2_orders_promocodes"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

Id = sa.String(length=24)


def upgrade() -> None:
    op.create_table(
        "refund_requests",
        sa.Column("id", Id, nullable=False),
        sa.Column("org_id", Id, nullable=False),
        sa.Column("vendor_id", Id, nullable=False),
        sa.Column("event_id", Id, nullable=False),
        sa.Column("order_id", Id, nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("culprit", sa.String(length=8), nullable=False),
        sa.Column("policy", sa.String(length=16), nullable=False),
        sa.Column("tickets", sa.JSON(), nullable=False),
        sa.Column("refund_nominal", ExactDecimal(14, 2), nullable=False),
        sa.Column("customer_money", ExactDecimal(14, 2), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("requested_at", UTCDateTime(), nullable=False),
        sa.Column("finished_at", UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_refund_requests"),
        sa.ForeignKeyConstraint(
            ["org_id"], ["organisations.id"], name="fk_refund_requests_org_id_organisations"
        ),
    )
    op.create_index("ix_refund_requests_order", "refund_requests", ["order_id"])
    op.create_index("ix_refund_requests_org_created", "refund_requests", ["org_id", "created_at"])


def downgrade() -> None:
    op.drop_index("ix_refund_requests_org_created", table_name="refund_requests")
    op.drop_index("ix_refund_requests_order", table_name="refund_requests")
    op.drop_table("refund_requests")
