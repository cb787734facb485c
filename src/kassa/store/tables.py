"""The schema, as SQLAlchemy Core tables. Migrations in `migrations/` create exactly this."""

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    text,
)

from kassa.core.delivery import KITCHEN
from kassa.store.types import (
    BuyerEmail,
    BuyerPhone,
    DeliveryPhone,
    ExactDecimal,
    Money,
    UTCDateTime,
)

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(column_0_label)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)
Id = String(24)
BigId = BigInteger().with_variant(Integer(), "sqlite")


def partial(name: str, *columns: str, where: str, unique: bool = False) -> Index:
    """An index of only the rows `where` holds, on both databases."""
    clause = text(where)
    return Index(name, *columns, unique=unique, postgresql_where=clause, sqlite_where=clause)


# The topic of a done order's ticket mail (`kassa.app.mail_jobs.TICKETS_EMAIL`): a cancel
# looks for the order's unsent ones, by an index of those rows alone.
TICKET_MAIL_TOPIC = "tickets.email"

organisations = Table(
    "organisations",
    metadata,
    Column("id", Id, primary_key=True),
    Column("name", String(200), nullable=False),
    Column("fee_percent", ExactDecimal(7, 4), nullable=False),
    Column("fee_fixed", Money(), nullable=False),
    Column("webhook_url", String(500)),
    Column("webhook_secret", String(128)),
    Column("created_at", UTCDateTime, nullable=False),
)

partners = Table(
    "partners",
    metadata,
    Column("id", Id, primary_key=True),
    Column("org_id", Id, ForeignKey("organisations.id"), nullable=False, index=True),
    Column("name", String(200), nullable=False),
    Column("webhook_url", String(500)),
    Column("webhook_secret", String(128)),
    Column("created_at", UTCDateTime, nullable=False),
)

api_keys = Table(
    "api_keys",
    metadata,
    Column("id", Id, primary_key=True),
    Column("key_hash", String(64), nullable=False, unique=True),
    Column("org_id", Id, ForeignKey("organisations.id"), nullable=False),
    Column("partner_id", Id, ForeignKey("partners.id")),
    Column("label", String(200), nullable=False, default=""),
    Column("created_at", UTCDateTime, nullable=False),
    Column("revoked_at", UTCDateTime),
)

venues = Table(
    "venues",
    metadata,
    Column("id", Id, primary_key=True),
    Column("org_id", Id, ForeignKey("organisations.id"), nullable=False, index=True),
    Column("name", String(200), nullable=False),
    Column("address", String(500), nullable=False, default=""),
    Column("city", String(200), nullable=False, default=""),
    Column("country", String(2), nullable=False, default=""),
    Column("timezone", String(64), nullable=False),
)

events = Table(
    "events",
    metadata,
    Column("id", Id, primary_key=True),
    Column("org_id", Id, ForeignKey("organisations.id"), nullable=False, index=True),
    Column("title", String(300), nullable=False),
    Column("description", Text),
    Column("starts_at", UTCDateTime, nullable=False),
    Column("ends_at", UTCDateTime, nullable=False),
    Column("timezone", String(64), nullable=False),
    Column("venue_id", Id, ForeignKey("venues.id")),
    Column("status", String(16), nullable=False),
    Column("age_rating", Integer, nullable=False, default=0),
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
)

ticket_sets = Table(
    "ticket_sets",
    metadata,
    Column("id", Id, primary_key=True),
    Column("event_id", Id, ForeignKey("events.id"), nullable=False, index=True),
    Column("name", String(200), nullable=False),
    Column("price", Money(), nullable=False),
    Column("capacity", Integer, nullable=False),
    Column("serial", String(8), nullable=False),
    Column("with_seats", Boolean, nullable=False, default=False),
    Column("position", Integer, nullable=False, default=0),
    Column("created_at", UTCDateTime, nullable=False),
)

