"""`POST /sync/orders`: the shop's own orders into its CDP record (rules in
`kassa.core.cdp_orders`). One transaction per call; an order that cannot be taken is
reported back by its position and id, the others are kept. Never a loyalty effect."""

import json
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from kassa.core.cdp_orders import MAX_ORDERS, CdpInvalid, synced
from kassa.core.errors import LoyaltyInvalid, LoyaltyNotFound
from kassa.core.loyalty_orders import Shop
from kassa.store.db import Database


@dataclass
class SyncResult:
    accepted: int = 0
    rejected: list[dict[str, Any]] = field(default_factory=list)


def _plain(value: Any) -> Any:
    """JSON-safe: amounts (Decimal) as exact strings."""
    return json.loads(json.dumps(value, default=str))


async def sync_orders(db: Database, shop: Shop, orders: Any, now: datetime) -> SyncResult:
    if not isinstance(orders, list) or not orders:
        raise LoyaltyInvalid("orders is required")
    if len(orders) > MAX_ORDERS:
        raise LoyaltyInvalid(f"At most {MAX_ORDERS} orders per request")
    result = SyncResult()
    async with db.unit_of_work() as uow:
        for index, raw in enumerate(orders):
            order_id = str(raw.get("id")) if isinstance(raw, dict) and raw.get("id") else None
            before = (
                await uow.loyalty_codes.cdp_order(shop.id, order_id[:64], lock=True)
                if order_id
                else None
            )
            try:
                after = synced(shop.id, raw, before)
            except CdpInvalid as exc:
                result.rejected.append({"index": index, "id": order_id, "message": str(exc)})
                continue
            after = replace(after, fields=_plain(after.fields))
            await uow.loyalty_codes.save_cdp_order(after, _plain(raw), now, new=before is None)
            result.accepted += 1
        await uow.commit()
    return result


async def cdp_order(db: Database, shop: Shop, order_id: str) -> dict[str, Any]:
    """A CDP order as Kassa keeps it, with every version synced."""
    async with db.unit_of_work(write=False) as uow:
        found = await uow.loyalty_codes.cdp_order(shop.id, order_id)
        if found is None:
            raise LoyaltyNotFound(f"Order {order_id} not found")
        versions = await uow.loyalty_codes.cdp_versions(shop.id, order_id)
    return {
        "id": found.id,
        "status": found.status,
        "state": found.state.value,
        "channel": found.channel,
        "total": found.total,
        "date": found.status_at.isoformat(),
        "customer": found.customer,
        "items": found.items,
        "fields": found.fields,
        "history": [
            {"status": v["status"], "state": v["state"], "at": v["at"].isoformat()}
            for v in versions
        ],
    }
