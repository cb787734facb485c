"""Operator accounts: created by the CLI (or the demo), signed in with a password, held by a
session cookie whose token is stored hashed. Roles: viewer (reads), operator (acts on orders,
the kitchen board, members), admin (also the catalogue, promo codes, webhooks)."""

import asyncio
import functools
import hashlib
import logging
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from kassa.app.ids import new_id
from kassa.core.errors import (
    ActionForbidden,
    NotFound,
    OperatorBusy,
    OperatorInvalid,
    SignInFailed,
)
from kassa.core.operators import Operator, Session
from kassa.core.tenancy import Principal
from kassa.store.db import Database

ROLES = ("viewer", "operator", "admin")
_RANK = {role: rank for rank, role in enumerate(ROLES)}
SESSION_TTL = timedelta(hours=12)
LOCK_AFTER = 5  # wrong passwords in a row
LOCK_FOR = timedelta(minutes=15)
MIN_PASSWORD = 8
_EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]{1,190}$")
# argon2-cffi's defaults (RFC 9106's low-memory profile: 64 MiB, 3 passes, 4 lanes) unless
# the process is told otherwise (`use_password_hash_memory`, KASSA_PASSWORD_HASH_MEMORY_KIB).
DEFAULT_HASH_MEMORY_KIB = PasswordHasher().memory_cost
_hasher = PasswordHasher()
log = logging.getLogger("kassa.operators")


def use_password_hash_memory(memory_kib: int) -> None:
    """Make new password hashes with `memory_kib` of memory (the process's setting,
    KASSA_PASSWORD_HASH_MEMORY_KIB). A stored hash is checked at the cost it was made with,
    and rehashed at this one on its next right sign-in."""
    global _hasher
    if memory_kib != _hasher.memory_cost:
        _hasher = PasswordHasher(memory_cost=memory_kib)


def current_hash_memory_kib() -> int:
    return int(_hasher.memory_cost)


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def needs_rehash(password_hash: str) -> bool:
    """Whether the hash was made at another cost than new ones are."""
    return _hasher.check_needs_rehash(password_hash)


def _dummy_hash() -> str:
    """Verifying against this keeps a wrong e-mail as slow as a wrong password (no probing
    for accounts); made on first use (at the current cost), not at import."""
    return _dummy_hash_at(_hasher.memory_cost)


@functools.cache
def _dummy_hash_at(memory_kib: int) -> str:
    return _hasher.hash(secrets.token_hex(16))


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True)
class SignedIn:
    token: str  # the cookie value; only its hash is stored
    session: Session


def can(operator: Operator, role: str) -> bool:
    """Whether the operator's role is at least `role`."""
    return _RANK[operator.role] >= _RANK[role]


def require(operator: Operator, role: str) -> None:
    if not can(operator, role):
        raise ActionForbidden(f"This needs the {role} role; you are {operator.role}")


def principal(operator: Operator) -> Principal:
    """Operators act for their organisation, as its organiser key would."""
    return Principal(
        org_id=operator.org_id,
        operator=operator.email,
        restaurant_id=operator.restaurant_id,
        shop_id=operator.shop_id,
    )


async def create_operator(
    db: Database,
    *,
    org_id: str,
    email: str,
    role: str,
    password: str | None = None,
    password_hash: str | None = None,
    name: str = "",
    restaurant_id: str | None = None,
    shop_id: str | None = None,
    now: datetime,
) -> Operator:
    email = email.strip().lower()
    if not _EMAIL.match(email):
        raise OperatorInvalid(f"{email!r} is not an e-mail address")
    if role not in ROLES:
        raise OperatorInvalid(f"role must be one of {', '.join(ROLES)}")
    if password_hash is None:
        if password is None or len(password) < MIN_PASSWORD:
            raise OperatorInvalid(f"the password needs at least {MIN_PASSWORD} characters")
        password_hash = _hasher.hash(password)
    elif not password_hash.startswith("$argon2"):
        raise OperatorInvalid("password_hash must be an argon2 hash")
    operator = Operator(
        id=new_id(now),
        org_id=org_id,
        email=email,
        name=name or email.split("@")[0],
        password_hash=password_hash,
        role=role,
        restaurant_id=restaurant_id,
        shop_id=shop_id,
        disabled=False,
    )
    async with db.unit_of_work() as uow:
        if await uow.tenants.organisation_name(org_id) is None:
            raise OperatorInvalid(f"organisation {org_id} does not exist")
        if restaurant_id is not None:
            restaurant = await uow.delivery.restaurant(restaurant_id)
            if restaurant is None or restaurant.org_id != org_id:
                raise OperatorInvalid(f"restaurant {restaurant_id} is not this organisation's")
        if shop_id is not None:
            shop = await uow.loyalty.shop(shop_id)
            if shop is None or shop.org_id != org_id:
                raise OperatorInvalid(f"shop {shop_id} is not this organisation's")
        if await uow.operators.by_email(email) is not None:
            raise OperatorInvalid(f"an operator {email} exists already")
        await uow.operators.add(operator, now)
        await uow.commit()
    return operator


