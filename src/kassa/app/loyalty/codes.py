"""One-time codes of the loyalty face: an SMS code before spending bonuses (`otp/send`,
`otp/check`) and the member's till QR (`qr/get`, `qr/check`). Rules in
`kassa.core.loyalty_codes`; a code is stored only as a salted hash.

The SMS goes through a `CodeSender`: `LogSender` writes it to the log (development, and the
default), `EmailSender` mails it over SMTP to an address made from the phone (an e-mail-to-SMS
gateway: `KASSA_OTP_EMAIL=sms+{identifier}@gateway.example`). The code is stored and committed
before it is sent; if the sender fails the call answers 503 and the code is retired.
"""

import logging
import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from kassa.app.ids import new_id
from kassa.app.loyalty.members import find_member
from kassa.core.errors import CodeNotSent, LoyaltyInvalid
from kassa.core.loyalty import validate_identifier
from kassa.core.loyalty_codes import (
    OTP_DIGITS,
    OTP_TTL,
    QR_EVENT,
    QR_PIN_DIGITS,
    QR_TTL,
    CodeKind,
    OneTimeCode,
    code_hash,
    ensure_can_resend,
    parse_qr,
    qr_string,
    validate_event,
)
from kassa.core.loyalty_orders import Shop
from kassa.notify.message import code_message
from kassa.notify.smtp import SmtpSettings, send
from kassa.store.db import Database, UnitOfWork

log = logging.getLogger("kassa.loyalty.codes")
WRONG = "Code is not correct"


class CodeSender(Protocol):
    async def send(self, shop: Shop, identifier: str, code: str) -> None: ...


class LogSender:
    """Writes the code to the log: for development and tests of a till, never production."""

    async def send(self, shop: Shop, identifier: str, code: str) -> None:
        log.warning("one-time code for %s in shop %s: %s", identifier, shop.id, code)


@dataclass(frozen=True)
class EmailSender:
    """Mails the code over SMTP to `address` with `{identifier}` filled in."""

    smtp: SmtpSettings
    address: str

    async def send(self, shop: Shop, identifier: str, code: str) -> None:
        to = self.address.format(identifier=identifier)
        message = code_message(sender=self.smtp.sender, to=to, code=code, shop=shop.name)
        await send(self.smtp, message)


def _digits(count: int) -> str:
    return "".join(secrets.choice("0123456789") for _ in range(count))


async def _issue(
    uow: UnitOfWork, shop: Shop, identifier: str, kind: CodeKind, event: str, now: datetime
) -> str:
    code = _digits(OTP_DIGITS if kind is CodeKind.OTP else QR_PIN_DIGITS)
    salt = secrets.token_hex(16)
    await uow.loyalty_codes.retire(shop.id, identifier, kind, event, now)
    await uow.loyalty_codes.add(
        OneTimeCode(
            new_id(now),
            shop.id,
            identifier,
            kind,
            event,
            salt,
            code_hash(salt, code),
            0,
            now + (OTP_TTL if kind is CodeKind.OTP else QR_TTL),
            None,
            now,
        )
    )
    return code


async def send_otp(
    db: Database, shop: Shop, identifier: str, event: str, now: datetime, sender: CodeSender
) -> None:
    """A new code for (phone, event), to any phone, member or not."""
    validate_identifier(identifier)
    validate_event(event)
    async with db.unit_of_work() as uow:
        last = await uow.loyalty_codes.latest(shop.id, identifier, CodeKind.OTP, event, lock=True)
        ensure_can_resend(last, now)
        code = await _issue(uow, shop, identifier, CodeKind.OTP, event, now)
        await uow.commit()
    try:
        await sender.send(shop, identifier, code)
    except (OSError, TimeoutError, ConnectionError) as exc:
        log.warning("one-time code to %s not sent: %s", identifier, exc)
        async with db.unit_of_work() as uow:
            await uow.loyalty_codes.retire(shop.id, identifier, CodeKind.OTP, event, now)
            await uow.commit()
        raise CodeNotSent("The code could not be sent, try again later") from None


async def _check(
    db: Database, shop: Shop, identifier: str, kind: CodeKind, event: str, code: str, now: datetime
) -> bool:
    """Accept the newest code once; a wrong guess counts against it."""
    async with db.unit_of_work() as uow:
        found = await uow.loyalty_codes.latest(shop.id, identifier, kind, event, lock=True)
        if found is None or not found.usable(now):
            return False
        if not found.matches(code):
            await uow.loyalty_codes.count_attempt(found.id)
            await uow.commit()
            return False
        used = await uow.loyalty_codes.use(found.id, now)
        await uow.commit()
        return used


async def check_otp(
    db: Database, shop: Shop, identifier: str, event: str, code: str, now: datetime
) -> None:
    validate_identifier(identifier)
    validate_event(event)
    if not code.isdigit() or len(code) != OTP_DIGITS:
        raise LoyaltyInvalid(WRONG)
    if not await _check(db, shop, identifier, CodeKind.OTP, event, code, now):
        raise LoyaltyInvalid(WRONG)


async def qr_code(db: Database, shop: Shop, identifier: str, now: datetime) -> str:
    """The member's till code, `<identifier>-<PIN>`, with a new PIN each time."""
    async with db.unit_of_work() as uow:
        await find_member(uow, shop, identifier)
        pin = await _issue(uow, shop, identifier, CodeKind.QR, QR_EVENT, now)
        await uow.commit()
    return qr_string(identifier, pin)


async def check_qr(db: Database, shop: Shop, scanned: str, now: datetime) -> str | None:
    """The member behind a scanned till code (used up), or None if it is not valid."""
    parsed = parse_qr(scanned)
    if parsed is None:
        return None
    identifier, pin = parsed
    ok = await _check(db, shop, identifier, CodeKind.QR, QR_EVENT, pin, now)
    return identifier if ok else None
