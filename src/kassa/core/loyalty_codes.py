"""One-time codes of the loyalty face (REES46 `otp/*` and `qr/*`), without I/O.

An SMS code proves the member holds the phone before bonuses are spent: `otp/send` makes a
five-digit code for (shop, phone, event), `otp/check` accepts it once. A till QR is the
member's id and a six-digit PIN (`79990000001-123456`) from `qr/get`, accepted once by
`qr/check`. Both are kept only as a salted SHA-256 hash; a code lives `*_TTL`, allows
`MAX_ATTEMPTS` wrong guesses, and a newer code of the same kind and event replaces the older
one. A new SMS code is refused within `RESEND_AFTER` of the last (an SMS costs money).
"""

import hashlib
import hmac
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from kassa.core.errors import LoyaltyInvalid

OTP_DIGITS = 5
QR_PIN_DIGITS = 6
MAX_ATTEMPTS = 5
OTP_TTL = timedelta(minutes=10)
QR_TTL = timedelta(minutes=10)
RESEND_AFTER = timedelta(seconds=30)
QR_EVENT = "till"
_EVENT = re.compile(r"[a-z0-9_]{1,64}")
_QR = re.compile(r"(7\d{10})-(\d{" + str(QR_PIN_DIGITS) + "})")


class CodeKind(StrEnum):
    OTP = "otp"
    QR = "qr"


@dataclass(frozen=True)
class OneTimeCode:
    id: str
    shop_id: str
    identifier: str
    kind: CodeKind
    event: str
    salt: str
    code_hash: str
    attempts: int
    expires_at: datetime
    used_at: datetime | None
    created_at: datetime

    def usable(self, now: datetime) -> bool:
        return self.used_at is None and self.attempts < MAX_ATTEMPTS and now < self.expires_at

    def matches(self, code: str) -> bool:
        return hmac.compare_digest(self.code_hash, code_hash(self.salt, code))


def code_hash(salt: str, code: str) -> str:
    return hashlib.sha256(f"{salt}:{code}".encode()).hexdigest()


def validate_event(event: object) -> str:
    """The shop's own label: lower-case Latin letters, digits and `_`."""
    if not isinstance(event, str) or not _EVENT.fullmatch(event):
        raise LoyaltyInvalid("Event is not valid")
    return event


def ensure_can_resend(last: OneTimeCode | None, now: datetime) -> None:
    if last is not None and now - last.created_at < RESEND_AFTER:
        wait = int((RESEND_AFTER - (now - last.created_at)).total_seconds()) + 1
        raise LoyaltyInvalid(f"Code was sent recently, try again in {wait} s")


def qr_string(identifier: str, pin: str) -> str:
    return f"{identifier}-{pin}"


def parse_qr(code: object) -> tuple[str, str] | None:
    """(identifier, PIN) of a scanned till code, or None if it is not one."""
    if not isinstance(code, str):
        return None
    found = _QR.fullmatch(code.strip())
    return (found.group(1), found.group(2)) if found else None
