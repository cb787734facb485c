"""Storage of cancellation policies: one row per owner (event, restaurant, shop) and terms."""

from collections.abc import Mapping, Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import ColumnElement, and_, delete, insert, select

from kassa.core.cancellation.policy import FREE, Policy, Scope, Terms
from kassa.store.policy_tables import cancellation_policies as table
from kassa.store.raw import Sql, required_time
from kassa.store.tx import Tx

# An event's start and its policy's rows (none: no policy), in one read (a ticket cancel under
# the event's policy needs both). `terms` is NULL on the one row of an event without a policy.
_EVENT_POLICY = Sql(
    "SELECT e.starts_at, p.terms, p.allowed, p.deadline_hours, p.fixed_fee, p.percent, "
    "p.per_ticket, p.keep_service_fee, p.updated_at FROM events e "
    "LEFT JOIN cancellation_policies p ON p.scope = 'event' AND p.scope_id = e.id "
    "WHERE e.id = $1"
)
_EVENT_POLICY_TERMS = (
    "terms",
    "allowed",
    "deadline_hours",
    "fixed_fee",
    "percent",
    "per_ticket",
    "keep_service_fee",
    "updated_at",
)


# The same, as columns of a statement that reads an order (`orders_hot.ONE_WITH_POLICY`,
# joined on `o.event_id`): the event's start, then each terms' columns, unpaid then paid
# (a policy has one row of each, `put`). One row per order row, so a cancel under the policy
# reads its order and the policy in one round trip.
_TERMS = ("unpaid", "paid")
EVENT_POLICY_COLUMNS = "e.starts_at, " + ", ".join(
    f"p{terms[0]}.{column}" for terms in _TERMS for column in _EVENT_POLICY_TERMS
)
EVENT_POLICY_JOINS = " LEFT OUTER JOIN events e ON e.id = o.event_id" + "".join(
    f" LEFT OUTER JOIN cancellation_policies p{terms[0]} ON p{terms[0]}.scope = 'event'"
    f" AND p{terms[0]}.scope_id = o.event_id AND p{terms[0]}.terms = '{terms}'"
    for terms in _TERMS
)
EVENT_POLICY_WIDTH = 1 + len(_TERMS) * len(_EVENT_POLICY_TERMS)


def event_policy_of(event_id: str, values: Sequence[Any]) -> tuple[datetime, Policy | None] | None:
    """The event's start and policy from `EVENT_POLICY_COLUMNS`' values (None: no event)."""
    if values[0] is None:
        return None
    width = len(_EVENT_POLICY_TERMS)
    rows = [
        dict(zip(_EVENT_POLICY_TERMS, values[1 + n * width : 1 + (n + 1) * width], strict=True))
        for n in range(len(_TERMS))
    ]
    found = [row for row in rows if row["terms"] is not None]
    return required_time(values[0]), _policy(Scope.EVENT, event_id, found)


class PoliciesRepo:
    def __init__(self, conn: Tx) -> None:
        self._conn = conn

    async def get(self, scope: Scope, scope_id: str) -> Policy | None:
        """The policy of this owner; None when it has none (cancels are free)."""
        rows = (await self._conn.execute(select(table).where(_owner(scope, scope_id)))).all()
        return _policy(scope, scope_id, [row._mapping for row in rows])

    async def of_event(self, event_id: str) -> tuple[datetime, Policy | None] | None:
        """The event's start and its policy (None: it has none), in one read; None when there
        is no such event. Read with the order when the order's read asked for it
        (`OrdersRepo.lock(..., policy=True)`), else now."""
        ahead: tuple[datetime, Policy | None] | None = self._conn.event_policies.pop(event_id, None)
        if ahead is not None:
            return ahead
        rows = await self._conn.fetch(_EVENT_POLICY, (event_id,))
        if not rows:
            return None
        terms = [dict(zip(_EVENT_POLICY_TERMS, row[1:], strict=True)) for row in rows]
        found = [row for row in terms if row["terms"] is not None]
        return required_time(rows[0][0]), _policy(Scope.EVENT, event_id, found)

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


def _policy(scope: Scope, scope_id: str, rows: Sequence[Mapping[Any, Any]]) -> Policy | None:
    """The policy of the owner's rows (one per terms); None when it has none."""
    if not rows:
        return None
    found = {row["terms"]: _terms(row) for row in rows}
    return Policy(
        scope,
        scope_id,
        unpaid=found.get("unpaid", FREE),
        paid=found.get("paid", FREE),
        updated_at=max(required_time(row["updated_at"]) for row in rows),
    )


def _terms(row: Mapping[Any, Any]) -> Terms:
    """The terms of a row, read by SQLAlchemy or by plain SQL (where SQLite gives decimals as
    text and booleans as 0/1)."""
    return Terms(
        allowed=bool(row["allowed"]),
        deadline_hours=row["deadline_hours"],
        fixed_fee=Decimal(row["fixed_fee"]),
        percent=Decimal(row["percent"]),
        per_ticket=Decimal(row["per_ticket"]),
        keep_service_fee=bool(row["keep_service_fee"]),
    )
