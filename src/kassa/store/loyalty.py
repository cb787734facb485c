"""Loyalty storage: shops, members, the append-only ledger, certificates, codes, coupons, orders."""

from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Row, Select, and_, func, insert, literal, select, update
from sqlalchemy.exc import IntegrityError

from kassa.core.errors import LoyaltyInvalid
from kassa.core.loyalty import BonusLots, Entry, LedgerEntry, LoyaltyStatus
from kassa.core.loyalty_orders import (
    CertificateRow,
    CouponRow,
    LedgerRow,
    LoyaltyOrder,
    Member,
    Shop,
)
from kassa.core.loyalty_program import Program, program_from
from kassa.store import loyalty_hot, raw
from kassa.store.loyalty_balances import FLOOR, MemberLedger
from kassa.store.loyalty_certificates import certificate_of
from kassa.store.loyalty_hot import ApplyHold, State
from kassa.store.loyalty_tables import loyalty_balances as loyalty_balances_table
from kassa.store.tables import (
    event_loyalty,
    loyalty_certificates,
    loyalty_coupons,
    loyalty_ledger,
    loyalty_members,
    loyalty_orders,
    loyalty_promo_codes,
    loyalty_shops,
)
from kassa.store.tx import Tx
from kassa.store.types import UTCDateTime


