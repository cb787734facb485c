"""The delivery order's hot statements as plain SQL (see `kassa.store.raw`): the order by id
(locked, and with its restaurant), by eatsId, what a new order needs in one statement, and
the stock holds. `DeliveryRepo` calls these; what they return is what the SQLAlchemy versions
returned."""

from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

from kassa.core.delivery import DeliveryOrder, Line, MenuItem, Restaurant, Status
from kassa.core.loyalty_orders import Shop
from kassa.store.loyalty_hot import SHOP_COLUMNS, shop_of
from kassa.store.raw import Sql, decode_json, decode_time, json_dumps
from kassa.store.tables import delivery_orders
from kassa.store.tx import Tx

_ORDER_COLUMNS = [c.name for c in delivery_orders.c]
_WIDTH = len(_ORDER_COLUMNS)
# Column names from the table definitions, never from input.
_O = ", ".join(f'o."{c}"' for c in _ORDER_COLUMNS)
_R = 'r."id", r."org_id", r."title", r."address", r."shop_id"'
_I = 'i."id", i."name", i."category", i."price", i."stock_milli"'

ORDER = Sql(f"SELECT {_O} FROM delivery_orders o WHERE o.id = $1")  # noqa: S608
# A delivery order's lock waits for the other command (a status push and a cancel serialise).
ORDER_LOCKED = Sql(ORDER.text + " FOR UPDATE")
# The restaurant is read, not locked (as before: its row never changes under an order), and
# with it the loyalty shop it earns in, if any (a delivered order's bonuses).
ORDER_AND_RESTAURANT = Sql(
    f"SELECT {_O}, {_R}, {SHOP_COLUMNS} FROM delivery_orders o "  # noqa: S608
    "LEFT OUTER JOIN restaurants r ON r.id = o.restaurant_id "
    "LEFT OUTER JOIN loyalty_shops s ON s.id = r.shop_id WHERE o.id = $1"
)
ORDER_AND_RESTAURANT_LOCKED = Sql(ORDER_AND_RESTAURANT.text + " FOR UPDATE OF o")
BY_EATS_ID = Sql(
    f"SELECT {_O} FROM delivery_orders o WHERE o.org_id = $1 AND o.eats_id = $2"  # noqa: S608
)
# A new order: the order already sent under its eatsId, else (only then) the restaurant and
# the menu items the basket names. One row when the eatsId is taken; else one per item found
# (one with no item when there is none; none at all is impossible: `one` always has a row).
_PLACING = (
    f"SELECT {_O}, {_R}, {_I} FROM (SELECT 1 AS one) AS one "  # noqa: S608
    "LEFT OUTER JOIN delivery_orders o ON o.org_id = $1 AND o.eats_id = $2 "
    "LEFT OUTER JOIN restaurants r ON o.id IS NULL AND r.id = $3 "
    "LEFT OUTER JOIN menu_items i ON i.restaurant_id = r.id AND i.id {} "
    "ORDER BY i.category, i.id"
)
PLACING = Sql(_PLACING.format("= ANY($4::varchar[])"))
PLACING_SQLITE = Sql(_PLACING.format("IN (SELECT value FROM json_each($4))"))
TAKE = Sql(
    "UPDATE menu_items SET stock_milli = stock_milli - $3 WHERE restaurant_id = $1 AND id = $2 "
    "AND (stock_milli IS NULL OR stock_milli >= $3) RETURNING id",
    "menu_items",
)
# Several items at once (a basket names each item once): each row is updated at most once,
# so this is what the UPDATEs one by one would do. The rows are locked in the order of their
# ids (in a sub-SELECT, ORDER BY comes before FOR UPDATE, and a row passes only once it is
# locked), so two orders naming the same items in other orders queue instead of deadlocking
# (one by one, in the basket's order, they could). A sub-SELECT, not a WITH: a staged
# statement becomes one CTE of a flush (`kassa.store.raw.combined`).
_LOCKED = (
    "m.id IN (SELECT id FROM menu_items WHERE restaurant_id = $1 "
    "AND id = ANY($2::varchar[]) ORDER BY id FOR UPDATE)"
)
TAKE_MANY = Sql(
    "UPDATE menu_items m SET stock_milli = m.stock_milli - v.milli "  # noqa: S608
    "FROM unnest($2::varchar[], $3::bigint[]) AS v (id, milli) "
    f"WHERE m.restaurant_id = $1 AND m.id = v.id AND {_LOCKED} "
    "AND (m.stock_milli IS NULL OR m.stock_milli >= v.milli) RETURNING m.id",
    "menu_items",
)
# Stock back, of several items in one statement (each row once: amounts summed per item).
GIVE_MANY = Sql(
    "UPDATE menu_items m SET stock_milli = m.stock_milli + v.milli "  # noqa: S608
    "FROM unnest($2::varchar[], $3::bigint[]) AS v (id, milli) "
    f"WHERE m.restaurant_id = $1 AND m.id = v.id AND {_LOCKED} "
    "AND m.stock_milli IS NOT NULL",
    "menu_items",
)
# SQLite: `$2` is a JSON object {item id: thousandths} (no UPDATE ... FROM before 3.33).
GIVE_MANY_SQLITE = Sql(
    "UPDATE menu_items SET stock_milli = stock_milli + "
    "(SELECT value FROM json_each($2) WHERE key = menu_items.id) "
    "WHERE restaurant_id = $1 AND id IN (SELECT key FROM json_each($2)) "
    "AND stock_milli IS NOT NULL",
    "menu_items",
)


