"""Orders, their lines, and the inventory moves: claim/release/sell side by side."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Row, and_, case, func, select, update
from sqlalchemy.exc import DBAPIError

from kassa.core.audit import AuditEntry, OutboxMessage
from kassa.core.catalog import TicketStatus
from kassa.core.errors import OrderBusy
from kassa.core.orders import LineState, Order, OrderLine, OrderStatus, Seat
from kassa.core.pricing import TicketValues
from kassa.core.tenancy import Principal
from kassa.store import orders_hot as hot
from kassa.store.tables import order_lines, orders, tickets
from kassa.store.tx import Tx

LOCK_NOT_AVAILABLE = "55P03"
DEADLOCK_DETECTED = "40P01"


@dataclass(frozen=True)
class ClaimedTicket:
    id: str
    set_id: str
    serial: str
    number: int
    seat: Seat | None


@dataclass(frozen=True)
class OrderFilter:
    org_id: str
    vendor_id: str | None = None
    statuses: Sequence[OrderStatus] = ()
    event_ids: Sequence[str] = ()
    created_from: datetime | None = None
    created_to: datetime | None = None
    only_with_customer: bool = False


def _sqlstate(exc: DBAPIError) -> str | None:
    orig = exc.orig
    if orig is None:
        return None
    return getattr(orig, "sqlstate", None) or getattr(orig.__cause__, "sqlstate", None)


class OrdersRepo:
    def __init__(self, conn: Tx, *, is_sqlite: bool) -> None:
        self._conn = conn
        self._is_sqlite = is_sqlite

    async def add(self, order: Order) -> int:
        """Insert the order row; returns its number (from a sequence, not a counter row)."""
        return await hot.add(self._conn, order)

    async def add_claiming(
        self, order: Order, set_id: str, count: int
    ) -> tuple[list[ClaimedTicket], int | None]:
        """`InventoryRepo.claim_random` for a new order and `add` of that order in one round
        trip; the order's number is None when nothing was claimed (the command must fail)."""
        rows, number = await hot.add_claiming(self._conn, order, set_id, count)
        return _claimed(rows), None if number is None else int(number)

    async def place_claiming(
        self,
        order: Order,
        set_id: str,
        count: int,
        line: OrderLine,
        now: datetime,
        audit: AuditEntry,
        message: OutboxMessage | None,
    ) -> tuple[int, list[ClaimedTicket], int | None]:
        """A whole reserve of `count` random tickets of one set, written only if all `count`
        are free: the claim, the order's row, its lines (each with `line`'s rule, state and
        values, and its own ticket), `audit` and `message`, the claimed ticket ids (in the
        lines' order) put into `audit.details["tickets"]` and `payload["order"]["tickets"]`
        and the order's number into `payload["order"]["number"]`. Returns (how many of the
        `count` were free, the claimed tickets, the order's number); when fewer than `count`
        were free nothing is written and no ticket is returned."""
        picked, number, rows = await hot.place_claiming(
            self._conn, order, set_id, count, line, now, audit, message
        )
        return picked, _claimed(rows), number

    async def save(self, order: Order) -> None:
        """Write the order row's mutable fields (staged: sent with the command's last writes)."""
        await hot.save(self._conn, order)

    async def lock(
        self,
        order_id: str,
        seen_by: Principal | None = None,
        *,
        policy: bool = False,
        promocode: str | None = None,
    ) -> Order | None:
        """Load an order for change. A change already in flight on it raises OrderBusy at once.

        PostgreSQL: FOR UPDATE NOWAIT, so a concurrent change in any process gets 409. SQLite
        has one writer at a time (BEGIN IMMEDIATE), so nothing is ever in flight beside us.

        `seen_by`: only an order this caller sees (`Principal.sees`) is locked and loaded; any
        other is None and never locked, not even for a moment, so another tenant's request
        can neither make the owner's change 409 nor learn by a 409 that the order exists.

        Read with the order (the same statement), for their repositories to take: with
        `policy`, the event's start and cancellation policy (`PoliciesRepo.of_event`); with
        `promocode`, the event's code of that name (`PromoRepo.by_code`).
        """
        try:
            return await self._one(
                order_id, lock=True, seen_by=seen_by, policy=policy, promocode=promocode
            )
        except DBAPIError as exc:
            if _sqlstate(exc) in (LOCK_NOT_AVAILABLE, DEADLOCK_DETECTED):
                raise OrderBusy(
                    f"Order {order_id} is being changed by another request", order=order_id
                ) from exc
            raise

    async def get(self, order_id: str, *, policy: bool = False) -> Order | None:
        """The order (`policy`: as `lock`'s)."""
        return await self._one(order_id, lock=False, policy=policy)

    async def id_of_number(self, number: int) -> str | None:
        """Kassa's id of the order with this human-facing number."""
        found = await self._conn.scalar(select(orders.c.id).where(orders.c.number == number))
        return str(found) if found else None

    async def _one(
        self,
        order_id: str,
        *,
        lock: bool,
        seen_by: Principal | None = None,
        policy: bool = False,
        promocode: str | None = None,
    ) -> Order | None:
        """The order and its lines in one round trip, after taking the lock, if any, in a
        statement of its own.

        Hazard: locking in the same statement as the join would be wrong on PostgreSQL. When
        another change commits between the statement's snapshot and the lock, PostgreSQL
        re-reads only the locked order row (EvalPlanQual) and joins it with the lines of the
        old snapshot, so a change could start from tickets the order no longer holds. In READ
        COMMITTED the read after the lock sees every change committed before it.
        """
        if lock and seen_by is not None:
            org_id, vendor_id = seen_by.org_id, seen_by.partner_id
            if not await hot.locked_seen(self._conn, order_id, org_id, vendor_id):
                return None
        elif lock and not await hot.locked(self._conn, order_id):
            return None
        return await hot.one(self._conn, order_id, policy=policy, promocode=promocode)

    async def search(
        self, where: OrderFilter, *, limit: int, offset: int
    ) -> tuple[list[Order], int]:
        """A page of orders, newest first, and the total that match."""
        cond = _filter(where)
        total = await self._conn.scalar(select(func.count()).select_from(orders).where(cond))
        rows = (
            await self._conn.execute(
                select(orders)
                .where(cond)
                .order_by(orders.c.created_at.desc(), orders.c.number.desc())
                .limit(limit)
                .offset(offset)
            )
        ).all()
        lines = await self._lines_of([row.id for row in rows])
        return [_order(row, lines.get(row.id, [])) for row in rows], int(total or 0)

    async def ids_matching(self, where: OrderFilter, *, limit: int) -> list[str]:
        """Ids of the orders that match, oldest first."""
        query = (
            select(orders.c.id)
            .where(_filter(where))
            .order_by(orders.c.created_at, orders.c.number)
            .limit(limit)
        )
        return list((await self._conn.scalars(query)).all())

    async def due_for_expiry(self, now: datetime, limit: int) -> list[str]:
        """Ids of open orders whose hold ran out; rows others are changing are skipped."""
        query = (
            select(orders.c.id)
            .where(
                orders.c.status.in_([OrderStatus.EXECUTED.value, OrderStatus.IN_PROGRESS.value]),
                orders.c.reserved_till <= now,
            )
            .order_by(orders.c.reserved_till)
            .limit(limit)
        )
        return list((await self._conn.scalars(query)).all())

    async def add_lines(self, order_id: str, lines: Sequence[OrderLine], now: datetime) -> None:
        if lines:
            await hot.add_lines(self._conn, order_id, lines, now)

    async def end_lines(
        self, order_id: str, ticket_ids: Sequence[str], state: LineState, now: datetime
    ) -> None:
        """Mark active lines released (dropped) or canceled (order ended)."""
        if not ticket_ids:
            return
        await hot.end_lines(self._conn, order_id, ticket_ids, state, now)

    async def reprice_lines(self, order_id: str, lines: Sequence[OrderLine]) -> None:
        """Write new values (a promo code applied or given back) of active lines."""
        if lines:
            await hot.reprice_lines(self._conn, order_id, lines)

    async def set_barcodes(self, order_id: str, barcodes: dict[str, str]) -> None:
        """Give each active line of these tickets its barcode, in one statement."""
        if not barcodes:
            return
        ticket_ids = sorted(barcodes)
        await self._conn.stage(
            update(order_lines)
            .where(
                order_lines.c.order_id == order_id,
                order_lines.c.ticket_id.in_(ticket_ids),
                order_lines.c.state == LineState.ACTIVE.value,
            )
            .values(barcode=case(barcodes, value=order_lines.c.ticket_id))
        )

    async def _lines_of(self, order_ids: list[str]) -> dict[str, list[OrderLine]]:
        if not order_ids:
            return {}
        rows = await self._conn.execute(
            select(
                order_lines,
                tickets.c.serial,
                tickets.c.number,
                tickets.c.seat_sector,
                tickets.c.seat_row,
                tickets.c.seat_number,
            )
            .join(tickets, tickets.c.id == order_lines.c.ticket_id)
            .where(order_lines.c.order_id.in_(order_ids))
            .order_by(order_lines.c.id)
        )
        found: dict[str, list[OrderLine]] = {}
        for row in rows:
            found.setdefault(row.order_id, []).append(_line(row))
        return found


