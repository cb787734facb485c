"""Loyalty checkout use cases: estimate, apply, confirm, change, cancel; members; admin.

Every command is one transaction. Spending is serialised per member (the member row is locked
while bonuses are counted and reserved) and per certificate (its row is locked), so two
checkouts racing for the same bonuses or balance never overspend. Commands on one order
serialise on the order row. Everything spent, earned and given back is an append-only ledger
row; the ledger moves of a re-apply, a change and a cancel come from one plan
(`kassa.core.cancellation.plan_ledger_moves`): bring each account of the order from where it
is to where it should be. A reward taken back after the member spent it leaves the bonus
balance negative: the ledger shows the debt and the next earnings pay it first.
"""

import hashlib
import hmac
import secrets
import string
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from kassa.app.catalog import own_event
from kassa.app.ids import new_id
from kassa.app.journal import record_event
from kassa.app.loyalty_payload import payload_of
from kassa.core.cancellation import LedgerKey, LedgerMove, OrderKind, plan_ledger_moves
from kassa.core.cancellation import version_of as cancellation_version
from kassa.core.errors import (
    LoyaltyInvalid,
    LoyaltyNotFound,
    LoyaltySecretWrong,
    LoyaltyShopUnknown,
)
from kassa.core.loyalty import (
    Buyer,
    CartItem,
    Certificate,
    Checkout,
    LoyaltyStatus,
    Program,
    PromoCode,
    bonus_balance,
    calculate,
    ensure_can_apply,
    ensure_can_change,
    ensure_can_confirm,
    expiry,
    validate_identifier,
)
from kassa.core.loyalty_orders import (
    CertificateRow,
    CouponRow,
    LedgerRow,
    LoyaltyOrder,
    Member,
    Shop,
)
from kassa.core.loyalty_orders import current_accounts as current_accounts
from kassa.core.money import ZERO, money
from kassa.core.tenancy import Principal
from kassa.store.db import Database, UnitOfWork, json_dumps

_CODE = string.ascii_uppercase + string.digits


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


@dataclass(frozen=True)
class CheckoutRequest:
    items: tuple[CartItem, ...]
    identifier: str | None = None
    order_id: str | None = None
    payment_type: str | None = None
    promo_codes: tuple[str, ...] = ()
    certificates: tuple[str, ...] = ()
    charge_bonuses: bool = False
    bonuses_amount: Decimal | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "identifier": self.identifier,
            "payment_type": self.payment_type,
            "promo_codes": list(self.promo_codes),
            "certificates": list(self.certificates),
            "charge_bonuses": self.charge_bonuses,
            "bonuses_amount": str(self.bonuses_amount) if self.bonuses_amount is not None else None,
            "cart_items": [
                {
                    "product_id": i.product_id,
                    "price": str(i.price),
                    "quantity": str(i.quantity),
                    "discountable": i.discountable,
                    "bonusable": i.bonusable,
                    "rewardable": i.rewardable,
                }
                for i in self.items
            ],
        }


def request_from(data: dict[str, Any]) -> CheckoutRequest:
    """The inverse of `as_dict` (a stored order's last request)."""
    return CheckoutRequest(
        items=tuple(
            CartItem(
                i["product_id"],
                Decimal(i["price"]),
                Decimal(i["quantity"]),
                i["discountable"],
                i["bonusable"],
                i["rewardable"],
            )
            for i in data["cart_items"]
        ),
        identifier=data.get("identifier"),
        payment_type=data.get("payment_type"),
        promo_codes=tuple(data.get("promo_codes") or ()),
        certificates=tuple(data.get("certificates") or ()),
        charge_bonuses=bool(data.get("charge_bonuses")),
        bonuses_amount=Decimal(data["bonuses_amount"]) if data.get("bonuses_amount") else None,
    )


# --- auth and admin -----------------------------------------------------------------------


async def authenticate(db: Database, shop_id: str | None, secret: str | None) -> Shop:
    if not shop_id:
        raise LoyaltyShopUnknown("Shop not found")
    async with db.unit_of_work(write=False) as uow:
        shop = await uow.loyalty.shop(str(shop_id))
    if shop is None:
        raise LoyaltyShopUnknown("Shop not found")
    if not secret or not hmac.compare_digest(hash_secret(str(secret)), shop.secret_hash):
        raise LoyaltySecretWrong("API secret is not correct")
    return shop


