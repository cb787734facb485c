"""The ticket order's hot statements as plain SQL (see `kassa.store.raw`): the claim, the order
row, its lines, the lock and the read of an order, the release. `OrdersRepo` and
`InventoryRepo` call these; what they return is what the SQLAlchemy versions returned."""

import functools
from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any

from kassa.core.audit import AuditEntry, OutboxMessage
from kassa.core.catalog import TicketStatus
from kassa.core.orders import LineState, Order, OrderLine, OrderStatus, Seat
from kassa.core.pricing import TicketValues
from kassa.core.promocodes import code_key
from kassa.store.policies import (
    EVENT_POLICY_COLUMNS,
    EVENT_POLICY_JOINS,
    EVENT_POLICY_WIDTH,
    event_policy_of,
)
from kassa.store.promocodes import AHEAD_COLUMNS, AHEAD_JOIN, AHEAD_WIDTH, promo_ahead
from kassa.store.raw import (
    Sql,
    decode_json,
    decode_time,
    encode,
    for_sqlite,
    insert,
    insert_select,
    json_dumps,
    required_time,
)
from kassa.store.tables import audit_log, order_lines, orders, outbox
from kassa.store.tx import Tx

# The statuses are spelt out in the SQL below; these keep them the enums' values.
assert TicketStatus.VACANT.value == "vacant" and TicketStatus.RESERVED.value == "reserved"
assert LineState.ACTIVE.value == "active"

# MATERIALIZED: the limited pick runs exactly once (see InventoryRepo.claim_random).
CLAIM_RANDOM_PG = Sql(
    "WITH picked AS MATERIALIZED (SELECT id FROM tickets WHERE set_id = $1 AND status = "
    "'vacant' ORDER BY id LIMIT $2 FOR UPDATE SKIP LOCKED) "
    "UPDATE tickets SET status = 'reserved', order_id = $3 "
    "WHERE id IN (SELECT id FROM picked) AND status = 'vacant' "
    "RETURNING id, set_id, serial, number, seat_sector, seat_row, seat_number",
    "tickets",
)
# SQLite has one writer at a time (BEGIN IMMEDIATE): nothing to skip.
CLAIM_RANDOM_SQLITE = Sql(
    "UPDATE tickets SET status = 'reserved', order_id = $3 WHERE id IN (SELECT id FROM "
    "tickets WHERE set_id = $1 AND status = 'vacant' ORDER BY id LIMIT $2) "
    "AND status = 'vacant' "
    "RETURNING id, set_id, serial, number, seat_sector, seat_row, seat_number",
    "tickets",
)
LOCK = Sql("SELECT id FROM orders WHERE id = $1 FOR UPDATE NOWAIT")
LOCK_SQLITE = Sql("SELECT id FROM orders WHERE id = $1")
# The lock of a caller's own order (`Principal.sees`: the organisation's, and the seller's own
# when $3 names one): the rows of other tenants are filtered out below the lock, never locked.
LOCK_SEEN = Sql(
    "SELECT id FROM orders WHERE id = $1 AND org_id = $2 "
    "AND ($3::varchar IS NULL OR vendor_id = $3) FOR UPDATE NOWAIT"
)
LOCK_SEEN_SQLITE = Sql(
    "SELECT id FROM orders WHERE id = $1 AND org_id = $2 AND ($3 IS NULL OR vendor_id = $3)"
)

_ORDER_COLUMNS = [c.name for c in orders.c]
_EVENT_ID = _ORDER_COLUMNS.index("event_id")
_LINE_COLUMNS = [
    "ticket_id",
    "set_id",
    "rule_id",
    "state",
    "price",
    "discount",
    "nominal",
    "extra",
    "full",
    "barcode",
]
_TICKET_COLUMNS = ["serial", "number", "seat_sector", "seat_row", "seat_number"]


