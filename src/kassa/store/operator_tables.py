"""Tables of the operator console: the people who sign in, and their browsers' sessions. On
the one `metadata` of `kassa.store.tables`."""

from sqlalchemy import Column, ForeignKey, Index, Integer, String, Table

from kassa.store.tables import Id, metadata
from kassa.store.types import UTCDateTime

# Operator console: people who sign in with a password (argon2 hash only), each in one
# organisation, optionally narrowed to one restaurant or loyalty shop of it.
operators = Table(
    "operators",
    metadata,
    Column("id", Id, primary_key=True),
    Column("org_id", Id, ForeignKey("organisations.id"), nullable=False),
    Column("email", String(254), nullable=False, unique=True),  # lowercased
    Column("name", String(200), nullable=False),
    Column("password_hash", String(255), nullable=False),
    Column("role", String(16), nullable=False),  # viewer | operator | admin
    Column("restaurant_id", String(64)),
    Column("shop_id", String(32)),
    Column("created_at", UTCDateTime, nullable=False),
    Column("disabled_at", UTCDateTime),
    # Wrong passwords in a row; at the limit the account locks for a while (no guessing).
    Column("failed_sign_ins", Integer, nullable=False, default=0),
    Column("locked_until", UTCDateTime),
)

# A signed-in browser: the cookie carries a random token, only its hash is stored.
operator_sessions = Table(
    "operator_sessions",
    metadata,
    Column("token_hash", String(64), primary_key=True),
    Column("operator_id", Id, nullable=False),
    Column("csrf", String(64), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("expires_at", UTCDateTime, nullable=False),
    Index("ix_operator_sessions_operator", "operator_id"),
)
