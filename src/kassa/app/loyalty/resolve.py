"""The resolve step of a checkout: the member, codes and certificates a request names, as
they stand now, turned into the core's `Checkout`."""

from dataclasses import dataclass, field, replace
from datetime import datetime
from decimal import Decimal

from kassa.app.loyalty.request import CheckoutRequest
from kassa.core.certificates import payable, refusal
from kassa.core.errors import LoyaltyInvalid
from kassa.core.loyalty import (
    Buyer,
    Certificate,
    Checkout,
    PromoCode,
    validate_identifier,
)
from kassa.core.loyalty_orders import CertificateRow, CouponRow, Member, Shop
from kassa.core.money import ZERO
from kassa.store.db import UnitOfWork
from kassa.store.loyalty_hot import Figures


@dataclass(frozen=True)
class Known:
    """The member the request names and their figures, read already (by an apply, with its
    locks): `resolve` reads them no more."""

    member: Member | None
    figures: Figures | None


@dataclass
class Resolved:
    checkout: Checkout
    member: Member | None
    referrer: Member | None
    coupons: list[CouponRow]
    certificate_rows: dict[str, CertificateRow]


@dataclass
class _Codes:
    """What the request's codes turned out to be (a referral code may change the buyer)."""

    buyer: Buyer | None
    referrer: Member | None
    referral: bool
    codes: list[PromoCode] = field(default_factory=list)
    failed: list[tuple[str, str]] = field(default_factory=list)
    coupons: list[CouponRow] = field(default_factory=list)


@dataclass
class _Certificates:
    found: list[Certificate] = field(default_factory=list)
    rows: dict[str, CertificateRow] = field(default_factory=dict)
    failed: list[tuple[str, str]] = field(default_factory=list)
    promo: bool = False  # a promo pool's certificate is in already: one per order


async def resolve(
    uow: UnitOfWork,
    shop: Shop,
    req: CheckoutRequest,
    now: datetime,
    *,
    lock: bool,
    returning: dict[str, Decimal] | None = None,
    known: Known | None = None,
) -> Resolved:
    """Find the member, codes and certificates the request names, as they stand now.

    `returning`: what this very order holds already ({"bonus": n, certificate_id: n}), which
    counts as available again (a change may move it, not more). `known`: the member and
    their figures, read already."""
    returning = returning or {}
    member, figures = await _member(uow, shop, req, lock=lock, known=known)
    buyer, referrer = _buyer(member, figures, now, returning)
    codes = _Codes(buyer, referrer, bool(buyer and buyer.referrer_id and buyer.first_order))
    for raw in dict.fromkeys(req.promo_codes):
        await _read_code(uow, shop, raw, member, req, now, codes)
    certificates = _Certificates()
    for raw in dict.fromkeys(req.certificates):
        await _read_certificate(uow, shop, raw, req, now, lock, returning, certificates)
    checkout = Checkout(
        items=req.items,
        buyer=codes.buyer,
        codes=tuple(codes.codes),
        failed_codes=tuple(codes.failed),
        certificates=tuple(certificates.found),
        failed_certificates=tuple(certificates.failed),
        referral=codes.referral,
        charge_bonuses=req.charge_bonuses,
        bonuses_amount=req.bonuses_amount,
    )
    return Resolved(checkout, member, codes.referrer, codes.coupons, certificates.rows)


async def _member(
    uow: UnitOfWork, shop: Shop, req: CheckoutRequest, *, lock: bool, known: Known | None
) -> tuple[Member | None, Figures | None]:
    """The member and their figures (the bonus ledger, whether they have a fulfilled order, the
    spent total, the stickers, the referrer): read in one statement, or two when the member
    is locked (its figures are read after the lock)."""
    member, figures = None, None
    if req.identifier is not None:
        validate_identifier(req.identifier)
        if known is not None:
            member, figures = known.member, known.figures
        elif lock:
            member = await uow.loyalty.member(shop.id, identifier=req.identifier, lock=True)
        else:
            found = await uow.loyalty.state(
                shop.id, identifier=req.identifier, figures=True, besides=req.order_id
            )
            member, figures = found.member, found.figures
    if req.charge_bonuses and member is None:
        raise LoyaltyInvalid("Loyalty program member is not found")
    if member is not None and figures is None:
        found = await uow.loyalty.state(
            shop.id, member_id=member.id, figures=True, besides=req.order_id
        )
        figures = found.figures
    return member, figures