class LoyaltyRepo:
    def __init__(self, conn: Tx) -> None:
        self._conn = conn
        self._shops: dict[str, Shop] = {}
        self._ahead: dict[tuple[str, str], State] = {}

    # shops
    async def add_shop(self, shop: Shop, now: datetime) -> None:
        await self._conn.execute(
            insert(loyalty_shops).values(
                id=shop.id,
                org_id=shop.org_id,
                name=shop.name,
                secret_hash=shop.secret_hash,
                program=shop.program.as_dict(),
                created_at=now,
            )
        )

    async def shop(self, shop_id: str) -> Shop | None:
        """A shop, read once per transaction (a cancel asks for it at several steps); only
        `set_program` changes a shop, and it drops what was read."""
        if shop_id in self._shops:
            return self._shops[shop_id]
        shop = await loyalty_hot.shop(self._conn, shop_id)
        if shop is None:
            return None
        self._shops[shop_id] = shop
        return shop

    async def shops_of(self, org_id: str) -> list[Shop]:
        rows = await self._conn.execute(
            select(loyalty_shops).where(loyalty_shops.c.org_id == org_id)
        )
        return [Shop(r.id, r.org_id, r.name, r.secret_hash, program_from(r.program)) for r in rows]

    async def set_program(self, shop_id: str, program: Program) -> None:
        self._shops.pop(shop_id, None)
        await self._conn.execute(
            update(loyalty_shops)
            .where(loyalty_shops.c.id == shop_id)
            .values(program=program.as_dict())
        )

    async def link_event(self, event_id: str, shop_id: str | None) -> None:
        """Attach an event to a shop (or detach it with None)."""
        await self._conn.execute(event_loyalty.delete().where(event_loyalty.c.event_id == event_id))
        if shop_id is not None:
            await self._conn.execute(
                insert(event_loyalty).values(event_id=event_id, shop_id=shop_id)
            )

    async def shop_of_event(self, event_id: str) -> Shop | None:
        shop_id = await self._conn.scalar(
            select(event_loyalty.c.shop_id).where(event_loyalty.c.event_id == event_id)
        )
        return await self.shop(shop_id) if shop_id else None

    # members
    async def add_member(self, member: Member) -> None:
        try:
            await self._conn.execute(
                insert(loyalty_members).values(
                    id=member.id,
                    shop_id=member.shop_id,
                    identifier=member.identifier,
                    referral_code=member.referral_code,
                    referrer_id=member.referrer_id,
                    created_at=member.created_at,
                )
            )
        except IntegrityError as exc:
            raise LoyaltyInvalid("Member already exists") from exc

    async def member(
        self,
        shop_id: str,
        *,
        identifier: str | None = None,
        member_id: str | None = None,
        referral_code: str | None = None,
        lock: bool = False,
    ) -> Member | None:
        cond = [loyalty_members.c.shop_id == shop_id]
        if identifier is not None:
            cond.append(loyalty_members.c.identifier == identifier)
        if member_id is not None:
            cond.append(loyalty_members.c.id == member_id)
        if referral_code is not None:
            cond.append(loyalty_members.c.referral_code == referral_code.strip().upper())
        query = select(loyalty_members).where(and_(*cond))
        if lock:
            query = query.with_for_update()
        row = (await self._conn.execute(query)).first()
        return _member(row) if row is not None else None

    async def members_of(self, shop_id: str, *, offset: int, limit: int) -> list[Member]:
        """A page of the shop's members, newest first."""
        rows = await self._conn.execute(members_query(shop_id, offset=offset, limit=limit))
        return [_member(r) for r in rows]

    async def identifiers(self, member_ids: Sequence[str]) -> dict[str, str]:
        """Members' phone numbers by their ids."""
        if not member_ids:
            return {}
        rows = await self._conn.execute(
            select(loyalty_members.c.id, loyalty_members.c.identifier).where(
                loyalty_members.c.id.in_(member_ids)
            )
        )
        return {str(r.id): str(r.identifier) for r in rows}

    # the ledger
    async def append(self, shop_id: str, rows: Sequence[LedgerRow]) -> None:
        """Staged as one plain-SQL INSERT (sent with the command's other writes)."""
        if not rows:
            return
        values = [
            {
                "shop_id": shop_id,
                "account": row.account,
                "member_id": row.member_id,
                "certificate_id": row.certificate_id,
                "sticker": row.sticker,
                "order_id": row.order_id,
                "entry": row.entry.value,
                "amount": row.amount,
                "at": row.at,
                "expires_at": row.expires_at,
                "note": row.note,
            }
            for row in rows
        ]
        await self._conn.stage_sql(*raw.insert(loyalty_ledger, values, sqlite=self._conn.is_sqlite))

    async def bonus_lots_of(self, member_ids: Sequence[str]) -> dict[str, BonusLots]:
        """The bonus lots of several members at once (`bonus_balance`'s fold), each from
        the member's kept fold and the bonus entries after it (`loyalty_balances`)."""
        ledgers = {m: MemberLedger() for m in member_ids}
        if not member_ids:
            return {}
        kept = loyalty_balances_table
        for r in await self._conn.execute(
            select(kept.c.member_id, kept.c.figures).where(kept.c.member_id.in_(member_ids))
        ):
            ledgers[r.member_id].keep(r.figures)
        since = func.coalesce(kept.c.upto, literal(FLOOR, UTCDateTime()))
        rows = await self._conn.execute(
            select(loyalty_ledger)
            .outerjoin(kept, kept.c.member_id == loyalty_ledger.c.member_id)
            .where(
                loyalty_ledger.c.member_id.in_(member_ids),
                loyalty_ledger.c.account == "bonus",
                loyalty_ledger.c.at > since,
            )
            .order_by(loyalty_ledger.c.id)
        )
        for r in rows:
            entry = LedgerEntry(Decimal(r.amount), Entry(r.entry), r.at, r.order_id, r.expires_at)
            ledgers[r.member_id].bonus.append(entry)
        for ledger in ledgers.values():
            ledger.settle(None)
        return {m: ledger.lots for m, ledger in ledgers.items()}

    async def state(
        self,
        shop_id: str,
        *,
        identifier: str | None = None,
        member_id: str | None = None,
        figures: bool = False,
        calculation: bool = True,
        besides: str | None = None,
        order_id: str | None = None,
        coupons: bool = False,
    ) -> State:
        """In ONE statement (no lock taken): the member by `identifier` (or `member_id`) and,
        with `figures`, their `Figures` (with `calculation`, also their fulfilled orders
        besides the shop's order `besides` and their referrer; without, only the ledger's
        figures); with `order_id`, the order's ledger rows (`order_rows`) and, with `coupons`,
        the coupons it used or issued (by creation). Read it after the member's
        lock, in a statement of its own (see `kassa.store.loyalty_hot`). The order's rows and
        coupons alone are what `locked_for_cancel` read already: taken from there, once."""
        if identifier is None and member_id is None and not figures and coupons and order_id:
            ahead = self._ahead.pop((shop_id, order_id), None)
            if ahead is not None:
                return ahead
        return await loyalty_hot.state(
            self._conn,
            shop_id,
            identifier=identifier,
            member_id=member_id,
            figures=figures,
            calculation=calculation,
            besides=besides,
            order_id=order_id,
            coupons=coupons,
        )

    async def order_rows(self, shop_id: str, order_id: str) -> list[LedgerRow]:
        """The order's ledger rows, oldest first."""
        return (await self.state(shop_id, order_id=order_id)).rows

    async def member_rows(self, member_id: str) -> list[LedgerRow]:
        rows = await self._conn.execute(
            select(loyalty_ledger)
            .where(loyalty_ledger.c.member_id == member_id)
            .order_by(loyalty_ledger.c.id)
        )
        return [_ledger(r) for r in rows]

    # certificates
    async def add_certificate(self, shop_id: str, cert: CertificateRow, now: datetime) -> None:
        try:
            await self._conn.execute(
                insert(loyalty_certificates).values(
                    id=cert.id,
                    shop_id=shop_id,
                    code=cert.code,
                    amount=cert.amount,
                    expires_at=cert.expires_at,
                    created_at=now,
                )
            )
        except IntegrityError as exc:
            raise LoyaltyInvalid("Certificate already exists") from exc

    async def certificate(
        self, shop_id: str, code: str, *, lock: bool = False
    ) -> CertificateRow | None:
        query = select(loyalty_certificates).where(
            loyalty_certificates.c.shop_id == shop_id, loyalty_certificates.c.code == code.strip()
        )
        if lock:
            query = query.with_for_update()
        row = (await self._conn.execute(query)).first()
        return certificate_of(row) if row else None

    async def certificate_balance(self, certificate: CertificateRow) -> Decimal:
        amounts = await self._conn.scalars(
            select(loyalty_ledger.c.amount).where(loyalty_ledger.c.certificate_id == certificate.id)
        )
        return certificate.amount + sum((Decimal(a) for a in amounts), Decimal("0.00"))

    # promo codes and coupons
    async def add_promo(
        self, shop_id: str, promo_id: str, code: str, kind: str, value: Decimal, now: datetime
    ) -> None:
        try:
            await self._conn.execute(
                insert(loyalty_promo_codes).values(
                    id=promo_id,
                    shop_id=shop_id,
                    code=code.strip().upper(),
                    kind=kind,
                    value=value,
                    active=True,
                    created_at=now,
                )
            )
        except IntegrityError as exc:
            raise LoyaltyInvalid("Promo code already exists") from exc

    async def promo(self, shop_id: str, code: str) -> tuple[str, str, Decimal] | None:
        row = (
            await self._conn.execute(
                select(loyalty_promo_codes).where(
                    loyalty_promo_codes.c.shop_id == shop_id,
                    loyalty_promo_codes.c.code == code.strip().upper(),
                    loyalty_promo_codes.c.active.is_(True),
                )
            )
        ).first()
        return (row.id, row.kind, Decimal(row.value)) if row else None

    async def add_coupon(self, shop_id: str, coupon: CouponRow, now: datetime) -> None:
        row = {
            "id": coupon.id,
            "shop_id": shop_id,
            "member_id": coupon.member_id,
            "code": coupon.code,
            "kind": coupon.kind,
            "value": coupon.value,
            "issued_by": coupon.issued_by,
            "status": coupon.status,
            "used_by": coupon.used_by,
            "expires_at": coupon.expires_at,
            "created_at": now,
        }
        await self._conn.stage_sql(*raw.insert(loyalty_coupons, [row], sqlite=self._conn.is_sqlite))

    async def coupon(self, shop_id: str, code: str) -> CouponRow | None:
        row = (
            await self._conn.execute(
                select(loyalty_coupons)
                .where(
                    loyalty_coupons.c.shop_id == shop_id,
                    loyalty_coupons.c.code == code.strip().upper(),
                )
                .with_for_update()
            )
        ).first()
        return _coupon(row) if row else None

    async def coupons_named(self, shop_id: str, codes: Sequence[str]) -> list[CouponRow]:
        """The shop's coupons of these codes (exact: as stored), by creation."""
        if not codes:
            return []
        rows = await self._conn.execute(
            select(loyalty_coupons)
            .where(loyalty_coupons.c.shop_id == shop_id, loyalty_coupons.c.code.in_(codes))
            .order_by(loyalty_coupons.c.created_at)
        )
        return [_coupon(r) for r in rows]

    async def give_back_coupons(
        self, shop_id: str, *, active: Sequence[str], voided: Sequence[str]
    ) -> None:
        """Staged, one statement: the coupons of codes `active` are free again (no order uses
        them), those of codes `voided` are void (a code in both ends void)."""
        await loyalty_hot.give_back_coupons(self._conn, shop_id, active, voided)

    async def set_coupon(self, coupon_id: str, status: str, used_by: str | None) -> None:
        """Staged (plain SQL): sent with the command's other writes, before any later read."""
        values = {"status": status, "used_by": used_by}
        await self._conn.stage_sql(
            *raw.update(loyalty_coupons, "id", coupon_id, values, sqlite=self._conn.is_sqlite)
        )

    # orders
    async def order_and_member(
        self,
        shop_id: str,
        order_id: str,
        *,
        with_shop: bool = False,
    ) -> tuple[LoyaltyOrder | None, Member | None]:
        """In ONE statement, no lock (a command locks first: `locked_for_cancel`,
        `confirm_state`, `apply_state`): `order(shop_id, order_id)` and its member. With
        `with_shop`, the shop is read with them (`shop` asks no more)."""
        found = await loyalty_hot.held(self._conn, shop_id, order_id, with_shop=with_shop)
        if found is None:
            return None, None
        order, member, shop = found
        if shop is not None:
            self._shops.setdefault(shop.id, shop)
        return order, member

    async def locked_for_cancel(self, shop_id: str, order_id: str) -> LoyaltyOrder | None:
        """A cancel's locks (order, member; with the BEGIN), then the order (None: none such),
        its shop, rows and coupons read after them (`state(order_id=, coupons=True)` takes)."""
        found = await loyalty_hot.cancel_state(self._conn, shop_id, order_id)
        if found.shop is not None:
            self._shops.setdefault(found.shop.id, found.shop)
        if found.order is not None:
            self._ahead[shop_id, order_id] = found
        return found.order

    async def confirm_state(self, shop_id: str, order_id: str, now: datetime) -> State:
        """A confirm's locks (order, member; with the BEGIN), then the order (`State.order`),
        its member's figures (None: no member) and its rows, read after them. (`now`: the
        member's older entries may be kept folded, `kassa.store.loyalty_balances`.)"""
        return await loyalty_hot.confirm_state(self._conn, shop_id, order_id, now)

    async def apply_state(
        self, shop_id: str, order_id: str, identifier: str | None, now: datetime
    ) -> tuple[ApplyHold, State]:
        """An apply's locks (order, member of `identifier`; with the BEGIN), then read after
        them: the order, the member and their `state` (with `now`, as `confirm_state`)."""
        return await loyalty_hot.apply_state(self._conn, shop_id, order_id, identifier, now)

    async def order(
        self, shop_id: str, order_id: str, *, lock: bool = False
    ) -> LoyaltyOrder | None:
        query = select(loyalty_orders).where(
            loyalty_orders.c.shop_id == shop_id, loyalty_orders.c.order_id == order_id
        )
        if lock:
            query = query.with_for_update()
        row = (await self._conn.execute(query)).first()
        return _order(row) if row else None

    async def ids_of_order(self, shop_ids: Sequence[str], order_id: str) -> list[str]:
        """Kassa's ids of the orders these shops know by their own `order_id`, by shop."""
        if not shop_ids:
            return []
        rows = await self._conn.execute(
            select(loyalty_orders.c.id)
            .where(loyalty_orders.c.shop_id.in_(shop_ids), loyalty_orders.c.order_id == order_id)
            .order_by(loyalty_orders.c.shop_id)
        )
        return [str(r.id) for r in rows]

    async def order_by_id(self, internal_id: str, *, lock: bool = False) -> LoyaltyOrder | None:
        """A loyalty order by Kassa's own id of it."""
        query = select(loyalty_orders).where(loyalty_orders.c.id == internal_id)
        if lock:
            query = query.with_for_update()
        row = (await self._conn.execute(query)).first()
        return _order(row) if row else None

    async def recent_orders(self, shop_id: str, *, offset: int, limit: int) -> list[LoyaltyOrder]:
        """A page of the shop's checkouts, newest first."""
        rows = await self._conn.execute(
            select(loyalty_orders)
            .where(loyalty_orders.c.shop_id == shop_id)
            .order_by(loyalty_orders.c.created_at.desc(), loyalty_orders.c.id.desc())
            .offset(offset)
            .limit(limit)
        )
        return [_order(r) for r in rows]

    async def add_order(self, order: LoyaltyOrder) -> None:
        """Staged (plain SQL): sent with the command's other writes; a second order of the same
        shop and `order_id` fails there (IntegrityError), at the latest at commit."""
        sqlite = self._conn.is_sqlite
        await self._conn.stage_sql(*raw.insert(loyalty_orders, [_order_row(order)], sqlite=sqlite))

    async def set_status(self, order: LoyaltyOrder) -> None:
        """Staged: the order's status and time, its request and figures as they were (a
        confirm, a whole cancel): they are not written again."""
        values = {"status": order.status.value, "updated_at": order.updated_at}
        await self._conn.stage_sql(
            *raw.update(loyalty_orders, "id", order.id, values, sqlite=self._conn.is_sqlite)
        )

    async def save_order(self, order: LoyaltyOrder) -> None:
        values = {
            "status": order.status.value,
            "request": order.request,
            "result": order.result,
            "member_id": order.member_id,
            "updated_at": order.updated_at,
        }
        await self._conn.stage_sql(
            *raw.update(loyalty_orders, "id", order.id, values, sqlite=self._conn.is_sqlite)
        )

    async def orders_of(self, shop_id: str, member_id: str) -> list[LoyaltyOrder]:
        rows = await self._conn.execute(
            select(loyalty_orders)
            .where(loyalty_orders.c.shop_id == shop_id, loyalty_orders.c.member_id == member_id)
            .order_by(loyalty_orders.c.created_at.desc())
        )
        return [_order(r) for r in rows]


