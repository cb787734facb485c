"""Storage of certificate pools and of certificates' life (issue, activate, block, ...)."""

from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Row, insert, select, update
from sqlalchemy.exc import IntegrityError

from kassa.core.certificates import Pool
from kassa.core.errors import LoyaltyInvalid
from kassa.core.loyalty_orders import CertificateRow
from kassa.store.loyalty_tables import loyalty_certificate_pools
from kassa.store.tables import loyalty_certificates, loyalty_ledger, loyalty_orders
from kassa.store.tx import Tx

_POOL_FIELDS = (
    "code",
    "name",
    "description",
    "status",
    "nominal",
    "flexible_nominal",
    "max_flexible_nominal",
    "personal",
    "promo",
    "expiration_days",
    "activation_delay",
    "min_order_value",
    "payable_order_share",
)
_LIFE = (
    "amount",
    "expires_at",
    "status",
    "owner_identifier",
    "owner_name",
    "buyer_identifier",
    "activated_at",
    "deactivated_at",
    "planned_activation_at",
)


class CertificatesRepo:
    def __init__(self, conn: Tx) -> None:
        self._conn = conn

    async def add_pool(self, pool: Pool, now: datetime) -> None:
        try:
            await self._conn.execute(
                insert(loyalty_certificate_pools).values(
                    id=pool.id,
                    shop_id=pool.shop_id,
                    created_at=now,
                    **{f: getattr(pool, f) for f in _POOL_FIELDS},
                )
            )
        except IntegrityError as exc:
            raise LoyaltyInvalid(f"Pool {pool.code} already exists") from exc

    async def pool(
        self, shop_id: str, *, code: str | None = None, pool_id: str | None = None
    ) -> Pool | None:
        table = loyalty_certificate_pools
        cond = [table.c.shop_id == shop_id]
        if code is not None:
            cond.append(table.c.code == code)
        if pool_id is not None:
            cond.append(table.c.id == pool_id)
        row = (await self._conn.execute(select(table).where(*cond))).first()
        return _pool(row) if row is not None else None

    async def add(self, shop_id: str, cert: CertificateRow, now: datetime) -> None:
        try:
            await self._conn.execute(
                insert(loyalty_certificates).values(
                    id=cert.id,
                    shop_id=shop_id,
                    code=cert.code,
                    pool_id=cert.pool_id,
                    created_at=now,
                    **{f: getattr(cert, f) for f in _LIFE},
                )
            )
        except IntegrityError as exc:
            raise LoyaltyInvalid("Certificate already exists") from exc

    async def get(self, shop_id: str, code: str, *, lock: bool = False) -> CertificateRow | None:
        query = select(loyalty_certificates).where(
            loyalty_certificates.c.shop_id == shop_id, loyalty_certificates.c.code == code
        )
        if lock:
            query = query.with_for_update()
        row = (await self._conn.execute(query)).first()
        return certificate_of(row) if row is not None else None

    async def save(self, cert: CertificateRow) -> None:
        await self._conn.execute(
            update(loyalty_certificates)
            .where(loyalty_certificates.c.id == cert.id)
            .values(**{f: getattr(cert, f) for f in _LIFE})
        )

    async def owned_by(self, shop_id: str, identifier: str) -> list[CertificateRow]:
        rows = await self._conn.execute(
            select(loyalty_certificates)
            .where(
                loyalty_certificates.c.shop_id == shop_id,
                loyalty_certificates.c.owner_identifier == identifier,
            )
            .order_by(loyalty_certificates.c.created_at, loyalty_certificates.c.id)
        )
        return [certificate_of(r) for r in rows]

    async def of_pool(
        self, pool_id: str, event: str, since: datetime, until: datetime
    ) -> list[CertificateRow]:
        """The pool's certificates whose `event` (created|activated|deactivated) fell in
        [since, until)."""
        column = {
            "created": loyalty_certificates.c.created_at,
            "activated": loyalty_certificates.c.activated_at,
            "deactivated": loyalty_certificates.c.deactivated_at,
        }[event]
        rows = await self._conn.execute(
            select(loyalty_certificates)
            .where(loyalty_certificates.c.pool_id == pool_id, column >= since, column < until)
            .order_by(column, loyalty_certificates.c.id)
            .limit(10_000)
        )
        return [certificate_of(r) for r in rows]

    async def transactions(self, shop_id: str, cert: CertificateRow) -> list[dict[str, Any]]:
        """The certificate's ledger rows, each with the buyer of its order."""
        rows = await self._conn.execute(
            select(loyalty_ledger, loyalty_orders.c.request)
            .select_from(
                loyalty_ledger.outerjoin(
                    loyalty_orders,
                    (loyalty_orders.c.shop_id == loyalty_ledger.c.shop_id)
                    & (loyalty_orders.c.order_id == loyalty_ledger.c.order_id),
                )
            )
            .where(loyalty_ledger.c.certificate_id == cert.id)
            .order_by(loyalty_ledger.c.id)
        )
        return [
            {
                "id": r.id,
                "amount": Decimal(r.amount),
                "event": "order" if Decimal(r.amount) < 0 else "refund",
                "order_id": r.order_id,
                "identifier": (r.request or {}).get("identifier"),
                "product_id": None,
            }
            for r in rows
        ]


def certificate_of(r: Row[Any]) -> CertificateRow:
    return CertificateRow(
        r.id,
        r.code,
        Decimal(r.amount),
        r.expires_at,
        r.status,
        r.pool_id,
        r.owner_identifier,
        r.owner_name,
        r.buyer_identifier,
        r.created_at,
        r.activated_at,
        r.deactivated_at,
        r.planned_activation_at,
    )


def _pool(r: Row[Any]) -> Pool:
    return Pool(
        r.id,
        r.shop_id,
        r.code,
        r.name,
        r.description,
        Decimal(r.nominal),
        r.flexible_nominal,
        Decimal(r.max_flexible_nominal) if r.max_flexible_nominal is not None else None,
        r.personal,
        r.promo,
        r.expiration_days,
        r.activation_delay,
        Decimal(r.min_order_value),
        r.payable_order_share,
        r.status,
    )
