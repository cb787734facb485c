"""A member's older ledger entries folded once; the ledger by member and time; orders by member

A loyalty checkout read every ledger entry of the member to work out their bonus balance,
spent total and stickers: a cost that grew with the member's history. `loyalty_balances`
keeps each member's older entries folded, and the member's index now names the entry's time,
so the entries after the fold are read by range. Whether the member has a fulfilled order
was counted over all of the shop's orders: they now have an index by member.

Revision ID: 0020_loyalty_balances
Revises: 0019_promocode_uses
Create Date: 2026-12-01
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from kassa.store.types import UTCDateTime

revision: str = "0020_loyalty_balances"
down_revision: str | Sequence[str] | None = "0019_promocode_uses"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "loyalty_balances",
        sa.Column("member_id", sa.String(24), nullable=False),
        sa.Column("shop_id", sa.String(32), nullable=False),
        sa.Column("upto", UTCDateTime(), nullable=False),
        sa.Column("figures", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["member_id"],
            ["loyalty_members.id"],
            name="fk_loyalty_balances_member_id_loyalty_members",
        ),
        sa.PrimaryKeyConstraint("member_id", name="pk_loyalty_balances"),
    )
    op.drop_index("ix_loyalty_ledger_member", table_name="loyalty_ledger")
    op.create_index("ix_loyalty_ledger_member", "loyalty_ledger", ["member_id", "at"])
    op.create_index("ix_loyalty_orders_member", "loyalty_orders", ["member_id", "status"])


def downgrade() -> None:
    op.drop_index("ix_loyalty_orders_member", table_name="loyalty_orders")
    op.drop_index("ix_loyalty_ledger_member", table_name="loyalty_ledger")
    op.create_index("ix_loyalty_ledger_member", "loyalty_ledger", ["member_id"])
    op.drop_table("loyalty_balances")
