"""The organisation of every audit row

The console's dashboard counted an organisation's sales and cancellations of a period by
looking for audit rows whose order is among ALL of the organisation's orders (0.6 s at
300,000 audit rows, growing with the organisation's history). Each audit row now carries its
order's organisation, indexed with the time, so a period of one organisation is read from
that index alone; the rows already there take their order's organisation (a ticket order's,
a delivery order's, or a loyalty order's shop's). A distributed engine (BENCHMARKS.md) needs
the column too.

Revision ID: 0025_audit_org
Revises: 0024_reads_of_history
Create Date: 2026-12-01
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0025_audit_org"
down_revision: str | Sequence[str] | None = "0024_reads_of_history"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Each row's order is in one of the three order tables (ids never repeat across them).
BACKFILL = """
UPDATE audit_log SET org_id = COALESCE(
    (SELECT o.org_id FROM orders o WHERE o.id = audit_log.order_id),
    (SELECT d.org_id FROM delivery_orders d WHERE d.id = audit_log.order_id),
    (SELECT s.org_id FROM loyalty_orders l JOIN loyalty_shops s ON s.id = l.shop_id
     WHERE l.id = audit_log.order_id)
)
"""


def upgrade() -> None:
    op.add_column("audit_log", sa.Column("org_id", sa.String(24), nullable=True))
    op.execute(BACKFILL)
    op.create_index("ix_audit_log_org_at", "audit_log", ["org_id", "at"])


def downgrade() -> None:
    op.drop_index("ix_audit_log_org_at", table_name="audit_log")
    with op.batch_alter_table("audit_log") as batch:
        batch.drop_column("org_id")
