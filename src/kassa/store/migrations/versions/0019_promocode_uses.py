"""Uses of promo codes without a limit, counted on a few rows per code

Revision ID: 0019_promocode_uses
Revises: 0018_loyalty_coupon_orders
Create Date: 2026-11-30
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0019_promocode_uses"
down_revision: str | Sequence[str] | None = "0018_loyalty_coupon_orders"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "promocode_uses",
        sa.Column("promo_id", sa.String(24), primary_key=True),
        sa.Column("shard", sa.SmallInteger(), primary_key=True, autoincrement=False),
        sa.Column("n", sa.Integer(), nullable=False),
    )


def downgrade() -> None:
    # The counted uses go back onto their codes' own rows first.
    op.execute(
        "UPDATE promocodes SET used = used + COALESCE((SELECT SUM(n) FROM promocode_uses u "
        "WHERE u.promo_id = promocodes.id), 0)"
    )
    op.drop_table("promocode_uses")
