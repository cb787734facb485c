"""Prepaid certificates issued from pools (REES46 `/loyalty/certificates*`), without I/O.

A pool holds the settings: the nominal (fixed, or chosen at issue up to a maximum), whether a
certificate is personal (spent only by its owner) or promo (handed out free: one per order, and
able to pay at most `payable_order_share` % of it), the days until it expires once active, the
days its activation is put off, and the smallest order it pays for.

The moves: issue → `created`; `activate` → `active` (or `scheduled` until the pool's delay has
passed); `block` ⇄ `unblock` (an active certificate pauses); `deactivate` from any state but
`deactivated` is final. Only an active, unexpired certificate pays.
"""

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from decimal import Decimal

from kassa.core.errors import LoyaltyInvalid
from kassa.core.loyalty_orders import CertificateRow

MAX_NOMINAL = Decimal("9999999999.99")
MAX_DAYS = 36500


@dataclass(frozen=True)
class Pool:
    id: str
    shop_id: str
    code: str
    name: str
    description: str
    nominal: Decimal
    flexible_nominal: bool
    max_flexible_nominal: Decimal | None
    personal: bool
    promo: bool
    expiration_days: int
    activation_delay: int
    min_order_value: Decimal
    payable_order_share: int
    status: str = "active"

    def nominal_of(self, asked: Decimal | None) -> Decimal:
        if asked is None:
            return self.nominal
        if not self.flexible_nominal:
            raise LoyaltyInvalid("Nominal is not valid: the pool's nominal is fixed")
        ceiling = self.max_flexible_nominal or MAX_NOMINAL
        if not asked.is_finite() or not Decimal("0.01") <= asked <= ceiling:
            raise LoyaltyInvalid("Nominal is not valid")
        return asked.quantize(Decimal("0.01"))


def validate_pool(pool: Pool) -> None:
    if not pool.nominal.is_finite() or not Decimal("0.01") <= pool.nominal <= MAX_NOMINAL:
        raise LoyaltyInvalid("nominal is not valid")
    if not 0 <= pool.expiration_days <= MAX_DAYS or not 0 <= pool.activation_delay <= MAX_DAYS:
        raise LoyaltyInvalid("expiration_days and activation_delay are 0..36500")
    if not 1 <= pool.payable_order_share <= 100:
        raise LoyaltyInvalid("payable_order_share is 1..100")
    if not pool.min_order_value.is_finite() or not 0 <= pool.min_order_value <= MAX_NOMINAL:
        raise LoyaltyInvalid("min_order_value is not valid")


def activate(
    cert: CertificateRow,
    pool: Pool | None,
    now: datetime,
    *,
    nominal: Decimal | None,
    owner_identifier: str | None,
    owner_name: str | None,
) -> CertificateRow:
    if cert.status != "created":
        raise LoyaltyInvalid(f"Certificate is {cert.state(now)}: only a created one activates")
    owner = owner_identifier or cert.owner_identifier
    if pool is not None and pool.personal and not owner:
        raise LoyaltyInvalid("owner_identifier is required for a personal certificate")
    amount = pool.nominal_of(nominal) if pool is not None and nominal is not None else cert.amount
    delay = timedelta(days=pool.activation_delay if pool else 0)
    starts = now + delay
    days = pool.expiration_days if pool else 0
    return replace(
        cert,
        amount=amount,
        status="scheduled" if delay else "active",
        owner_identifier=owner,
        owner_name=owner_name or cert.owner_name,
        activated_at=starts,
        planned_activation_at=starts if delay else None,
        expires_at=starts + timedelta(days=days) if days else cert.expires_at,
    )


def block(cert: CertificateRow, now: datetime) -> CertificateRow:
    if cert.state(now) != "active":
        raise LoyaltyInvalid(f"Certificate is {cert.state(now)}: only an active one is blocked")
    return replace(cert, status="blocked", planned_activation_at=None)


def unblock(cert: CertificateRow, now: datetime) -> CertificateRow:
    if cert.status != "blocked":
        raise LoyaltyInvalid(f"Certificate is {cert.state(now)}: only a blocked one is unblocked")
    return replace(cert, status="active")


def deactivate(cert: CertificateRow, now: datetime) -> CertificateRow:
    if cert.status == "deactivated":
        raise LoyaltyInvalid("Certificate is deactivated already")
    return replace(cert, status="deactivated", deactivated_at=now, planned_activation_at=None)


def refusal(
    cert: CertificateRow,
    pool: Pool | None,
    identifier: str | None,
    order_total: Decimal,
    now: datetime,
) -> str | None:
    """Why the certificate cannot pay for this order, or None if it can."""
    if cert.expired(now) or cert.state(now) != "active":
        return "Certificate is not valid"
    if pool is None:
        return None
    if pool.personal and identifier != cert.owner_identifier:
        return "Certificate is not valid"
    if order_total < pool.min_order_value:
        return "Order value is too low for the certificate"
    return None


def payable(pool: Pool | None, balance: Decimal, order_total: Decimal) -> Decimal:
    """What the certificate may pay of this order: its balance, and for a promo pool at most
    its share of the order (rounded down to the cent)."""
    if pool is None or not pool.promo or pool.payable_order_share >= 100:
        return balance
    cap = (order_total * pool.payable_order_share / 100).quantize(Decimal("0.01"), "ROUND_DOWN")
    return min(balance, cap)