price_rules = Table(
    "price_rules",
    metadata,
    Column("id", Id, primary_key=True),
    Column("set_id", Id, ForeignKey("ticket_sets.id"), nullable=False, index=True),
    Column("price", Money(), nullable=False),
    Column("starts_at", UTCDateTime),
    Column("ends_at", UTCDateTime),
    Column("created_at", UTCDateTime, nullable=False),
)

tickets = Table(
    "tickets",
    metadata,
    Column("id", Id, primary_key=True),
    Column("event_id", Id, ForeignKey("events.id"), nullable=False),
    Column("set_id", Id, ForeignKey("ticket_sets.id"), nullable=False),
    Column("serial", String(8), nullable=False),
    Column("number", Integer, nullable=False),
    Column("status", String(16), nullable=False),
    Column("order_id", Id),
    Column("seat_sector", String(64)),
    Column("seat_row", Integer),
    Column("seat_number", Integer),
    UniqueConstraint("set_id", "number", name="uq_tickets_set_number"),
    Index("ix_tickets_event_status", "event_id", "status"),
    Index("ix_tickets_order", "order_id"),
    # The hot path claims vacant rows of one set; a partial index keeps that scan short.
    partial("ix_tickets_vacant", "set_id", "id", where="status = 'vacant'"),
)

