"""The loyalty checkout's hot statements as plain SQL (see `kassa.store.raw`): a command's
locks (the order, then a member) in one statement, sent with the BEGIN, and everything it
reads after them (the order, the member, the shop, the member's ledger, the order's ledger
rows and coupons, the member's fulfilled orders) in one more. `LoyaltyRepo` calls these;
what they return is what its SQLAlchemy reads returned.

Locks and snapshots: on PostgreSQL a statement reads as of its start, even where it waits for
a row lock. So nothing is read in the statement that takes the locks, but in the next one,
which sees what the locks' previous holder committed. Within the lock statement the order is
locked before the member (the member's CTE reads the order's first), the order every
command takes them in.
"""

import functools
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from kassa.core.loyalty import BonusLots, Entry, LedgerEntry, LoyaltyStatus
from kassa.core.loyalty_orders import CouponRow, LedgerRow, LoyaltyOrder, Member, Shop
from kassa.core.loyalty_program import Program, program_from
from kassa.store import loyalty_balances
from kassa.store.loyalty_balances import FLOOR, Counted, MemberLedger
from kassa.store.raw import Sql, decode_json, decode_time, encode, json_dumps, required_time
from kassa.store.tx import Tx

# The status is spelt out in the SQL below; this keeps it the enum's value.
assert LoyaltyStatus.FULFILLED.value == "fulfilled"

_ORDER = (
    "id",
    "shop_id",
    "order_id",
    "member_id",
    "status",
    "request",
    "result",
    "created_at",
    "updated_at",
)
_MEMBER = ("id", "shop_id", "identifier", "referral_code", "referrer_id", "created_at")
_SHOP = ("id", "org_id", "name", "secret_hash", "program")


def _cols(alias: str, names: Sequence[str]) -> str:
    return ", ".join(f'{alias}."{c}"' for c in names)


# A shop's columns as `shop_of` takes them, for a statement that joins `loyalty_shops s`: the
# program as its text on both databases (PostgreSQL's JSON codec would decode it at every
# read), so `_program` decodes each program once.
SHOP_COLUMNS = _cols("s", _SHOP[:-1]) + ', CAST(s."program" AS varchar)'


def shop_of(row: Sequence[Any]) -> Shop | None:
    """The shop of `SHOP_COLUMNS` (None: the outer join found none)."""
    s_id, org_id, name, secret_hash, program = row
    if s_id is None:
        return None
    return Shop(s_id, org_id, name, secret_hash, _program(program))


@functools.lru_cache(maxsize=256)
def _program(text: str) -> Program:
    """The shop's program from its column's text: decoded and checked once per text (a
    program is immutable), not at every read of the shop (a loyalty cancel, a delivery
    order's)."""
    return program_from(decode_json(text))


@functools.lru_cache(maxsize=2)
def _held_text(shop: bool) -> str:
    """The order, its member and, with `shop`, its shop (no lock: a command's locks go first,
    `_lock`)."""
    shop_columns = f", {SHOP_COLUMNS}" if shop else ""
    shop_join = " LEFT JOIN loyalty_shops s ON s.id = o.shop_id" if shop else ""
    # Names from this module, never from input.
    return (
        f"SELECT {_cols('o', _ORDER)}, {_cols('m', _MEMBER)}{shop_columns} "  # noqa: S608
        "FROM loyalty_orders o LEFT JOIN loyalty_members m ON m.shop_id = o.shop_id "
        f"AND m.id = o.member_id{shop_join} WHERE o.shop_id = $1 AND o.order_id = $2"
    )


def _lock(member: str) -> Sql:
    """A command's locks, PostgreSQL: the shop's order $2 (if it exists), then the member
    `member` picks (a condition that reads the order's CTE first, so the order is always
    locked first, as every command takes them). It returns nothing a command needs: the
    command sends it with the BEGIN (`Tx.locked`) and reads after it."""
    return Sql(
        "WITH o AS MATERIALIZED (SELECT x.member_id, x.status FROM loyalty_orders x "  # noqa: S608
        "WHERE x.shop_id = $1 AND x.order_id = $2 FOR UPDATE), "
        "m AS MATERIALIZED (SELECT y.id FROM loyalty_members y "
        f"WHERE y.shop_id = $1 AND {member} FOR UPDATE) "
        "SELECT (SELECT count(*) FROM o), (SELECT count(*) FROM m)"
    )


