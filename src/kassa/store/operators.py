"""Operator accounts of the console and their signed-in sessions."""

from datetime import datetime

from sqlalchemy import case, delete, insert, literal, or_, select, update
from sqlalchemy.exc import DBAPIError

from kassa.core.errors import OperatorBusy
from kassa.core.operators import Operator, Session
from kassa.store.operator_tables import operator_sessions as sessions
from kassa.store.operator_tables import operators
from kassa.store.orders import LOCK_NOT_AVAILABLE
from kassa.store.tx import Tx
from kassa.store.types import UTCDateTime


def _operator(row: object) -> Operator:
    m = row._mapping  # type: ignore[attr-defined]
    return Operator(
        id=m["id"],
        org_id=m["org_id"],
        email=m["email"],
        name=m["name"],
        password_hash=m["password_hash"],
        role=m["role"],
        restaurant_id=m["restaurant_id"],
        shop_id=m["shop_id"],
        disabled=m["disabled_at"] is not None,
        failed_sign_ins=m["failed_sign_ins"],
        locked_until=m["locked_until"],
    )


class OperatorsRepo:
    def __init__(self, conn: Tx) -> None:
        self._conn = conn

    async def add(self, operator: Operator, now: datetime) -> None:
        await self._conn.execute(
            insert(operators).values(
                id=operator.id,
                org_id=operator.org_id,
                email=operator.email,
                name=operator.name,
                password_hash=operator.password_hash,
                role=operator.role,
                restaurant_id=operator.restaurant_id,
                shop_id=operator.shop_id,
                created_at=now,
                failed_sign_ins=0,
            )
        )

    async def by_email(self, email: str) -> Operator | None:
        row = (
            await self._conn.execute(select(operators).where(operators.c.email == email))
        ).first()
        return None if row is None else _operator(row)

    async def of_org(self, org_id: str) -> list[Operator]:
        rows = await self._conn.execute(
            select(operators).where(operators.c.org_id == org_id).order_by(operators.c.email)
        )
        return [_operator(row) for row in rows]

    async def set_password(self, operator_id: str, password_hash: str) -> None:
        await self._conn.execute(
            update(operators)
            .where(operators.c.id == operator_id)
            .values(password_hash=password_hash)
        )

    async def claim_sign_in(
        self, email: str, now: datetime, limit: int, lock_until: datetime
    ) -> Operator | None:
        """Count one sign-in attempt BEFORE its password is checked, in one statement, so a
        burst gets at most `limit` checks: the `limit`-th claim locks the account till
        `lock_until` (and starts the count again); a success resets it (`signed_in`). None
        when there is no such enabled account or it is locked."""
        reached = operators.c.failed_sign_ins + 1 >= limit
        claim = (
            update(operators)
            .where(
                operators.c.email == email,
                operators.c.disabled_at.is_(None),
                or_(operators.c.locked_until.is_(None), operators.c.locked_until <= now),
            )
            .values(
                failed_sign_ins=case((reached, 0), else_=operators.c.failed_sign_ins + 1),
                locked_until=case((reached, literal(lock_until, UTCDateTime)), else_=None),
            )
            .returning(*operators.c)
        )
        try:
            row = (await self._conn.execute(claim)).first()
        except DBAPIError as exc:
            if getattr(exc.orig, "sqlstate", None) == LOCK_NOT_AVAILABLE:
                raise OperatorBusy(f"operator {email} is being signed in to") from exc
            raise
        return None if row is None else _operator(row)

    async def signed_in(self, operator_id: str) -> None:
        await self._conn.execute(
            update(operators)
            .where(operators.c.id == operator_id)
            .values(failed_sign_ins=0, locked_until=None)
        )

    async def disable(self, operator_id: str, now: datetime) -> None:
        await self._conn.execute(
            update(operators).where(operators.c.id == operator_id).values(disabled_at=now)
        )
        await self._conn.execute(delete(sessions).where(sessions.c.operator_id == operator_id))

    async def open_session(
        self, token_hash: str, operator_id: str, csrf: str, now: datetime, expires_at: datetime
    ) -> None:
        await self._conn.execute(
            insert(sessions).values(
                token_hash=token_hash,
                operator_id=operator_id,
                csrf=csrf,
                created_at=now,
                expires_at=expires_at,
            )
        )

    async def session(self, token_hash: str, now: datetime) -> Session | None:
        """The live session behind a cookie, with its operator (a disabled one has none)."""
        row = (
            await self._conn.execute(
                select(operators, sessions.c.csrf, sessions.c.expires_at)
                .join(sessions, sessions.c.operator_id == operators.c.id)
                .where(
                    sessions.c.token_hash == token_hash,
                    sessions.c.expires_at > now,
                    operators.c.disabled_at.is_(None),
                )
            )
        ).first()
        if row is None:
            return None
        return Session(_operator(row), row._mapping["csrf"], row._mapping["expires_at"])

    async def close_other_sessions(self, operator_id: str, keep: str) -> None:
        await self._conn.execute(
            delete(sessions).where(
                sessions.c.operator_id == operator_id, sessions.c.token_hash != keep
            )
        )

    async def close_session(self, token_hash: str) -> None:
        await self._conn.execute(delete(sessions).where(sessions.c.token_hash == token_hash))

    async def drop_expired_sessions(self, now: datetime) -> None:
        await self._conn.execute(delete(sessions).where(sessions.c.expires_at <= now))