async def create_shop(
    db: Database,
    org_id: str,
    name: str,
    program: Program,
    now: datetime,
    *,
    shop_id: str | None = None,
    secret: str | None = None,
) -> tuple[Shop, str]:
    """A shop and its secret (shown once; only its hash is kept)."""
    secret = secret or secrets.token_hex(16)
    shop = Shop(shop_id or secrets.token_hex(16), org_id, name, hash_secret(secret), program)
    async with db.unit_of_work() as uow:
        await uow.loyalty.add_shop(shop, now)
        await uow.commit()
    return shop, secret


async def set_program(db: Database, org_id: str, shop_id: str, program: Program) -> Shop:
    async with db.unit_of_work() as uow:
        shop = await uow.loyalty.shop(shop_id)
        if shop is None or shop.org_id != org_id:
            raise LoyaltyNotFound("Shop not found")
        await uow.loyalty.set_program(shop_id, program)
        await uow.commit()
    return replace(shop, program=program)


async def link_event(
    db: Database,
    principal: Principal,
    shop_id: str,
    event_id: str | None,
    *,
    unlink_event: str | None = None,
) -> None:
    """Attach the organiser's event to its shop (done ticket orders earn bonuses there)."""
    async with db.unit_of_work() as uow:
        shop = await uow.loyalty.shop(shop_id)
        if shop is None or shop.org_id != principal.org_id:
            raise LoyaltyNotFound(f"Shop {shop_id} not found")
        target = event_id or unlink_event
        if target is None:
            raise LoyaltyInvalid("an event is needed")
        await own_event(uow, principal, target)
        await uow.loyalty.link_event(target, shop_id if event_id else None)
        await uow.commit()


async def shops_of(db: Database, org_id: str) -> list[Shop]:
    async with db.unit_of_work(write=False) as uow:
        return await uow.loyalty.shops_of(org_id)


async def add_promo_code(
    db: Database, shop: Shop, code: str, kind: str, value: Decimal, now: datetime
) -> str:
    if kind not in ("fix", "percent") or value <= 0 or (kind == "percent" and value > 100):
        raise LoyaltyInvalid("promo code: kind is fix|percent, value > 0 (percent <= 100)")
    if not code.strip() or len(code) > 64:
        raise LoyaltyInvalid("promo code: 1 to 64 characters")
    promo_id = new_id(now)
    async with db.unit_of_work() as uow:
        await uow.loyalty.add_promo(shop.id, promo_id, code, kind, money(value), now)
        await uow.commit()
    return promo_id


async def issue_certificate(
    db: Database,
    shop: Shop,
    amount: Decimal,
    now: datetime,
    *,
    code: str | None = None,
    valid_days: int | None = 365,
) -> CertificateRow:
    if money(amount) <= 0:
        raise LoyaltyInvalid("certificate amount must be greater than 0")
    cert = CertificateRow(
        new_id(now),
        (code or "".join(secrets.choice(_CODE) for _ in range(12))).strip(),
        money(amount),
        now + timedelta(days=valid_days) if valid_days else None,
    )
    async with db.unit_of_work() as uow:
        await uow.loyalty.add_certificate(shop.id, cert, now)
        await uow.commit()
    return cert


async def adjust_bonuses(
    db: Database, shop: Shop, identifier: str, amount: Decimal, reason: str, now: datetime
) -> Decimal:
    """An operator's correction, with its reason, as a ledger row; returns the new balance."""
    if not reason.strip():
        raise LoyaltyInvalid("an adjustment needs a reason")
    async with db.unit_of_work() as uow:
        member = await _member(uow, shop, identifier, lock=True)
        await uow.loyalty.append(
            shop.id,
            [
                LedgerRow.adjust(
                    member.id,
                    money(amount),
                    now,
                    expiry(shop.program, now) if amount > 0 else None,
                    reason[:500],
                )
            ],
        )
        balance = bonus_balance(await uow.loyalty.bonus_entries(member.id), now)
        await uow.commit()
    return balance


# --- members ------------------------------------------------------------------------------


