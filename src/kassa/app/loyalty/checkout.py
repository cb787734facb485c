"""The loyalty checkout: estimate, apply, confirm, details, and what they share.

Every command is one transaction. Spending is serialised per member (the member row is locked
while bonuses are counted and reserved) and per certificate (its row is locked), so two
checkouts racing for the same bonuses or balance never overspend. Commands on one order
serialise on the order row.

Apply reserves what its figures spend; confirm settles exactly those figures, never a new
calculation against the balances of the moment, or refuses. The bonus balance goes negative,
or deeper, only in a step that takes back bonuses the member already spent: a reward revoked
by a change or cancel, or an operator's correction. The ledger shows the debt, the next
earnings pay it first, and an applied order that spends bonuses is not confirmed while the
debt stands.
"""

from dataclasses import replace
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from kassa.app.ids import new_id
from kassa.app.journal import record_event
from kassa.app.loyalty import ledger
from kassa.app.loyalty.members import random_code
from kassa.app.loyalty.request import CheckoutRequest
from kassa.app.loyalty.resolve import Known, Resolved, resolve
from kassa.core.cancellation import LedgerKey
from kassa.core.errors import LoyaltyInvalid, LoyaltyNotFound
from kassa.core.loyalty import (
    Calculation,
    LoyaltyStatus,
    calculate,
    ensure_can_apply,
    ensure_can_confirm,
    validate_identifier,
)
from kassa.core.loyalty_figures import Settlement, figures_of
from kassa.core.loyalty_orders import CouponRow, LoyaltyOrder, Member, Shop
from kassa.core.money import ZERO
from kassa.store.db import Database, UnitOfWork
from kassa.store.loyalty_hot import State


async def estimate(db: Database, shop: Shop, req: CheckoutRequest, now: datetime) -> dict[str, Any]:
    """What the cart costs now; nothing is saved or reserved."""
    async with db.unit_of_work(write=False) as uow:
        resolved = await resolve(uow, shop, req, now, lock=False)
        calc = calculate(shop.program, resolved.checkout)
        return shown_figures(calc, req, resolved)


def shown_figures(calc: Calculation, req: CheckoutRequest, resolved: Resolved) -> dict[str, Any]:
    """The figures the shop is shown (and an applied order keeps)."""
    return figures_of(
        calc,
        resolved.checkout.buyer,
        order_id=req.order_id,
        identifier=req.identifier,
        payment_type=req.payment_type,
    )


def order_id_of(req: CheckoutRequest) -> str:
    """The shop's order id the request names (required, at most 64 characters)."""
    if not req.order_id or len(req.order_id) > 64:
        raise LoyaltyInvalid("order_id is required (at most 64 characters)")
    return req.order_id


async def apply(db: Database, shop: Shop, req: CheckoutRequest, now: datetime) -> dict[str, Any]:
    """Create the order (or replace its cart while it is Created) and reserve what it spends."""
    order_id = order_id_of(req)
    async with db.unit_of_work() as uow:
        # The order and then the member the request names, locked; what they hold is read
        # after the locks.
        hold, state = await uow.loyalty.apply_state(shop.id, order_id, _valid_identifier(req), now)
        existing = hold.order
        ensure_can_apply(existing.status if existing else None)
        member = hold.member
        _ensure_same_member(existing, member)
        # Whatever the order held goes back first (a re-apply replaces the cart whole); after
        # that every account of the order stands at zero.
        current = ledger.current_accounts(state.rows)
        given = await ledger.move_from(uow, shop, order_id, current, {}, now, "re-apply")
        for coupon in state.coupons:
            if coupon.used_by == order_id:
                await uow.loyalty.set_coupon(coupon.id, "active", None)
        figures = state.figures
        if member is not None and any(move.member_id == member.id for move in given):
            # The member's figures count what just came back (read after it, as it is written).
            figures = (
                await uow.loyalty.state(
                    shop.id, member_id=member.id, figures=True, besides=req.order_id
                )
            ).figures
        known = Known(member, figures)
        resolved = await resolve(uow, shop, req, now, lock=True, known=known)
        calc = calculate(shop.program, resolved.checkout)
        payload = shown_figures(calc, req, resolved)
        member_id = resolved.member.id if resolved.member else None
        target = Settlement.of(payload).reserved(member_id)
        await ledger.move_from(uow, shop, order_id, {}, target, now, "apply")
        for coupon in resolved.coupons:
            await uow.loyalty.set_coupon(coupon.id, "used", order_id)
        order = await _save_applied(uow, shop, existing, req, resolved, calc, payload, now)
        before = existing.status if existing else None
        await journal(uow, shop, order, "loyalty.applied", now, before)
        await uow.commit()
    return payload


