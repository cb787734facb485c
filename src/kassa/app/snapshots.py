"""A per-process snapshot of what a reserve needs to know about an event, kept for a second.

Every reserve used to read the event, its sets, their price rules and the organiser's fee
policy: four round trips before the first ticket was claimed. The snapshot keeps them for
`ttl` seconds (monotonic clock). A catalogue change made through this process drops the
event's snapshot at once; a change made through another server process is seen within `ttl`.
A reserve naming a set the snapshot does not know reloads it once, so a set created a moment
ago is never refused. Inventory is never cached: tickets are always claimed in the database.
A stale snapshot is loaded once (`kassa.app.readcache.Loads`): the reserves that find it stale
while it loads wait for that load.
"""

import weakref
from dataclasses import dataclass, replace

from kassa.app.readcache import ReadCache
from kassa.core.catalog import Event, TicketSet
from kassa.core.pricing import FeePolicy
from kassa.store.db import Database, UnitOfWork

DEFAULT_TTL = 1.0


@dataclass(frozen=True)
class SaleCatalog:
    event: Event
    sets: dict[str, TicketSet]
    fee: FeePolicy


class Snapshots(ReadCache[SaleCatalog]):
    """The snapshots by event id: a read cache (`kassa.app.readcache.ReadCache`) with the
    snapshot's own TTL and no bound on the events it holds."""

    def __init__(self, ttl: float = DEFAULT_TTL) -> None:
        super().__init__(ttl, max_entries=None)

    def invalidate(self, event_id: str | None = None) -> None:
        """Forget one event's snapshot, or every snapshot."""
        if event_id is None:
            self.clear()
        else:
            self.forget(event_id)


_BY_DB: "weakref.WeakKeyDictionary[Database, Snapshots]" = weakref.WeakKeyDictionary()


def snapshots(db: Database) -> Snapshots:
    """The snapshots of one database handle (one per process in a server)."""
    found = _BY_DB.get(db)
    if found is None:
        found = _BY_DB[db] = Snapshots()
    return found


async def sale_catalog(db: Database, event_id: str) -> SaleCatalog | None:
    """The event's snapshot, read in a transaction of its own when it is missing or stale."""

    async def load() -> SaleCatalog | None:
        async with db.unit_of_work(write=False) as uow:
            return await load_sale(uow, event_id)

    return await snapshots(db).get(event_id, load)


async def load_sale(uow: UnitOfWork, event_id: str) -> SaleCatalog | None:
    """The event, its sets and fee as a reserve sees them. A set being cancelled (see
    `kassa.app.event_cancellation`) has no price rule here, so nothing of it sells."""
    event = await uow.catalog.event(event_id)
    if event is None:
        return None
    closed = await uow.event_cancellations.closed_sets(event_id)
    sets = {
        s.id: replace(s, rules=()) if s.id in closed else s
        for s in await uow.catalog.sets_of(event_id)
    }
    return SaleCatalog(event, sets, await uow.tenants.fee_policy(event.org_id))
