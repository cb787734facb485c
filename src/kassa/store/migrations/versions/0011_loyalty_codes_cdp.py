"""loyalty one-time codes (OTP, QR), CDP orders, promo-code lists, certificate pools

Revision ID: 0011_loyalty_codes_cdp
Revises: 0010_restaurant_shop_fk
Create Date: 2026-11-30
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from kassa.store.types import ExactDecimal, UTCDateTime

revision: str = "0011_loyalty_codes_cdp"
down_revision: str | Sequence[str] | None = "0010_restaurant_shop_fk"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "loyalty_codes",
        sa.Column("id", sa.String(24), primary_key=True),
        sa.Column("shop_id", sa.String(32), sa.ForeignKey("loyalty_shops.id"), nullable=False),
        sa.Column("identifier", sa.String(11), nullable=False),
        sa.Column("kind", sa.String(8), nullable=False),
        sa.Column("event", sa.String(64), nullable=False),
        sa.Column("salt", sa.String(32), nullable=False),
        sa.Column("code_hash", sa.String(64), nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("expires_at", UTCDateTime, nullable=False),
        sa.Column("used_at", UTCDateTime),
        sa.Column("created_at", UTCDateTime, nullable=False),
    )
    op.create_index(
        "ix_loyalty_codes_lookup", "loyalty_codes", ["shop_id", "identifier", "kind", "event"]
    )
    op.create_table(
        "cdp_orders",
        sa.Column("shop_id", sa.String(32), sa.ForeignKey("loyalty_shops.id"), primary_key=True),
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("status", sa.String(64), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("channel", sa.String(64), nullable=False),
        sa.Column("customer", sa.JSON, nullable=False),
        sa.Column("total", ExactDecimal(14, 2), nullable=False),
        sa.Column("items", sa.JSON, nullable=False),
        sa.Column("fields", sa.JSON, nullable=False),
        sa.Column("status_at", UTCDateTime, nullable=False),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.Column("updated_at", UTCDateTime, nullable=False),
    )
    op.create_table(
        "cdp_order_versions",
        sa.Column(
            "seq",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            primary_key=True,
            autoincrement=True,
        ),
        sa.Column("shop_id", sa.String(32), nullable=False),
        sa.Column("order_id", sa.String(64), nullable=False),
        sa.Column("status", sa.String(64), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("body", sa.JSON, nullable=False),
        sa.Column("at", UTCDateTime, nullable=False),
    )
    op.create_index("ix_cdp_order_versions_order", "cdp_order_versions", ["shop_id", "order_id"])
    op.create_table(
        "loyalty_promo_lists",
        sa.Column("shop_id", sa.String(32), sa.ForeignKey("loyalty_shops.id"), primary_key=True),
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("kind", sa.String(8), nullable=False),
        sa.Column("value", ExactDecimal(14, 2), nullable=False),
        sa.Column("issue_order", sa.String(4), nullable=False),
        sa.Column("created_at", UTCDateTime, nullable=False),
    )
    with op.batch_alter_table("loyalty_coupons") as batch:
        batch.alter_column("member_id", existing_type=sa.String(24), nullable=True)
        batch.add_column(sa.Column("list_id", sa.String(64)))
        batch.add_column(sa.Column("handed_out_at", UTCDateTime))
        batch.add_column(sa.Column("handed_out_to", sa.String(128)))
    op.create_index(
        "ix_loyalty_coupons_list", "loyalty_coupons", ["shop_id", "list_id", "handed_out_at"]
    )
    op.create_table(
        "loyalty_certificate_pools",
        sa.Column("id", sa.String(24), primary_key=True),
        sa.Column("shop_id", sa.String(32), sa.ForeignKey("loyalty_shops.id"), nullable=False),
        sa.Column("code", sa.String(64), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("description", sa.String(1000), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("nominal", ExactDecimal(14, 2), nullable=False),
        sa.Column("flexible_nominal", sa.Boolean, nullable=False),
        sa.Column("max_flexible_nominal", ExactDecimal(14, 2)),
        sa.Column("personal", sa.Boolean, nullable=False),
        sa.Column("promo", sa.Boolean, nullable=False),
        sa.Column("expiration_days", sa.Integer, nullable=False),
        sa.Column("activation_delay", sa.Integer, nullable=False),
        sa.Column("min_order_value", ExactDecimal(14, 2), nullable=False),
        sa.Column("payable_order_share", sa.Integer, nullable=False),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.UniqueConstraint("shop_id", "code", name="uq_loyalty_certificate_pools_shop_code"),
    )
    with op.batch_alter_table("loyalty_certificates") as batch:
        batch.add_column(sa.Column("pool_id", sa.String(24)))
        batch.add_column(
            sa.Column("status", sa.String(16), nullable=False, server_default="active")
        )
        batch.add_column(sa.Column("owner_identifier", sa.String(11)))
        batch.add_column(sa.Column("owner_name", sa.String(200)))
        batch.add_column(sa.Column("buyer_identifier", sa.String(11)))
        batch.add_column(sa.Column("activated_at", UTCDateTime))
        batch.add_column(sa.Column("deactivated_at", UTCDateTime))
        batch.add_column(sa.Column("planned_activation_at", UTCDateTime))
    op.create_index(
        "ix_loyalty_certificates_owner", "loyalty_certificates", ["shop_id", "owner_identifier"]
    )
    op.create_index("ix_loyalty_certificates_pool", "loyalty_certificates", ["pool_id"])


def downgrade() -> None:
    op.drop_index("ix_loyalty_certificates_pool", "loyalty_certificates")
    op.drop_index("ix_loyalty_certificates_owner", "loyalty_certificates")
    op.execute(
        "DELETE FROM loyalty_ledger WHERE certificate_id IN "
        "(SELECT id FROM loyalty_certificates WHERE pool_id IS NOT NULL)"
    )
    op.execute("DELETE FROM loyalty_certificates WHERE pool_id IS NOT NULL")
    with op.batch_alter_table("loyalty_certificates") as batch:
        for name in (
            "planned_activation_at",
            "deactivated_at",
            "activated_at",
            "buyer_identifier",
            "owner_name",
            "owner_identifier",
            "status",
            "pool_id",
        ):
            batch.drop_column(name)
    op.drop_table("loyalty_certificate_pools")
    op.drop_index("ix_loyalty_coupons_list", "loyalty_coupons")
    op.execute("DELETE FROM loyalty_coupons WHERE member_id IS NULL")
    with op.batch_alter_table("loyalty_coupons") as batch:
        batch.drop_column("handed_out_to")
        batch.drop_column("handed_out_at")
        batch.drop_column("list_id")
        batch.alter_column("member_id", existing_type=sa.String(24), nullable=False)
    op.drop_table("loyalty_promo_lists")
    op.drop_index("ix_cdp_order_versions_order", "cdp_order_versions")
    op.drop_table("cdp_order_versions")
    op.drop_table("cdp_orders")
    op.drop_index("ix_loyalty_codes_lookup", "loyalty_codes")
    op.drop_table("loyalty_codes")