def _valid_identifier(req: CheckoutRequest) -> str | None:
    """The request's identifier if it is a valid one (an invalid one is refused later, where
    it always was), else None."""
    try:
        return validate_identifier(req.identifier) if req.identifier is not None else None
    except LoyaltyInvalid:
        return None


def _ensure_same_member(existing: LoyaltyOrder | None, member: Member | None) -> None:
    """A re-apply names the member the order holds (`member`: the shop's member with the
    identifier the request names, None when none or none such)."""
    if existing is None or existing.member_id is None:
        return
    if member is None or member.id != existing.member_id:
        raise LoyaltyInvalid("Order belongs to another member")


async def _save_applied(
    uow: UnitOfWork,
    shop: Shop,
    existing: LoyaltyOrder | None,
    req: CheckoutRequest,
    resolved: Resolved,
    calc: Calculation,
    payload: dict[str, Any],
    now: datetime,
) -> LoyaltyOrder:
    """The order as applied: its request (with what confirm needs later) and its figures."""
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
            order_id_of(req),
            member_id,
            LoyaltyStatus.CREATED,
            request,
            payload,
            now,
            now,
        )
        await uow.loyalty.add_order(order)
        return order
    order = replace(existing, member_id=member_id, request=request, result=payload, updated_at=now)
    await uow.loyalty.save_order(order)
    return order


async def find_order(
    uow: UnitOfWork, shop: Shop, order_id: str | None, *, lock: bool
) -> LoyaltyOrder:
    """The shop's order by its own id, or LoyaltyNotFound."""
    if not order_id:
        raise LoyaltyInvalid("order_id is required")
    order = await uow.loyalty.order(shop.id, order_id, lock=lock)
    if order is None:
        raise LoyaltyNotFound(f"Order {order_id} not found")
    return order


async def recalculate(
    uow: UnitOfWork, shop: Shop, order: LoyaltyOrder, req: CheckoutRequest, now: datetime
) -> tuple[Resolved, Calculation]:
    """The order's calculation again for a new cart (a change), with what it holds counted
    as available to it."""
    current = ledger.current_accounts(await uow.loyalty.order_rows(shop.id, order.order_id))
    returning: dict[str, Decimal] = {}
    for (account, member_id, certificate_id, _s, spending), amount in current.items():
        if spending and account == "bonus" and member_id == order.member_id:
            returning["bonus"] = returning.get("bonus", ZERO) - amount
        if spending and account == "certificate" and certificate_id:
            returning[certificate_id] = returning.get(certificate_id, ZERO) - amount
    resolved = await resolve(uow, shop, req, now, lock=True, returning=returning)
    if order.referrer_id and resolved.referrer is None:
        resolved.referrer = await uow.loyalty.member(shop.id, member_id=order.referrer_id)
    return resolved, calculate(shop.program, resolved.checkout)


def fulfilled_target(resolved: Resolved, payload: dict[str, Any]) -> dict[LedgerKey, Decimal]:
    """The accounts the order holds once confirmed, for these figures."""
    return Settlement.of(payload).fulfilled(
        resolved.member.id if resolved.member else None,
        resolved.referrer.id if resolved.referrer else None,
    )