async def join(
    db: Database, shop: Shop, identifier: str, now: datetime, referral_code: str | None = None
) -> Member:
    validate_identifier(identifier)
    async with db.unit_of_work() as uow:
        referrer = None
        if referral_code:
            referrer = await uow.loyalty.member(shop.id, referral_code=referral_code)
            if referrer is None:
                raise LoyaltyInvalid("Code is not valid")
        member = Member(
            new_id(now),
            shop.id,
            identifier,
            "".join(secrets.choice(_CODE) for _ in range(8)),
            referrer.id if referrer else None,
            now,
        )
        if await uow.loyalty.member(shop.id, identifier=identifier) is not None:
            raise LoyaltyInvalid("Member already exists")
        await uow.loyalty.add_member(member)
        if shop.program.welcome_bonuses > 0:
            await uow.loyalty.append(
                shop.id,
                [
                    LedgerRow.earn(
                        member.id,
                        shop.program.welcome_bonuses,
                        now,
                        expiry(shop.program, now),
                        "welcome",
                    )
                ],
            )
        await uow.commit()
    return member


@dataclass(frozen=True)
class MemberStatus:
    member: Member
    bonuses: Decimal
    spent: Decimal
    level: str | None
    level_discount: Decimal
    stickers: dict[str, int]
    referrer_identifier: str | None
    ledger: list[LedgerRow] = field(default_factory=list)


async def member_status(db: Database, shop: Shop, identifier: str, now: datetime) -> MemberStatus:
    async with db.unit_of_work(write=False) as uow:
        member = await _member(uow, shop, identifier)
        bonuses = bonus_balance(await uow.loyalty.bonus_entries(member.id), now)
        spent = await uow.loyalty.account_total(member.id, "spent")
        level = shop.program.level_for(spent)
        referrer = (
            await uow.loyalty.member(shop.id, member_id=member.referrer_id)
            if member.referrer_id
            else None
        )
        return MemberStatus(
            member,
            bonuses,
            spent,
            level.name if level else None,
            level.discount_percent if level else ZERO,
            await uow.loyalty.stickers(member.id),
            referrer.identifier if referrer else None,
            await uow.loyalty.member_rows(member.id),
        )


async def _member(uow: UnitOfWork, shop: Shop, identifier: str, *, lock: bool = False) -> Member:
    validate_identifier(identifier)
    member = await uow.loyalty.member(shop.id, identifier=identifier, lock=lock)
    if member is None:
        raise LoyaltyNotFound("Loyalty program member is not found")
    return member


# --- the checkout -------------------------------------------------------------------------


@dataclass
class _Resolved:
    checkout: Checkout
    member: Member | None
    referrer: Member | None
    coupons: list[CouponRow]
    certificate_rows: dict[str, CertificateRow]


async def _resolve(
    uow: UnitOfWork,
    shop: Shop,
    req: CheckoutRequest,
    now: datetime,
    *,
    lock: bool,
    returning: dict[str, Decimal] | None = None,
) -> _Resolved:
    """Find the member, codes and certificates the request names, as they stand now.

    `returning`: what this very order holds already ({"bonus": n, certificate_id: n}), which
    counts as available again (a change may move it, not more)."""
    returning = returning or {}
    member = None
    if req.identifier is not None:
        validate_identifier(req.identifier)
        member = await uow.loyalty.member(shop.id, identifier=req.identifier, lock=lock)
    if req.charge_bonuses and member is None:
        raise LoyaltyInvalid("Loyalty program member is not found")
    buyer = None
    referrer = None
    if member is not None:
        entries = await uow.loyalty.bonus_entries(member.id)
        if member.referrer_id:
            referrer = await uow.loyalty.member(shop.id, member_id=member.referrer_id)
        buyer = Buyer(
            id=member.id,
            identifier=member.identifier,
            bonuses=bonus_balance(entries, now) + returning.get("bonus", ZERO),
            spent=await uow.loyalty.account_total(member.id, "spent"),
            stickers=await uow.loyalty.stickers(member.id),
            referrer_id=member.referrer_id,
            referrer_identifier=referrer.identifier if referrer else None,
            first_order=await uow.loyalty.fulfilled_count(shop.id, member.id, besides=req.order_id)
            == 0,
        )
    codes: list[PromoCode] = []
    failed: list[tuple[str, str]] = []
    coupons: list[CouponRow] = []
    referral = bool(buyer and buyer.referrer_id and buyer.first_order)
    for raw in dict.fromkeys(req.promo_codes):
        promo = await uow.loyalty.promo(shop.id, raw)
        if promo is not None:
            codes.append(PromoCode(raw, promo[1], promo[2], promo_id=promo[0]))
            continue
        coupon = await uow.loyalty.coupon(shop.id, raw)
        if coupon is not None:
            usable = (
                member is not None
                and coupon.member_id == member.id
                and coupon.expires_at > now
                and (coupon.status == "active" or coupon.used_by == req.order_id)
            )
            if usable:
                codes.append(PromoCode(raw, coupon.kind, coupon.value, coupon_id=coupon.id))
                coupons.append(coupon)
            else:
                failed.append((raw, "Code is not valid"))
            continue
        owner = await uow.loyalty.member(shop.id, referral_code=raw)
        if (
            owner is not None
            and buyer is not None
            and member is not None
            and owner.id != member.id
            and buyer.first_order
            and member.referrer_id in (None, owner.id)
        ):
            referral, referrer = True, owner
            buyer = replace(buyer, referrer_id=owner.id, referrer_identifier=owner.identifier)
            continue
        failed.append((raw, "Code is not valid"))
    certificates: list[Certificate] = []
    certificate_rows: dict[str, CertificateRow] = {}
    failed_certificates: list[tuple[str, str]] = []
    for raw in dict.fromkeys(req.certificates):
        row = await uow.loyalty.certificate(shop.id, raw, lock=lock)
        if row is None or (row.expires_at is not None and row.expires_at <= now):
            failed_certificates.append((raw, "Certificate is not valid"))
            continue
        balance = await uow.loyalty.certificate_balance(row) + returning.get(row.id, ZERO)
        if balance <= 0:
            failed_certificates.append((raw, "Certificate balance is empty"))
            continue
        certificates.append(Certificate(row.id, row.code, balance))
        certificate_rows[row.id] = row
    checkout = Checkout(
        items=req.items,
        buyer=buyer,
        codes=tuple(codes),
        failed_codes=tuple(failed),
        certificates=tuple(certificates),
        failed_certificates=tuple(failed_certificates),
        referral=referral,
        charge_bonuses=req.charge_bonuses,
        bonuses_amount=req.bonuses_amount,
    )
    return _Resolved(checkout, member, referrer, coupons, certificate_rows)


