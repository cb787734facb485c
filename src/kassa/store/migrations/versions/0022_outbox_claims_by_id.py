"""The worker's claims in id order from an index, and a cancel's unsent ticket mail by one

The outbox and the webhook deliveries were claimed `ORDER BY id` from an index of the pending
rows by `available_at`: each claim read and sorted every pending row (with 65,000 waiting,
50 ms and a 32 MB sort on disk), so a backlog slowed down the very worker that had to clear
it. Both indexes now lead with `id` and carry `available_at` (checked in the index). A cancel
of a done order looks for the order's unsent ticket mail: that read every pending outbox row
too; an index of the unsent ticket mails by order finds them.

Revision ID: 0022_outbox_claims_by_id
Revises: 0021_orders_event_number
Create Date: 2026-12-01
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0022_outbox_claims_by_id"
down_revision: str | Sequence[str] | None = "0021_orders_event_number"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

PENDING = "delivered_at IS NULL"
TICKET_MAIL = "delivered_at IS NULL AND topic = 'tickets.email'"
DUE = "state = 'pending'"


def _partial(name: str, table: str, columns: list[str], where: str) -> None:
    op.create_index(
        name,
        table,
        columns,
        postgresql_where=sa.text(where),
        sqlite_where=sa.text(where),
    )


def upgrade() -> None:
    op.drop_index("ix_outbox_pending", table_name="outbox")
    _partial("ix_outbox_pending", "outbox", ["id", "available_at"], PENDING)
    _partial("ix_outbox_unsent_ticket_mail", "outbox", ["order_id"], TICKET_MAIL)
    op.drop_index("ix_webhook_deliveries_due", table_name="webhook_deliveries")
    _partial("ix_webhook_deliveries_due", "webhook_deliveries", ["id", "available_at"], DUE)


def downgrade() -> None:
    op.drop_index("ix_webhook_deliveries_due", table_name="webhook_deliveries")
    _partial("ix_webhook_deliveries_due", "webhook_deliveries", ["available_at"], DUE)
    op.drop_index("ix_outbox_unsent_ticket_mail", table_name="outbox")
    op.drop_index("ix_outbox_pending", table_name="outbox")
    _partial("ix_outbox_pending", "outbox", ["available_at"], PENDING)