def _buyer(
    member: Member | None,
    figures: Figures | None,
    now: datetime,
    returning: dict[str, Decimal],
) -> tuple[Buyer | None, Member | None]:
    """The member as the calculation sees them, and their referrer."""
    if member is None or figures is None:
        return None, None
    referrer = figures.referrer if member.referrer_id else None
    buyer = Buyer(
        id=member.id,
        identifier=member.identifier,
        bonuses=figures.bonuses(now) + returning.get("bonus", ZERO),
        spent=figures.spent,
        stickers=figures.stickers,
        referrer_id=member.referrer_id,
        referrer_identifier=referrer.identifier if referrer else None,
        first_order=figures.fulfilled == 0,
    )
    return buyer, referrer


async def _read_code(
    uow: UnitOfWork,
    shop: Shop,
    raw: str,
    member: Member | None,
    req: CheckoutRequest,
    now: datetime,
    found: _Codes,
) -> None:
    """A promo code, else the member's coupon, else someone's referral code, else failed."""
    promo = await uow.loyalty.promo(shop.id, raw)
    if promo is not None:
        found.codes.append(PromoCode(raw, promo[1], promo[2], promo_id=promo[0]))
        return
    coupon = await uow.loyalty.coupon(shop.id, raw)
    if coupon is not None:
        if coupon.usable_by(member.id if member else None, req.order_id, now):
            found.codes.append(PromoCode(raw, coupon.kind, coupon.value, coupon_id=coupon.id))
            found.coupons.append(coupon)
        else:
            found.failed.append((raw, "Code is not valid"))
        return
    owner = await uow.loyalty.member(shop.id, referral_code=raw)
    if owner is not None and _may_refer(owner, member, found.buyer):
        found.referral, found.referrer = True, owner
        buyer = found.buyer
        assert buyer is not None  # _may_refer needs one
        found.buyer = replace(buyer, referrer_id=owner.id, referrer_identifier=owner.identifier)
        return
    found.failed.append((raw, "Code is not valid"))


def _may_refer(owner: Member, member: Member | None, buyer: Buyer | None) -> bool:
    """Someone else's code, on the buyer's first order, and no other referrer before."""
    return (
        buyer is not None
        and member is not None
        and owner.id != member.id
        and buyer.first_order
        and member.referrer_id in (None, owner.id)
    )


async def _read_certificate(
    uow: UnitOfWork,
    shop: Shop,
    raw: str,
    req: CheckoutRequest,
    now: datetime,
    lock: bool,
    returning: dict[str, Decimal],
    found: _Certificates,
) -> None:
    row = await uow.loyalty.certificate(shop.id, raw, lock=lock)
    if row is None:
        found.failed.append((raw, "Certificate is not valid"))
        return
    pool = await uow.certificates.pool(shop.id, pool_id=row.pool_id) if row.pool_id else None
    order_total = sum((item.total for item in req.items), ZERO)
    refused = refusal(row, pool, req.identifier, order_total, now)
    if refused is None and pool is not None and pool.promo and found.promo:
        refused = "Only one promo certificate per order"
    if refused is not None:
        found.failed.append((raw, refused))
        return
    balance = await uow.loyalty.certificate_balance(row) + returning.get(row.id, ZERO)
    if balance <= 0:
        found.failed.append((raw, "Certificate balance is empty"))
        return
    found.promo = found.promo or bool(pool and pool.promo)
    found.found.append(Certificate(row.id, row.code, payable(pool, balance, order_total)))
    found.rows[row.id] = row
