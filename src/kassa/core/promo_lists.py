"""Promo-code lists (REES46 `/promo_codes*`), without I/O.

A list is a folder of single-use codes the shop uploads, each worth the list's discount
(`fix` money or a `percent`). `fetch` hands codes out first in, first out (or last in, first
out, as the list says); a code is used by checking out with it, exactly like a member's coupon
(reserved by apply, used by confirm, given back by a cancel), but by whoever holds it.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from kassa.core.errors import LoyaltyInvalid

MAX_UPLOAD = 10_000
MAX_CODE = 64
KINDS = ("fix", "percent")
ORDERS = ("fifo", "lifo")


@dataclass(frozen=True)
class PromoList:
    shop_id: str
    id: str
    name: str
    kind: str
    value: Decimal
    issue_order: str
    created_at: datetime


def list_id(raw: object) -> str:
    """A list id: the shop's own, a number or a string of up to 64 characters."""
    if isinstance(raw, int) and not isinstance(raw, bool):
        raw = str(raw)
    if not isinstance(raw, str) or not raw.strip() or len(raw.strip()) > MAX_CODE:
        raise LoyaltyInvalid("Promo code list id is not valid")
    return raw.strip()


def codes_of(raw: object) -> list[str]:
    """Upper-cased, trimmed, each once, in the order given."""
    if not isinstance(raw, list) or not raw:
        raise LoyaltyInvalid("codes is required")
    if len(raw) > MAX_UPLOAD:
        raise LoyaltyInvalid(f"At most {MAX_UPLOAD} codes per request")
    found: dict[str, None] = {}
    for code in raw:
        if not isinstance(code, str) or not code.strip() or len(code.strip()) > MAX_CODE:
            raise LoyaltyInvalid("Code is not valid")
        found[code.strip().upper()] = None
    return list(found)


def validate_list(kind: str, value: Decimal, issue_order: str) -> None:
    if kind not in KINDS:
        raise LoyaltyInvalid("kind is fix or percent")
    if issue_order not in ORDERS:
        raise LoyaltyInvalid("issue_order is fifo or lifo")
    if not value.is_finite() or value <= 0 or (kind == "percent" and value > 100):
        raise LoyaltyInvalid("value is not valid")


def pick(
    lists: Sequence[tuple[PromoList, int]],
    *,
    active: bool,
    include: set[str] | None,
    exclude: set[str],
) -> list[tuple[PromoList, int]]:
    """The lists `GET /promo_codes` shows."""
    return [
        (found, available)
        for found, available in lists
        if (not active or available > 0)
        and (include is None or found.id in include)
        and found.id not in exclude
    ]