WRONG_SIGN_IN = (
    f"Wrong e-mail or password (after {LOCK_AFTER} wrong passwords in a row an account is"
    f" locked for {int(LOCK_FOR.total_seconds() // 60)} minutes)"
)


def check_password(password_hash: str, password: str) -> bool:
    """Whether `password` matches the argon2 hash (the one place a password is checked)."""
    try:
        return _hasher.verify(password_hash, password[:1024])
    except (VerificationError, InvalidHashError):
        return False


async def sign_in(db: Database, email: str, password: str, now: datetime) -> SignedIn:
    """A new session for the right password. The attempt is counted before the password is
    checked, so however many arrive at once, at most `LOCK_AFTER` are checked before the
    account locks for `LOCK_FOR`. A wrong e-mail, a wrong password, a disabled or a locked
    account get the same answer after the same work (one write, one hash check)."""
    email = email.strip().lower()[:254]
    operator = await _claim(db, email, now)
    # Off the event loop: argon2 takes tens of milliseconds of CPU, and a burst of sign-ins
    # must not stall the transactions (and row locks) of every other request meanwhile.
    known = operator.password_hash if operator else _dummy_hash()
    right = await asyncio.to_thread(check_password, known, password)
    if operator is None or not right:
        if operator is not None:
            log.warning("sign-in: wrong password for operator %s (attempt counted)", operator.id)
        raise SignInFailed(WRONG_SIGN_IN)
    return await _open_session(db, operator, password, now)


async def _claim(db: Database, email: str, now: datetime) -> Operator | None:
    """The operator whose attempt is now counted, or None (no such account, or locked)."""
    try:
        async with db.unit_of_work() as uow:
            operator = await uow.operators.claim_sign_in(email, now, LOCK_AFTER, now + LOCK_FOR)
            await uow.commit()
    except OperatorBusy:  # a burst holds the row: refused unchecked, as a locked account is
        return None
    return operator


async def _open_session(db: Database, operator: Operator, password: str, now: datetime) -> SignedIn:
    token, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
    expires = now + SESSION_TTL
    async with db.unit_of_work() as uow:
        if needs_rehash(operator.password_hash):
            await uow.operators.set_password(operator.id, _hasher.hash(password))
        await uow.operators.signed_in(operator.id)
        await uow.operators.drop_expired_sessions(now)
        await uow.operators.open_session(hash_token(token), operator.id, csrf, now, expires)
        await uow.commit()
    return SignedIn(token, Session(operator, csrf, expires))


async def session(db: Database, token: str | None, now: datetime) -> Session | None:
    if not token or len(token) > 128:
        return None
    async with db.unit_of_work(write=False) as uow:
        return await uow.operators.session(hash_token(token), now)


async def sign_out(db: Database, token: str) -> None:
    async with db.unit_of_work() as uow:
        await uow.operators.close_session(hash_token(token))
        await uow.commit()


async def disable(db: Database, email: str, now: datetime) -> bool:
    """Stop an operator signing in; their open sessions end at once."""
    async with db.unit_of_work() as uow:
        operator = await uow.operators.by_email(email.strip().lower())
        if operator is None:
            return False
        await uow.operators.disable(operator.id, now)
        await uow.commit()
    return True


async def of_org(db: Database, admin: Operator) -> list[Operator]:
    """The organisation's operators, for its admins."""
    require(admin, "admin")
    async with db.unit_of_work(write=False) as uow:
        return await uow.operators.of_org(admin.org_id)


async def of_org_id(db: Database, org_id: str) -> list[Operator]:
    """The organisation's operators, for the machine's owner at the command line."""
    async with db.unit_of_work(write=False) as uow:
        return await uow.operators.of_org(org_id)


async def disable_in_org(db: Database, admin: Operator, operator_id: str, now: datetime) -> None:
    """An admin stops another operator of the same organisation (never themselves)."""
    require(admin, "admin")
    if admin.restaurant_id or admin.shop_id:
        raise ActionForbidden("An account narrowed to a restaurant or shop manages no operators")
    if operator_id == admin.id:
        raise OperatorInvalid("you cannot disable your own account")
    async with db.unit_of_work() as uow:
        found = {o.id: o for o in await uow.operators.of_org(admin.org_id)}
        if operator_id not in found:  # another organisation's is as missing as no one
            raise NotFound(f"Operator {operator_id} not found")
        await uow.operators.disable(operator_id, now)
        await uow.commit()


async def change_password(
    db: Database, operator: Operator, current: str, new: str, keep_token: str
) -> None:
    """With the current password; every other session of the operator ends."""
    if not check_password(operator.password_hash, current):
        raise SignInFailed("The current password is wrong")
    if len(new) < MIN_PASSWORD:
        raise OperatorInvalid(f"the password needs at least {MIN_PASSWORD} characters")
    async with db.unit_of_work() as uow:
        await uow.operators.set_password(operator.id, _hasher.hash(new))
        await uow.operators.close_other_sessions(operator.id, hash_token(keep_token))
        await uow.commit()
