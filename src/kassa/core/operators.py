"""Operator accounts of the console and their signed-in sessions."""

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class Operator:
    id: str
    org_id: str
    email: str
    name: str
    password_hash: str
    role: str
    restaurant_id: str | None
    shop_id: str | None
    disabled: bool
    failed_sign_ins: int = 0
    locked_until: datetime | None = None


@dataclass(frozen=True)
class Session:
    operator: Operator
    csrf: str
    expires_at: datetime
