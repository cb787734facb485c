"""Registered webhook endpoints and their delivery rows (pending, delivered, dead)."""

from datetime import datetime
from typing import Any

from sqlalchemy import Select, insert, select, update

from kassa.core.webhooks import Delivery, Endpoint
from kassa.store.tables import webhook_deliveries as deliveries
from kassa.store.tables import webhook_endpoints as endpoints
from kassa.store.tx import Tx
from kassa.store.types import fixed


class WebhookRepo:
    def __init__(self, conn: Tx, *, is_sqlite: bool) -> None:
        self._conn = conn
        self._is_sqlite = is_sqlite

    async def add_endpoint(self, endpoint: Endpoint, now: datetime) -> None:
        await self._conn.execute(
            insert(endpoints).values(
                id=endpoint.id,
                org_id=endpoint.org_id,
                url=endpoint.url,
                secret=endpoint.secret,
                events=list(endpoint.events),
                active=endpoint.active,
                created_at=now,
            )
        )

    async def endpoints_of(self, org_id: str) -> list[Endpoint]:
        rows = await self._conn.execute(
            select(endpoints).where(endpoints.c.org_id == org_id).order_by(endpoints.c.created_at)
        )
        return [_endpoint(r) for r in rows]

    async def endpoint(self, endpoint_id: str) -> Endpoint | None:
        row = (
            await self._conn.execute(select(endpoints).where(endpoints.c.id == endpoint_id))
        ).first()
        return _endpoint(row) if row else None

    async def deactivate(self, endpoint_id: str) -> None:
        await self._conn.execute(
            update(endpoints).where(endpoints.c.id == endpoint_id).values(active=False)
        )

    async def fan_out(
        self, endpoint_id: str, event_id: int, topic: str, payload: dict[str, Any], now: datetime
    ) -> None:
        """One delivery per event and endpoint, however often the event is fanned out."""
        exists = await self._conn.scalar(
            select(deliveries.c.id).where(
                deliveries.c.endpoint_id == endpoint_id, deliveries.c.event_id == event_id
            )
        )
        if exists is not None:
            return
        await self._conn.execute(
            insert(deliveries).values(
                endpoint_id=endpoint_id,
                event_id=event_id,
                topic=topic,
                payload=payload,
                state="pending",
                attempts=0,
                available_at=now,
                created_at=now,
            )
        )

    async def claim(self, now: datetime, limit: int) -> list[Delivery]:
        query = claim_query(now, limit, skip_locked=not self._is_sqlite)
        return [_delivery(r) for r in await self._conn.execute(query)]

    async def lease(self, ids: list[int], until: datetime) -> None:
        if ids:
            await self._conn.execute(
                update(deliveries).where(deliveries.c.id.in_(ids)).values(available_at=until)
            )

    async def delivered(self, delivery_id: int, now: datetime) -> None:
        await self._conn.execute(
            update(deliveries)
            .where(deliveries.c.id == delivery_id)
            .values(
                state="delivered",
                delivered_at=now,
                attempts=deliveries.c.attempts + 1,
                last_error=None,
            )
        )

    async def failed(self, delivery_id: int, error: str, retry_at: datetime | None) -> None:
        """Try again at `retry_at`, or (None) give up: a dead letter an operator may replay."""
        await self._conn.execute(
            update(deliveries)
            .where(deliveries.c.id == delivery_id)
            .values(
                state="pending" if retry_at else "dead",
                available_at=retry_at or deliveries.c.available_at,
                attempts=deliveries.c.attempts + 1,
                last_error=error[:2000],
            )
        )

    async def replay(self, delivery_id: int, now: datetime) -> None:
        await self._conn.execute(
            update(deliveries)
            .where(deliveries.c.id == delivery_id)
            .values(state="pending", available_at=now, created_at=now, attempts=0)
        )

    async def of_org(self, org_id: str, state: str | None, limit: int = 100) -> list[Delivery]:
        ids = select(endpoints.c.id).where(endpoints.c.org_id == org_id)
        query = select(deliveries).where(deliveries.c.endpoint_id.in_(ids))
        if state:
            query = query.where(deliveries.c.state == state)
        rows = await self._conn.execute(query.order_by(deliveries.c.id.desc()).limit(limit))
        return [_delivery(r) for r in rows]

    async def delivery(self, delivery_id: int) -> Delivery | None:
        row = (
            await self._conn.execute(select(deliveries).where(deliveries.c.id == delivery_id))
        ).first()
        return _delivery(row) if row else None


def claim_query(now: datetime, limit: int, *, skip_locked: bool) -> Select[Any]:
    """The oldest due pending deliveries, in id order from `ix_webhook_deliveries_due` (no
    sort of the whole backlog); `skip_locked` (PostgreSQL) skips rows another worker holds."""
    query = (
        select(deliveries)
        .where(deliveries.c.state == fixed("pending"), deliveries.c.available_at <= now)
        .order_by(deliveries.c.id)
        .limit(limit)
    )
    return query.with_for_update(skip_locked=True) if skip_locked else query


def _endpoint(r: Any) -> Endpoint:
    return Endpoint(r.id, r.org_id, r.url, r.secret, tuple(r.events), r.active, r.created_at)


def _delivery(r: Any) -> Delivery:
    return Delivery(
        r.id,
        r.endpoint_id,
        r.event_id,
        r.topic,
        dict(r.payload),
        r.state,
        r.attempts,
        r.created_at,
        r.available_at,
        r.delivered_at,
        r.last_error,
    )