# An apply locks the member the request names; a confirm the order's member while the order
# is Created (it is to be settled); a cancel the order's member.
_APPLY_LOCK = _lock("y.identifier = $3 AND (SELECT count(*) FROM o) < 2")
_CONFIRM_LOCK = _lock("y.id = (SELECT member_id FROM o WHERE status = 'created')")
_CANCEL_LOCK = _lock("y.id = (SELECT member_id FROM o)")
assert LoyaltyStatus.CREATED.value == "created"


def order_of(row: Sequence[Any]) -> LoyaltyOrder:
    (id_, shop_id, order_id, member_id, status, request, result, created, updated) = row
    return LoyaltyOrder(
        id_,
        shop_id,
        order_id,
        member_id,
        LoyaltyStatus(status),
        dict(decode_json(request)),
        dict(decode_json(result)),
        required_time(created),
        required_time(updated),
    )


def member_of(row: Sequence[Any]) -> Member | None:
    if row[0] is None:
        return None
    id_, shop_id, identifier, referral_code, referrer_id, created = row
    return Member(id_, shop_id, identifier, referral_code, referrer_id, required_time(created))


async def held(
    tx: Tx, shop_id: str, order_id: str, *, with_shop: bool
) -> tuple[LoyaltyOrder, Member | None, Shop | None] | None:
    """The order with its member and shop (see `LoyaltyRepo.order_and_member`)."""
    rows = await tx.fetch(Sql(_held_text(with_shop)), [shop_id, order_id])
    if not rows:
        return None
    row = rows[0]
    width, member_width = len(_ORDER), len(_MEMBER)
    order = order_of(row[:width])
    member = member_of(row[width : width + member_width])
    if not with_shop:
        return order, member, None
    # None only where orders.shop_id names no shop: a broken database.
    return order, member, shop_of(row[width + member_width :])


SHOP = Sql(f"SELECT {SHOP_COLUMNS} FROM loyalty_shops s WHERE s.id = $1")  # noqa: S608


async def shop(tx: Tx, shop_id: str) -> Shop | None:
    """A shop by id (plain SQL: every loyalty accrual of a delivery or ticket order reads it)."""
    rows = await tx.fetch(SHOP, [shop_id])
    return shop_of(rows[0]) if rows else None


@dataclass(frozen=True)
class ApplyHold:
    """What an apply holds: the order (None: a new one) and the member the request names
    (None: none, or none such)."""

    order: LoyaltyOrder | None
    member: Member | None


async def apply_state(
    tx: Tx, shop_id: str, order_id: str, identifier: str | None, now: datetime
) -> tuple[ApplyHold, "State"]:
    """See `LoyaltyRepo.apply_state`."""
    if not tx.is_sqlite:  # SQLite has one writer at a time: nothing to lock
        await tx.locked(_APPLY_LOCK, [shop_id, order_id, identifier])
    found = await state(
        tx,
        shop_id,
        identifier=identifier,
        figures=True,
        besides=order_id,
        order_id=order_id,
        coupons=True,
        held=True,
        keep_before=now - loyalty_balances.KEEP_AFTER,
    )
    return ApplyHold(found.order, found.member), found


async def confirm_state(tx: Tx, shop_id: str, order_id: str, now: datetime) -> "State":
    """See `LoyaltyRepo.confirm_state`."""
    if not tx.is_sqlite:  # SQLite has one writer at a time: nothing to lock
        await tx.locked(_CONFIRM_LOCK, [shop_id, order_id])
    return await state(
        tx,
        shop_id,
        figures=True,
        calculation=False,
        order_id=order_id,
        held=True,
        member_of_order=True,
        keep_before=now - loyalty_balances.KEEP_AFTER,
    )


async def cancel_state(tx: Tx, shop_id: str, order_id: str) -> "State":
    """See `LoyaltyRepo.locked_for_cancel`."""
    if not tx.is_sqlite:  # SQLite has one writer at a time: nothing to lock
        await tx.locked(_CANCEL_LOCK, [shop_id, order_id])
    return await state(tx, shop_id, order_id=order_id, coupons=True, held=True, shop=True)


