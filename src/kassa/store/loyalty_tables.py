"""Tables of the loyalty face's side services: one-time codes (SMS OTP and till QR), the
shop's CDP orders (`/sync/orders`), promo-code lists (`/promo_codes*`), and the members' kept
ledger folds. On the one `metadata` of `kassa.store.tables`."""

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    UniqueConstraint,
)

from kassa.store.tables import BigId, Id, metadata
from kassa.store.types import ExactDecimal, UTCDateTime

# A code is kept only as a salted hash; `attempts` counts wrong guesses, `used_at` the one
# success. A newer code of the same (shop, identifier, kind, event) replaces the older ones.
loyalty_codes = Table(
    "loyalty_codes",
    metadata,
    Column("id", Id, primary_key=True),
    Column("shop_id", String(32), ForeignKey("loyalty_shops.id"), nullable=False),
    Column("identifier", String(11), nullable=False),
    Column("kind", String(8), nullable=False),  # otp | qr
    Column("event", String(64), nullable=False),
    Column("salt", String(32), nullable=False),
    Column("code_hash", String(64), nullable=False),
    Column("attempts", Integer, nullable=False),
    Column("expires_at", UTCDateTime, nullable=False),
    Column("used_at", UTCDateTime),
    Column("created_at", UTCDateTime, nullable=False),
    Index("ix_loyalty_codes_lookup", "shop_id", "identifier", "kind", "event"),
)

# The shop's own orders as its CDP knows them: reports and triggers, never loyalty effects.
cdp_orders = Table(
    "cdp_orders",
    metadata,
    Column("shop_id", String(32), ForeignKey("loyalty_shops.id"), primary_key=True),
    Column("id", String(64), primary_key=True),
    Column("status", String(64), nullable=False),  # the shop's own word
    Column("state", String(16), nullable=False),  # placed | fulfilled | cancelled
    Column("channel", String(64), nullable=False),
    Column("customer", JSON, nullable=False),
    Column("total", ExactDecimal(14, 2), nullable=False),
    Column("items", JSON, nullable=False),
    Column("fields", JSON, nullable=False),
    Column("status_at", UTCDateTime, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
)

# Every accepted version of a CDP order, append-only: the history of its contents.
cdp_order_versions = Table(
    "cdp_order_versions",
    metadata,
    Column("seq", BigId, primary_key=True, autoincrement=True),
    Column("shop_id", String(32), nullable=False),
    Column("order_id", String(64), nullable=False),
    Column("status", String(64), nullable=False),
    Column("state", String(16), nullable=False),
    Column("body", JSON, nullable=False),
    Column("at", UTCDateTime, nullable=False),
    Index("ix_cdp_order_versions_order", "shop_id", "order_id"),
)

# A folder of single-use promo codes the shop uploads (`/promo_codes*`); the codes themselves
# are coupons of no member (`loyalty_coupons.list_id`), so checkout reserves, uses and gives
# them back exactly as it does a member's coupon.
loyalty_promo_lists = Table(
    "loyalty_promo_lists",
    metadata,
    Column("shop_id", String(32), ForeignKey("loyalty_shops.id"), primary_key=True),
    Column("id", String(64), primary_key=True),
    Column("name", String(200), nullable=False),
    Column("kind", String(8), nullable=False),  # fix | percent
    Column("value", ExactDecimal(14, 2), nullable=False),
    Column("issue_order", String(4), nullable=False),  # fifo | lifo
    Column("created_at", UTCDateTime, nullable=False),
)

# The settings certificates are issued under (REES46 certificate pools, `kassa.core.certificates`).
loyalty_certificate_pools = Table(
    "loyalty_certificate_pools",
    metadata,
    Column("id", Id, primary_key=True),
    Column("shop_id", String(32), ForeignKey("loyalty_shops.id"), nullable=False),
    Column("code", String(64), nullable=False),
    Column("name", String(200), nullable=False),
    Column("description", String(1000), nullable=False),
    Column("status", String(16), nullable=False),
    Column("nominal", ExactDecimal(14, 2), nullable=False),
    Column("flexible_nominal", Boolean, nullable=False),
    Column("max_flexible_nominal", ExactDecimal(14, 2)),
    Column("personal", Boolean, nullable=False),
    Column("promo", Boolean, nullable=False),
    Column("expiration_days", Integer, nullable=False),
    Column("activation_delay", Integer, nullable=False),
    Column("min_order_value", ExactDecimal(14, 2), nullable=False),
    Column("payable_order_share", Integer, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    UniqueConstraint("shop_id", "code", name="uq_loyalty_certificate_pools_shop_code"),
)

# A member's ledger entries up to `upto`, folded once (bonus lots, spent total, stickers):
# a cache the checkout keeps and reads instead of those entries (`kassa.store.loyalty_balances`).
loyalty_balances = Table(
    "loyalty_balances",
    metadata,
    Column("member_id", Id, ForeignKey("loyalty_members.id"), primary_key=True),
    Column("shop_id", String(32), nullable=False),
    Column("upto", UTCDateTime, nullable=False),
    Column("figures", JSON, nullable=False),
)
