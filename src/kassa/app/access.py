"""Loading an order on behalf of a caller: another tenant's order does not exist for it."""

from kassa.core.errors import OrderNotFound
from kassa.core.orders import Order
from kassa.core.tenancy import Principal
from kassa.store.db import UnitOfWork


def _visible(order: Order | None, principal: Principal, order_id: str) -> Order:
    if order is None or not principal.sees(order.org_id, order.vendor_id):
        raise OrderNotFound(f"Order {order_id} not found", order=order_id)
    return order


async def locked_order(uow: UnitOfWork, principal: Principal, order_id: str) -> Order:
    """The order, locked for change (409 if another change holds it), or OrderNotFound."""
    return _visible(await uow.orders.lock(order_id, principal), principal, order_id)


async def visible_order(uow: UnitOfWork, principal: Principal, order_id: str) -> Order:
    """The order as the caller may see it, or OrderNotFound."""
    return _visible(await uow.orders.get(order_id), principal, order_id)
