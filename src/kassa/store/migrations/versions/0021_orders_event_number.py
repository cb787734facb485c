"""The orders of an event by number

A whole-event cancellation visits the event's orders a batch at a time, in number order from
where it stopped; with the event's index alone, each batch read every order of the event again
(a job's work grew with the square of the event's orders). The event's index names the
number too.

Revision ID: 0021_orders_event_number
Revises: 0020_loyalty_balances
Create Date: 2026-12-01
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0021_orders_event_number"
down_revision: str | Sequence[str] | None = "0020_loyalty_balances"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.drop_index("ix_orders_event", table_name="orders")
    op.create_index("ix_orders_event", "orders", ["event_id", "number"])


def downgrade() -> None:
    op.drop_index("ix_orders_event", table_name="orders")
    op.create_index("ix_orders_event", "orders", ["event_id"])
