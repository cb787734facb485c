"""Delivery storage: aggregator clients and tokens, restaurants, menu items (stock), orders."""

from collections.abc import Mapping, Sequence
from datetime import datetime
from decimal import ROUND_CEILING, Decimal
from typing import Any

from sqlalchemy import Row, Select, delete, insert, select, update

from kassa.core.delivery import Client, DeliveryOrder, Line, MenuItem, Restaurant, Status
from kassa.core.loyalty_orders import Shop
from kassa.store import delivery_hot as hot
from kassa.store import raw
from kassa.store.tables import (
    delivery_clients,
    delivery_orders,
    delivery_tokens,
    menu_items,
    restaurants,
)
from kassa.store.tx import Tx
from kassa.store.types import fixed


class DeliveryRepo:
    def __init__(self, conn: Tx) -> None:
        self._conn = conn

    # clients and tokens
    async def add_client(self, client: Client, now: datetime) -> None:
        await self._conn.execute(
            insert(delivery_clients).values(
                client_id=client.client_id,
                org_id=client.org_id,
                secret_hash=client.secret_hash,
                created_at=now,
            )
        )

    async def client(self, client_id: str) -> Client | None:
        row = (
            await self._conn.execute(
                select(delivery_clients).where(delivery_clients.c.client_id == client_id)
            )
        ).first()
        return Client(row.client_id, row.org_id, row.secret_hash) if row else None

    async def add_token(
        self, token_hash: str, client_id: str, expires_at: datetime, now: datetime
    ) -> None:
        await self._conn.execute(delete(delivery_tokens).where(delivery_tokens.c.expires_at <= now))
        await self._conn.execute(
            insert(delivery_tokens).values(
                token_hash=token_hash, client_id=client_id, expires_at=expires_at
            )
        )

    async def token(self, token_hash: str) -> tuple[str, datetime] | None:
        row = (
            await self._conn.execute(
                select(delivery_tokens).where(delivery_tokens.c.token_hash == token_hash)
            )
        ).first()
        return (row.client_id, row.expires_at) if row else None

    # restaurants and menus
    async def add_restaurant(self, restaurant: Restaurant, now: datetime) -> None:
        await self._conn.execute(
            insert(restaurants).values(
                id=restaurant.id,
                org_id=restaurant.org_id,
                title=restaurant.title,
                address=restaurant.address,
                shop_id=restaurant.shop_id,
                created_at=now,
            )
        )

    async def restaurants_of(self, org_id: str) -> list[Restaurant]:
        rows = await self._conn.execute(
            select(restaurants).where(restaurants.c.org_id == org_id).order_by(restaurants.c.id)
        )
        return [Restaurant(r.id, r.org_id, r.title, r.address, r.shop_id) for r in rows]

    async def restaurant(self, restaurant_id: str) -> Restaurant | None:
        row = (
            await self._conn.execute(select(restaurants).where(restaurants.c.id == restaurant_id))
        ).first()
        return Restaurant(row.id, row.org_id, row.title, row.address, row.shop_id) if row else None

    async def put_items(self, restaurant_id: str, items: Sequence[MenuItem]) -> None:
        """Upsert the menu: items named are written, other items stay."""
        for item in items:
            found = await self._conn.execute(
                update(menu_items)
                .where(menu_items.c.restaurant_id == restaurant_id, menu_items.c.id == item.id)
                .values(
                    name=item.name,
                    category=item.category,
                    price=item.price,
                    stock_milli=_milli(item.stock),
                )
            )
            if not found.rowcount:
                await self._conn.execute(
                    insert(menu_items).values(
                        restaurant_id=restaurant_id,
                        id=item.id,
                        name=item.name,
                        category=item.category,
                        price=item.price,
                        stock_milli=_milli(item.stock),
                    )
                )

    async def menu(self, restaurant_id: str) -> dict[str, MenuItem]:
        rows = await self._conn.execute(
            select(menu_items)
            .where(menu_items.c.restaurant_id == restaurant_id)
            .order_by(menu_items.c.category, menu_items.c.id)
        )
        return {r.id: _item(r) for r in rows}

    async def placing(
        self, org_id: str, eats_id: str, restaurant_id: str, item_ids: Sequence[str]
    ) -> tuple[DeliveryOrder | None, Restaurant | None, dict[str, MenuItem]]:
        """What a new order needs, in one round trip: the organisation's order already sent
        under `eats_id` (then nothing else), else the restaurant (None when there is none) and
        those of `item_ids` on its menu."""
        return await hot.placing(self._conn, org_id, eats_id, restaurant_id, item_ids)

    async def take_stocks(self, restaurant_id: str, wanted: Mapping[str, Decimal]) -> set[str]:
        """Hold each item (named once) by its quantity, all in one round trip: one conditional
        UPDATE each (not enough left: not held). The items held."""
        milli = {item_id: _count(quantity) for item_id, quantity in wanted.items()}
        return await hot.take_many(self._conn, restaurant_id, milli)

    async def give_stocks(
        self, restaurant_id: str, quantities: Sequence[tuple[str, Decimal]]
    ) -> None:
        """The reverse of `take_stocks` (counted items only): (item, quantity) pairs, in one
        staged statement; it needs no answer."""
        milli: dict[str, int] = {}
        for item_id, quantity in quantities:
            milli[item_id] = milli.get(item_id, 0) + _count(quantity)
        await hot.give_many(self._conn, restaurant_id, milli)

    # orders
    async def add_order(self, order: DeliveryOrder) -> None:
        """Staged (plain SQL, sent with the command's journal): a taken eatsId fails at the
        commit, with the same IntegrityError."""
        sqlite = self._conn.is_sqlite
        await self._conn.stage_sql(*raw.insert(delivery_orders, [_row(order)], sqlite=sqlite))

    async def save_order(self, order: DeliveryOrder) -> None:
        values = _row(order)
        values.pop("id")
        sqlite = self._conn.is_sqlite
        await self._conn.stage_sql(
            *raw.update(delivery_orders, "id", order.id, values, sqlite=sqlite)
        )

    async def order(self, order_id: str, *, lock: bool = False) -> DeliveryOrder | None:
        return await hot.order(self._conn, order_id, lock=lock)

    async def order_and_restaurant(
        self, order_id: str, *, lock: bool = False
    ) -> tuple[DeliveryOrder | None, Restaurant | None, Shop | None]:
        """`order`, its restaurant (`restaurant`, not locked) and the loyalty shop the
        restaurant earns in (`LoyaltyRepo.shop`; None: none), in one round trip."""
        return await hot.order_and_restaurant(self._conn, order_id, lock=lock)

    async def by_eats_id(self, org_id: str, eats_id: str) -> DeliveryOrder | None:
        return await hot.by_eats_id(self._conn, org_id, eats_id)

    async def orders_of(self, org_id: str, statuses: Sequence[Status] = ()) -> list[DeliveryOrder]:
        rows = await self._conn.execute(orders_query(org_id, statuses))
        return [_order(r) for r in rows]


