"""What an operator's monitoring reads: a few aggregates over every organisation, and the
schema's revision.

Each query is one cheap aggregate a scrape can afford every few seconds: the open orders and
the undelivered outbox rows, the failing and the dead webhook deliveries are read through
partial indexes, cancellations through the audit log's action index. Only the
orders-by-status counts read the order tables whole.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import (
    Column,
    ColumnElement,
    MetaData,
    Select,
    String,
    Table,
    and_,
    case,
    func,
    inspect,
    or_,
    select,
)

from kassa.store.tables import (
    audit_log,
    delivery_orders,
    loyalty_orders,
    order_lines,
    orders,
    outbox,
    webhook_deliveries,
)
from kassa.store.tx import Tx
from kassa.store.types import fixed

# The order tables, by the face that takes their orders.
ORDER_TABLES: Mapping[str, Table] = {
    "ticketing": orders,
    "delivery": delivery_orders,
    "loyalty": loyalty_orders,
}
OPEN_STATUSES = ("executed", "in_progress")
# Alembic's own table (not part of the schema's metadata): one row, the revision.
ALEMBIC_VERSION = Table(
    "alembic_version", MetaData(), Column("version_num", String(32))
)  # ticket orders holding their tickets, unpaid


@dataclass(frozen=True)
class OutboxFigures:
    backlog: int  # messages not delivered yet
    oldest_at: datetime | None  # when the oldest of them was written
    failing: int  # of them, the ones tried and failed at least once


@dataclass(frozen=True)
class WebhookFigures:
    failing: int  # deliveries to registered endpoints being retried after a failure
    dead: int  # deliveries given up on (dead letters), until an operator replays them


class OpsRepo:
    def __init__(self, conn: Tx, *, is_sqlite: bool) -> None:
        self._conn = conn
        self._is_sqlite = is_sqlite

    async def orders_by_status(self) -> dict[tuple[str, str], int]:
        """(face, status) -> how many orders of that face are in that status."""
        counts: dict[tuple[str, str], int] = {}
        for face, table in ORDER_TABLES.items():
            rows = await self._conn.execute(
                select(table.c.status, func.count()).group_by(table.c.status)
            )
            counts.update({(face, status): n for status, n in rows})
        return counts

    async def held(self) -> tuple[int, int]:
        """(open ticket orders, tickets they hold): reservations not yet paid or released."""
        open_orders = await self._conn.scalar(
            select(func.count()).select_from(orders).where(orders.c.status.in_(OPEN_STATUSES))
        )
        tickets = await self._conn.scalar(
            select(func.count())
            .select_from(order_lines.join(orders, orders.c.id == order_lines.c.order_id))
            .where(orders.c.status.in_(OPEN_STATUSES), order_lines.c.state == "active")
        )
        return int(open_orders or 0), int(tickets or 0)

    async def cancellations(
        self, actions: Mapping[str, str], with_reason: Mapping[str, str]
    ) -> dict[tuple[str, str | None], int]:
        """(face, reason code) -> timeline entries of these actions (action -> face); the
        `with_reason` actions count only when the entry gives a reason."""
        code = self._reason_code(audit_log.c.reason)
        wanted = or_(
            audit_log.c.action.in_(list(actions)),
            and_(audit_log.c.action.in_(list(with_reason)), audit_log.c.reason.is_not(None)),
        )
        rows = await self._conn.execute(
            select(audit_log.c.action, code, func.count())
            .where(wanted)
            .group_by(audit_log.c.action, code)
        )
        faces = {**actions, **with_reason}
        counts: dict[tuple[str, str | None], int] = {}
        for action, reason, n in rows:
            key = (faces[action], reason.strip() if reason else None)
            counts[key] = counts.get(key, 0) + n
        return counts

    def _reason_code(self, reason: Any) -> ColumnElement[Any]:
        """The code of a stored reason (`code: comment` or `code`), in SQL: grouping by the
        whole text would return one row per free-text comment."""
        if self._is_sqlite:
            cut = func.instr(reason, ":")
            return case((cut > 0, func.substr(reason, 1, cut - 1)), else_=reason)
        return func.split_part(reason, ":", 1)

    async def outbox(self) -> OutboxFigures:
        failed = func.coalesce(func.sum(case((outbox.c.attempts > 0, 1), else_=0)), 0)
        row = (
            await self._conn.execute(
                select(func.count(), func.min(outbox.c.created_at), failed).where(
                    outbox.c.delivered_at.is_(None)
                )
            )
        ).one()
        return OutboxFigures(int(row[0]), row[1], int(row[2]))

    async def webhooks(self) -> WebhookFigures:
        deliveries = webhook_deliveries.c
        failing = await self._conn.scalar(
            select(func.count()).where(
                deliveries.state == fixed("pending"), deliveries.attempts > 0
            )
        )
        dead = await self._conn.scalar(dead_count_query())
        return WebhookFigures(int(failing or 0), int(dead or 0))

    async def schema_revision(self) -> str | None:
        """The Alembic revision the database is at; None if it was never migrated. Read from
        Alembic's version table directly: its MigrationContext logs two lines a call."""
        has_table = await self._conn.conn.run_sync(
            lambda sync: inspect(sync).has_table(ALEMBIC_VERSION.name)
        )
        if not has_table:
            return None
        revisions = list(await self._conn.scalars(select(ALEMBIC_VERSION.c.version_num)))
        return revisions[0] if len(revisions) == 1 else None


def dead_count_query() -> Select[Any]:
    """The dead webhook deliveries, counted from their own index (`ix_webhook_deliveries_dead`:
    the state a literal its predicate matches), not over every delivery ever made."""
    return select(func.count()).where(webhook_deliveries.c.state == fixed("dead"))
