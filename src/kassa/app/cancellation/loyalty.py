"""Loyalty orders as a kind of the cancellation engine. A whole cancel gives back everything
spent (bonuses, certificate money, stickers), takes back everything earned (the buyer's and
the referrer's rewards), makes the coupons it used active again and voids those it issued
(one already used elsewhere is kept, and the ledger says so). Part of a confirmed order is
cancelled as REES46's `change` does it: the order is recomputed without those quantities and
each account moves by the difference."""

from dataclasses import replace
from datetime import datetime
from decimal import Decimal
from typing import Any

from kassa.app import loyalty as checkout
from kassa.app.cancellation.kinds import Part
from kassa.app.journal import record_event
from kassa.core.cancellation import (
    Basis,
    CouponMoves,
    OrderKind,
    Plan,
    Policy,
    Released,
    Scope,
    plan_ledger_moves,
)
from kassa.core.errors import LoyaltyNotFound, OrderNotChangeable
from kassa.core.loyalty import LoyaltyStatus, ensure_can_cancel
from kassa.core.loyalty_orders import LedgerRow, LoyaltyOrder, Shop
from kassa.core.money import money
from kassa.core.tenancy import Principal
from kassa.store.db import UnitOfWork


class LoyaltyOrders:
    kind = OrderKind.LOYALTY

    async def find(
        self,
        uow: UnitOfWork,
        who: Principal | None,
        order_id: str,
        *,
        lock: bool,
        policy: bool = False,
    ) -> LoyaltyOrder | None:
        """By the shop's own order id (a shop's call) or Kassa's id, in the caller's
        organisation (its shop, for a narrowed account)."""
        # A member's spends serialise on the member row: it is locked (after the order) before
        # planning, so the plan and its application read the same balances.
        order = None
        if who is not None and who.shop_id and lock:
            # With its shop, and what the plan reads next (its ledger rows and coupons).
            order = await uow.loyalty.locked_for_cancel(who.shop_id, order_id)
        elif who is not None and who.shop_id:
            order, _member = await uow.loyalty.order_and_member(
                who.shop_id, order_id, with_shop=True
            )
        if order is None:
            order = await uow.loyalty.order_by_id(order_id, lock=lock)
            if order is not None and lock and order.member_id:
                await uow.loyalty.member(order.shop_id, member_id=order.member_id, lock=True)
        if order is None or who is None:
            return order
        if not who.is_organiser or who.restaurant_id or who.shop_id not in (None, order.shop_id):
            return None
        shop = await uow.loyalty.shop(order.shop_id)
        return order if shop is not None and shop.org_id == who.org_id else None

    async def refs(self, uow: UnitOfWork, who: Principal, ref: str) -> list[str]:
        """The orders the caller's shops know by this `order_id` (each shop has its own)."""
        if not who.is_organiser or who.restaurant_id:
            return []
        shops = [s.id for s in await uow.loyalty.shops_of(who.org_id)]
        if who.shop_id:
            shops = [s for s in shops if s == who.shop_id]
        return await uow.loyalty.ids_of_order(shops, ref)

    def due(self, order: LoyaltyOrder, now: datetime) -> bool:
        return False  # an applied checkout holds its spends until the shop cancels it

    async def plan(
        self,
        uow: UnitOfWork,
        order: LoyaltyOrder,
        part: Part,
        now: datetime,
        *,
        expire: bool = False,
    ) -> Plan:
        if part.tickets:
            raise OrderNotChangeable("A loyalty order has no tickets to cancel", order=order.id)
        shop = await _shop(uow, order)
        if part.items:
            return await _partial(uow, shop, order, dict(part.items), now)
        ensure_can_cancel(order.status)
        # The order's ledger rows and the coupons it used or issued: one read.
        state = await uow.loyalty.state(shop.id, order_id=order.order_id, coupons=True)
        current = checkout.current_accounts(state.rows)
        issued = [c for c in state.coupons if c.issued_by == order.order_id]
        used = [c for c in state.coupons if c.used_by == order.order_id]
        coupons = CouponMoves(
            reactivated=tuple(c.code for c in used),
            voided=tuple(c.code for c in issued if c.status == "active"),
            kept=tuple(c.code for c in issued if c.status == "used"),
        )
        to_pay = money(Decimal(str(order.result.get("order_to_pay") or 0)))
        return _plan(
            shop,
            order,
            LoyaltyStatus.CANCELLED.value,
            tuple(plan_ledger_moves(current, {})),
            to_pay,
            coupons=coupons,
        )

    async def basis(
        self, uow: UnitOfWork, order: LoyaltyOrder, plan: Plan
    ) -> tuple[Policy | None, Basis]:
        """The shop's policy; a confirmed (fulfilled) checkout is paid, the deadline counts
        from the order's time."""
        paid = plan.from_status == LoyaltyStatus.FULFILLED.value
        basis = Basis(paid=paid, gross=plan.refund, anchor=order.created_at)
        return await uow.policies.get(Scope.SHOP, order.shop_id), basis

    async def apply(
        self, uow: UnitOfWork, order: LoyaltyOrder, plan: Plan, actor: str, now: datetime
    ) -> LoyaltyOrder:
        shop = await _shop(uow, order)
        if plan.partial:
            return await _apply_partial(uow, shop, order, plan, now)
        rows = checkout.ledger_rows(shop, order.order_id, list(plan.ledger), now, "cancel")
        rows += await _apply_coupons(uow, shop, order, plan.coupons, now)
        await uow.loyalty.append(shop.id, rows)
        order = replace(order, status=LoyaltyStatus.CANCELLED, updated_at=now)
        await uow.loyalty.set_status(order)
        return order

    async def record(
        self,
        uow: UnitOfWork,
        order: LoyaltyOrder,
        plan: Plan,
        actor: str,
        now: datetime,
        details: dict[str, Any],
    ) -> None:
        shop = await _shop(uow, order)
        summary = checkout.summary(shop, order)
        await record_event(
            uow,
            order_id=order.id,
            org_id=shop.org_id,
            actor=actor,
            action=plan.topic,
            from_status=plan.from_status,
            to_status=order.status.value,
            now=now,
            order=summary,
            details={**summary, **details},
            reason=plan.reason.recorded if plan.reason else None,
        )


