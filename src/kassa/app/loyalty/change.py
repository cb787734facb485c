"""Changing a Fulfilled order's cart: `change` (recompute and move by the difference), and the
pieces the cancellation engine uses for a partial cancel (`without_items`, `change_plan`,
`version_of`, `shrinkage`)."""

from dataclasses import dataclass, replace
from datetime import datetime
from decimal import Decimal
from typing import Any

from kassa.app.loyalty import ledger
from kassa.app.loyalty.checkout import (
    find_order,
    fulfilled_target,
    journal,
    order_id_of,
    recalculate,
)
from kassa.app.loyalty.request import CheckoutRequest, request_from
from kassa.app.loyalty_payload import payload_of
from kassa.core.cancellation import LedgerKey, OrderKind
from kassa.core.cancellation import version_of as cancellation_version
from kassa.core.errors import LoyaltyInvalid
from kassa.core.loyalty import LoyaltyStatus, ensure_can_change
from kassa.core.loyalty_orders import LoyaltyOrder, Shop
from kassa.core.money import ZERO, money
from kassa.store.db import Database, UnitOfWork, json_dumps


async def change_plan(
    uow: UnitOfWork, shop: Shop, order: LoyaltyOrder, req: CheckoutRequest, now: datetime
) -> tuple[CheckoutRequest, dict[LedgerKey, Decimal], dict[str, Any]]:
    """The new request, the accounts the order will hold and its new payload."""
    ensure_can_change(order.status)
    before = request_from(order.request)
    new_req = replace(
        req,
        identifier=before.identifier,
        promo_codes=before.promo_codes,
        certificates=before.certificates,
        charge_bonuses=before.charge_bonuses,
        bonuses_amount=order.bonuses_used if before.charge_bonuses else None,
    )
    resolved, calc = await recalculate(uow, shop, order, new_req, now)
    payload = payload_of(calc, new_req, resolved.checkout.buyer)
    payload["order_total_change"] = money(Decimal(str(payload["order_to_pay"])) - order.to_pay)
    return new_req, fulfilled_target(resolved, calc), payload


async def change(db: Database, shop: Shop, req: CheckoutRequest, now: datetime) -> dict[str, Any]:
    """More items (or other lines) for a Fulfilled order: everything is recomputed for the
    new cart with the order's codes and certificates, bonuses spent at most as before, and
    the ledgers move by the difference. A cart that only shrinks is a partial cancel
    (`kassa.app.cancellation`), not this."""
    order_id = order_id_of(req)
    async with db.unit_of_work() as uow:
        order = await find_order(uow, shop, order_id, lock=True)
        new_req, target, payload = await change_plan(uow, shop, order, req, now)
        await ledger.move(uow, shop, order_id, target, now, "change")
        order = replace(
            order, request={**order.request, **new_req.as_dict()}, result=payload, updated_at=now
        )
        await uow.loyalty.save_order(order)
        await journal(uow, shop, order, "loyalty.changed", now, LoyaltyStatus.FULFILLED)
        await uow.commit()
    return payload


def without_items(order: LoyaltyOrder, items: dict[str, Decimal]) -> CheckoutRequest:
    """The order's request with these quantities taken out of its cart (each must be there)."""
    if not items:
        raise LoyaltyInvalid("name the items to cancel")
    cart = order.cart_lines()
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
        order = await find_order(uow, shop, order_id_of(req), lock=False)
    old = _cart_lines(order.cart_lines())
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
