"""initial schema: exactly what kassa.store.tables declared when this was written

Revision ID: 0001_initial
Revises:
Create Date: 2026-11-24
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from kassa.store.types import ExactDecimal, UTCDateTime

revision: str = "0001_initial"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Frozen copies of the shapes in tables.py: a later change there needs a new revision.
# Constraints are listed in the order create_all emits them, so the DDL is identical.
Id = sa.String(length=24)
BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def Money() -> ExactDecimal:
    return ExactDecimal(14, 2)


def upgrade() -> None:
    op.create_table(
        "organisations",
        sa.Column("id", Id, nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("fee_percent", ExactDecimal(7, 4), nullable=False),
        sa.Column("fee_fixed", Money(), nullable=False),
        sa.Column("webhook_url", sa.String(length=500), nullable=True),
        sa.Column("webhook_secret", sa.String(length=128), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_organisations"),
    )

    op.create_table(
        "partners",
        sa.Column("id", Id, nullable=False),
        sa.Column("org_id", Id, nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("webhook_url", sa.String(length=500), nullable=True),
        sa.Column("webhook_secret", sa.String(length=128), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["org_id"], ["organisations.id"], name="fk_partners_org_id_organisations"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_partners"),
    )
    op.create_index("ix_partners_org_id", "partners", ["org_id"])

    op.create_table(
        "api_keys",
        sa.Column("id", Id, nullable=False),
        sa.Column("key_hash", sa.String(length=64), nullable=False),
        sa.Column("org_id", Id, nullable=False),
        sa.Column("partner_id", Id, nullable=True),
        sa.Column("label", sa.String(length=200), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("revoked_at", UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_api_keys"),
        sa.UniqueConstraint("key_hash", name="uq_api_keys_key_hash"),
        sa.ForeignKeyConstraint(
            ["org_id"], ["organisations.id"], name="fk_api_keys_org_id_organisations"
        ),
        sa.ForeignKeyConstraint(
            ["partner_id"], ["partners.id"], name="fk_api_keys_partner_id_partners"
        ),
    )

    op.create_table(
        "venues",
        sa.Column("id", Id, nullable=False),
        sa.Column("org_id", Id, nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("address", sa.String(length=500), nullable=False),
        sa.Column("city", sa.String(length=200), nullable=False),
        sa.Column("country", sa.String(length=2), nullable=False),
        sa.Column("timezone", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["org_id"], ["organisations.id"], name="fk_venues_org_id_organisations"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_venues"),
    )
    op.create_index("ix_venues_org_id", "venues", ["org_id"])

    op.create_table(
        "events",
        sa.Column("id", Id, nullable=False),
        sa.Column("org_id", Id, nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("starts_at", UTCDateTime(), nullable=False),
        sa.Column("ends_at", UTCDateTime(), nullable=False),
        sa.Column("timezone", sa.String(length=64), nullable=False),
        sa.Column("venue_id", Id, nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("age_rating", sa.Integer(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["org_id"], ["organisations.id"], name="fk_events_org_id_organisations"
        ),
        sa.ForeignKeyConstraint(["venue_id"], ["venues.id"], name="fk_events_venue_id_venues"),
        sa.PrimaryKeyConstraint("id", name="pk_events"),
    )
    op.create_index("ix_events_org_id", "events", ["org_id"])

    op.create_table(
        "ticket_sets",
        sa.Column("id", Id, nullable=False),
        sa.Column("event_id", Id, nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("price", Money(), nullable=False),
        sa.Column("capacity", sa.Integer(), nullable=False),
        sa.Column("serial", sa.String(length=8), nullable=False),
        sa.Column("with_seats", sa.Boolean(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["event_id"], ["events.id"], name="fk_ticket_sets_event_id_events"),
        sa.PrimaryKeyConstraint("id", name="pk_ticket_sets"),
    )
    op.create_index("ix_ticket_sets_event_id", "ticket_sets", ["event_id"])

    op.create_table(
        "price_rules",
        sa.Column("id", Id, nullable=False),
        sa.Column("set_id", Id, nullable=False),
        sa.Column("price", Money(), nullable=False),
        sa.Column("starts_at", UTCDateTime(), nullable=True),
        sa.Column("ends_at", UTCDateTime(), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["set_id"], ["ticket_sets.id"], name="fk_price_rules_set_id_ticket_sets"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_price_rules"),
    )
    op.create_index("ix_price_rules_set_id", "price_rules", ["set_id"])

    op.create_table(
        "tickets",
        sa.Column("id", Id, nullable=False),
        sa.Column("event_id", Id, nullable=False),
        sa.Column("set_id", Id, nullable=False),
        sa.Column("serial", sa.String(length=8), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("order_id", Id, nullable=True),
        sa.Column("seat_sector", sa.String(length=64), nullable=True),
        sa.Column("seat_row", sa.Integer(), nullable=True),
        sa.Column("seat_number", sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_tickets"),
        sa.UniqueConstraint("set_id", "number", name="uq_tickets_set_number"),
        sa.ForeignKeyConstraint(["event_id"], ["events.id"], name="fk_tickets_event_id_events"),
        sa.ForeignKeyConstraint(
            ["set_id"], ["ticket_sets.id"], name="fk_tickets_set_id_ticket_sets"
        ),
    )
    op.create_index("ix_tickets_event_status", "tickets", ["event_id", "status"])
    op.create_index("ix_tickets_order", "tickets", ["order_id"])
    op.create_index(
        "ix_tickets_vacant",
        "tickets",
        ["set_id", "id"],
        postgresql_where=sa.text("status = 'vacant'"),
        sqlite_where=sa.text("status = 'vacant'"),
    )

    op.create_table(
        "orders",
        sa.Column("number", BigId, autoincrement=True, nullable=False),
        sa.Column("id", Id, nullable=False),
        sa.Column("event_id", Id, nullable=False),
        sa.Column("org_id", Id, nullable=False),
        sa.Column("vendor_id", Id, nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("origin", sa.String(length=32), nullable=False),
        sa.Column("customer", sa.JSON(), nullable=False),
        sa.Column("payment", sa.JSON(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.Column("reserved_till", UTCDateTime(), nullable=False),
        sa.Column("done_at", UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("number", name="pk_orders"),
        sa.UniqueConstraint("id", name="uq_orders_id"),
        sa.ForeignKeyConstraint(["event_id"], ["events.id"], name="fk_orders_event_id_events"),
        sa.ForeignKeyConstraint(
            ["org_id"], ["organisations.id"], name="fk_orders_org_id_organisations"
        ),
    )
    op.create_index("ix_orders_org_created", "orders", ["org_id", "created_at"])
    op.create_index("ix_orders_vendor_created", "orders", ["vendor_id", "created_at"])
    op.create_index(
        "ix_orders_open_due",
        "orders",
        ["reserved_till"],
        postgresql_where=sa.text("status IN ('executed', 'in_progress')"),
        sqlite_where=sa.text("status IN ('executed', 'in_progress')"),
    )

    op.create_table(
        "order_lines",
        sa.Column("id", BigId, autoincrement=True, nullable=False),
        sa.Column("order_id", Id, nullable=False),
        sa.Column("ticket_id", Id, nullable=False),
        sa.Column("set_id", Id, nullable=False),
        sa.Column("rule_id", Id, nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("price", Money(), nullable=False),
        sa.Column("discount", Money(), nullable=False),
        sa.Column("nominal", Money(), nullable=False),
        sa.Column("extra", Money(), nullable=False),
        sa.Column("full", Money(), nullable=False),
        sa.Column("barcode", sa.String(length=32), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("ended_at", UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_order_lines"),
        sa.UniqueConstraint("barcode", name="uq_order_lines_barcode"),
    )
    op.create_index("ix_order_lines_order_id", "order_lines", ["order_id"])

    op.create_table(
        "audit_log",
        sa.Column("id", BigId, autoincrement=True, nullable=False),
        sa.Column("order_id", Id, nullable=False),
        sa.Column("at", UTCDateTime(), nullable=False),
        sa.Column("actor", sa.String(length=64), nullable=False),
        sa.Column("action", sa.String(length=64), nullable=False),
        sa.Column("from_status", sa.String(length=16), nullable=True),
        sa.Column("to_status", sa.String(length=16), nullable=True),
        sa.Column("reason", sa.String(length=500), nullable=True),
        sa.Column("details", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_audit_log"),
    )
    op.create_index("ix_audit_log_order_id", "audit_log", ["order_id"])

    op.create_table(
        "outbox",
        sa.Column("id", BigId, autoincrement=True, nullable=False),
        sa.Column("topic", sa.String(length=64), nullable=False),
        sa.Column("org_id", Id, nullable=False),
        sa.Column("partner_id", Id, nullable=True),
        sa.Column("order_id", Id, nullable=True),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("available_at", UTCDateTime(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("delivered_at", UTCDateTime(), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_outbox"),
    )
    op.create_index(
        "ix_outbox_pending",
        "outbox",
        ["available_at"],
        postgresql_where=sa.text("delivered_at IS NULL"),
        sqlite_where=sa.text("delivered_at IS NULL"),
    )


def downgrade() -> None:
    # Dependents first; a table's indexes go with it.
    for table in (
        "outbox",
        "audit_log",
        "order_lines",
        "orders",
        "tickets",
        "price_rules",
        "ticket_sets",
        "events",
        "venues",
        "api_keys",
        "partners",
        "organisations",
    ):
        op.drop_table(table)