async def order(tx: Tx, order_id: str, *, lock: bool) -> DeliveryOrder | None:
    # SQLite has one writer at a time (BEGIN IMMEDIATE): nothing to lock.
    rows = await tx.fetch(ORDER_LOCKED if lock and not tx.is_sqlite else ORDER, [order_id])
    return _order(rows[0]) if rows else None


async def order_and_restaurant(
    tx: Tx, order_id: str, *, lock: bool
) -> tuple[DeliveryOrder | None, Restaurant | None, Shop | None]:
    locked = lock and not tx.is_sqlite
    sql = ORDER_AND_RESTAURANT_LOCKED if locked else ORDER_AND_RESTAURANT
    rows = await tx.fetch(sql, [order_id])
    if not rows:
        return None, None, None
    row = rows[0]
    return _order(row), _restaurant(row[_WIDTH:]), shop_of(row[_WIDTH + 5 :])


async def by_eats_id(tx: Tx, org_id: str, eats_id: str) -> DeliveryOrder | None:
    rows = await tx.fetch(BY_EATS_ID, [org_id, eats_id])
    return _order(rows[0]) if rows else None


async def placing(
    tx: Tx, org_id: str, eats_id: str, restaurant_id: str, item_ids: Sequence[str]
) -> tuple[DeliveryOrder | None, Restaurant | None, dict[str, MenuItem]]:
    ids = sorted(set(item_ids))
    if tx.is_sqlite:
        rows = await tx.fetch(PLACING_SQLITE, [org_id, eats_id, restaurant_id, json_dumps(ids)])
    else:
        rows = await tx.fetch(PLACING, [org_id, eats_id, restaurant_id, ids])
    first = rows[0]
    if first[0] is not None:
        return _order(first), None, {}
    restaurant = _restaurant(first[_WIDTH:])
    items = {}
    for row in rows:
        item = row[_WIDTH + 5 :]
        if item[0] is not None:
            items[item[0]] = _item(restaurant_id, item)
    return None, restaurant, items


async def take(tx: Tx, restaurant_id: str, item_id: str, milli: int) -> bool:
    return bool(await tx.fetch(TAKE, [restaurant_id, item_id, milli]))


async def take_many(tx: Tx, restaurant_id: str, milli: Mapping[str, int]) -> set[str]:
    """`take` of each item (each named once) in one round trip; the items taken."""
    ids = sorted(milli)
    if len(ids) == 1:
        return set(ids) if await take(tx, restaurant_id, ids[0], milli[ids[0]]) else set()
    if not ids:
        return set()
    if tx.is_sqlite:
        found = await tx.fetch_batch([(TAKE, [restaurant_id, i, milli[i]]) for i in ids])
        return {rows[0][0] for rows in found if rows}
    rows = await tx.fetch(TAKE_MANY, [restaurant_id, ids, [milli[i] for i in ids]])
    return {row[0] for row in rows}


async def give_many(tx: Tx, restaurant_id: str, milli: Mapping[str, int]) -> None:
    """The reverse of `take_many` (counted items only), staged as one statement."""
    if not milli:
        return
    ids = sorted(milli)
    if tx.is_sqlite:
        amounts = json_dumps({i: milli[i] for i in ids})
        await tx.stage_sql(GIVE_MANY_SQLITE, [restaurant_id, amounts])
    else:
        await tx.stage_sql(GIVE_MANY, [restaurant_id, ids, [milli[i] for i in ids]])


def _order(row: Sequence[Any]) -> DeliveryOrder:
    o = dict(zip(_ORDER_COLUMNS, row[:_WIDTH], strict=True))
    courier = decode_json(o["courier"])
    created_at, updated_at = decode_time(o["created_at"]), decode_time(o["updated_at"])
    assert created_at is not None and updated_at is not None
    return DeliveryOrder(
        o["id"],
        o["org_id"],
        o["restaurant_id"],
        o["eats_id"],
        o["discriminator"],
        Status(o["status"]),
        dict(decode_json(o["request"])),
        tuple(line(x) for x in decode_json(o["lines"])),
        list(decode_json(o["dropped"])),
        o["status_comment"],
        o["status_reason"],
        dict(courier) if courier else None,
        created_at,
        updated_at,
    )


def _restaurant(row: Sequence[Any]) -> Restaurant | None:
    rid, org_id, title, address, shop_id = row[:5]
    return None if rid is None else Restaurant(rid, org_id, title, address, shop_id)


def _item(restaurant_id: str, row: Sequence[Any]) -> MenuItem:
    item_id, name, category, price, stock = row
    count = Decimal(stock) / 1000 if stock is not None else None
    return MenuItem(item_id, restaurant_id, name, category, Decimal(price), count)


def line(x: dict[str, Any]) -> Line:
    """A line of the `lines` JSON column."""
    quantity, price = Decimal(str(x["quantity"])), Decimal(str(x["price"]))
    return Line(x["id"], x["name"], quantity, price, bool(x.get("held")))
