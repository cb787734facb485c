"""A promo-code list's free codes in hand-out order, and the code a device holds

`/promo_codes/fetch` took the list's next free code by reading every free code of the list
through `(shop_id, list_id, handed_out_at)` and sorting them (a list of 100,000 codes, at
every fetch); a device's own code was looked for among every code of the list. Two partial
indexes replace that one: the free codes by `(shop_id, list_id, created_at, id)`, read in the
hand-out order (either way), and the handed-out ones by device.

Revision ID: 0023_promo_list_codes
Revises: 0022_outbox_claims_by_id
Create Date: 2026-12-01
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0023_promo_list_codes"
down_revision: str | Sequence[str] | None = "0022_outbox_claims_by_id"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

FREE = "handed_out_at IS NULL AND status = 'active'"
HELD = "handed_out_to IS NOT NULL"


def _partial(name: str, columns: list[str], where: str) -> None:
    op.create_index(
        name,
        "loyalty_coupons",
        columns,
        postgresql_where=sa.text(where),
        sqlite_where=sa.text(where),
    )


def upgrade() -> None:
    op.drop_index("ix_loyalty_coupons_list", table_name="loyalty_coupons")
    _partial("ix_loyalty_coupons_free", ["shop_id", "list_id", "created_at", "id"], FREE)
    _partial("ix_loyalty_coupons_device", ["shop_id", "list_id", "handed_out_to"], HELD)


def downgrade() -> None:
    op.drop_index("ix_loyalty_coupons_device", table_name="loyalty_coupons")
    op.drop_index("ix_loyalty_coupons_free", table_name="loyalty_coupons")
    op.create_index(
        "ix_loyalty_coupons_list", "loyalty_coupons", ["shop_id", "list_id", "handed_out_at"]
    )
