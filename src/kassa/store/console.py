"""Read models of the operator console: one orders list across the three faces, set counts,
and the dashboard's aggregates. Every query is bounded by the operator's organisation."""

from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    String,
    and_,
    case,
    cast,
    func,
    literal,
    or_,
    select,
    union_all,
)
from sqlalchemy.sql import ColumnElement, Select

from kassa.core.console import STAGES, OrderFilter, OrderRow, SetCounts
from kassa.store.tables import (
    audit_log,
    delivery_orders,
    events,
    loyalty_members,
    loyalty_orders,
    loyalty_shops,
    order_lines,
    orders,
    restaurants,
    ticket_sets,
    tickets,
)
from kassa.store.tx import Tx
from kassa.store.types import BuyerEmail, BuyerPhone, DeliveryPhone

GONE = ("canceled", "expired", "CANCELLED", "cancelled")


def _digits(text: str) -> str:
    return "".join(c for c in text if c.isdigit())


class ConsoleRepo:
    def __init__(self, conn: Tx, *, is_sqlite: bool) -> None:
        self._conn = conn
        self._is_sqlite = is_sqlite

    # -- the orders list ------------------------------------------------------------------

    def _tickets(self, f: OrderFilter) -> Select[Any] | None:
        if f.face not in (None, "tickets") or f.restaurant_id or f.shop_id:
            return None
        email = BuyerEmail(orders.c.customer)
        phone = BuyerPhone(orders.c.customer)
        where: list[ColumnElement[bool]] = [orders.c.org_id == f.org_id]
        if f.query:
            q = f.query.strip()
            options: list[ColumnElement[bool]] = [
                orders.c.id == q.lower(),
                email == q.lower(),
            ]
            if q.isdigit() and len(q) < 18:
                options.append(orders.c.number == int(q))
            if len(_digits(q)) >= 10:
                options.append(phone == _digits(q))
            where.append(or_(*options))
        if f.stage:
            where.append(orders.c.status.in_(STAGES[f.stage]["tickets"]))
        if f.event_id:
            where.append(orders.c.event_id == f.event_id)
        return self._dated(
            select(
                literal("tickets").label("face"),
                orders.c.id,
                cast(orders.c.number, String).label("number"),
                orders.c.status,
                orders.c.created_at,
                func.coalesce(
                    orders.c.customer["email"].as_string(),
                    orders.c.customer["phone"].as_string(),
                    "",
                ).label("buyer"),
                events.c.title.label("place"),
            )
            .select_from(orders.join(events, events.c.id == orders.c.event_id))
            .where(*where),
            orders.c.created_at,
            f,
        )

    def _delivery(self, f: OrderFilter) -> Select[Any] | None:
        if f.face not in (None, "delivery") or f.event_id or f.shop_id:
            return None
        phone = DeliveryPhone(delivery_orders.c.request)
        name = delivery_orders.c.request[("deliveryInfo", "clientName")].as_string()
        where: list[ColumnElement[bool]] = [delivery_orders.c.org_id == f.org_id]
        if f.restaurant_id:
            where.append(delivery_orders.c.restaurant_id == f.restaurant_id)
        if f.query:
            q = f.query.strip()
            options: list[ColumnElement[bool]] = [
                delivery_orders.c.id == q,
                delivery_orders.c.eats_id == q,
            ]
            if len(_digits(q)) >= 10:
                options.append(phone == _digits(q))
            where.append(or_(*options))
        if f.stage:
            where.append(delivery_orders.c.status.in_(STAGES[f.stage]["delivery"]))
        return self._dated(
            select(
                literal("delivery").label("face"),
                delivery_orders.c.id,
                delivery_orders.c.eats_id.label("number"),
                delivery_orders.c.status,
                delivery_orders.c.created_at,
                func.coalesce(
                    name,
                    delivery_orders.c.request[("deliveryInfo", "phoneNumber")].as_string(),
                    "",
                ).label("buyer"),
                restaurants.c.title.label("place"),
            )
            .select_from(
                delivery_orders.join(
                    restaurants, restaurants.c.id == delivery_orders.c.restaurant_id
                )
            )
            .where(*where),
            delivery_orders.c.created_at,
            f,
        )

    def _loyalty(self, f: OrderFilter) -> Select[Any] | None:
        if f.face not in (None, "loyalty") or f.event_id or f.restaurant_id:
            return None
        where: list[ColumnElement[bool]] = [loyalty_shops.c.org_id == f.org_id]
        if f.shop_id:
            where.append(loyalty_orders.c.shop_id == f.shop_id)
        if f.query:
            q = f.query.strip()
            options: list[ColumnElement[bool]] = [
                loyalty_orders.c.id == q,
                loyalty_orders.c.order_id == q,
            ]
            if len(_digits(q)) >= 10:
                options.append(loyalty_members.c.identifier == _digits(q)[-11:])
            where.append(or_(*options))
        if f.stage:
            where.append(loyalty_orders.c.status.in_(STAGES[f.stage]["loyalty"]))
        return self._dated(
            select(
                literal("loyalty").label("face"),
                loyalty_orders.c.id,
                loyalty_orders.c.order_id.label("number"),
                loyalty_orders.c.status,
                loyalty_orders.c.created_at,
                func.coalesce(loyalty_members.c.identifier, "").label("buyer"),
                loyalty_shops.c.name.label("place"),
            )
            .select_from(
                loyalty_orders.join(
                    loyalty_shops, loyalty_shops.c.id == loyalty_orders.c.shop_id
                ).outerjoin(loyalty_members, loyalty_members.c.id == loyalty_orders.c.member_id)
            )
            .where(*where),
            loyalty_orders.c.created_at,
            f,
        )

    @staticmethod
    def _dated(query: Select[Any], column: Any, f: OrderFilter) -> Select[Any]:
        if f.since is not None:
            query = query.where(column >= f.since)
        if f.until is not None:
            query = query.where(column < f.until)
        return query

    async def search(self, f: OrderFilter, *, offset: int, limit: int) -> list[OrderRow]:
        """Newest first. Each face's part is cut to offset+limit rows on its own index before
        they meet, so a page costs the same on 100 orders or 100,000."""
        found = (self._tickets(f), self._delivery(f), self._loyalty(f))
        parts = [p for p in found if p is not None]
        if not parts:
            return []
        cut = [
            p.order_by(p.selected_columns.created_at.desc()).limit(offset + limit) for p in parts
        ]
        if len(cut) == 1:
            query = cut[0].subquery()
        else:
            query = union_all(*(c.subquery().select() for c in cut)).subquery()
        rows = await self._conn.execute(
            select(query)
            .order_by(query.c.created_at.desc(), query.c.id.desc())
            .offset(offset)
            .limit(limit)
        )
        return [
            OrderRow(
                face=r.face,
                id=r.id,
                number=str(r.number),
                status=r.status,
                created_at=_aware(r.created_at),
                buyer=r.buyer or "",
                where=r.place or "",
            )
            for r in rows
        ]

    # -- events and sets ------------------------------------------------------------------

    async def set_counts(self, event_ids: list[str]) -> list[SetCounts]:
        """Live counts per set: tickets by status, and tickets cancelled out of orders."""
        if not event_ids:
            return []
        by_status = (
            select(
                tickets.c.set_id,
                func.sum(case((tickets.c.status == "vacant", 1), else_=0)).label("vacant"),
                func.sum(case((tickets.c.status == "reserved", 1), else_=0)).label("reserved"),
                func.sum(case((tickets.c.status == "sold", 1), else_=0)).label("sold"),
                func.sum(case((tickets.c.status == "offered", 1), else_=0)).label("offered"),
            )
            .where(tickets.c.event_id.in_(event_ids))
            .group_by(tickets.c.set_id)
            .subquery()
        )
        cancelled = (
            select(order_lines.c.set_id, func.count().label("cancelled"))
            .where(order_lines.c.state.in_(("canceled", "refunded")))
            .where(
                order_lines.c.set_id.in_(
                    select(ticket_sets.c.id).where(ticket_sets.c.event_id.in_(event_ids))
                )
            )
            .group_by(order_lines.c.set_id)
            .subquery()
        )
        rows = await self._conn.execute(
            select(
                ticket_sets,
                func.coalesce(by_status.c.vacant, 0).label("vacant"),
                func.coalesce(by_status.c.reserved, 0).label("reserved"),
                func.coalesce(by_status.c.sold, 0).label("sold"),
                func.coalesce(by_status.c.offered, 0).label("offered"),
                func.coalesce(cancelled.c.cancelled, 0).label("cancelled"),
            )
            .select_from(
                ticket_sets.outerjoin(by_status, by_status.c.set_id == ticket_sets.c.id).outerjoin(
                    cancelled, cancelled.c.set_id == ticket_sets.c.id
                )
            )
            .where(ticket_sets.c.event_id.in_(event_ids))
            .order_by(ticket_sets.c.event_id, ticket_sets.c.position, ticket_sets.c.id)
        )
        return [
            SetCounts(
                event_id=r.event_id,
                set_id=r.id,
                name=r.name,
                price=r.price,
                capacity=r.capacity,
                vacant=int(r.vacant),
                reserved=int(r.reserved),
                sold=int(r.sold),
                cancelled=int(r.cancelled),
                offered=int(r.offered),
            )
            for r in rows
        ]

    # -- the dashboard --------------------------------------------------------------------

    def _org_orders(self, scope: OrderFilter) -> Any:
        """Every order id the scope sees: the organisation's, or one restaurant's or shop's."""
        parts: list[Select[Any]] = []
        if scope.restaurant_id is None and scope.shop_id is None:
            parts.append(select(orders.c.id.label("id")).where(orders.c.org_id == scope.org_id))
        if scope.shop_id is None:
            query = select(delivery_orders.c.id.label("id")).where(
                delivery_orders.c.org_id == scope.org_id
            )
            if scope.restaurant_id is not None:
                query = query.where(delivery_orders.c.restaurant_id == scope.restaurant_id)
            parts.append(query)
        if scope.restaurant_id is None:
            query = (
                select(loyalty_orders.c.id.label("id"))
                .join(loyalty_shops, loyalty_shops.c.id == loyalty_orders.c.shop_id)
                .where(loyalty_shops.c.org_id == scope.org_id)
            )
            if scope.shop_id is not None:
                query = query.where(loyalty_orders.c.shop_id == scope.shop_id)
            parts.append(query)
        return union_all(*parts).subquery()

    def _audit_of(self, scope: OrderFilter) -> list[ColumnElement[bool]]:
        """The scope's audit rows: the organisation's, by `ix_audit_log_org_at` with the time
        (not among every order it ever had); of those, a restaurant's or a shop's orders."""
        cond = [audit_log.c.org_id == scope.org_id]
        if scope.restaurant_id is not None or scope.shop_id is not None:
            cond.append(audit_log.c.order_id.in_(select(self._org_orders(scope).c.id)))
        return cond

    def _day(self, column: Any) -> Any:
        return (
            func.substr(column, 1, 10)
            if self._is_sqlite
            else func.to_char(func.timezone("UTC", column), "YYYY-MM-DD")
        )

    async def daily(self, scope: OrderFilter, since: datetime) -> dict[str, tuple[int, int]]:
        """Per UTC day: orders that reached done (sold) and orders cancelled or expired."""
        rows = await self._conn.execute(self.daily_query(scope, since))
        return {str(r.day): (int(r.sales), int(r.gone)) for r in rows}

    def daily_query(self, scope: OrderFilter, since: datetime) -> Select[Any]:
        """`daily`'s one statement."""
        moved = or_(
            audit_log.c.from_status.is_(None), audit_log.c.from_status != audit_log.c.to_status
        )
        done = and_(moved, audit_log.c.to_status.in_(("done", "DELIVERED", "fulfilled")))
        gone = or_(
            and_(moved, audit_log.c.to_status.in_(GONE)),
            audit_log.c.action == "order.partially_canceled",
        )
        day = self._day(audit_log.c.at).label("day")
        return (
            select(
                day,
                func.sum(case((done, 1), else_=0)).label("sales"),
                func.sum(case((gone, 1), else_=0)).label("gone"),
            )
            .where(*self._audit_of(scope), audit_log.c.at >= since)
            .where(or_(done, gone))
            .group_by(day)
        )

    async def cancel_reasons(self, scope: OrderFilter, since: datetime) -> list[tuple[str, int]]:
        """Cancellations by reason (the code before any free text), most frequent first."""
        moved = or_(
            audit_log.c.from_status.is_(None), audit_log.c.from_status != audit_log.c.to_status
        )
        gone = or_(
            and_(moved, audit_log.c.to_status.in_(GONE)),
            audit_log.c.action == "order.partially_canceled",
        )
        rows = await self._conn.execute(
            select(audit_log.c.reason, audit_log.c.to_status, audit_log.c.actor).where(
                *self._audit_of(scope), audit_log.c.at >= since, gone
            )
        )
        counts: dict[str, int] = {}
        for r in rows:
            code = (r.reason or "").split(":", 1)[0].strip()
            if not code:
                code = "expired" if r.to_status == "expired" else "unspecified"
            counts[code] = counts.get(code, 0) + 1
        return sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))

    async def ticket_money(
        self, org_id: str, since: datetime
    ) -> list[tuple[str, Decimal, Decimal]]:
        """Per event: revenue of tickets sold (still held by buyers) and money refunded, for
        orders made since `since`. Sums happen in Python: SQLite keeps amounts as text."""
        rows = await self._conn.execute(
            select(events.c.title, order_lines.c.state, order_lines.c.full)
            .select_from(
                order_lines.join(orders, orders.c.id == order_lines.c.order_id).join(
                    events, events.c.id == orders.c.event_id
                )
            )
            .where(
                orders.c.org_id == org_id,
                orders.c.created_at >= since,
                or_(
                    and_(orders.c.status == "done", order_lines.c.state == "active"),
                    order_lines.c.state == "refunded",
                ),
            )
        )
        totals: dict[str, list[Decimal]] = {}
        for r in rows:
            slot = totals.setdefault(r.title, [Decimal(0), Decimal(0)])
            slot[0 if r.state == "active" else 1] += r.full
        return sorted(((k, v[0], v[1]) for k, v in totals.items()), key=lambda x: x[0])

    async def delivery_outcomes(
        self, org_id: str, since: datetime
    ) -> list[tuple[str, str, list[dict[str, Any]]]]:
        """Delivered and cancelled delivery orders last changed since `since`: restaurant,
        status, lines."""
        rows = await self._conn.execute(
            select(
                delivery_orders.c.restaurant_id, delivery_orders.c.status, delivery_orders.c.lines
            ).where(
                delivery_orders.c.org_id == org_id,
                delivery_orders.c.updated_at >= since,
                delivery_orders.c.status.in_(("DELIVERED", "CANCELLED")),
            )
        )
        return [(r.restaurant_id, r.status, r.lines) for r in rows]

    async def loyalty_totals(self, org_id: str, since: datetime) -> list[tuple[str, Decimal, int]]:
        """Per shop: money to pay of fulfilled orders, and the number cancelled, since."""
        rows = await self._conn.execute(
            select(loyalty_shops.c.name, loyalty_orders.c.status, loyalty_orders.c.result)
            .join(loyalty_shops, loyalty_shops.c.id == loyalty_orders.c.shop_id)
            .where(
                loyalty_shops.c.org_id == org_id,
                loyalty_orders.c.updated_at >= since,
                loyalty_orders.c.status.in_(("fulfilled", "cancelled")),
            )
        )
        totals: dict[str, list[Any]] = {}
        for r in rows:
            slot = totals.setdefault(r.name, [Decimal(0), 0])
            if r.status == "fulfilled":
                slot[0] += Decimal(str((r.result or {}).get("order_to_pay") or 0))
            else:
                slot[1] += 1
        return sorted((k, v[0], v[1]) for k, v in totals.items())


def _aware(value: Any) -> datetime:
    from kassa.store.types import UTCDateTime

    converted = UTCDateTime().process_result_value(value, None)  # type: ignore[arg-type]
    assert converted is not None
    return converted
