"""Loyalty coupons found by the order that used or earned them

Every loyalty apply, confirm and cancel reads the coupons its order used or issued; without
these indexes that read scanned all of the shop's coupons.

Revision ID: 0018_loyalty_coupon_orders
Revises: 0017_waiting_list
Create Date: 2026-11-30
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0018_loyalty_coupon_orders"
down_revision: str | Sequence[str] | None = "0017_waiting_list"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_loyalty_coupons_used_by", "loyalty_coupons", ["shop_id", "used_by"])
    op.create_index("ix_loyalty_coupons_issued_by", "loyalty_coupons", ["shop_id", "issued_by"])


def downgrade() -> None:
    op.drop_index("ix_loyalty_coupons_issued_by", table_name="loyalty_coupons")
    op.drop_index("ix_loyalty_coupons_used_by", table_name="loyalty_coupons")