async def estimate(db: Database, shop: Shop, req: CheckoutRequest, now: datetime) -> dict[str, Any]:
    """What the cart costs now; nothing is saved or reserved."""
    async with db.unit_of_work(write=False) as uow:
        resolved = await _resolve(uow, shop, req, now, lock=False)
        calc = calculate(shop.program, resolved.checkout)
        return payload_of(calc, req, resolved.checkout.buyer)


def _reservation_target(order_id: str, resolved: _Resolved, calc: Any) -> dict[LedgerKey, Decimal]:
    """The accounts an applied (not yet confirmed) order holds: bonuses and certificate money
    spent, as negative amounts."""
    target: dict[LedgerKey, Decimal] = {}
    if resolved.member is not None and calc.bonuses_used:
        target[("bonus", resolved.member.id, None, None, True)] = -calc.bonuses_used
    for certificate_id in calc.certificates:
        used = calc.certificate_used(certificate_id)
        if used:
            target[("certificate", None, certificate_id, None, True)] = -used
    return target


def _fulfilled_target(
    shop: Shop, order: LoyaltyOrder, resolved: _Resolved, calc: Any
) -> dict[LedgerKey, Decimal]:
    """The accounts a confirmed order holds: its reservations, plus what it earned."""
    target = _reservation_target(order.order_id, resolved, calc)
    member = resolved.member
    if member is None:
        return target
    if calc.bonuses_reward:
        target[("bonus", member.id, None, None, False)] = calc.bonuses_reward
    for sticker, count in calc.rewarded_stickers.items():
        target[("sticker", member.id, None, sticker, False)] = Decimal(count)
    for sticker, count in calc.used_stickers.items():
        target[("sticker", member.id, None, sticker, True)] = Decimal(-count)
    target[("spent", member.id, None, None, False)] = calc.order_to_pay
    if resolved.referrer is not None and calc.referrer_reward:
        target[("bonus", resolved.referrer.id, None, None, False)] = calc.referrer_reward
    return target


def ledger_rows(
    shop: Shop, order_id: str, moves: list[LedgerMove], now: datetime, note: str
) -> list[LedgerRow]:
    """The moves as ledger rows; bonuses that come back (returned or earned) are active from
    today."""
    return [
        LedgerRow.of_move(
            move,
            order_id,
            now,
            expiry(shop.program, now) if move.account == "bonus" and move.amount > 0 else None,
            note,
        )
        for move in moves
    ]


