"""Delivery use cases: the aggregator's calls (token, menu, orders, status, courier) and the
restaurant's (menu, stock, accepting and cooking). One transaction per command; the order row
is locked while it changes, so a cancel and a status push racing on one order serialise and
end in one consistent state. Stock is held per item row with one conditional UPDATE each."""

import hashlib
import hmac
import json
import secrets
from dataclasses import replace
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy.exc import IntegrityError

from kassa.app import cancellation
from kassa.app.ids import new_id
from kassa.app.journal import record_event
from kassa.app.readcache import cache_of
from kassa.app.ticket_loyalty import member_phone, settle_earning
from kassa.core.cancellation import OrderKind, Reason
from kassa.core.delivery import (
    BY_AGGREGATOR,
    BY_RESTAURANT,
    Client,
    DeliveryOrder,
    Line,
    MenuItem,
    Restaurant,
    Status,
    Wanted,
    check_basket,
    has_something_to_sell,
    validate_comment,
    validate_eats_id,
)
from kassa.core.errors import (
    DeliveryClientInvalid,
    DeliveryOrderDuplicate,
    DeliveryOrderNotFound,
    DeliveryRequestInvalid,
    DeliveryStatusNotAllowed,
    DeliveryTokenInvalid,
    EatsIdMismatch,
    RestaurantNotFound,
    RestaurantTaken,
    RestaurantUnknown,
    ShopUnknown,
)
from kassa.core.loyalty_orders import Shop
from kassa.core.money import money
from kassa.store.db import Database, UnitOfWork

KINDS = frozenset({"yandex", "marketplace", "pickup"})