def _filter(where: OrderFilter) -> Any:
    cond = [orders.c.org_id == where.org_id]
    if where.vendor_id is not None:
        cond.append(orders.c.vendor_id == where.vendor_id)
    if where.statuses:
        cond.append(orders.c.status.in_([s.value for s in where.statuses]))
    if where.event_ids:
        cond.append(orders.c.event_id.in_(list(where.event_ids)))
    if where.created_from is not None:
        cond.append(orders.c.created_at >= where.created_from)
    if where.created_to is not None:
        cond.append(orders.c.created_at <= where.created_to)
    if where.only_with_customer:
        # An order "with a customer" has the buyer's e-mail (v1 and v2 both keep it there).
        email = orders.c.customer["email"].as_string()
        cond.append(and_(email.is_not(None), email != ""))
    return and_(*cond)


_seat = hot.seat


def _claimed(rows: Any) -> list[ClaimedTicket]:
    claimed = [
        ClaimedTicket(id_, set_id, serial, number, _seat(sector, seat_row, seat_number))
        for id_, set_id, serial, number, sector, seat_row, seat_number in rows
    ]
    return sorted(claimed, key=lambda t: (t.set_id, t.number))


def _line(row: Row[Any]) -> OrderLine:
    return OrderLine(
        ticket_id=row.ticket_id,
        set_id=row.set_id,
        rule_id=row.rule_id,
        serial=row.serial,
        number=row.number,
        values=TicketValues(row.price, row.discount, row.nominal, row.extra, row.full),
        state=LineState(row.state),
        barcode=row.barcode,
        seat=_seat(row.seat_sector, row.seat_row, row.seat_number),
    )


