"""The v1 account resources a partner reads, on what Kassa has.

- A **partner** is an organisation (`roles: ["org"]`) or one of its sellers (`["agent"]`).
- A **deal** lets a seller sell an organiser's event. Kassa has no deal to negotiate: every
  seller of an organisation may sell each of its public events on the organisation's fee
  policy. So the deals are derived, one per (public event, seller), with a stable id.
- A **user** is what calls the API with its own credentials: in Kassa, an API key (its label
  is the user's name; it acts for one partner).
Who sees what: an organiser sees itself, its sellers, every deal and every key of its
organisation; a seller sees itself, its organiser, its own deals and its own keys.
"""

import hashlib
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from kassa.core.catalog import Event
from kassa.core.pricing import FeePolicy
from kassa.core.tenancy import Principal


@dataclass(frozen=True)
class PartnerAccount:
    id: str
    org_id: str
    name: str
    created_at: datetime | None

    @property
    def roles(self) -> list[str]:
        return ["org"] if self.id == self.org_id else ["agent"]


@dataclass(frozen=True)
class Deal:
    id: str
    event_id: str
    obj: str  # the organiser
    subj: str  # the seller
    fee: FeePolicy
    created_at: datetime | None
    updated_at: datetime | None
    status: str = "accepted"


@dataclass(frozen=True)
class ApiUser:
    id: str
    org_id: str
    partner_id: str | None
    label: str
    created_at: datetime

    @property
    def partner(self) -> str:
        return self.partner_id or self.org_id


@dataclass(frozen=True)
class Sales:
    """What a user's partner sold: done orders, their tickets and money."""

    orders: int = 0
    tickets: int = 0
    total: Decimal = Decimal("0.00")


def deal_id(event_id: str, seller_id: str) -> str:
    """A stable 24-hex id for the (event, seller) deal."""
    return hashlib.sha256(f"deal:{event_id}:{seller_id}".encode()).hexdigest()[:24]


def deals_of(
    events: list[Event], sellers: list[PartnerAccount], fee: FeePolicy, principal: Principal
) -> list[Deal]:
    """The deals the caller is party to: each event with each seller (a seller: its own)."""
    mine = [s for s in sellers if principal.is_organiser or s.id == principal.partner_id]
    return [
        Deal(deal_id(e.id, s.id), e.id, e.org_id, s.id, fee, s.created_at, s.created_at)
        for e in events
        for s in mine
    ]


def sees_partner(principal: Principal, partner: PartnerAccount) -> bool:
    """Its own partner and its counterparties: the organiser its sellers, a seller its org."""
    if partner.org_id != principal.org_id:
        return False
    return principal.is_organiser or partner.id in (principal.partner_id, principal.org_id)


def sees_user(principal: Principal, user: ApiUser) -> bool:
    if user.org_id != principal.org_id:
        return False
    return principal.is_organiser or user.partner_id == principal.partner_id
