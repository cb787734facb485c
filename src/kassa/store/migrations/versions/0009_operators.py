"""operator console: operators, their sessions, indexes for the orders list

Revision ID: 0009_operators
Revises: 0008_webhook_endpoints
Create Date: 2026-11-24
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from kassa.store.types import BuyerEmail, BuyerPhone, DeliveryPhone, UTCDateTime

revision: str = "0009_operators"
down_revision: str | Sequence[str] | None = "0008_webhook_endpoints"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

Id = sa.String(length=24)


def upgrade() -> None:
    op.create_table(
        "operators",
        sa.Column("id", Id, nullable=False),
        sa.Column("org_id", Id, nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("password_hash", sa.String(length=255), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("restaurant_id", sa.String(length=64), nullable=True),
        sa.Column("shop_id", sa.String(length=32), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("disabled_at", UTCDateTime(), nullable=True),
        sa.Column("failed_sign_ins", sa.Integer(), nullable=False),
        sa.Column("locked_until", UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_operators"),
        sa.ForeignKeyConstraint(
            ["org_id"], ["organisations.id"], name="fk_operators_org_id_organisations"
        ),
        sa.UniqueConstraint("email", name="uq_operators_email"),
    )
    op.create_table(
        "operator_sessions",
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("operator_id", Id, nullable=False),
        sa.Column("csrf", sa.String(length=64), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("expires_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("token_hash", name="pk_operator_sessions"),
    )
    op.create_index("ix_operator_sessions_operator", "operator_sessions", ["operator_id"])
    op.create_index("ix_delivery_orders_org_created", "delivery_orders", ["org_id", "created_at"])
    op.create_index("ix_loyalty_orders_shop_created", "loyalty_orders", ["shop_id", "created_at"])

    # The console's search by buyer (the same SQL as the queries: see kassa.store.types).
    op.create_index(
        "ix_orders_buyer_email",
        "orders",
        [sa.column("org_id"), BuyerEmail(sa.column("customer", sa.JSON()))],
    )
    op.create_index(
        "ix_orders_buyer_phone",
        "orders",
        [sa.column("org_id"), BuyerPhone(sa.column("customer", sa.JSON()))],
    )
    op.create_index(
        "ix_delivery_orders_phone",
        "delivery_orders",
        [sa.column("org_id"), DeliveryPhone(sa.column("request", sa.JSON()))],
    )


def downgrade() -> None:
    op.drop_index("ix_delivery_orders_phone", table_name="delivery_orders")
    op.drop_index("ix_orders_buyer_phone", table_name="orders")
    op.drop_index("ix_orders_buyer_email", table_name="orders")
    op.drop_index("ix_loyalty_orders_shop_created", table_name="loyalty_orders")
    op.drop_index("ix_delivery_orders_org_created", table_name="delivery_orders")
    op.drop_index("ix_operator_sessions_operator", table_name="operator_sessions")
    op.drop_table("operator_sessions")
    op.drop_table("operators")
