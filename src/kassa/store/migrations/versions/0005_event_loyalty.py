"""events linked to a loyalty shop

Revision ID: 0005_event_loyalty
Revises: 0004_loyalty
Create Date: 2026-11-24
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005_event_loyalty"
down_revision: str | Sequence[str] | None = "0004_loyalty"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "event_loyalty",
        sa.Column("event_id", sa.String(length=24), nullable=False),
        sa.Column("shop_id", sa.String(length=32), nullable=False),
        sa.PrimaryKeyConstraint("event_id", name="pk_event_loyalty"),
        sa.ForeignKeyConstraint(
            ["event_id"], ["events.id"], name="fk_event_loyalty_event_id_events"
        ),
        sa.ForeignKeyConstraint(
            ["shop_id"], ["loyalty_shops.id"], name="fk_event_loyalty_shop_id_loyalty_shops"
        ),
    )


def downgrade() -> None:
    op.drop_table("event_loyalty")