def one_text(policy: bool, promocode: bool) -> str:
    """The order with its lines, one row per line; with `policy`, each row goes on with the
    event's start and policy (`kassa.store.policies.EVENT_POLICY_COLUMNS`), with `promocode`,
    then with the event's promo code whose key is $2 (`kassa.store.promocodes.AHEAD_COLUMNS`)."""
    return (
        "SELECT "  # noqa: S608
        + ", ".join(f'o."{c}"' for c in _ORDER_COLUMNS)
        + ", "
        + ", ".join(f'l."{c}"' for c in _LINE_COLUMNS)
        + ", "
        + ", ".join(f't."{c}"' for c in _TICKET_COLUMNS)
        # Whether anyone waits for the line's set (`Tx.unwaited`): a release nobody waits for
        # then needs no read of the waiting list (kassa.store.waitlist).
        + ", EXISTS (SELECT 1 FROM waiting_list w WHERE w.set_id = l.set_id"
        " AND w.status = 'waiting')"
        + (f", {EVENT_POLICY_COLUMNS}" if policy else "")
        + (f", {AHEAD_COLUMNS}" if promocode else "")
        + " FROM orders o"
        + (EVENT_POLICY_JOINS if policy else "")
        + (AHEAD_JOIN if promocode else "")
        + " LEFT OUTER JOIN order_lines l ON l.order_id = o.id"
        " LEFT OUTER JOIN tickets t ON t.id = l.ticket_id WHERE o.id = $1 ORDER BY l.id"
    )


# Column names from the table definitions, never from input.
_ONE = {(p, c): Sql(one_text(p, c)) for p in (False, True) for c in (False, True)}
ONE = _ONE[False, False]
_SAVED = (
    "status",
    "customer",
    "payment",
    "updated_at",
    "reserved_till",
    "done_at",
    "settings",
    "vendor_data",
    "promocodes",
    "code",
)
SAVE = Sql(
    "UPDATE orders SET "  # noqa: S608
    + ", ".join(f'"{c}" = ${i + 2}' for i, c in enumerate(_SAVED))
    + " WHERE id = $1",
    "orders",
)
RELEASE = Sql(
    "UPDATE tickets SET status = 'vacant', order_id = NULL "
    "WHERE order_id = $1 AND id = ANY($2::varchar[])",
    "tickets",
)
RELEASE_SQLITE = Sql(
    "UPDATE tickets SET status = 'vacant', order_id = NULL "
    "WHERE order_id = $1 AND id IN (SELECT value FROM json_each($2))",
    "tickets",
)
END_LINES = Sql(
    "UPDATE order_lines SET state = $3, ended_at = $4 WHERE order_id = $1 "
    "AND ticket_id = ANY($2::varchar[]) AND state = 'active'",
    "order_lines",
)
END_LINES_SQLITE = Sql(
    "UPDATE order_lines SET state = $3, ended_at = $4 WHERE order_id = $1 "
    "AND ticket_id IN (SELECT value FROM json_each($2)) AND state = 'active'",
    "order_lines",
)
_KINDS = {"customer": "json", "payment": "json", "settings": "json", "vendor_data": "json"}
_KINDS.update(promocodes="json", updated_at="time", reserved_till="time", done_at="time")


def _ids(ids: Sequence[str], sqlite: bool) -> Any:
    """A list of ids as one parameter: an array on PostgreSQL, JSON text on SQLite."""
    return json_dumps(sorted(ids)) if sqlite else sorted(ids)


async def claim_random(tx: Tx, set_id: str, count: int, order_id: str) -> list[tuple[Any, ...]]:
    sql = CLAIM_RANDOM_SQLITE if tx.is_sqlite else CLAIM_RANDOM_PG
    return await tx.fetch(sql, [set_id, count, order_id])


