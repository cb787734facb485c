"""Indexes for reads that grew with a table's history

Found by reading every repository's queries against the indexes and checking the suspects
with EXPLAIN ANALYZE at 50,000 to 100,000 rows (BENCHMARKS.md, twelfth pass): the kitchen
board's live orders (polled every 3 s) scanned the organisation's every delivery order; the
worker's purge of old idempotency keys (every pass) scanned the key table; the monitoring
scrape counted dead webhook deliveries over all deliveries; the console's member list and
its decided cancellation requests sorted the whole shop's or organisation's rows.

Revision ID: 0024_reads_of_history
Revises: 0023_promo_list_codes
Create Date: 2026-12-01
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0024_reads_of_history"
down_revision: str | Sequence[str] | None = "0023_promo_list_codes"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

INDEXES = (
    ("ix_idempotency_keys_created", "idempotency_keys", ["created_at"]),
    ("ix_loyalty_members_shop_created", "loyalty_members", ["shop_id", "created_at", "id"]),
    (
        "ix_cancellation_requests_org_requested",
        "cancellation_requests",
        ["org_id", "requested_at", "id"],
    ),
)
DEAD = "state = 'dead'"
KITCHEN = "status IN ('NEW', 'ACCEPTED_BY_RESTAURANT', 'COOKING', 'READY')"
PARTIAL = (
    ("ix_delivery_orders_kitchen", "delivery_orders", ["org_id", "created_at"], KITCHEN),
    ("ix_webhook_deliveries_dead", "webhook_deliveries", ["endpoint_id", "id"], DEAD),
)


def upgrade() -> None:
    for name, table, columns in INDEXES:
        op.create_index(name, table, columns)
    for name, table, columns, where in PARTIAL:
        where_clause = sa.text(where)
        op.create_index(
            name, table, columns, postgresql_where=where_clause, sqlite_where=where_clause
        )


def downgrade() -> None:
    for name, table, _columns, _where in reversed(PARTIAL):
        op.drop_index(name, table_name=table)
    for name, table, _columns in reversed(INDEXES):
        op.drop_index(name, table_name=table)