orders = Table(
    "orders",
    metadata,
    # `number` is the human-facing order number: a sequence, never a hot counter row.
    Column("number", BigId, primary_key=True, autoincrement=True),
    Column("id", Id, nullable=False, unique=True),
    Column("event_id", Id, ForeignKey("events.id"), nullable=False),
    Column("org_id", Id, ForeignKey("organisations.id"), nullable=False),
    Column("vendor_id", Id, nullable=False),
    Column("status", String(16), nullable=False),
    Column("origin", String(32), nullable=False),
    Column("customer", JSON, nullable=False),
    Column("payment", JSON, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    Column("reserved_till", UTCDateTime, nullable=False),
    Column("done_at", UTCDateTime),
    # v2: settings (send_tickets, invitation, subscribe_agree), the seller's own data, the ids
    # of the promo codes applied now, and the 8-character code the order gets when done.
    Column("settings", JSON),
    Column("vendor_data", JSON),
    Column("promocodes", JSON),
    Column("code", String(8)),
    # By number too: a whole-event cancellation visits the event's orders in number order,
    # a batch at a time from where it stopped.
    Index("ix_orders_event", "event_id", "number"),
    Index("ix_orders_org_created", "org_id", "created_at"),
    Index("ix_orders_vendor_created", "vendor_id", "created_at"),
    partial("ix_orders_open_due", "reserved_till", where="status IN ('executed', 'in_progress')"),
)

promocodes = Table(
    "promocodes",
    metadata,
    Column("id", Id, primary_key=True),
    Column("org_id", Id, ForeignKey("organisations.id"), nullable=False),
    Column("event_id", Id, ForeignKey("events.id"), nullable=False),
    Column("code", String(64), nullable=False),
    # The code as matched: lower case, so `PROMO100` and `promo100` are one code.
    Column("code_key", String(64), nullable=False),
    Column("discount_kind", String(16), nullable=False),
    Column("discount_value", ExactDecimal(14, 2), nullable=False),
    Column("starts_at", UTCDateTime),
    Column("finishes_at", UTCDateTime),
    Column("set_ids", JSON, nullable=False),
    Column("min_tickets", Integer),
    Column("max_tickets", Integer),
    Column("usage_limit", Integer),
    # Uses taken by orders that hold the code now; a cancel or expiry gives its use back.
    Column("used", Integer, nullable=False, default=0),
    Column("viral", Boolean, nullable=False, default=False),
    Column("active", Boolean, nullable=False, default=True),
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    UniqueConstraint("event_id", "code_key", name="uq_promocodes_event_code"),
    CheckConstraint("used >= 0", name="ck_promocodes_used_not_negative"),
)

order_lines = Table(
    "order_lines",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("order_id", Id, nullable=False, index=True),
    Column("ticket_id", Id, nullable=False),
    Column("set_id", Id, nullable=False),
    Column("rule_id", Id, nullable=False),
    Column("state", String(16), nullable=False),
    Column("price", Money(), nullable=False),
    Column("discount", Money(), nullable=False),
    Column("nominal", Money(), nullable=False),
    Column("extra", Money(), nullable=False),
    Column("full", Money(), nullable=False),
    # Issued when the order is done; kept with the line, so a ticket sold again gets a new one.
    Column("barcode", String(32), unique=True),
    Column("created_at", UTCDateTime, nullable=False),
    Column("ended_at", UTCDateTime),
)

audit_log = Table(
    "audit_log",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("order_id", Id, nullable=False, index=True),
    Column("at", UTCDateTime, nullable=False),
    Column("actor", String(64), nullable=False),
    Column("action", String(64), nullable=False),
    Column("from_status", String(32)),
    Column("to_status", String(32)),
    Column("reason", String(500)),
    Column("details", JSON, nullable=False),
    # The X-Request-Id of the HTTP request that made the change (None: the worker, the CLI).
    Column("request_id", String(128)),
    Column("org_id", Id),  # None only on old rows whose order migration 0025 did not find
    # /metrics counts cancellations by reason: a scrape reads only the rows of these actions.
    Index("ix_audit_log_action", "action"),
    Index("ix_audit_log_org_at", "org_id", "at"),  # the dashboard's window of one organisation
)

outbox = Table(
    "outbox",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("topic", String(64), nullable=False),
    Column("org_id", Id, nullable=False),
    Column("partner_id", Id),
    Column("order_id", Id),
    Column("payload", JSON, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("available_at", UTCDateTime, nullable=False),
    Column("attempts", Integer, nullable=False, default=0),
    Column("delivered_at", UTCDateTime),
    Column("last_error", Text),
    # The worker claims the due ones in id order from here (no sort of the whole backlog);
    # `available_at` is checked in the index, so a row not due yet costs no heap visit.
    partial("ix_outbox_pending", "id", "available_at", where="delivered_at IS NULL"),
    partial(
        "ix_outbox_unsent_ticket_mail",
        "order_id",
        where=f"delivered_at IS NULL AND topic = '{TICKET_MAIL_TOPIC}'",
    ),
)

refund_requests = Table(
    "refund_requests",
    metadata,
    Column("id", Id, primary_key=True),
    Column("org_id", Id, ForeignKey("organisations.id"), nullable=False),
    Column("vendor_id", Id, nullable=False),
    Column("event_id", Id, nullable=False),
    Column("order_id", Id, nullable=False),
    Column("status", String(16), nullable=False),
    Column("culprit", String(8), nullable=False),
    Column("policy", String(16), nullable=False),
    Column("tickets", JSON, nullable=False),
    Column("refund_nominal", Money(), nullable=False),
    Column("customer_money", Money(), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("requested_at", UTCDateTime, nullable=False),
    Column("finished_at", UTCDateTime),
    Column("kept", JSON),  # v1: the tickets the caller said stay in the order
    Index("ix_refund_requests_order", "order_id"),
    Index("ix_refund_requests_org_created", "org_id", "created_at"),
)

# --- loyalty ------------------------------------------------------------------------------

loyalty_shops = Table(
    "loyalty_shops",
    metadata,
    Column("id", String(32), primary_key=True),  # the shop_id the till sends
    Column("org_id", Id, ForeignKey("organisations.id"), nullable=False),
    Column("name", String(200), nullable=False),
    Column("secret_hash", String(64), nullable=False),
    Column("program", JSON, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
)

loyalty_members = Table(
    "loyalty_members",
    metadata,
    Column("id", Id, primary_key=True),
    Column("shop_id", String(32), ForeignKey("loyalty_shops.id"), nullable=False),
    Column("identifier", String(11), nullable=False),
    Column("referral_code", String(16), nullable=False),
    Column("referrer_id", Id),
    Column("created_at", UTCDateTime, nullable=False),
    UniqueConstraint("shop_id", "identifier", name="uq_loyalty_members_shop_identifier"),
    UniqueConstraint("shop_id", "referral_code", name="uq_loyalty_members_shop_referral"),
    Index("ix_loyalty_members_shop_created", "shop_id", "created_at", "id"),  # console's pages
)

# Bonuses, stickers and certificate balances: append-only. A cancel appends reversing rows.
loyalty_ledger = Table(
    "loyalty_ledger",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("shop_id", String(32), nullable=False),
    Column("account", String(16), nullable=False),  # bonus | sticker | certificate
    Column("member_id", Id),
    Column("certificate_id", Id),
    Column("sticker", String(64)),
    Column("order_id", String(64)),  # the shop's order id
    Column("entry", String(16), nullable=False),
    Column("amount", ExactDecimal(14, 2), nullable=False),
    Column("at", UTCDateTime, nullable=False),
    Column("expires_at", UTCDateTime),
    Column("note", String(500)),
    # By time too: a member's entries after their kept fold (`kassa.store.loyalty_balances`).
    Index("ix_loyalty_ledger_member", "member_id", "at"),
    Index("ix_loyalty_ledger_certificate", "certificate_id"),
    Index("ix_loyalty_ledger_order", "shop_id", "order_id"),
)

loyalty_certificates = Table(
    "loyalty_certificates",
    metadata,
    Column("id", Id, primary_key=True),
    Column("shop_id", String(32), ForeignKey("loyalty_shops.id"), nullable=False),
    Column("code", String(64), nullable=False),
    Column("amount", Money(), nullable=False),
    Column("expires_at", UTCDateTime),
    Column("created_at", UTCDateTime, nullable=False),
    # From a pool through the REES46 certificate API (None: issued by the organiser).
    Column("pool_id", Id),
    Column("status", String(16), nullable=False, server_default="active"),
    Column("owner_identifier", String(11)),
    Column("owner_name", String(200)),
    Column("buyer_identifier", String(11)),
    Column("activated_at", UTCDateTime),
    Column("deactivated_at", UTCDateTime),
    Column("planned_activation_at", UTCDateTime),
    UniqueConstraint("shop_id", "code", name="uq_loyalty_certificates_shop_code"),
    Index("ix_loyalty_certificates_owner", "shop_id", "owner_identifier"),
    Index("ix_loyalty_certificates_pool", "pool_id"),
)

loyalty_promo_codes = Table(
    "loyalty_promo_codes",
    metadata,
    Column("id", Id, primary_key=True),
    Column("shop_id", String(32), ForeignKey("loyalty_shops.id"), nullable=False),
    Column("code", String(64), nullable=False),
    Column("kind", String(8), nullable=False),
    Column("value", ExactDecimal(14, 2), nullable=False),
    Column("active", Boolean, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    UniqueConstraint("shop_id", "code", name="uq_loyalty_promo_codes_shop_code"),
)

# A promo-code list's codes: free ones (`/promo_codes/fetch` hands them out), held by a device.
_FREE_CODE, _HELD_CODE = "handed_out_at IS NULL AND status = 'active'", "handed_out_to IS NOT NULL"
loyalty_coupons = Table(
    "loyalty_coupons",
    metadata,
    Column("id", Id, primary_key=True),
    Column("shop_id", String(32), nullable=False),
    Column("member_id", Id),  # None: a code of a promo-code list, anyone's who holds it
    Column("code", String(64), nullable=False),
    Column("kind", String(8), nullable=False),
    Column("value", ExactDecimal(14, 2), nullable=False),
    Column("issued_by", String(64), nullable=False),  # the order that earned it, or list:<id>
    Column("status", String(16), nullable=False),  # active | used | voided
    Column("used_by", String(64)),
    Column("expires_at", UTCDateTime, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("list_id", String(64)),  # the promo-code list it was uploaded to
    Column("handed_out_at", UTCDateTime),  # when `/promo_codes/fetch` gave it out
    Column("handed_out_to", String(128)),  # the device it is bound to (fetch without secret)
    UniqueConstraint("shop_id", "code", name="uq_loyalty_coupons_shop_code"),
    # A promo-code list's free codes in hand-out order, and the code a device holds.
    partial("ix_loyalty_coupons_free", "shop_id", "list_id", "created_at", "id", where=_FREE_CODE),
    partial("ix_loyalty_coupons_device", "shop_id", "list_id", "handed_out_to", where=_HELD_CODE),
    Index("ix_loyalty_coupons_used_by", "shop_id", "used_by"),  # an order's coupons, used
    Index("ix_loyalty_coupons_issued_by", "shop_id", "issued_by"),  # and earned
)

loyalty_orders = Table(
    "loyalty_orders",
    metadata,
    Column("id", Id, primary_key=True),
    Column("shop_id", String(32), nullable=False),
    Column("order_id", String(64), nullable=False),
    Column("member_id", Id),
    Column("status", String(16), nullable=False),
    Column("request", JSON, nullable=False),  # the cart and codes as last applied
    Column("result", JSON, nullable=False),  # the payload of the last calculation
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    UniqueConstraint("shop_id", "order_id", name="uq_loyalty_orders_shop_order"),
    Index("ix_loyalty_orders_shop_created", "shop_id", "created_at"),
    # A member's orders; whether they have a fulfilled one (a checkout's first-order rules).
    Index("ix_loyalty_orders_member", "member_id", "status"),
)

# An organiser's event whose done ticket orders earn bonuses in one of its loyalty shops.
event_loyalty = Table(
    "event_loyalty",
    metadata,
    Column("event_id", Id, ForeignKey("events.id"), primary_key=True),
    Column("shop_id", String(32), ForeignKey("loyalty_shops.id"), nullable=False),
)

# --- delivery (Kassa as the restaurant's system) ------------------------------------------

delivery_clients = Table(
    "delivery_clients",
    metadata,
    Column("client_id", String(64), primary_key=True),
    Column("org_id", Id, ForeignKey("organisations.id"), nullable=False),
    Column("secret_hash", String(64), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
)

delivery_tokens = Table(
    "delivery_tokens",
    metadata,
    Column("token_hash", String(64), primary_key=True),
    Column("client_id", String(64), nullable=False),
    Column("expires_at", UTCDateTime, nullable=False),
)

restaurants = Table(
    "restaurants",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("org_id", Id, ForeignKey("organisations.id"), nullable=False),
    Column("title", String(200), nullable=False),
    Column("address", String(500), nullable=False),
    # A loyalty shop of the same organisation whose members earn on delivered orders (the
    # app checks the organisation; the key checks the shop exists).
    Column("shop_id", String(32), ForeignKey("loyalty_shops.id")),
    Column("created_at", UTCDateTime, nullable=False),
)

menu_items = Table(
    "menu_items",
    metadata,
    Column("restaurant_id", String(64), ForeignKey("restaurants.id"), primary_key=True),
    Column("id", String(64), primary_key=True),
    Column("name", String(200), nullable=False),
    Column("category", String(100), nullable=False),
    Column("price", Money(), nullable=False),
    # In thousandths of a unit (exact integer arithmetic in SQL on SQLite and PostgreSQL).
    # NULL: not counted. Each item is its own row: orders of different items never meet.
    Column("stock_milli", BigInteger),
)

_IN_KITCHEN = f"status IN ({', '.join(repr(s.value) for s in KITCHEN)})"
delivery_orders = Table(
    "delivery_orders",
    metadata,
    Column("id", String(24), primary_key=True),
    Column("org_id", Id, nullable=False),
    Column("restaurant_id", String(64), nullable=False),
    Column("eats_id", String(32), nullable=False),
    Column("discriminator", String(16), nullable=False),
    Column("status", String(32), nullable=False),
    Column("request", JSON, nullable=False),  # the aggregator's order as last sent
    Column("lines", JSON, nullable=False),  # what the restaurant accepted, with holds
    Column("dropped", JSON, nullable=False),  # lines out of stock, left out
    Column("status_comment", String(500)),
    Column("status_reason", String(64)),
    Column("courier", JSON),
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    UniqueConstraint("org_id", "eats_id", name="uq_delivery_orders_org_eats"),
    Index("ix_delivery_orders_org_created", "org_id", "created_at"),
    # The orders in the kitchen (the console's board reads them every 3 s), not the history.
    partial("ix_delivery_orders_kitchen", "org_id", "created_at", where=_IN_KITCHEN),
)
# The console searches orders by buyer: expression indexes on the same SQL the search uses.
Index("ix_orders_buyer_email", orders.c.org_id, BuyerEmail(orders.c.customer))
Index("ix_orders_buyer_phone", orders.c.org_id, BuyerPhone(orders.c.customer))
Index(
    "ix_delivery_orders_phone",
    delivery_orders.c.org_id,
    DeliveryPhone(delivery_orders.c.request),
)

# Idempotency-Key: the first answer to a mutating call, replayed to its retries for 24 h.
idempotency_keys = Table(
    "idempotency_keys",
    metadata,
    Column("scope", String(64), primary_key=True),  # a hash of the caller's credentials
    Column("key", String(255), primary_key=True),
    Column("fingerprint", String(64), nullable=False),  # method, path and body
    Column("state", String(16), nullable=False),  # running | done
    Column("status", Integer),
    Column("content_type", String(100)),
    Column("body", LargeBinary),
    Column("created_at", UTCDateTime, nullable=False),
    Index("ix_idempotency_keys_created", "created_at"),  # the worker's purge of old keys
)

# Registered webhook endpoints of an organisation (its shops and restaurants are its own),
# each with its secret and the events it wants; one delivery row per event and endpoint.
webhook_endpoints = Table(
    "webhook_endpoints",
    metadata,
    Column("id", Id, primary_key=True),
    Column("org_id", Id, ForeignKey("organisations.id"), nullable=False),
    Column("url", String(500), nullable=False),
    Column("secret", String(64), nullable=False),
    Column("events", JSON, nullable=False),
    Column("active", Boolean, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Index("ix_webhook_endpoints_org", "org_id"),
)

webhook_deliveries = Table(
    "webhook_deliveries",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("endpoint_id", Id, nullable=False),
    Column("event_id", BigInteger, nullable=False),  # the outbox message: one id per event
    Column("topic", String(64), nullable=False),
    Column("payload", JSON, nullable=False),
    Column("state", String(16), nullable=False),  # pending | delivered | dead
    Column("attempts", Integer, nullable=False),
    Column("available_at", UTCDateTime, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("delivered_at", UTCDateTime),
    Column("last_error", Text),
    UniqueConstraint("endpoint_id", "event_id", name="uq_webhook_deliveries_endpoint_event"),
    # Claimed as the outbox is, in id order from here.
    partial("ix_webhook_deliveries_due", "id", "available_at", where="state = 'pending'"),
    partial("ix_webhook_deliveries_dead", "endpoint_id", "id", where="state = 'dead'"),
)

# The loyalty face's side services live in a module of their own, on this same metadata.
from kassa.store import eventcancel_tables as _eventcancel_tables  # noqa: E402, F401
from kassa.store import loyalty_tables as _loyalty_tables  # noqa: E402, F401
from kassa.store import operator_tables as _operator_tables  # noqa: E402, F401
from kassa.store import policy_tables as _policy_tables  # noqa: E402, F401
from kassa.store import promocode_tables as _promocode_tables  # noqa: E402, F401
from kassa.store import selfservice_tables as _selfservice_tables  # noqa: E402, F401
from kassa.store import ticketing_tables as _ticketing_tables  # noqa: E402, F401
from kassa.store import waitlist_tables as _waitlist_tables  # noqa: E402, F401
