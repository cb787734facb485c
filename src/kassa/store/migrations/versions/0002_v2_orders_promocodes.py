"""v2 orders (settings, vendor data, promo codes, code) and promo codes

Revision ID: 0002_v2_orders_promocodes
Revises: 0001_initial
Create Date: 2026-11-24
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from kassa.store.types import ExactDecimal, UTCDateTime

revision: str = "0002_v2_orders_promocodes"
down_revision: str | Sequence[str] | None = "0001_initial"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

Id = sa.String(length=24)


def upgrade() -> None:
    with op.batch_alter_table("orders") as batch:
        batch.add_column(sa.Column("settings", sa.JSON(), nullable=True))
        batch.add_column(sa.Column("vendor_data", sa.JSON(), nullable=True))
        batch.add_column(sa.Column("promocodes", sa.JSON(), nullable=True))
        batch.add_column(sa.Column("code", sa.String(length=8), nullable=True))
    op.create_index("ix_orders_event", "orders", ["event_id"])
    op.create_table(
        "promocodes",
        sa.Column("id", Id, nullable=False),
        sa.Column("org_id", Id, nullable=False),
        sa.Column("event_id", Id, nullable=False),
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("code_key", sa.String(length=64), nullable=False),
        sa.Column("discount_kind", sa.String(length=16), nullable=False),
        sa.Column("discount_value", ExactDecimal(14, 2), nullable=False),
        sa.Column("starts_at", UTCDateTime(), nullable=True),
        sa.Column("finishes_at", UTCDateTime(), nullable=True),
        sa.Column("set_ids", sa.JSON(), nullable=False),
        sa.Column("min_tickets", sa.Integer(), nullable=True),
        sa.Column("max_tickets", sa.Integer(), nullable=True),
        sa.Column("usage_limit", sa.Integer(), nullable=True),
        sa.Column("used", sa.Integer(), nullable=False),
        sa.Column("viral", sa.Boolean(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_promocodes"),
        sa.UniqueConstraint("event_id", "code_key", name="uq_promocodes_event_code"),
        sa.CheckConstraint("used >= 0", name="ck_promocodes_used_not_negative"),
        sa.ForeignKeyConstraint(
            ["org_id"], ["organisations.id"], name="fk_promocodes_org_id_organisations"
        ),
        sa.ForeignKeyConstraint(["event_id"], ["events.id"], name="fk_promocodes_event_id_events"),
    )


def downgrade() -> None:
    op.drop_table("promocodes")
    op.drop_index("ix_orders_event", table_name="orders")
    with op.batch_alter_table("orders") as batch:
        batch.drop_column("code")
        batch.drop_column("promocodes")
        batch.drop_column("vendor_data")
        batch.drop_column("settings")