def _order_row(order: Order) -> dict[str, Any]:
    return {
        "id": order.id,
        "event_id": order.event_id,
        "org_id": order.org_id,
        "vendor_id": order.vendor_id,
        "status": order.status.value,
        "origin": order.origin,
        "customer": order.customer,
        "payment": order.payment,
        "created_at": order.created_at,
        "updated_at": order.updated_at,
        "reserved_till": order.reserved_till,
        "done_at": order.done_at,
        "settings": order.settings,
        "vendor_data": order.vendor_data,
        "promocodes": order.promocodes,
        "code": order.code,
    }


async def add(tx: Tx, order: Order) -> int:
    sql, args = insert(orders, [_order_row(order)], sqlite=tx.is_sqlite, returning="number")
    rows = await tx.fetch(sql, args)
    return int(rows[0][0])


async def add_claiming(
    tx: Tx, order: Order, set_id: str, count: int
) -> tuple[list[tuple[Any, ...]], int | None]:
    """The claim of `claim_random` and the order's row in one round trip: on PostgreSQL one
    statement (the row is inserted only if a ticket was claimed: no number otherwise), on
    SQLite one thread call (the row is always inserted and numbered; if the order ends up
    with no ticket the command fails and rolls it back)."""
    claim_args = [set_id, count, order.id]
    if tx.is_sqlite:
        sql, args = insert(orders, [_order_row(order)], sqlite=True, returning="number")
        claimed, placed = await tx.fetch_batch([(CLAIM_RANDOM_SQLITE, claim_args), (sql, args)])
        return claimed, int(placed[0][0])
    text, args = insert_select(orders, _order_row(order), 4, where="EXISTS (SELECT 1 FROM claimed)")
    rows = await tx.fetch(_claim_and_add(text), claim_args + args)
    return [row[:-1] for row in rows], (rows[0][-1] if rows else None)


@functools.lru_cache(maxsize=4)
def _claim_and_add(insert_text: str) -> Sql:
    head, update = CLAIM_RANDOM_PG.text.split(") UPDATE tickets", 1)
    # Composed of this module's statements only.
    return Sql(
        f"{head}), claimed AS (UPDATE tickets{update}), placed AS ({insert_text} "  # noqa: S608
        "RETURNING number) SELECT claimed.*, (SELECT number FROM placed) FROM claimed"
    )


async def add_lines(tx: Tx, order_id: str, lines: Sequence[OrderLine], now: datetime) -> None:
    rows = [_line_row(order_id, line, now) for line in lines]
    await tx.stage_sql(*insert(order_lines, rows, sqlite=tx.is_sqlite))


async def save(tx: Tx, order: Order) -> None:
    sqlite = tx.is_sqlite
    values = _order_row(order)
    args = [order.id] + [encode(_KINDS.get(c), values[c], sqlite=sqlite) for c in _SAVED]
    await tx.stage_sql(SAVE, args)


async def release(tx: Tx, order_id: str, ticket_ids: Sequence[str]) -> None:
    sql = RELEASE_SQLITE if tx.is_sqlite else RELEASE
    await tx.stage_sql(sql, [order_id, _ids(ticket_ids, tx.is_sqlite)])


async def end_lines(
    tx: Tx, order_id: str, ticket_ids: Sequence[str], state: LineState, now: datetime
) -> None:
    sqlite = tx.is_sqlite
    sql = END_LINES_SQLITE if sqlite else END_LINES
    ended = encode("time", now, sqlite=sqlite)
    await tx.stage_sql(sql, [order_id, _ids(ticket_ids, sqlite), state.value, ended])


async def locked(tx: Tx, order_id: str) -> bool:
    """Whether the order is there, locked (PostgreSQL: with the BEGIN, when it is the unit of
    work's first statement: `Tx.begin_locking`)."""
    return await tx.locked(LOCK_SQLITE if tx.is_sqlite else LOCK, [order_id])


async def locked_seen(tx: Tx, order_id: str, org_id: str, vendor_id: str | None) -> bool:
    """`locked`, only if the order is `org_id`'s (and `vendor_id`'s, unless None)."""
    sql = LOCK_SEEN_SQLITE if tx.is_sqlite else LOCK_SEEN
    return await tx.locked(sql, [order_id, org_id, vendor_id])