@dataclass
class Figures:
    """A member's figures for a calculation: their bonus ledger folded (`bonuses(now)`), their
    fulfilled orders besides the one being applied (counted up to one: only whether there is
    any matters), the spent total, the stickers held, and the member who referred them."""

    lots: BonusLots = field(default_factory=BonusLots)
    fulfilled: int = 0
    spent: Decimal = Decimal("0.00")
    stickers: dict[str, int] = field(default_factory=dict)
    referrer: Member | None = None

    def bonuses(self, now: datetime) -> Decimal:
        """The bonus balance at `now`."""
        return self.lots.balance(now)


@dataclass
class State:
    """What `state` read: the member (by identifier), their figures, the order's ledger rows
    (by id) and the coupons it used or issued (by creation)."""

    member: Member | None = None
    figures: Figures | None = None
    rows: list[LedgerRow] = field(default_factory=list)
    coupons: list[CouponRow] = field(default_factory=list)
    order: LoyaltyOrder | None = None  # with `held`: the order row
    shop: Shop | None = None  # with `shop`: the shop


# One row shape for every part (UNION ALL): the kind, two sort keys, then slots. NULLs are
# typed, as PostgreSQL resolves a UNION's column types from its first branches.
_SLOTS = (
    ("k", "varchar"),
    ("ord", "bigint"),
    ("ord_t", "timestamptz"),
    ("a", "varchar"),
    ("b", "varchar"),
    ("amount", "numeric"),
    ("at", "timestamptz"),
    ("c", "varchar"),
    ("d", "varchar"),
    ("e", "varchar"),
    ("f", "varchar"),
    ("expires_at", "timestamptz"),
    ("g", "varchar"),
)
_LEDGER_SLOTS = {
    "ord": "l.id",
    "a": "l.account",
    "b": "l.entry",
    "amount": "l.amount",
    "at": "l.at",
    "c": "l.member_id",
    "d": "l.certificate_id",
    "e": "l.sticker",
    "f": "l.order_id",
    "expires_at": "l.expires_at",
    "g": "l.note",
}


def _branch(kind: str, slots: dict[str, str], tail: str) -> str:
    values = [f"'{kind}'"] + [
        slots.get(name, f"CAST(NULL AS {sql_type})") for name, sql_type in _SLOTS[1:]
    ]
    return f"SELECT {', '.join(values)} {tail}"