def orders_query(org_id: str, statuses: Sequence[Status] = ()) -> Select[Any]:
    """The organisation's orders (in these statuses), newest first. The statuses are written
    into the SQL (they are the code's own), so the kitchen's (`KITCHEN`, or any of them on
    PostgreSQL) are found by `ix_delivery_orders_kitchen`, not among the whole history."""
    query = select(delivery_orders).where(delivery_orders.c.org_id == org_id)
    if statuses:
        query = query.where(delivery_orders.c.status.in_([fixed(s.value) for s in statuses]))
    return query.order_by(delivery_orders.c.created_at.desc())


def _milli(quantity: Decimal | None) -> int | None:
    """Thousandths of a unit; a finer quantity is rounded up (never held short)."""
    if quantity is None:
        return None
    return int((quantity * 1000).to_integral_value(rounding=ROUND_CEILING))


def _count(quantity: Decimal) -> int:
    milli = _milli(quantity)
    assert milli is not None
    return milli


def _item(r: Row[Any]) -> MenuItem:
    stock = Decimal(r.stock_milli) / 1000 if r.stock_milli is not None else None
    return MenuItem(r.id, r.restaurant_id, r.name, r.category, Decimal(r.price), stock)


def _row(o: DeliveryOrder) -> dict[str, Any]:
    return {
        "id": o.id,
        "org_id": o.org_id,
        "restaurant_id": o.restaurant_id,
        "eats_id": o.eats_id,
        "discriminator": o.discriminator,
        "status": o.status.value,
        "request": o.request,
        "lines": [line_json(x) for x in o.lines],
        "dropped": o.dropped,
        "status_comment": o.status_comment,
        "status_reason": o.status_reason,
        "courier": o.courier,
        "created_at": o.created_at,
        "updated_at": o.updated_at,
    }


def _order(r: Row[Any]) -> DeliveryOrder:
    return DeliveryOrder(
        r.id,
        r.org_id,
        r.restaurant_id,
        r.eats_id,
        r.discriminator,
        Status(r.status),
        dict(r.request),
        tuple(hot.line(x) for x in r.lines),
        list(r.dropped),
        r.status_comment,
        r.status_reason,
        dict(r.courier) if r.courier else None,
        r.created_at,
        r.updated_at,
    )


def line_json(line: Line) -> dict[str, Any]:
    """A line as the `lines` JSON column keeps it (the shape existing rows have)."""
    return {
        "id": line.item_id,
        "name": line.name,
        "quantity": line.quantity,
        "price": line.price,
        "held": line.held,
    }