async def _move(
    uow: UnitOfWork,
    shop: Shop,
    order_id: str,
    target: dict[LedgerKey, Decimal],
    now: datetime,
    note: str,
) -> list[LedgerMove]:
    current = current_accounts(await uow.loyalty.order_rows(shop.id, order_id))
    moves = plan_ledger_moves(current, target)
    await uow.loyalty.append(shop.id, ledger_rows(shop, order_id, moves, now, note))
    return moves


def _order_id(req: CheckoutRequest) -> str:
    if not req.order_id or len(req.order_id) > 64:
        raise LoyaltyInvalid("order_id is required (at most 64 characters)")
    return req.order_id


async def apply(db: Database, shop: Shop, req: CheckoutRequest, now: datetime) -> dict[str, Any]:
    """Create the order (or replace its cart while it is Created) and reserve what it spends."""
    order_id = _order_id(req)
    async with db.unit_of_work() as uow:
        existing = await uow.loyalty.order(shop.id, order_id, lock=True)
        ensure_can_apply(existing.status if existing else None)
        if existing is not None and existing.member_id is not None:
            held = await uow.loyalty.member(shop.id, member_id=existing.member_id)
            if held is not None and held.identifier != req.identifier:
                raise LoyaltyInvalid("Order belongs to another member")
        # Whatever the order held goes back first (a re-apply replaces the cart whole).
        await _move(uow, shop, order_id, {}, now, "re-apply")
        for coupon in await uow.loyalty.coupons_of(shop.id, used_by=order_id):
            await uow.loyalty.set_coupon(coupon.id, "active", None)
        resolved = await _resolve(uow, shop, req, now, lock=True)
        calc = calculate(shop.program, resolved.checkout)
        await _move(
            uow, shop, order_id, _reservation_target(order_id, resolved, calc), now, "apply"
        )
        for coupon in resolved.coupons:
            await uow.loyalty.set_coupon(coupon.id, "used", order_id)
        payload = payload_of(calc, req, resolved.checkout.buyer)
        request = {
            **req.as_dict(),
            "_referrer_id": resolved.referrer.id if resolved.referrer else None,
            "_coupon_rules": [
                {"kind": c.kind, "value": str(c.value), "valid_days": c.valid_days}
                for c in calc.coupons
            ],
        }
        member_id = resolved.member.id if resolved.member else None
        if existing is None:
            order = LoyaltyOrder(
                new_id(now),
                shop.id,
                order_id,
                member_id,
                LoyaltyStatus.CREATED,
                request,
                payload,
                now,
                now,
            )
            await uow.loyalty.add_order(order)
        else:
            order = replace(
                existing, member_id=member_id, request=request, result=payload, updated_at=now
            )
            await uow.loyalty.save_order(order)
        before = existing.status if existing else None
        await _journal(uow, shop, order, "loyalty.applied", now, before)
        await uow.commit()
    return payload


async def _order(uow: UnitOfWork, shop: Shop, order_id: str | None, *, lock: bool) -> LoyaltyOrder:
    if not order_id:
        raise LoyaltyInvalid("order_id is required")
    order = await uow.loyalty.order(shop.id, order_id, lock=lock)
    if order is None:
        raise LoyaltyNotFound(f"Order {order_id} not found")
    return order


async def _recalculate(
    uow: UnitOfWork, shop: Shop, order: LoyaltyOrder, req: CheckoutRequest, now: datetime
) -> tuple[_Resolved, Any]:
    """The order's calculation again, with what it holds counted as available to it."""
    current = current_accounts(await uow.loyalty.order_rows(shop.id, order.order_id))
    returning: dict[str, Decimal] = {}
    for (account, member_id, certificate_id, _s, spending), amount in current.items():
        if spending and account == "bonus" and member_id == order.member_id:
            returning["bonus"] = returning.get("bonus", ZERO) - amount
        if spending and account == "certificate" and certificate_id:
            returning[certificate_id] = returning.get(certificate_id, ZERO) - amount
    resolved = await _resolve(uow, shop, req, now, lock=True, returning=returning)
    if order.request.get("_referrer_id") and resolved.referrer is None:
        resolved.referrer = await uow.loyalty.member(
            shop.id, member_id=order.request["_referrer_id"]
        )
    return resolved, calculate(shop.program, resolved.checkout)


