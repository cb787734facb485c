"""Delivery orders as a kind of the cancellation engine: held menu stock back (none once the
courier took the food), the price of what leaves the order refunded, the order's status
reason and comment set from the cancel's reason."""

from dataclasses import replace
from datetime import datetime
from decimal import Decimal
from typing import Any

from kassa.app.cancellation.kinds import Part
from kassa.app.journal import record_event
from kassa.core.cancellation import OrderKind, Plan, Released, version_of
from kassa.core.delivery import Code, DeliveryError, Status, ensure_move, returns_stock
from kassa.core.errors import ErrorKind, OrderNotChangeable
from kassa.core.money import ZERO, money
from kassa.core.tenancy import Principal
from kassa.store.db import UnitOfWork, json_dumps
from kassa.store.delivery import DeliveryOrder

CONTENTS_FINAL = frozenset({Status.TAKEN, Status.DELIVERED, Status.CANCELLED})


class DeliveryOrders:
    kind = OrderKind.DELIVERY

    async def find(
        self, uow: UnitOfWork, who: Principal | None, order_id: str, *, lock: bool
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
        back = tuple(_released(order, x["id"], _qty(x)) for x in order.lines)
        return _plan(
            order,
            Status.CANCELLED.value,
            back if returns_stock(order.status) else (),
            _total(order, {x["id"]: _qty(x) for x in order.lines}),
        )

    async def apply(
        self, uow: UnitOfWork, order: DeliveryOrder, plan: Plan, actor: str, now: datetime
    ) -> DeliveryOrder:
        held = {x["id"] for x in order.lines if x.get("held")}
        for item in plan.items:
            if item.id in held:
                await uow.delivery.give_stock(order.restaurant_id, item.id, item.quantity)
        if plan.partial:
            lines = _take_out(order, {x.id: x.quantity for x in plan.items})
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
    parts = [order.status.value, order.updated_at.isoformat(), json_dumps(order.lines)]
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


def _partial(order: DeliveryOrder, items: dict[str, Decimal] | Any) -> Plan:
    if order.status in CONTENTS_FINAL:
        raise DeliveryError(Code.STATUS_NOT_ALLOWED, f"Order is {order.status}: contents are final")
    _take_out(order, items)
    back = tuple(_released(order, item_id, q) for item_id, q in items.items())
    return _plan(order, order.status.value, back, _total(order, items), partial=True)


def _released(order: DeliveryOrder, item_id: str, quantity: Decimal) -> Released:
    names = {x["id"]: x["name"] for x in order.lines}
    return Released(item_id, names.get(item_id, item_id), quantity)


def _qty(line: dict[str, Any]) -> Decimal:
    return Decimal(str(line["quantity"]))


def _total(order: DeliveryOrder, items: Any) -> Decimal:
    prices = {x["id"]: Decimal(str(x["price"])) for x in order.lines}
    return money(sum((prices[i] * q for i, q in items.items()), ZERO))


def _take_out(order: DeliveryOrder, items: Any) -> list[dict[str, Any]]:
    """The order's lines with these quantities taken out; refused unless each is there."""
    have = {x["id"]: _qty(x) for x in order.lines}
    for item_id, quantity in items.items():
        if quantity <= 0 or quantity > have.get(item_id, Decimal(0)):
            raise DeliveryError(
                Code.BAD_REQUEST,
                f"cannot cancel {quantity} of {item_id}: the order has {have.get(item_id, 0)}",
            )
    left = []
    for line in order.lines:
        quantity = _qty(line) - items.get(line["id"], Decimal(0))
        if quantity > 0:
            left.append({**line, "quantity": quantity})
    if not left:
        raise DeliveryError(Code.BAD_REQUEST, "that is every item: cancel the whole order")
    return left


__all__ = ["DeliveryOrders", "ErrorKind", "delivery_version"]
