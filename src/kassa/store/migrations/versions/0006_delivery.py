"""delivery: aggregator clients and tokens, restaurants, menu items with stock, orders

Revision ID: 0006_delivery
Revises: 0005_event_loyalty
Create Date: 2026-11-24
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from kassa.store.types import ExactDecimal, UTCDateTime

revision: str = "0006_delivery"
down_revision: str | Sequence[str] | None = "0005_event_loyalty"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

Id = sa.String(length=24)


def upgrade() -> None:
    # Delivery statuses are longer (ACCEPTED_BY_RESTAURANT) than the ticket ones.
    with op.batch_alter_table("audit_log") as batch:
        batch.alter_column("from_status", type_=sa.String(length=32), existing_nullable=True)
        batch.alter_column("to_status", type_=sa.String(length=32), existing_nullable=True)
    op.create_table(
        "delivery_clients",
        sa.Column("client_id", sa.String(length=64), nullable=False),
        sa.Column("org_id", Id, nullable=False),
        sa.Column("secret_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("client_id", name="pk_delivery_clients"),
        sa.ForeignKeyConstraint(
            ["org_id"], ["organisations.id"], name="fk_delivery_clients_org_id_organisations"
        ),
    )
    op.create_table(
        "delivery_tokens",
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("client_id", sa.String(length=64), nullable=False),
        sa.Column("expires_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("token_hash", name="pk_delivery_tokens"),
    )
    op.create_table(
        "restaurants",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("org_id", Id, nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("address", sa.String(length=500), nullable=False),
        sa.Column("shop_id", sa.String(length=32), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_restaurants"),
        sa.ForeignKeyConstraint(
            ["org_id"], ["organisations.id"], name="fk_restaurants_org_id_organisations"
        ),
    )
    op.create_table(
        "menu_items",
        sa.Column("restaurant_id", sa.String(length=64), nullable=False),
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("category", sa.String(length=100), nullable=False),
        sa.Column("price", ExactDecimal(14, 2), nullable=False),
        sa.Column("stock_milli", sa.BigInteger(), nullable=True),
        sa.PrimaryKeyConstraint("restaurant_id", "id", name="pk_menu_items"),
        sa.ForeignKeyConstraint(
            ["restaurant_id"], ["restaurants.id"], name="fk_menu_items_restaurant_id_restaurants"
        ),
    )
    op.create_table(
        "delivery_orders",
        sa.Column("id", sa.String(length=24), nullable=False),
        sa.Column("org_id", Id, nullable=False),
        sa.Column("restaurant_id", sa.String(length=64), nullable=False),
        sa.Column("eats_id", sa.String(length=32), nullable=False),
        sa.Column("discriminator", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=32), nullable=False),
        sa.Column("request", sa.JSON(), nullable=False),
        sa.Column("lines", sa.JSON(), nullable=False),
        sa.Column("dropped", sa.JSON(), nullable=False),
        sa.Column("status_comment", sa.String(length=500), nullable=True),
        sa.Column("status_reason", sa.String(length=64), nullable=True),
        sa.Column("courier", sa.JSON(), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_delivery_orders"),
        sa.UniqueConstraint("org_id", "eats_id", name="uq_delivery_orders_org_eats"),
    )


def downgrade() -> None:
    with op.batch_alter_table("audit_log") as batch:
        batch.alter_column("from_status", type_=sa.String(length=16), existing_nullable=True)
        batch.alter_column("to_status", type_=sa.String(length=16), existing_nullable=True)
    for table in (
        "delivery_orders",
        "menu_items",
        "restaurants",
        "delivery_tokens",
        "delivery_clients",
    ):
        op.drop_table(table)
