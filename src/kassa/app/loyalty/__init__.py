"""Loyalty use cases (REES46-style checkout, members, administration), one transaction each.

`admin` (shops, programs, promo codes, certificates, adjustments, events), `members` (join,
status, history), `checkout` (estimate, apply, confirm, details), `change` (a Fulfilled
order's new cart, and the pieces of a partial cancel), `resolve` (what a request names, as it
stands now), `ledger` (an order's accounts and the rows that move them). Callers keep using
`from kassa.app import loyalty` and `loyalty.apply(...)`.
"""

from kassa.app.loyalty.admin import (
    add_promo_code,
    adjust_bonuses,
    authenticate,
    create_shop,
    hash_secret,
    issue_certificate,
    link_event,
    set_program,
    shop_by_id,
    shops_of,
)
from kassa.app.loyalty.change import (
    Shrinkage,
    change,
    change_plan,
    shrinkage,
    version_of,
    without_items,
)
from kassa.app.loyalty.checkout import apply, confirm, details, estimate, summary
from kassa.app.loyalty.ledger import current_accounts, ledger_rows
from kassa.app.loyalty.members import MemberStatus, history, join, member_status
from kassa.app.loyalty.request import CheckoutRequest, request_from

__all__ = [
    "CheckoutRequest",
    "MemberStatus",
    "Shrinkage",
    "add_promo_code",
    "adjust_bonuses",
    "apply",
    "authenticate",
    "change",
    "change_plan",
    "confirm",
    "create_shop",
    "current_accounts",
    "details",
    "estimate",
    "hash_secret",
    "history",
    "issue_certificate",
    "join",
    "ledger_rows",
    "link_event",
    "member_status",
    "request_from",
    "set_program",
    "shop_by_id",
    "shops_of",
    "shrinkage",
    "summary",
    "version_of",
    "without_items",
]
