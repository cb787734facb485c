"""The loyalty aggregates: shops, members, certificates, coupons, orders and ledger rows.

Plain values with the behaviour app code needs of them; the store converts its rows to and
from these (same columns, same JSON shapes).
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from kassa.core.cancellation.ledger import LedgerKey, LedgerMove
from kassa.core.loyalty import CartItem, Entry, LoyaltyStatus
from kassa.core.loyalty_program import Program
from kassa.core.money import ZERO, money


@dataclass(frozen=True)
class Shop:
    id: str
    org_id: str
    name: str
    secret_hash: str
    program: Program


@dataclass(frozen=True)
class Member:
    id: str
    shop_id: str
    identifier: str
    referral_code: str
    referrer_id: str | None
    created_at: datetime


@dataclass(frozen=True)
class CertificateRow:
    """A prepaid certificate: `amount` is its nominal, the ledger holds what it paid since.

    Issued by the organiser (active at once, no pool) or from a pool through the REES46
    certificate API (`created`, then `activate`d: `active`, or `scheduled` until
    `planned_activation_at`); `blocked` for a while, `deactivated` for good
    (`kassa.core.certificates` has the moves)."""

    id: str
    code: str
    amount: Decimal
    expires_at: datetime | None
    status: str = "active"
    pool_id: str | None = None
    owner_identifier: str | None = None
    owner_name: str | None = None
    buyer_identifier: str | None = None
    created_at: datetime | None = None
    activated_at: datetime | None = None
    deactivated_at: datetime | None = None
    planned_activation_at: datetime | None = None

    def expired(self, now: datetime) -> bool:
        return self.expires_at is not None and self.expires_at <= now

    def state(self, now: datetime) -> str:
        """The status as of `now`: a scheduled certificate is active once its time came."""
        if self.status == "scheduled" and self.planned_activation_at is not None:
            return "active" if self.planned_activation_at <= now else "scheduled"
        return self.status


@dataclass(frozen=True)
class CouponRow:
    id: str
    member_id: str | None  # None: a promo-code list's code, usable by whoever holds it
    code: str
    kind: str
    value: Decimal
    issued_by: str
    status: str
    used_by: str | None
    expires_at: datetime

    def usable_by(self, member_id: str | None, order_id: str | None, now: datetime) -> bool:
        """The member's own (or a list's code), unexpired, and free (or already held by this
        very order)."""
        return (
            (self.member_id is None or (member_id is not None and self.member_id == member_id))
            and self.expires_at > now
            and (self.status == "active" or self.used_by == order_id)
        )


@dataclass(frozen=True)
class LoyaltyOrder:
    """A checkout: its last request and its stored result (the figures the shop was shown)."""

    id: str
    shop_id: str
    order_id: str
    member_id: str | None
    status: LoyaltyStatus
    request: dict[str, Any]
    result: dict[str, Any]
    created_at: datetime
    updated_at: datetime

    @property
    def identifier(self) -> str | None:
        return self.request.get("identifier")

    @property
    def to_pay(self) -> Decimal:
        return money(Decimal(str(self.result.get("order_to_pay") or 0)))

    @property
    def bonuses_used(self) -> Decimal:
        return Decimal(str(self.result.get("bonuses_used", 0)))

    @property
    def referrer_id(self) -> str | None:
        return self.request.get("_referrer_id")

    @property
    def coupon_rules(self) -> list[dict[str, Any]]:
        return list(self.request.get("_coupon_rules") or ())

    def cart_lines(self) -> list[dict[str, Any]]:
        """The stored cart lines, as the request keeps them (copies)."""
        return [dict(x) for x in self.request.get("cart_items") or []]

    def cart(self) -> tuple[CartItem, ...]:
        return tuple(
            CartItem(
                i["product_id"],
                Decimal(i["price"]),
                Decimal(i["quantity"]),
                i["discountable"],
                i["bonusable"],
                i["rewardable"],
            )
            for i in self.request.get("cart_items") or []
        )


@dataclass(frozen=True, kw_only=True)
class LedgerRow:
    """One append-only ledger entry: `account` bonus|sticker|certificate|spent|coupon."""

    account: str
    entry: Entry
    amount: Decimal
    at: datetime
    member_id: str | None = None
    certificate_id: str | None = None
    sticker: str | None = None
    order_id: str | None = None
    expires_at: datetime | None = None
    note: str | None = None

    @property
    def spending(self) -> bool:
        return self.entry in (Entry.SPEND, Entry.RETURN)

    @property
    def key(self) -> LedgerKey:
        return (self.account, self.member_id, self.certificate_id, self.sticker, self.spending)

    @classmethod
    def earn(
        cls,
        member_id: str,
        amount: Decimal,
        at: datetime,
        expires_at: datetime | None,
        note: str | None = None,
    ) -> "LedgerRow":
        """Bonuses earned outside an order (a welcome gift)."""
        return cls._bonus(Entry.EARN, member_id, amount, at, expires_at, note)

    @classmethod
    def adjust(
        cls, member_id: str, amount: Decimal, at: datetime, expires_at: datetime | None, note: str
    ) -> "LedgerRow":
        """An operator's correction of a member's bonuses."""
        return cls._bonus(Entry.ADJUST, member_id, amount, at, expires_at, note)

    @classmethod
    def _bonus(
        cls,
        entry: Entry,
        member_id: str,
        amount: Decimal,
        at: datetime,
        expires_at: datetime | None,
        note: str | None,
    ) -> "LedgerRow":
        return cls(
            account="bonus",
            entry=entry,
            amount=amount,
            at=at,
            member_id=member_id,
            expires_at=expires_at,
            note=note,
        )

    @classmethod
    def remark(
        cls, account: str, member_id: str | None, order_id: str, at: datetime, note: str
    ) -> "LedgerRow":
        """A zero entry that only says something (a coupon kept after a cancel)."""
        return cls(
            account=account,
            entry=Entry.ADJUST,
            amount=ZERO,
            at=at,
            member_id=member_id,
            order_id=order_id,
            note=note,
        )

    @classmethod
    def of_move(
        cls,
        move: LedgerMove,
        order_id: str,
        at: datetime,
        expires_at: datetime | None,
        note: str,
    ) -> "LedgerRow":
        """A planned move as its entry: a spend or its return, an earning or its revoke."""
        if move.spending:
            entry = Entry.RETURN if move.amount > 0 else Entry.SPEND
        else:
            entry = Entry.EARN if move.amount > 0 else Entry.REVOKE
        return cls(
            account=move.account,
            entry=entry,
            amount=move.amount,
            at=at,
            member_id=move.member_id,
            certificate_id=move.certificate_id,
            sticker=move.sticker,
            order_id=order_id,
            expires_at=expires_at,
            note=note,
        )


def current_accounts(rows: Iterable[LedgerRow]) -> dict[LedgerKey, Decimal]:
    """Each account's net for the rows (an order's), the zero ones left out."""
    found: dict[LedgerKey, Decimal] = {}
    for row in rows:
        found[row.key] = found.get(row.key, ZERO) + row.amount
    return {k: v for k, v in found.items() if v}
