"""loyalty: shops and programs, members, ledgers, certificates, promo codes, coupons, orders

Revision ID: 0004_loyalty
Revises: 0003_refunds
Create Date: 2026-11-24
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from kassa.store.types import ExactDecimal, UTCDateTime

revision: str = "0004_loyalty"
down_revision: str | Sequence[str] | None = "0003_refunds"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

Id = sa.String(length=24)
Shop = sa.String(length=32)
BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def Money() -> ExactDecimal:
    return ExactDecimal(14, 2)


def upgrade() -> None:
    op.create_table(
        "loyalty_shops",
        sa.Column("id", Shop, nullable=False),
        sa.Column("org_id", Id, nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("secret_hash", sa.String(length=64), nullable=False),
        sa.Column("program", sa.JSON(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_loyalty_shops"),
        sa.ForeignKeyConstraint(
            ["org_id"], ["organisations.id"], name="fk_loyalty_shops_org_id_organisations"
        ),
    )
    op.create_table(
        "loyalty_members",
        sa.Column("id", Id, nullable=False),
        sa.Column("shop_id", Shop, nullable=False),
        sa.Column("identifier", sa.String(length=11), nullable=False),
        sa.Column("referral_code", sa.String(length=16), nullable=False),
        sa.Column("referrer_id", Id, nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_loyalty_members"),
        sa.UniqueConstraint("shop_id", "identifier", name="uq_loyalty_members_shop_identifier"),
        sa.UniqueConstraint("shop_id", "referral_code", name="uq_loyalty_members_shop_referral"),
        sa.ForeignKeyConstraint(
            ["shop_id"], ["loyalty_shops.id"], name="fk_loyalty_members_shop_id_loyalty_shops"
        ),
    )
    op.create_table(
        "loyalty_ledger",
        sa.Column("id", BigId, autoincrement=True, nullable=False),
        sa.Column("shop_id", Shop, nullable=False),
        sa.Column("account", sa.String(length=16), nullable=False),
        sa.Column("member_id", Id, nullable=True),
        sa.Column("certificate_id", Id, nullable=True),
        sa.Column("sticker", sa.String(length=64), nullable=True),
        sa.Column("order_id", sa.String(length=64), nullable=True),
        sa.Column("entry", sa.String(length=16), nullable=False),
        sa.Column("amount", Money(), nullable=False),
        sa.Column("at", UTCDateTime(), nullable=False),
        sa.Column("expires_at", UTCDateTime(), nullable=True),
        sa.Column("note", sa.String(length=500), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_loyalty_ledger"),
    )
    op.create_index("ix_loyalty_ledger_member", "loyalty_ledger", ["member_id"])
    op.create_index("ix_loyalty_ledger_certificate", "loyalty_ledger", ["certificate_id"])
    op.create_index("ix_loyalty_ledger_order", "loyalty_ledger", ["shop_id", "order_id"])
    op.create_table(
        "loyalty_certificates",
        sa.Column("id", Id, nullable=False),
        sa.Column("shop_id", Shop, nullable=False),
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("amount", Money(), nullable=False),
        sa.Column("expires_at", UTCDateTime(), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_loyalty_certificates"),
        sa.UniqueConstraint("shop_id", "code", name="uq_loyalty_certificates_shop_code"),
        sa.ForeignKeyConstraint(
            ["shop_id"],
            ["loyalty_shops.id"],
            name="fk_loyalty_certificates_shop_id_loyalty_shops",
        ),
    )
    op.create_table(
        "loyalty_promo_codes",
        sa.Column("id", Id, nullable=False),
        sa.Column("shop_id", Shop, nullable=False),
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("value", ExactDecimal(14, 2), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_loyalty_promo_codes"),
        sa.UniqueConstraint("shop_id", "code", name="uq_loyalty_promo_codes_shop_code"),
        sa.ForeignKeyConstraint(
            ["shop_id"],
            ["loyalty_shops.id"],
            name="fk_loyalty_promo_codes_shop_id_loyalty_shops",
        ),
    )
    op.create_table(
        "loyalty_coupons",
        sa.Column("id", Id, nullable=False),
        sa.Column("shop_id", Shop, nullable=False),
        sa.Column("member_id", Id, nullable=False),
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("value", ExactDecimal(14, 2), nullable=False),
        sa.Column("issued_by", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("used_by", sa.String(length=64), nullable=True),
        sa.Column("expires_at", UTCDateTime(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_loyalty_coupons"),
        sa.UniqueConstraint("shop_id", "code", name="uq_loyalty_coupons_shop_code"),
    )
    op.create_table(
        "loyalty_orders",
        sa.Column("id", Id, nullable=False),
        sa.Column("shop_id", Shop, nullable=False),
        sa.Column("order_id", sa.String(length=64), nullable=False),
        sa.Column("member_id", Id, nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("request", sa.JSON(), nullable=False),
        sa.Column("result", sa.JSON(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_loyalty_orders"),
        sa.UniqueConstraint("shop_id", "order_id", name="uq_loyalty_orders_shop_order"),
    )


def downgrade() -> None:
    for table in (
        "loyalty_orders",
        "loyalty_coupons",
        "loyalty_promo_codes",
        "loyalty_certificates",
    ):
        op.drop_table(table)
    for index in (
        "ix_loyalty_ledger_order",
        "ix_loyalty_ledger_certificate",
        "ix_loyalty_ledger_member",
    ):
        op.drop_index(index, table_name="loyalty_ledger")
    op.drop_table("loyalty_ledger")
    op.drop_table("loyalty_members")
    op.drop_table("loyalty_shops")
