"""Buyer self-service: the signed, expiring link to one order's page, and cancellation requests.

A link is `<order id>.<expiry, unix seconds>.<HMAC>`: unforgeable without the server's secret,
useless after its expiry and naming one order only. The page's forms carry a CSRF token bound
to the link and to a random cookie of the buyer's browser, so a link alone cannot post.
"""

import base64
import hashlib
import hmac
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum

from kassa.core.errors import ErrorKind, KassaError, NotFound
from kassa.core.orders import OPEN, Order, OrderStatus

LINK_TTL = timedelta(days=30)
MAX_LINK_TTL = timedelta(days=366)
BUYER = "buyer"  # the actor the timeline names for what the buyer did on the page


class LinkInvalid(NotFound):
    """Forged, altered, expired, or for an order that has ended: all look the same."""

    code = "link_invalid"


class CancellationNeedsApproval(KassaError):
    kind = ErrorKind.CONFLICT
    code = "cancellation_needs_approval"


class CancellationRequestPending(KassaError):
    kind = ErrorKind.CONFLICT
    code = "cancellation_request_pending"


class CancellationRequestDecided(KassaError):
    kind = ErrorKind.CONFLICT
    code = "cancellation_request_decided"


class CancellationRequestNotFound(NotFound):
    code = "cancellation_request_not_found"


class RequestStatus(StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    DECLINED = "declined"


@dataclass(frozen=True)
class CancellationRequest:
    """A buyer's request to cancel (the whole order when `tickets` is empty)."""

    id: str
    order_id: str
    org_id: str
    event_id: str
    tickets: tuple[str, ...]
    comment: str | None
    status: RequestStatus
    requested_at: datetime
    decided_at: datetime | None = None
    decided_by: str | None = None
    decision_reason: str | None = None


def _key(secret: str) -> bytes:
    return hashlib.sha256(b"kassa-self-service|" + secret.encode()).digest()


def _mac(secret: str, text: str) -> str:
    digest = hmac.new(_key(secret), text.encode(), hashlib.sha256).digest()[:18]
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


def sign(secret: str, order_id: str, expires_at: datetime, *, purpose: str = "link") -> str:
    """The link's token for this order, valid until `expires_at`. A `purpose` other than
    the order page's (`offer`: a waiting list's offer) signs apart: one never opens the other."""
    payload = f"{order_id}.{int(expires_at.timestamp())}"
    return f"{payload}.{_mac(secret, f'{purpose}|' + payload)}"


def verify(
    secret: str, token: str, now: datetime, *, purpose: str = "link"
) -> tuple[str, datetime]:
    """(order id, expiry) of a genuine, unexpired token; LinkInvalid otherwise."""
    order_id, _, rest = token.partition(".")
    expiry, _, mac = rest.partition(".")
    expected = _mac(secret, f"{purpose}|{order_id}.{expiry}")
    if not expiry.isdigit() or len(expiry) > 12 or not hmac.compare_digest(mac, expected):
        raise LinkInvalid("This link is not valid")
    expires_at = datetime.fromtimestamp(int(expiry), UTC)
    if expires_at <= now:
        raise LinkInvalid("This link is not valid")
    return order_id, expires_at


def csrf_token(secret: str, token: str, nonce: str) -> str:
    """The page's form token: bound to the link and to the browser's cookie nonce."""
    return _mac(secret, f"csrf|{nonce}|{token}")


def csrf_ok(secret: str, token: str, nonce: str, given: str) -> bool:
    return bool(nonce) and hmac.compare_digest(
        given.encode(), csrf_token(secret, token, nonce).encode()
    )


def still_open(order: Order) -> bool:
    """The link works while the order holds something: open, or paid with tickets left
    (a refunded, cancelled or expired order has ended)."""
    if order.status in OPEN:
        return True
    return order.status is OrderStatus.DONE and bool(order.active_lines)


def link_expiry(now: datetime, ttl: timedelta | None) -> datetime:
    """When a new link stops working: `ttl` from now (30 days unless asked), at most a year."""
    return now + min(ttl or LINK_TTL, MAX_LINK_TTL)