async def one(
    tx: Tx, order_id: str, *, policy: bool = False, promocode: str | None = None
) -> Order | None:
    """The order and its lines. Read in the same statement and left for their repositories:
    with `policy`, the event's start and policy (`Tx.event_policies`); with `promocode`, the
    event's code of that name, or that it has none (`Tx.promocodes_ahead`)."""
    key = code_key(promocode) if promocode is not None else None
    sql = _ONE[policy, key is not None]
    rows = await tx.fetch(sql, [order_id] if key is None else [order_id, key])
    if not rows:
        return None
    event_id = rows[0][_EVENT_ID]
    if key is not None:
        tx.promocodes_ahead[(event_id, key)] = promo_ahead(rows[0][-AHEAD_WIDTH:])
        rows = [row[:-AHEAD_WIDTH] for row in rows]
    if policy:
        found = event_policy_of(event_id, rows[0][-EVENT_POLICY_WIDTH:])
        if found is not None:
            tx.event_policies[event_id] = found
        rows = [row[:-EVENT_POLICY_WIDTH] for row in rows]
    width = len(_ORDER_COLUMNS)
    head = dict(zip(_ORDER_COLUMNS, rows[0][:width], strict=True))
    lines = [_line(row[width:-1]) for row in rows if row[width] is not None]
    for row in rows:
        if row[width] is not None:  # a line: is anyone waiting for its set?
            (tx.unwaited.discard if row[-1] else tx.unwaited.add)(row[width + 1])
    return Order(
        id=head["id"],
        number=head["number"],
        event_id=head["event_id"],
        org_id=head["org_id"],
        vendor_id=head["vendor_id"],
        status=OrderStatus(head["status"]),
        created_at=required_time(head["created_at"]),
        updated_at=required_time(head["updated_at"]),
        reserved_till=required_time(head["reserved_till"]),
        customer=dict(decode_json(head["customer"])),
        payment=dict(decode_json(head["payment"])),
        origin=head["origin"],
        done_at=decode_time(head["done_at"]),
        lines=lines,
        settings=dict(decode_json(head["settings"]) or {}),
        vendor_data=dict(decode_json(head["vendor_data"]) or {}),
        promocodes=list(decode_json(head["promocodes"]) or []),
        code=head["code"],
    )


def seat(sector: str | None, row: int | None, number: int | None) -> Seat | None:
    if sector is None and row is None and number is None:
        return None
    return Seat(sector, row, number)


def _line(row: Sequence[Any]) -> OrderLine:
    (ticket_id, set_id, rule_id, state, price, discount, nominal, extra, full, barcode) = row[:10]
    serial, number, sector, seat_row, seat_number = row[10:]
    return OrderLine(
        ticket_id=ticket_id,
        set_id=set_id,
        rule_id=rule_id,
        serial=serial,
        number=number,
        values=TicketValues(
            Decimal(price), Decimal(discount), Decimal(nominal), Decimal(extra), Decimal(full)
        ),
        state=LineState(state),
        barcode=barcode,
        seat=seat(sector, seat_row, seat_number),
    )


_PRICES = ("price", "discount", "nominal", "extra", "full")


@functools.lru_cache(maxsize=64)
def _reprice_text(lines: int, sqlite: bool) -> str:
    cast = "" if sqlite else "::numeric"
    rows = ", ".join(
        "(" + ", ".join([f"${2 + 6 * n}"] + [f"${3 + 6 * n + i}{cast}" for i in range(5)]) + ")"
        for n in range(lines)
    )
    sets = ", ".join(f'"{c}" = v."{c}"' for c in _PRICES)
    names = ", ".join(f'"{c}"' for c in _PRICES)
    # Composed of fixed column names and numbered parameters only.
    return (
        f"WITH v (ticket_id, {names}) AS (VALUES {rows}) "  # noqa: S608
        f"UPDATE order_lines SET {sets} FROM v WHERE order_lines.order_id = $1 "
        "AND order_lines.ticket_id = v.ticket_id AND order_lines.state = 'active'"
    )