async def confirm(db: Database, shop: Shop, order_id: str | None, now: datetime) -> dict[str, Any]:
    """Paid (or delivered): rewards accrue, stickers are charged, coupons issued, the referrer
    rewarded. Again on a Fulfilled order: the same answer, nothing twice."""
    async with db.unit_of_work() as uow:
        order = await _order(uow, shop, order_id, lock=True)
        ensure_can_confirm(order.status)
        if order.status is LoyaltyStatus.CREATED:
            req = request_from(order.request)
            resolved, calc = await _recalculate(uow, shop, order, req, now)
            await _move(
                uow,
                shop,
                order.order_id,
                _fulfilled_target(shop, order, resolved, calc),
                now,
                "confirm",
            )
            if resolved.member is not None:
                for rule in order.request.get("_coupon_rules") or ():
                    await uow.loyalty.add_coupon(
                        shop.id,
                        CouponRow(
                            new_id(now),
                            resolved.member.id,
                            "C" + "".join(secrets.choice(_CODE) for _ in range(9)),
                            rule["kind"],
                            Decimal(rule["value"]),
                            order.order_id,
                            "active",
                            None,
                            now + timedelta(days=int(rule["valid_days"])),
                        ),
                        now,
                    )
            order = replace(order, status=LoyaltyStatus.FULFILLED, updated_at=now)
            await uow.loyalty.save_order(order)
            await _journal(uow, shop, order, "loyalty.confirmed", now, LoyaltyStatus.CREATED)
        identifier = order.request.get("identifier")
        await uow.commit()
    return {"order_id": order.order_id, "identifier": identifier}


async def change_plan(
    uow: UnitOfWork, shop: Shop, order: LoyaltyOrder, req: CheckoutRequest, now: datetime
) -> tuple[CheckoutRequest, dict[LedgerKey, Decimal], dict[str, Any]]:
    """The new request, the accounts the order will hold and its new payload."""
    ensure_can_change(order.status)
    before = request_from(order.request)
    spent_before = Decimal(str(order.result.get("bonuses_used", 0)))
    new_req = replace(
        req,
        identifier=before.identifier,
        promo_codes=before.promo_codes,
        certificates=before.certificates,
        charge_bonuses=before.charge_bonuses,
        bonuses_amount=spent_before if before.charge_bonuses else None,
    )
    resolved, calc = await _recalculate(uow, shop, order, new_req, now)
    payload = payload_of(calc, new_req, resolved.checkout.buyer)
    payload["order_total_change"] = money(
        Decimal(str(payload["order_to_pay"])) - Decimal(str(order.result["order_to_pay"]))
    )
    return new_req, _fulfilled_target(shop, order, resolved, calc), payload


async def change(db: Database, shop: Shop, req: CheckoutRequest, now: datetime) -> dict[str, Any]:
    """More items (or other lines) for a Fulfilled order: everything is recomputed for the
    new cart with the order's codes and certificates, bonuses spent at most as before, and
    the ledgers move by the difference. A cart that only shrinks is a partial cancel
    (`kassa.app.cancellation`), not this."""
    order_id = _order_id(req)
    async with db.unit_of_work() as uow:
        order = await _order(uow, shop, order_id, lock=True)
        new_req, target, payload = await change_plan(uow, shop, order, req, now)
        await _move(uow, shop, order_id, target, now, "change")
        order = replace(
            order, request={**order.request, **new_req.as_dict()}, result=payload, updated_at=now
        )
        await uow.loyalty.save_order(order)
        await _journal(uow, shop, order, "loyalty.changed", now, LoyaltyStatus.FULFILLED)
        await uow.commit()
    return payload


def without_items(order: LoyaltyOrder, items: dict[str, Decimal]) -> CheckoutRequest:
    """The order's request with these quantities taken out of its cart (each must be there)."""
    if not items:
        raise LoyaltyInvalid("name the items to cancel")
    cart = [dict(x) for x in order.request.get("cart_items") or []]
    have: dict[str, Decimal] = {}
    for line in cart:
        key = str(line.get("product_id"))
        have[key] = have.get(key, ZERO) + Decimal(str(line.get("quantity", 0)))
    for product, quantity in items.items():
        if quantity <= 0 or quantity > have.get(product, ZERO):
            raise LoyaltyInvalid(
                f"cannot cancel {quantity} of {product}: the order has {have.get(product, 0)}"
            )
    left = []
    taking = dict(items)
    for line in cart:
        key = str(line.get("product_id"))
        quantity = Decimal(str(line.get("quantity", 0)))
        out = min(quantity, taking.get(key, ZERO))
        taking[key] = taking.get(key, ZERO) - out
        if quantity - out > 0:
            left.append({**line, "quantity": str(quantity - out)})
    if not left:
        raise LoyaltyInvalid("that is every item: cancel the whole order")
    return replace(request_from({**order.request, "cart_items": left}), order_id=order.order_id)


