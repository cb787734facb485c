"""Storage of cancellation policies: one row per owner (event, restaurant, shop) and terms."""

from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Row, and_, delete, insert, select

from kassa.core.cancellation.policy import FREE, Policy, Scope, Terms
from kassa.store.policy_tables import cancellation_policies as table
from kassa.store.tx import Tx


class PoliciesRepo:
    def __init__(self, conn: Tx) -> None:
        self._conn = conn

    async def get(self, scope: Scope, scope_id: str) -> Policy | None:
        """The policy of this owner; None when it has none (cancels are free)."""
        rows = (await self._conn.execute(select(table).where(_owner(scope, scope_id)))).all()
        if not rows:
            return None
        found = {row.terms: _terms(row) for row in rows}
        return Policy(
            scope,
            scope_id,
            unpaid=found.get("unpaid", FREE),
            paid=found.get("paid", FREE),
            updated_at=max(row.updated_at for row in rows),
        )

    async def put(self, org_id: str, policy: Policy, now: datetime, by: str) -> None:
        """Replace the owner's policy whole."""
        await self.remove(policy.scope, policy.scope_id)
        for name, terms in (("unpaid", policy.unpaid), ("paid", policy.paid)):
            await self._conn.execute(
                insert(table).values(
                    scope=policy.scope.value,
                    scope_id=policy.scope_id,
                    terms=name,
                    org_id=org_id,
                    **_row(terms),
                    updated_at=now,
                    updated_by=by,
                )
            )

    async def remove(self, scope: Scope, scope_id: str) -> bool:
        """Drop the owner's policy; False when it had none."""
        result = await self._conn.execute(delete(table).where(_owner(scope, scope_id)))
        return bool(result.rowcount)


def _owner(scope: Scope, scope_id: str) -> ColumnElement[bool]:
    return and_(table.c.scope == scope.value, table.c.scope_id == scope_id)


def _row(terms: Terms) -> dict[str, Any]:
    return {
        "allowed": terms.allowed,
        "deadline_hours": terms.deadline_hours,
        "fixed_fee": terms.fixed_fee,
        "percent": terms.percent,
        "per_ticket": terms.per_ticket,
        "keep_service_fee": terms.keep_service_fee,
    }


def _terms(row: Row[Any]) -> Terms:
    return Terms(
        allowed=bool(row.allowed),
        deadline_hours=row.deadline_hours,
        fixed_fee=row.fixed_fee,
        percent=row.percent,
        per_ticket=row.per_ticket,
        keep_service_fee=bool(row.keep_service_fee),
    )