def _order(row: Any, lines: list[OrderLine]) -> Order:
    return Order(
        id=row.id,
        number=row.number,
        event_id=row.event_id,
        org_id=row.org_id,
        vendor_id=row.vendor_id,
        status=OrderStatus(row.status),
        created_at=row.created_at,
        updated_at=row.updated_at,
        reserved_till=row.reserved_till,
        customer=dict(row.customer),
        payment=dict(row.payment),
        origin=row.origin,
        done_at=row.done_at,
        lines=lines,
        settings=dict(row.settings or {}),
        vendor_data=dict(row.vendor_data or {}),
        promocodes=list(row.promocodes or []),
        code=row.code,
    )


class InventoryRepo:
    """Ticket rows move vacant -> reserved -> sold, and back to vacant on release."""

    def __init__(self, conn: Tx) -> None:
        self._conn = conn

    async def claim_random(self, set_id: str, count: int, order_id: str) -> list[ClaimedTicket]:
        """Reserve up to `count` vacant tickets of a set. Rows other buyers hold are skipped,
        so concurrent buyers never wait on each other and never get the same ticket."""
        if count <= 0:
            return []
        # MATERIALIZED: the limited pick runs exactly once. As a plain `IN (subquery)` the
        # planner may re-run it per row (no statistics yet) and claim far more than `count`.
        rows = await hot.claim_random(self._conn, set_id, count, order_id)
        return _claimed(rows)

    async def claim_ids(
        self, event_id: str, ticket_ids: Sequence[str], order_id: str
    ) -> list[ClaimedTicket]:
        """Reserve exactly these tickets where they are still vacant."""
        if not ticket_ids:
            return []
        return await self._claim(
            and_(tickets.c.id.in_(sorted(ticket_ids)), tickets.c.event_id == event_id), order_id
        )

    async def _claim(self, which: Any, order_id: str) -> list[ClaimedTicket]:
        rows = await self._conn.execute(
            update(tickets)
            .where(which, tickets.c.status == TicketStatus.VACANT.value)
            .values(status=TicketStatus.RESERVED.value, order_id=order_id)
            .returning(
                tickets.c.id,
                tickets.c.set_id,
                tickets.c.serial,
                tickets.c.number,
                tickets.c.seat_sector,
                tickets.c.seat_row,
                tickets.c.seat_number,
            )
        )
        return _claimed(rows)

    async def release(self, order_id: str, ticket_ids: Sequence[str]) -> None:
        """The reverse of a claim or a sale: the tickets go back on sale."""
        if not ticket_ids:
            return
        await hot.release(self._conn, order_id, ticket_ids)

    async def sold_to(self, order_id: str, ticket_ids: Sequence[str]) -> set[str]:
        """Those of `ticket_ids` that are sold and still belong to the order."""
        if not ticket_ids:
            return set()
        rows = await self._conn.scalars(
            select(tickets.c.id).where(
                tickets.c.order_id == order_id,
                tickets.c.id.in_(sorted(ticket_ids)),
                tickets.c.status == TicketStatus.SOLD.value,
            )
        )
        return set(rows)

    async def sell(self, order_id: str, ticket_ids: Sequence[str]) -> None:
        """Held tickets of a paid order become sold."""
        if not ticket_ids:
            return
        await self._conn.stage(
            update(tickets)
            .where(tickets.c.order_id == order_id, tickets.c.id.in_(sorted(ticket_ids)))
            .values(status=TicketStatus.SOLD.value)
        )

    async def events_of(self, ticket_ids: Sequence[str]) -> dict[str, str]:
        """{ticket_id: event_id} for the ids that exist."""
        if not ticket_ids:
            return {}
        rows = await self._conn.execute(
            select(tickets.c.id, tickets.c.event_id).where(tickets.c.id.in_(list(ticket_ids)))
        )
        return {row.id: row.event_id for row in rows}
