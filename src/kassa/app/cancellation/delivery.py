"""Delivery orders as a kind of the cancellation engine: held menu stock back (none once the
courier took the food), the price of what leaves the order refunded, the order's status
reason and comment set from the cancel's reason."""

from collections.abc import Mapping
from dataclasses import replace
from datetime import datetime
from decimal import Decimal
from typing import Any

from kassa.app.cancellation.kinds import Part
from kassa.app.journal import record_event
from kassa.core.cancellation import (
    Basis,
    OrderKind,
    Plan,
    Policy,
    Released,
    Scope,
    version_of,
)
from kassa.core.delivery import DeliveryOrder, Status, ensure_move, returns_stock
from kassa.core.errors import OrderNotChangeable
from kassa.core.tenancy import Principal
from kassa.store.db import UnitOfWork, json_dumps
from kassa.store.delivery import line_json


class DeliveryOrders:
    kind = OrderKind.DELIVERY

    async def find(
        self,
        uow: UnitOfWork,
        who: Principal | None,
        order_id: str,
        *,
        lock: bool,
        policy: bool = False,
    ) -> DeliveryOrder | None:
        """An order of the caller's organisation (of its restaurant, for a narrowed account)."""
        if who is not None and (not who.is_organiser or who.shop_id):
            return None
        order = await uow.delivery.order(order_id, lock=lock)
        if order is None or who is None:
            return order
        if order.org_id != who.org_id or who.restaurant_id not in (None, order.restaurant_id):
            return None
        return order

    async def refs(self, uow: UnitOfWork, who: Principal, ref: str) -> list[str]:
        """The order the aggregator sent with this eatsId (unique in an organisation)."""
        order = await uow.delivery.by_eats_id(who.org_id, ref)
        if order is None or await self.find(uow, who, order.id, lock=False) is None:
            return []
        return [order.id]

    def due(self, order: DeliveryOrder, now: datetime) -> bool:
        return False  # an aggregator's order holds no reservation that runs out

    async def plan(
        self,
        uow: UnitOfWork,
        order: DeliveryOrder,
        part: Part,
        now: datetime,
        *,
        expire: bool = False,
    ) -> Plan:
        if part.tickets:
            raise OrderNotChangeable("A delivery order has no tickets to cancel", order=order.id)
        if part.items:
            return _partial(order, part.items)
        ensure_move(order.status, Status.CANCELLED)
        back = tuple(Released(x.item_id, x.name, x.quantity) for x in order.lines)
        return _plan(
            order,
            Status.CANCELLED.value,
            back if returns_stock(order.status) else (),
            order.price_of(order.quantities()),
        )

    async def basis(
        self, uow: UnitOfWork, order: DeliveryOrder, plan: Plan
    ) -> tuple[Policy | None, Basis]:
        """The restaurant's policy; an aggregator's order is paid when it is placed (the
        aggregator took the money), the deadline counts from the order's time."""
        basis = Basis(paid=True, gross=plan.refund, anchor=order.created_at)
        return await uow.policies.get(Scope.RESTAURANT, order.restaurant_id), basis

    async def apply(
        self, uow: UnitOfWork, order: DeliveryOrder, plan: Plan, actor: str, now: datetime
    ) -> DeliveryOrder:
        held = {x.item_id for x in order.held_lines}
        back = [(item.id, item.quantity) for item in plan.items if item.id in held]
        await uow.delivery.give_stocks(order.restaurant_id, back)
        if plan.partial:
            lines = order.take_out({x.id: x.quantity for x in plan.items})
            order = replace(order, lines=lines, updated_at=now)
        else:
            reason = plan.reason
            order = replace(
                order,
                status=Status.CANCELLED,
                status_comment=reason.comment if reason else None,
                status_reason=reason.code if reason else None,
                updated_at=now,
            )
        await uow.delivery.save_order(order)
        return order

    async def record(
        self,
        uow: UnitOfWork,
        order: DeliveryOrder,
        plan: Plan,
        actor: str,
        now: datetime,
        details: dict[str, Any],
    ) -> None:
        await record_event(
            uow,
            order_id=order.id,
            org_id=order.org_id,
            actor=actor,
            action=plan.topic,
            from_status=plan.from_status,
            to_status=order.status.value,
            now=now,
            order={"id": order.id, "eatsId": order.eats_id, "restaurantId": order.restaurant_id},
            details={"eatsId": order.eats_id, **details},
            reason=plan.reason.recorded if plan.reason else None,
        )


def delivery_version(order: DeliveryOrder) -> str:
    """Any change to the order (status, lines, time) changes it."""
    parts = [
        order.status.value,
        order.updated_at.isoformat(),
        json_dumps([line_json(x) for x in order.lines]),
    ]
    return version_of(OrderKind.DELIVERY, order.id, parts)


def _plan(
    order: DeliveryOrder,
    to_status: str,
    back: tuple[Released, ...],
    refund: Decimal,
    *,
    partial: bool = False,
) -> Plan:
    return Plan(
        kind=OrderKind.DELIVERY,
        order_id=order.id,
        from_status=order.status.value,
        to_status=to_status,
        partial=partial,
        version=delivery_version(order),
        topic="delivery.partially_cancelled" if partial else "delivery.cancelled",
        items=back,
        refund=refund,
        notify=(order.org_id,),
    )


def _partial(order: DeliveryOrder, items: Mapping[str, Decimal]) -> Plan:
    order.ensure_contents_open()
    order.take_out(items)
    back = tuple(Released(i, order.name_of(i), q) for i, q in items.items())
    return _plan(order, order.status.value, back, order.price_of(items), partial=True)