@functools.lru_cache(maxsize=32)
def _state_text(
    by_identifier: bool,
    member: bool,
    figures: bool,
    calculation: bool,
    besides: bool,
    order: bool,
    coupons: bool,
    held: bool = False,
    of_order: bool = False,
    shop: bool = False,
) -> tuple[str, tuple[str, ...]]:
    """The statement of `state` and the names of its parameters, in order."""
    names: list[str] = []

    def param(name: str) -> str:
        if name not in names:
            names.append(name)
        return f"${names.index(name) + 1}"

    head = ""
    branches: list[str] = []
    if of_order:  # the member the order holds
        member_id = (
            "(SELECT x.member_id FROM loyalty_orders x "  # noqa: S608 (parameter names only)
            f"WHERE x.shop_id = {param('shop_id')} AND x.order_id = {param('order_id')})"
        )
    else:
        member_id = param("member_id") if member and not by_identifier else "(SELECT id FROM m)"
    member_slots = {"a": "id", "b": "shop_id", "at": "created_at", "c": "identifier"}
    member_slots.update(d="referral_code", e="referrer_id")
    if by_identifier:
        head = (
            f"WITH m AS MATERIALIZED (SELECT {', '.join(_MEMBER)} FROM loyalty_members "  # noqa: S608
            f"WHERE shop_id = {param('shop_id')} AND identifier = {param('identifier')}) "
        )
        branches.append(_branch("M", member_slots, "FROM m"))
    if figures and calculation:
        referrer_id = (
            "(SELECT referrer_id FROM m)"
            if by_identifier
            else f"(SELECT referrer_id FROM loyalty_members WHERE id = {member_id})"  # noqa: S608
        )
        branches.append(
            _branch(
                "R",
                member_slots,
                f"FROM loyalty_members WHERE shop_id = {param('shop_id')} AND id = {referrer_id}",
            )
        )
        not_this = f" AND o.order_id <> {param('besides')}" if besides else ""
        # Only whether there is one counts (`Figures.fulfilled`): counted up to one.
        count = (
            "(SELECT count(*) FROM (SELECT 1 FROM loyalty_orders o "  # noqa: S608
            f"WHERE o.member_id = {member_id} AND o.status = 'fulfilled' "
            f"AND o.shop_id = {param('shop_id')}{not_this} LIMIT 1) f)"
        )
        branches.append(_branch("n", {"ord": count}, ""))
    if figures:  # the member's kept fold, and their entries after it
        kept = f"FROM loyalty_balances b WHERE b.member_id = {member_id}"
        branches.append(_branch("B", {"f": "CAST(b.figures AS varchar)"}, kept))
        upto = f"COALESCE((SELECT b.upto {kept}), {param('floor')})"
        branches.append(
            _branch(
                "m",
                _LEDGER_SLOTS,
                f"FROM loyalty_ledger l WHERE l.member_id = {member_id} AND l.at > {upto} "
                "AND l.account IN ('bonus', 'spent', 'sticker')",
            )
        )
    if order:
        branches.append(
            _branch(
                "o",
                _LEDGER_SLOTS,
                f"FROM loyalty_ledger l WHERE l.shop_id = {param('shop_id')} "
                f"AND l.order_id = {param('order_id')}",
            )
        )
    if held:
        order_slots = {"a": "x.id", "b": "x.shop_id", "c": "x.order_id", "d": "x.member_id"}
        order_slots.update(e="x.status", at="x.created_at", ord_t="x.updated_at")
        order_slots.update(f="CAST(x.request AS varchar)", g="CAST(x.result AS varchar)")
        this_order = f"x.shop_id = {param('shop_id')} AND x.order_id = {param('order_id')}"
        branches.append(_branch("O", order_slots, f"FROM loyalty_orders x WHERE {this_order}"))
    if shop:
        shop_slots = {"a": "s.id", "b": "s.org_id", "c": "s.name", "d": "s.secret_hash"}
        shop_slots.update(e="CAST(s.program AS varchar)")
        branches.append(
            _branch("S", shop_slots, f"FROM loyalty_shops s WHERE s.id = {param('shop_id')}")
        )
    if coupons:
        coupon_slots = {"ord_t": "c.created_at", "a": "c.id", "b": "c.code", "amount": "c.value"}
        coupon_slots.update(c="c.member_id", d="c.kind", e="c.issued_by", f="c.status")
        coupon_slots.update(g="c.used_by", expires_at="c.expires_at")
        order_id = param("order_id")
        branches.append(
            _branch(
                "c",
                coupon_slots,
                f"FROM loyalty_coupons c WHERE c.shop_id = {param('shop_id')} "
                f"AND (c.used_by = {order_id} OR c.issued_by = {order_id})",
            )
        )
    text = head + " UNION ALL ".join(branches) + " ORDER BY 1, 2, 3"
    return text, tuple(names)


async def state(
    tx: Tx,
    shop_id: str,
    *,
    identifier: str | None = None,
    member_id: str | None = None,
    figures: bool = False,
    calculation: bool = True,
    besides: str | None = None,
    order_id: str | None = None,
    coupons: bool = False,
    held: bool = False,
    member_of_order: bool = False,
    shop: bool = False,
    keep_before: datetime | None = None,
) -> State:
    """See `LoyaltyRepo.state`; with `held` (and `order_id`), also the order row
    (`apply_state`); with `member_of_order` (and `held`), the
    figures are those of the member the order holds (`confirm_state`); with `shop`, also
    the shop (`cancel_state`). With `keep_before` (a command that holds the member's lock:
    its `now` less `KEEP_AFTER`), the member's older entries may be folded for later reads
    (`kassa.store.loyalty_balances`)."""
    by_identifier = identifier is not None
    of_order = member_of_order and held and order_id is not None
    figures = figures and (by_identifier or member_id is not None or of_order)
    if not (by_identifier or figures or order_id is not None):
        return State()  # nothing to read
    text, names = _state_text(
        by_identifier,
        member_id is not None,
        figures,
        calculation,
        besides is not None,
        order_id is not None,
        coupons and order_id is not None,
        held and order_id is not None,
        of_order,
        shop,
    )
    values = {
        "shop_id": shop_id,
        "identifier": identifier,
        "member_id": member_id,
        "besides": besides,
        "order_id": order_id,
        "floor": encode("time", FLOOR, sqlite=tx.is_sqlite),
    }
    rows = await tx.fetch(Sql(text), [values[name] for name in names])
    found = State(figures=Figures() if figures else None)
    ledger = MemberLedger()  # the member's ledger as read, for the figures
    for row in rows:
        _take(found, ledger, row)
    if found.figures is not None:
        await _settle(tx, shop_id, found, ledger, member_id, keep_before)
        if by_identifier and found.member is None:
            found.figures = None
        if of_order and (found.order is None or found.order.member_id is None):
            found.figures = None
    return found