async def confirm(db: Database, shop: Shop, order_id: str | None, now: datetime) -> dict[str, Any]:
    """Paid (or delivered): rewards accrue, stickers are charged, coupons issued, the referrer
    rewarded, all exactly as the applied order's figures say. Again on a Fulfilled order: the
    same answer, nothing twice."""
    async with db.unit_of_work() as uow:
        # The order, and (while it is Created: it is to be settled) its member: both locked.
        if not order_id:
            raise LoyaltyInvalid("order_id is required")
        # Read after the locks: the order, its member's figures and its ledger rows.
        state = await uow.loyalty.confirm_state(shop.id, order_id, now)
        order = state.order
        if order is None:
            raise LoyaltyNotFound(f"Order {order_id} not found")
        ensure_can_confirm(order.status)
        if order.status is LoyaltyStatus.CREATED:
            order = await _settle(uow, shop, order, state, now)
            await journal(uow, shop, order, "loyalty.confirmed", now, LoyaltyStatus.CREATED)
        await uow.commit()
    return {"order_id": order.order_id, "identifier": order.identifier}


async def _settle(
    uow: UnitOfWork, shop: Shop, order: LoyaltyOrder, state: State, now: datetime
) -> LoyaltyOrder:
    """Settle the figures apply showed (its spends are reserved already), never a new
    calculation; refuse when the member no longer covers them (checked under the member's
    lock, which adjustments and other checkouts of the member take too). `state`: the
    member's figures and the order's rows, read after the locks (`confirm_state`)."""
    settlement = Settlement.of(order.result)
    member_id = order.member_id
    if state.figures is not None:
        balance = state.figures.bonuses(now)
        settlement.ensure_covered(balance, state.figures.stickers)
    target = settlement.fulfilled(member_id, order.referrer_id)
    current = ledger.current_accounts(state.rows)
    await ledger.move_from(uow, shop, order.order_id, current, target, now, "confirm")
    if member_id is not None:
        await _issue_coupons(uow, shop, order, member_id, now)
    order = replace(order, status=LoyaltyStatus.FULFILLED, updated_at=now)
    await uow.loyalty.set_status(order)
    return order


async def _issue_coupons(
    uow: UnitOfWork, shop: Shop, order: LoyaltyOrder, member_id: str, now: datetime
) -> None:
    """The coupons the order earned, by the rules stored when it was applied."""
    for rule in order.coupon_rules:
        coupon = CouponRow(
            new_id(now),
            member_id,
            "C" + random_code(9),
            rule["kind"],
            Decimal(rule["value"]),
            order.order_id,
            "active",
            None,
            now + timedelta(days=int(rule["valid_days"])),
        )
        await uow.loyalty.add_coupon(shop.id, coupon, now)


async def details(db: Database, shop: Shop, order_id: str | None) -> dict[str, Any]:
    """The order's stored figures and its status."""
    async with db.unit_of_work(write=False) as uow:
        order = await find_order(uow, shop, order_id, lock=False)
    return {**order.result, "status": order.status.value}


def summary(shop: Shop, order: LoyaltyOrder) -> dict[str, Any]:
    """What a loyalty order's timeline entry and webhook say of it."""
    return {
        "id": order.id,
        "shop": shop.id,
        "order_id": order.order_id,
        "identifier": order.identifier,
        "to_pay": str(order.result.get("order_to_pay")),
    }


async def journal(
    uow: UnitOfWork,
    shop: Shop,
    order: LoyaltyOrder,
    action: str,
    now: datetime,
    before: LoyaltyStatus | None,
) -> None:
    """The loyalty order's timeline and the shop organisation's `loyalty.*` webhooks."""
    await record_event(
        uow,
        order_id=order.id,
        org_id=shop.org_id,
        actor=f"shop:{shop.id}",
        action=action,
        from_status=before.value if before else None,
        to_status=order.status.value,
        now=now,
        order=summary(shop, order),
        details=summary(shop, order),
        reason=None,
    )