def _ledger(r: Row[Any]) -> LedgerRow:
    return LedgerRow(
        account=r.account,
        entry=Entry(r.entry),
        amount=Decimal(r.amount),
        at=r.at,
        member_id=r.member_id,
        certificate_id=r.certificate_id,
        sticker=r.sticker,
        order_id=r.order_id,
        expires_at=r.expires_at,
        note=r.note,
    )


def _coupon(r: Row[Any]) -> CouponRow:
    return CouponRow(
        r.id,
        r.member_id,
        r.code,
        r.kind,
        Decimal(r.value),
        r.issued_by,
        r.status,
        r.used_by,
        r.expires_at,
    )


def _member(r: Row[Any]) -> Member:
    return Member(r.id, r.shop_id, r.identifier, r.referral_code, r.referrer_id, r.created_at)


def _order(r: Row[Any]) -> LoyaltyOrder:
    return LoyaltyOrder(
        r.id,
        r.shop_id,
        r.order_id,
        r.member_id,
        LoyaltyStatus(r.status),
        dict(r.request),
        dict(r.result),
        r.created_at,
        r.updated_at,
    )


def _order_row(o: LoyaltyOrder) -> dict[str, Any]:
    return {
        "id": o.id,
        "shop_id": o.shop_id,
        "order_id": o.order_id,
        "member_id": o.member_id,
        "status": o.status.value,
        "request": o.request,
        "result": o.result,
        "created_at": o.created_at,
        "updated_at": o.updated_at,
    }


def members_query(shop_id: str, *, offset: int, limit: int) -> Select[Any]:
    """A page of the shop's members, newest first, read in that order from
    `ix_loyalty_members_shop_created` (no sort of the whole shop)."""
    return (
        select(loyalty_members)
        .where(loyalty_members.c.shop_id == shop_id)
        .order_by(loyalty_members.c.created_at.desc(), loyalty_members.c.id.desc())
        .offset(offset)
        .limit(limit)
    )
