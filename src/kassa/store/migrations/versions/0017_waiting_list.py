"""The waiting list of sold-out ticket sets

Revision ID: 0017_waiting_list
Revises: 0016_event_cancellations
Create Date: 2026-11-30
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from kassa.store.types import UTCDateTime

revision: str = "0017_waiting_list"
down_revision: str | Sequence[str] | None = "0016_event_cancellations"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_OFFERED = "status = 'offered'"
_LIVE = "status IN ('waiting', 'offered')"


def upgrade() -> None:
    op.create_table(
        "waiting_list",
        sa.Column("id", sa.String(24), primary_key=True),
        sa.Column("org_id", sa.String(24), nullable=False),
        sa.Column("event_id", sa.String(24), nullable=False),
        sa.Column(
            "set_id",
            sa.String(24),
            sa.ForeignKey("ticket_sets.id", name="fk_waiting_list_set_id_ticket_sets"),
            nullable=False,
        ),
        sa.Column("vendor_id", sa.String(24), nullable=False),
        sa.Column("email", sa.String(254), nullable=False),
        sa.Column("name", sa.String(200)),
        sa.Column("quantity", sa.Integer, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("hold_seconds", sa.Integer, nullable=False),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.Column("updated_at", UTCDateTime, nullable=False),
        sa.Column("offered_at", UTCDateTime),
        sa.Column("offer_expires_at", UTCDateTime),
        sa.Column("tickets", sa.JSON, nullable=False),
        sa.Column("order_id", sa.String(24)),
        sa.PrimaryKeyConstraint("id", name="pk_waiting_list"),
    )
    op.create_index("ix_waiting_list_set", "waiting_list", ["set_id", "status", "created_at"])
    op.create_index("ix_waiting_list_event", "waiting_list", ["event_id"])
    op.create_index(
        "ix_waiting_list_offers",
        "waiting_list",
        ["offer_expires_at"],
        postgresql_where=sa.text(_OFFERED),
        sqlite_where=sa.text(_OFFERED),
    )
    op.create_index(
        "uq_waiting_list_live_email",
        "waiting_list",
        ["set_id", "email"],
        unique=True,
        postgresql_where=sa.text(_LIVE),
        sqlite_where=sa.text(_LIVE),
    )


def downgrade() -> None:
    op.drop_table("waiting_list")