async def _shop(uow: UnitOfWork, order: LoyaltyOrder) -> Shop:
    shop = await uow.loyalty.shop(order.shop_id)
    if shop is None:  # orders.shop_id references shops: only a broken database gets here
        raise LoyaltyNotFound(f"Shop {order.shop_id} not found")
    return shop


def _plan(
    shop: Shop,
    order: LoyaltyOrder,
    to_status: str,
    ledger: tuple[Any, ...],
    refund: Decimal,
    *,
    coupons: CouponMoves | None = None,
    items: tuple[Released, ...] = (),
) -> Plan:
    partial = to_status == order.status.value
    return Plan(
        kind=OrderKind.LOYALTY,
        order_id=order.id,
        from_status=order.status.value,
        to_status=to_status,
        partial=partial,
        version=checkout.version_of(order),
        topic="loyalty.changed" if partial else "loyalty.cancelled",
        items=items,
        ledger=ledger,
        coupons=coupons or CouponMoves(),
        member=order.request.get("identifier"),
        refund=refund,
        notify=(shop.org_id,),
    )


async def _partial(
    uow: UnitOfWork, shop: Shop, order: LoyaltyOrder, items: dict[str, Decimal], now: datetime
) -> Plan:
    """What `change` to the cart without these quantities would do."""
    smaller = checkout.without_items(order, items)
    _new_req, target, payload = await checkout.change_plan(uow, shop, order, smaller, now)
    current = checkout.current_accounts(await uow.loyalty.order_rows(shop.id, order.order_id))
    refund = money(-Decimal(str(payload["order_total_change"])))
    back = tuple(Released(product, product, quantity) for product, quantity in items.items())
    moves = tuple(plan_ledger_moves(current, target))
    return _plan(shop, order, order.status.value, moves, refund, items=back)


async def _apply_partial(
    uow: UnitOfWork, shop: Shop, order: LoyaltyOrder, plan: Plan, now: datetime
) -> LoyaltyOrder:
    smaller = checkout.without_items(order, {x.id: x.quantity for x in plan.items})
    # The new figures are those the plan was computed from: read before the plan's moves are
    # appended (after them, what the order holds would count twice as available).
    new_req, _target, payload = await checkout.change_plan(uow, shop, order, smaller, now)
    rows = checkout.ledger_rows(shop, order.order_id, list(plan.ledger), now, "change")
    await uow.loyalty.append(shop.id, rows)
    order = replace(
        order, request={**order.request, **new_req.as_dict()}, result=payload, updated_at=now
    )
    await uow.loyalty.save_order(order)
    return order


async def _apply_coupons(
    uow: UnitOfWork, shop: Shop, order: LoyaltyOrder, coupons: CouponMoves, now: datetime
) -> list[LedgerRow]:
    """The plan's coupons: those the order used are active again; those it issued are voided,
    or kept when another order already used one, with the ledger notes (returned) that say so.

    One staged UPDATE, no read but of the kept ones (for the notes). A coupon the order both
    used and issued is active again first and then void, as it was when each coupon was set
    one by one."""
    reactivated = set(coupons.reactivated)
    voided = set(coupons.voided) | (set(coupons.kept) & reactivated)
    kept = [code for code in coupons.kept if code not in reactivated]
    notes = [
        LedgerRow.remark(
            "coupon",
            c.member_id,
            order.order_id,
            now,
            f"coupon {c.code} issued by this order was already used by order {c.used_by}: kept",
        )
        for c in await uow.loyalty.coupons_named(shop.id, kept)
    ]
    await uow.loyalty.give_back_coupons(
        shop.id, active=sorted(reactivated - voided), voided=sorted(voided)
    )
    return notes
