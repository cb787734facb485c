"""Buyer self-service rows: the generated secret, events' approval rule, cancellation requests."""

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Select, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from kassa.core.selfservice import CancellationRequest, RequestStatus
from kassa.store.selfservice_tables import (
    cancellation_requests,
    event_self_service,
    server_secrets,
)
from kassa.store.tx import Tx

_r = cancellation_requests.c


class SelfServiceRepo:
    def __init__(self, conn: Tx) -> None:
        self._conn = conn
        self._insert = sqlite_insert if conn.is_sqlite else pg_insert

    async def stored_secret(self, name: str) -> str | None:
        value = await self._conn.scalar(
            select(server_secrets.c.value).where(server_secrets.c.name == name)
        )
        return str(value) if value is not None else None

    async def secret(self, name: str, candidate: str, now: datetime) -> str:
        """The stored secret `name`; `candidate` is stored first if there is none (the first
        process to get here wins, every other reads its value)."""
        await self._conn.execute(
            self._insert(server_secrets)
            .values(name=name, value=candidate, created_at=now)
            .on_conflict_do_nothing(index_elements=["name"])
        )
        value = await self._conn.scalar(
            select(server_secrets.c.value).where(server_secrets.c.name == name)
        )
        return str(value)

    async def needs_approval(self, event_id: str) -> bool:
        found = await self._conn.scalar(
            select(event_self_service.c.needs_approval).where(
                event_self_service.c.event_id == event_id
            )
        )
        return bool(found)

    async def approval_events(self, org_id: str) -> set[str]:
        rows = await self._conn.execute(
            select(event_self_service.c.event_id).where(
                event_self_service.c.org_id == org_id, event_self_service.c.needs_approval
            )
        )
        return {row.event_id for row in rows}

    async def set_needs_approval(
        self, event_id: str, org_id: str, needs: bool, now: datetime
    ) -> None:
        statement = self._insert(event_self_service).values(
            event_id=event_id, org_id=org_id, needs_approval=needs, updated_at=now
        )
        await self._conn.execute(
            statement.on_conflict_do_update(
                index_elements=["event_id"],
                set_={"needs_approval": needs, "updated_at": now},
            )
        )

    async def add_request(self, request: CancellationRequest) -> None:
        await self._conn.execute(
            cancellation_requests.insert().values(
                id=request.id,
                order_id=request.order_id,
                org_id=request.org_id,
                event_id=request.event_id,
                tickets=list(request.tickets),
                comment=request.comment,
                status=request.status.value,
                requested_at=request.requested_at,
            )
        )

    async def request(self, request_id: str) -> CancellationRequest | None:
        row = (
            await self._conn.execute(select(cancellation_requests).where(_r.id == request_id))
        ).first()
        return _request(row) if row else None

    async def pending_of_order(self, order_id: str) -> CancellationRequest | None:
        row = (
            await self._conn.execute(
                select(cancellation_requests).where(
                    _r.order_id == order_id, _r.status == RequestStatus.PENDING.value
                )
            )
        ).first()
        return _request(row) if row else None

    async def requests(
        self, org_id: str, statuses: Sequence[RequestStatus], limit: int = 100
    ) -> list[CancellationRequest]:
        rows = await self._conn.execute(requests_query(org_id, statuses, limit))
        return [_request(row) for row in rows]

    async def decide(
        self, request_id: str, status: RequestStatus, by: str, reason: str | None, now: datetime
    ) -> bool:
        """Pending → `status`, once: False when it was decided already (by someone else)."""
        result = await self._conn.execute(
            update(cancellation_requests)
            .where(_r.id == request_id, _r.status == RequestStatus.PENDING.value)
            .values(status=status.value, decided_by=by, decision_reason=reason, decided_at=now)
        )
        return bool(result.rowcount)


def _request(row: Any) -> CancellationRequest:
    return CancellationRequest(
        id=row.id,
        order_id=row.order_id,
        org_id=row.org_id,
        event_id=row.event_id,
        tickets=tuple(row.tickets or ()),
        comment=row.comment,
        status=RequestStatus(row.status),
        requested_at=row.requested_at,
        decided_at=row.decided_at,
        decided_by=row.decided_by,
        decision_reason=row.decision_reason,
    )


def requests_query(org_id: str, statuses: Sequence[RequestStatus], limit: int) -> Select[Any]:
    """The organisation's requests in these statuses, newest first, read in that order from
    `ix_cancellation_requests_org_requested` (the decided ones are not sorted whole)."""
    return (
        select(cancellation_requests)
        .where(_r.org_id == org_id, _r.status.in_([s.value for s in statuses]))
        .order_by(_r.requested_at.desc(), _r.id.desc())
        .limit(limit)
    )