def _hash(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


# --- clients and tokens -------------------------------------------------------------------


async def create_client(
    db: Database,
    org_id: str,
    now: datetime,
    *,
    client_id: str | None = None,
    secret: str | None = None,
) -> tuple[str, str]:
    client_id = client_id or secrets.token_hex(8)
    secret = secret or secrets.token_hex(16)
    async with db.unit_of_work() as uow:
        await uow.delivery.add_client(Client(client_id, org_id, _hash(secret)), now)
        await uow.commit()
    return client_id, secret


async def issue_token(db: Database, form: dict[str, str], now: datetime, ttl: timedelta) -> str:
    if form.get("grant_type") != "client_credentials":
        raise DeliveryClientInvalid("grant_type must be client_credentials")
    async with db.unit_of_work() as uow:
        client = await uow.delivery.client(form.get("client_id") or "")
        secret = form.get("client_secret") or ""
        if client is None or not hmac.compare_digest(_hash(secret), client.secret_hash):
            raise DeliveryClientInvalid("client_id or client_secret is not valid")
        token = secrets.token_urlsafe(32)
        await uow.delivery.add_token(_hash(token), client.client_id, now + ttl, now)
        await uow.commit()
    return token


TOKENS = "delivery.tokens"


async def authenticate(db: Database, authorization: str | None, now: datetime) -> Client:
    scheme, _, token = (authorization or "").strip().partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise DeliveryTokenInvalid("Access token has been expired. You should request a new one")

    async def load() -> tuple[Client, datetime] | None:
        async with db.unit_of_work(write=False) as uow:
            found = await uow.delivery.token(_hash(token.strip()))
            client = await uow.delivery.client(found[0]) if found else None
        return None if found is None or client is None else (client, found[1])

    # The per-process read cache (kassa.app.readcache); the token's expiry is checked here.
    cached = await cache_of(db, TOKENS).get(_hash(token.strip()), load)
    if not isinstance(cached, tuple) or cached[1] <= now:
        raise DeliveryTokenInvalid("Access token has been expired. You should request a new one")
    client: Client = cached[0]
    return client


# --- restaurants and menus ----------------------------------------------------------------


async def add_restaurant(
    db: Database,
    org_id: str,
    title: str,
    address: str,
    now: datetime,
    *,
    restaurant_id: str | None = None,
    shop_id: str | None = None,
) -> Restaurant:
    """A restaurant of the organisation, optionally earning in one of its loyalty shops."""
    restaurant = Restaurant(restaurant_id or new_id(now), org_id, title, address, shop_id)
    taken = RestaurantTaken(f"Restaurant id {restaurant.id} is taken")
    try:
        async with db.unit_of_work() as uow:
            if shop_id is not None:
                await _own_shop(uow, org_id, shop_id)
            if await uow.delivery.restaurant(restaurant.id) is not None:
                raise taken
            await uow.delivery.add_restaurant(restaurant, now)
            await uow.commit()
    except IntegrityError:  # the same id raced in from another request
        raise taken from None
    return restaurant


async def _own_shop(uow: UnitOfWork, org_id: str, shop_id: str) -> None:
    """A shop a restaurant names must be its organisation's; another's is as unknown as a
    missing one (else a tenant could pay bonuses into another tenant's shop)."""
    shop = await uow.loyalty.shop(shop_id)
    if shop is None or shop.org_id != org_id:
        raise ShopUnknown(f"Loyalty shop {shop_id} not found")


async def put_menu(db: Database, org_id: str, restaurant_id: str, items: list[MenuItem]) -> None:
    for item in items:
        if item.price <= 0 or (item.stock is not None and item.stock < 0):
            raise DeliveryRequestInvalid(f"item {item.id}: price > 0 and stock >= 0")
    async with db.unit_of_work() as uow:
        await _restaurant(uow, org_id, restaurant_id)
        await uow.delivery.put_items(restaurant_id, items)
        await uow.commit()


async def restaurants(db: Database, org_id: str) -> list[Restaurant]:
    async with db.unit_of_work(write=False) as uow:
        return await uow.delivery.restaurants_of(org_id)


async def restaurant_states(db: Database, org_id: str) -> list[tuple[str, bool]]:
    """Every restaurant of the organisation and whether it is switched on (core's rule)."""
    async with db.unit_of_work(write=False) as uow:
        found = await uow.delivery.restaurants_of(org_id)
        return [
            (r.id, has_something_to_sell((await uow.delivery.menu(r.id)).values())) for r in found
        ]


async def menu(db: Database, org_id: str, restaurant_id: str) -> dict[str, MenuItem]:
    async with db.unit_of_work(write=False) as uow:
        await _restaurant(uow, org_id, restaurant_id)
        return await uow.delivery.menu(restaurant_id)


async def _restaurant(
    uow: UnitOfWork, org_id: str, restaurant_id: str, *, in_body: bool = False
) -> Restaurant:
    """A restaurant of the organisation: 404 when named by the path, 400 when by a body."""
    found = await uow.delivery.restaurant(restaurant_id)
    if found is None or found.org_id != org_id:
        error = RestaurantUnknown if in_body else RestaurantNotFound
        raise error(f"Restaurant {restaurant_id} not found")
    return found


# --- orders -------------------------------------------------------------------------------


async def _hold(
    uow: UnitOfWork, restaurant_id: str, wanted: list[Wanted], menu_items: dict[str, MenuItem]
) -> tuple[list[Line], list[dict[str, Any]]]:
    """Hold stock line by line; a line that can't be held is dropped, the order goes on.
    `menu_items` holds at least the items `wanted` names. Only counted items are held (an
    item without stock has nothing to hold, and its line is not `held`), all of them at once:
    the basket names each item once, so each line's hold is its own."""
    check_basket(wanted, menu_items)
    counted = {w.item_id: w.quantity for w in wanted if menu_items[w.item_id].stock is not None}
    taken = await uow.delivery.take_stocks(restaurant_id, counted)
    lines, dropped = [], []
    for want in wanted:
        item = menu_items[want.item_id]
        held = want.item_id in counted
        if not held or want.item_id in taken:
            price = money(item.price + want.modifications_cost)
            lines.append(Line(item.id, item.name, want.quantity, price, held))
        else:
            dropped.append(
                {
                    "id": item.id,
                    "name": item.name,
                    "quantity": want.quantity,
                    "reason": "out of stock",
                }
            )
    return lines, dropped


async def _release(uow: UnitOfWork, order: DeliveryOrder) -> None:
    back = [(line.item_id, line.quantity) for line in order.held_lines]
    await uow.delivery.give_stocks(order.restaurant_id, back)


def _canonical(body: dict[str, Any]) -> str:
    return json.dumps(body, sort_keys=True, default=str)


async def create_order(
    db: Database, client: Client, body: dict[str, Any], wanted: list[Wanted], now: datetime
) -> str:
    """Idempotent by eatsId: the same order again answers the same orderId. `body` is the
    aggregator's order as sent (kept, and compared on a resend); `wanted` its basket."""
    eats_id = validate_eats_id(body.get("eatsId"))
    kind = body.get("discriminator")
    if not isinstance(kind, str) or kind not in KINDS:
        raise DeliveryRequestInvalid("discriminator must be yandex, marketplace or pickup")
    validate_comment(body.get("comment"))
    restaurant_id = str(body.get("restaurantId") or "")
    try:
        async with db.unit_of_work() as uow:
            existing, found, menu_items = await uow.delivery.placing(
                client.org_id, eats_id, restaurant_id, [w.item_id for w in wanted]
            )
            if existing is not None:
                return _same(existing, body)
            if found is None or found.org_id != client.org_id:
                raise RestaurantUnknown(f"Restaurant {restaurant_id} not found")
            lines, dropped = await _hold(uow, restaurant_id, wanted, menu_items)
            order = DeliveryOrder(
                new_id(now),
                client.org_id,
                restaurant_id,
                eats_id,
                str(kind),
                Status.NEW,
                body,
                tuple(lines),
                dropped,
                None,
                None,
                None,
                now,
                now,
            )
            await uow.delivery.add_order(order)
            await _journal(uow, order, "delivery.created", now, None)
            await uow.commit()
            return order.id
    except IntegrityError:
        # The same eatsId raced in from another request: answer as for a resend.
        async with db.unit_of_work(write=False) as uow:
            existing = await uow.delivery.by_eats_id(client.org_id, eats_id)
        if existing is None:
            raise
        return _same(existing, body)


def _replaced(before: dict[str, Any], body: dict[str, Any], eats_id: str) -> dict[str, Any]:
    """A PUT passes the entire order: it replaces the one kept, but for the order's identity
    (its eatsId, kind and restaurant), kept when the PUT leaves it out."""
    identity: dict[str, Any] = {
        k: before[k] for k in ("discriminator", "restaurantId") if k in before
    }
    return {**identity, **body, "eatsId": eats_id}


def _same(existing: DeliveryOrder, body: dict[str, Any]) -> str:
    if _canonical(existing.request) != _canonical(body):
        raise DeliveryOrderDuplicate(
            f"Order {existing.eats_id} was already sent with other contents",
        )
    return existing.id


async def get_order(db: Database, client: Client, order_id: str) -> DeliveryOrder:
    async with db.unit_of_work(write=False) as uow:
        return await _visible(uow, client.org_id, order_id)


async def _visible(
    uow: UnitOfWork, org_id: str, order_id: str, *, lock: bool = False
) -> DeliveryOrder:
    return _mine(await uow.delivery.order(order_id, lock=lock), org_id, order_id)


def _mine(order: DeliveryOrder | None, org_id: str, order_id: str) -> DeliveryOrder:
    """The order if it is the organisation's: another's is as unknown as a missing one."""
    if order is None or order.org_id != org_id:
        raise DeliveryOrderNotFound(f"Order {order_id} not found")
    return order


async def cancel_order(
    db: Database,
    client: Client,
    order_id: str,
    now: datetime,
    *,
    eats_id: str | None,
    reason: Reason | None,
    attributes: list[str],
) -> None:
    """The aggregator's cancel through the one engine, in one transaction on the locked
    order; `eats_id`, when sent, must be the order's. A cancelled order again is a no-op
    (the aggregator retries), as Yandex Eats expects."""
    async with db.unit_of_work() as uow:
        order = await _visible(uow, client.org_id, order_id, lock=True)
        if eats_id is not None and eats_id != order.eats_id:
            raise EatsIdMismatch("eatsId does not match the order")
        if order.status is Status.CANCELLED:
            return
        await cancellation.cancel_locked(
            uow,
            cancellation.target_of(OrderKind.DELIVERY, order),
            now,
            reason=reason,
            version=None,
            actor="aggregator",
            extra={"attributes": attributes},
        )
        await uow.commit()


async def update_order(
    db: Database,
    client: Client,
    order_id: str,
    body: dict[str, Any],
    wanted: list[Wanted],
    now: datetime,
) -> None:
    """New contents: the old holds go back and the new ones are taken, in one transaction."""
    validate_comment(body.get("comment"))
    async with db.unit_of_work() as uow:
        order = await _visible(uow, client.org_id, order_id, lock=True)
        if body.get("eatsId") not in (None, order.eats_id):
            raise EatsIdMismatch("eatsId does not match the order")
        order.ensure_contents_open()
        await _release(uow, order)
        menu_items = await uow.delivery.menu(order.restaurant_id)
        lines, dropped = await _hold(uow, order.restaurant_id, wanted, menu_items)
        order = replace(
            order,
            request=_replaced(order.request, body, order.eats_id),
            lines=tuple(lines),
            dropped=dropped,
            updated_at=now,
        )
        await uow.delivery.save_order(order)
        await _journal(uow, order, "delivery.changed", now, None)
        await uow.commit()


async def move(
    db: Database,
    org_id: str,
    order_id: str,
    target: Status,
    now: datetime,
    *,
    by_restaurant: bool,
    comment: object = None,
    actor: str | None = None,
) -> DeliveryOrder:
    allowed = BY_RESTAURANT if by_restaurant else BY_AGGREGATOR - {Status.CANCELLED}
    if target not in allowed:
        who = "the restaurant" if by_restaurant else "the aggregator"
        raise DeliveryStatusNotAllowed(f"{target} is not set by {who}")
    text = validate_comment(comment)
    async with db.unit_of_work() as uow:
        # The restaurant and its loyalty shop come with the order (one round trip): a
        # delivered order earns in that shop. Read in this transaction, never cached: a
        # restaurant's shop is the one the database holds now, whichever process changed it.
        found, restaurant, shop = await uow.delivery.order_and_restaurant(order_id, lock=True)
        order = _mine(found, org_id, order_id)
        before = order.status
        order = order.moved(target, text, now)
        if target is Status.DELIVERED:
            await _earn(uow, order, restaurant, shop, now)
        await uow.delivery.save_order(order)
        actor = actor or ("restaurant" if by_restaurant else "aggregator")
        await _journal(uow, order, f"delivery.{target.value.lower()}", now, before, actor=actor)
        await uow.commit()
    return order


async def _earn(
    uow: UnitOfWork,
    order: DeliveryOrder,
    restaurant: Restaurant | None,
    shop: Shop | None,
    now: datetime,
) -> None:
    """A delivered order earns the buyer bonuses when its restaurant has a loyalty shop
    (`shop`, read with the order)."""
    if restaurant is None or restaurant.shop_id is None:
        return
    if shop is None or shop.org_id != order.org_id:
        return  # never another organisation's shop, whatever an old row says
    info = order.request.get("deliveryInfo") or {}
    phone = member_phone({"phone": info.get("realPhoneNumber") or info.get("phoneNumber")})
    paid = order.price_of(order.quantities())
    await settle_earning(
        uow, shop, f"delivery:{order.id}", phone, paid, now, f"delivery {order.eats_id}"
    )


async def set_courier(
    db: Database, org_id: str, order_id: str, body: dict[str, Any], now: datetime
) -> None:
    async with db.unit_of_work() as uow:
        order = await _visible(uow, org_id, order_id, lock=True)
        order = replace(order, courier=body, updated_at=now)
        await uow.delivery.save_order(order)
        await uow.commit()


async def orders(db: Database, org_id: str, statuses: list[Status]) -> list[DeliveryOrder]:
    async with db.unit_of_work(write=False) as uow:
        return await uow.delivery.orders_of(org_id, statuses)


def total(order: DeliveryOrder) -> Decimal:
    """What the order's accepted lines cost (the console's and the faces' total)."""
    return order.total()


async def _journal(
    uow: UnitOfWork,
    order: DeliveryOrder,
    action: str,
    now: datetime,
    before: Status | None,
    details: dict[str, Any] | None = None,
    *,
    actor: str = "aggregator",
) -> None:
    """The delivery order's timeline and the organisation's `delivery.*` webhooks."""
    await record_event(
        uow,
        order_id=order.id,
        org_id=order.org_id,
        actor=actor,
        action=action,
        from_status=before.value if before else None,
        to_status=order.status.value,
        now=now,
        order={"id": order.id, "eatsId": order.eats_id, "restaurantId": order.restaurant_id},
        details={"eatsId": order.eats_id, **(details or {})},
        reason=(details or {}).get("reason"),
    )
