"""Visitors' names on an order's tickets (Mosbilet)."""

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import delete, insert, select

from kassa.core.visitors import Visitor
from kassa.store.ticketing_tables import order_visitors
from kassa.store.tx import Tx


class VisitorsRepo:
    def __init__(self, conn: Tx) -> None:
        self._conn = conn

    async def replace(self, order_id: str, visitors: Sequence[Visitor], now: datetime) -> None:
        """The order's whole list, as sent last."""
        await self._conn.execute(
            delete(order_visitors).where(order_visitors.c.order_id == order_id)
        )
        if visitors:
            await self._conn.execute(
                insert(order_visitors),
                [
                    {
                        "order_id": order_id,
                        "position": position,
                        "ticket_id": v.ticket_id,
                        "user_id": v.user_id,
                        "name": v.name,
                        "surname": v.surname,
                        "middle_name": v.middle_name,
                        "created_at": now,
                    }
                    for position, v in enumerate(visitors)
                ],
            )

    async def of_order(self, order_id: str) -> list[Visitor]:
        rows = await self._conn.execute(
            select(order_visitors)
            .where(order_visitors.c.order_id == order_id)
            .order_by(order_visitors.c.position)
        )
        return [
            Visitor(row.user_id, row.name, row.surname, row.middle_name, row.ticket_id)
            for row in rows
        ]