async def reprice_lines(tx: Tx, order_id: str, lines: Sequence[OrderLine]) -> None:
    """New values of active lines, all in one staged UPDATE."""
    sqlite = tx.is_sqlite
    args: list[Any] = [order_id]
    for line in lines:
        v = line.values
        args.append(line.ticket_id)
        args += [
            encode("decimal", x, sqlite=sqlite)
            for x in (v.price, v.discount, v.nominal, v.extra, v.full)
        ]
    await tx.stage_sql(Sql(_reprice_text(len(lines), sqlite), "order_lines"), args)


# A whole reserve as one statement (see `place_claiming`).
_PICKED_PG = (
    "WITH picked AS MATERIALIZED (SELECT id FROM tickets WHERE set_id = $1 AND status = "
    "'vacant' ORDER BY id LIMIT $2 FOR UPDATE SKIP LOCKED), "
    "n AS (SELECT count(*) AS picked FROM picked), "
    "claimed AS (UPDATE tickets SET status = 'reserved', order_id = $3 "
    "WHERE id IN (SELECT id FROM picked) AND status = 'vacant' "
    "AND (SELECT picked FROM n) = $2 "
    "RETURNING id, set_id, serial, number, seat_sector, seat_row, seat_number), "
    "ids AS (SELECT jsonb_agg(id ORDER BY number, id) AS ids FROM claimed)"
)
_CLAIMED = "EXISTS (SELECT 1 FROM claimed)"
_TICKETS = "(SELECT ids FROM ids)"
_PAYLOAD = (
    "jsonb_set(jsonb_set({}::jsonb, '{{order,number}}', (SELECT to_jsonb(number) FROM placed)),"
    " '{{order,tickets}}', (SELECT ids FROM ids))::json"
)


def _line_row(order_id: str, line: OrderLine, now: datetime) -> dict[str, Any]:
    return {
        "order_id": order_id,
        "ticket_id": line.ticket_id,
        "set_id": line.set_id,
        "rule_id": line.rule_id,
        "state": line.state.value,
        "price": line.values.price,
        "discount": line.values.discount,
        "nominal": line.values.nominal,
        "extra": line.values.extra,
        "full": line.values.full,
        "barcode": line.barcode,
        "created_at": now,
        "ended_at": None,
    }


def _outbox_row(message: OutboxMessage) -> dict[str, Any]:
    return {**message.__dict__, "available_at": message.created_at, "attempts": 0}


def _place_pg(
    order: Order,
    set_id: str,
    count: int,
    line: OrderLine,
    now: datetime,
    audit: AuditEntry,
    message: OutboxMessage | None,
) -> tuple[str, list[Any]]:
    args: list[Any] = [set_id, count, order.id]
    parts = [_PICKED_PG]
    text, more = insert_select(
        orders, _order_row(order), len(args) + 1, where=_CLAIMED, tail="RETURNING number"
    )
    parts.append(f"placed AS ({text})")
    args += more
    # The lines: the template's values for every ticket claimed, in the order the app lists
    # them (by number); ticket and set from the claimed row.
    row = _line_row(order.id, line, now)
    text, more = insert_select(
        order_lines,
        row,
        len(args) + 1,
        where="true",
        exprs={"ticket_id": "c.id", "set_id": "c.set_id"},
    )
    text = text.replace(" WHERE true", " FROM claimed c ORDER BY c.number, c.id")
    parts.append(f"lines AS ({text})")
    args += more
    text, more = insert_select(
        audit_log,
        dict(audit.__dict__),
        len(args) + 1,
        where=_CLAIMED,
        exprs={"details": "jsonb_set({}::jsonb, '{{tickets}}', " + _TICKETS + ")::json"},
    )
    parts.append(f"audit AS ({text})")
    args += more
    if message is not None:
        text, more = insert_select(
            outbox, _outbox_row(message), len(args) + 1, where=_CLAIMED, exprs={"payload": _PAYLOAD}
        )
        parts.append(f"message AS ({text})")
        args += more
    # Composed of this module's statements and the table definitions only.
    return (
        (
            ", ".join(parts)  # noqa: S608
            + " SELECT n.picked, (SELECT number FROM placed), c.id, c.set_id, c.serial, c.number,"
            " c.seat_sector, c.seat_row, c.seat_number FROM n LEFT JOIN claimed c ON true"
            " ORDER BY c.number, c.id"
        ),
        args,
    )