@dataclass(frozen=True)
class Shrinkage:
    """A `change` that only lowers quantities: a partial cancel of the order as it was."""

    order_id: str  # Kassa's
    items: dict[str, Decimal]
    version: str


async def shrinkage(db: Database, shop: Shop, req: CheckoutRequest) -> Shrinkage | None:
    """Kassa's id of the order and the quantities a `change` takes out of its cart, when the
    new cart is the old one with some quantities lowered (same products, prices and flags);
    None for any other change."""
    async with db.unit_of_work(write=False) as uow:
        order = await _order(uow, shop, _order_id(req), lock=False)
    old = _cart_lines(order.request.get("cart_items") or [])
    new = _cart_lines(CheckoutRequest(req.items).as_dict()["cart_items"])
    if old is None or new is None or not set(new) <= set(old):
        return None
    taken: dict[str, Decimal] = {}
    for product, (quantity, rest) in old.items():
        left, same = new.get(product, (ZERO, rest))
        if same != rest or left > quantity:
            return None
        if left < quantity:
            taken[product] = quantity - left
    return Shrinkage(order.id, taken, version_of(order)) if taken else None


def version_of(order: LoyaltyOrder) -> str:
    """The version of a cancellation plan of the order: any change (status, figures, time)
    changes it."""
    parts = [order.status.value, order.updated_at.isoformat(), json_dumps(order.result)]
    return cancellation_version(OrderKind.LOYALTY, order.id, parts)


def _cart_lines(
    cart: list[dict[str, Any]],
) -> dict[str, tuple[Decimal, tuple[Any, ...]]] | None:
    """product -> (quantity, the line's other fields); None when a product has two lines."""
    found: dict[str, tuple[Decimal, tuple[Any, ...]]] = {}
    for line in cart:
        product = str(line.get("product_id"))
        if product in found:
            return None
        rest = tuple(str(line.get(k)) for k in ("price", "discountable", "bonusable", "rewardable"))
        found[product] = (Decimal(str(line.get("quantity", 0))), rest)
    return found


async def details(db: Database, shop: Shop, order_id: str | None) -> dict[str, Any]:
    async with db.unit_of_work(write=False) as uow:
        order = await _order(uow, shop, order_id, lock=False)
    return {**order.result, "status": order.status.value}


async def history(db: Database, shop: Shop, identifier: str) -> dict[str, Any]:
    async with db.unit_of_work(write=False) as uow:
        member = await _member(uow, shop, identifier)
        orders = await uow.loyalty.orders_of(shop.id, member.id)
    return {
        "identifier": identifier,
        "orders": [
            {
                "id": o.order_id,
                "date": o.created_at.isoformat(),
                "status": o.status.value,
                "total": o.result.get("order_to_pay"),
                "items": [
                    {
                        "id": i["product_id"],
                        "name": i["product_id"],
                        "quantity": Decimal(i["quantity"]),
                        "price": Decimal(i["price"]),
                    }
                    for i in o.request.get("cart_items", [])
                ],
            }
            for o in orders
        ],
    }


def summary(shop: Shop, order: LoyaltyOrder) -> dict[str, Any]:
    """What a loyalty order's timeline entry and webhook say of it."""
    return {
        "id": order.id,
        "shop": shop.id,
        "order_id": order.order_id,
        "identifier": order.request.get("identifier"),
        "to_pay": str(order.result.get("order_to_pay")),
    }


async def _journal(
    uow: UnitOfWork,
    shop: Shop,
    order: LoyaltyOrder,
    action: str,
    now: datetime,
    before: LoyaltyStatus | None,
    *,
    actor: str | None = None,
    reason: str | None = None,
) -> None:
    """The loyalty order's timeline and the shop organisation's `loyalty.*` webhooks."""
    await record_event(
        uow,
        order_id=order.id,
        org_id=shop.org_id,
        actor=actor or f"shop:{shop.id}",
        action=action,
        from_status=before.value if before else None,
        to_status=order.status.value,
        now=now,
        order=summary(shop, order),
        details=summary(shop, order),
        reason=reason,
    )