def _take(found: State, ledger: MemberLedger, row: Sequence[Any]) -> None:
    kind, ord_, _ord_t, a, b, amount, at, c, d, e, f, expires_at, g = row
    if kind == "M":
        found.member = Member(a, b, c, d, e, required_time(at))
    elif kind == "R":
        assert found.figures is not None
        found.figures.referrer = Member(a, b, c, d, e, required_time(at))
    elif kind == "n":
        assert found.figures is not None
        found.figures.fulfilled = int(ord_ or 0)
    elif kind == "m":
        if a == "bonus":
            expires = decode_time(expires_at)
            entry = LedgerEntry(Decimal(amount), Entry(b), required_time(at), f, expires)
            ledger.bonus.append(entry)
        else:
            ledger.counted.append(Counted(required_time(at), a, e, Decimal(str(amount))))
    elif kind == "B":
        ledger.keep(f)
    elif kind == "o":
        found.rows.append(
            LedgerRow(
                account=a,
                entry=Entry(b),
                amount=Decimal(amount),
                at=required_time(at),
                member_id=c,
                certificate_id=d,
                sticker=e,
                order_id=f,
                expires_at=decode_time(expires_at),
                note=g,
            )
        )
    elif kind == "c":
        coupon = CouponRow(a, c, b, d, Decimal(amount), e, f, g, required_time(expires_at))
        found.coupons.append(coupon)
    else:
        _take_held(found, row)


async def _settle(
    tx: Tx,
    shop_id: str,
    found: State,
    ledger: MemberLedger,
    member_id: str | None,
    keep_before: datetime | None,
) -> None:
    """The figures from the ledger read; a fold to keep for later reads staged."""
    figures = found.figures
    assert figures is not None
    kept = ledger.settle(keep_before)
    figures.lots, figures.spent = ledger.lots, ledger.spent
    figures.stickers = {k: v for k, v in ledger.stickers.items() if v}
    if member_id is None:  # the member the request named, else the one the order holds
        if found.member is not None:
            member_id = found.member.id
        elif found.order is not None:
            member_id = found.order.member_id
    if kept is not None and member_id is not None:
        await loyalty_balances.keep(tx, member_id, shop_id, kept)


def _take_held(found: State, row: Sequence[Any]) -> None:
    """The rows of `held` and `shop`: the order, the shop."""
    kind, _ord, ord_t, a, b, _amount, at, c, d, e, f, _expires_at, g = row
    if kind == "O":
        found.order = order_of((a, b, c, d, e, f, g, at, ord_t))
    elif kind == "S":
        found.shop = Shop(a, b, c, d, _program(e))


_SET_COUPONS_PG = Sql(
    "UPDATE loyalty_coupons SET status = CASE WHEN code = ANY($3::varchar[]) THEN 'voided' "
    "ELSE 'active' END, used_by = NULL WHERE shop_id = $1 "
    "AND (code = ANY($2::varchar[]) OR code = ANY($3::varchar[]))",
    "loyalty_coupons",
)
_SET_COUPONS_SQLITE = Sql(
    "UPDATE loyalty_coupons SET status = CASE WHEN code IN (SELECT value FROM json_each($3)) "
    "THEN 'voided' ELSE 'active' END, used_by = NULL WHERE shop_id = $1 "
    "AND (code IN (SELECT value FROM json_each($2)) OR code IN (SELECT value FROM json_each($3)))",
    "loyalty_coupons",
)


async def give_back_coupons(
    tx: Tx, shop_id: str, active: Sequence[str], voided: Sequence[str]
) -> None:
    """Staged: the coupons named `active` are free again, those named `voided` void (a code
    in both ends voided), in one UPDATE."""
    if not active and not voided:
        return
    if tx.is_sqlite:
        args: list[Any] = [shop_id, json_dumps(sorted(active)), json_dumps(sorted(voided))]
        await tx.stage_sql(_SET_COUPONS_SQLITE, args)
    else:
        await tx.stage_sql(_SET_COUPONS_PG, [shop_id, sorted(active), sorted(voided)])