async def place_claiming(
    tx: Tx,
    order: Order,
    set_id: str,
    count: int,
    line: OrderLine,
    now: datetime,
    audit: AuditEntry,
    message: OutboxMessage | None,
) -> tuple[int, int | None, list[tuple[Any, ...]]]:
    """A whole reserve of `count` random tickets of one set: only if `count` are free, claim
    them and insert the order (`order`), its lines (`line`'s values and rule for each
    ticket), the audit row and the outbox message, with the claimed ticket ids (in the order
    of the lines) written into `audit.details["tickets"]` and `payload["order"]["tickets"]`
    and the order's number into `payload["order"]["number"]`. Returns (tickets that were
    free, the order's number or None, the claimed rows); nothing is written unless all
    `count` were claimed.

    PostgreSQL: ONE statement, run on its own (no BEGIN/COMMIT) when it is the command's
    first. SQLite: one call in the driver's thread (the writer holds the database)."""
    if not tx.is_sqlite:
        text, args = _place_pg(order, set_id, count, line, now, audit, message)
        rows = await tx.fetch_whole(Sql(text), args)
        picked = int(rows[0][0])
        claimed = [tuple(row[2:]) for row in rows if row[2] is not None]
        return picked, (int(rows[0][1]) if claimed else None), claimed
    return await tx.sqlite_call(
        functools.partial(_place_sqlite, order, set_id, count, line, now, audit, message)
    )


_PICK_SQLITE = (
    "SELECT count(*) FROM (SELECT id FROM tickets WHERE set_id = ? AND status = 'vacant' LIMIT ?)"
)


def _place_sqlite(
    order: Order,
    set_id: str,
    count: int,
    line: OrderLine,
    now: datetime,
    audit: AuditEntry,
    message: OutboxMessage | None,
    conn: Any,
) -> tuple[int, int | None, list[tuple[Any, ...]]]:
    """`place_claiming` in aiosqlite's thread, on the `sqlite3` connection."""

    def run(sql: Sql, args: Sequence[Any]) -> list[Any]:
        cursor = conn.execute(for_sqlite(sql.text), tuple(args))
        try:
            return list(cursor.fetchall())
        finally:
            cursor.close()

    cursor = conn.execute(_PICK_SQLITE, (set_id, count))
    picked = int(cursor.fetchone()[0])
    cursor.close()
    if picked < count:
        return picked, None, []
    claimed = sorted(
        run(CLAIM_RANDOM_SQLITE, [set_id, count, order.id]), key=lambda r: (r[3], r[0])
    )
    number = int(run(*insert(orders, [_order_row(order)], sqlite=True, returning="number"))[0][0])
    ids = [row[0] for row in claimed]
    rows = [
        {**_line_row(order.id, line, now), "ticket_id": row[0], "set_id": row[1]} for row in claimed
    ]
    run(*insert(order_lines, rows, sqlite=True))
    run(
        *insert(
            audit_log,
            [{**audit.__dict__, "details": {**audit.details, "tickets": ids}}],
            sqlite=True,
        )
    )
    if message is not None:
        payload = {
            **message.payload,
            "order": {**message.payload["order"], "number": number, "tickets": ids},
        }
        run(*insert(outbox, [{**_outbox_row(message), "payload": payload}], sqlite=True))
    return picked, number, claimed
