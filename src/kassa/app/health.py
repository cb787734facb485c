"""Is the service ready, and how is it doing: what /readyz and /metrics report.

Both read the database only through a few aggregates over every organisation (see
`kassa.store.ops`), in one short read-only transaction; neither changes anything.
"""

import asyncio
import functools
import logging
from dataclasses import dataclass
from datetime import datetime

from kassa.core.errors import DatabaseUnavailable
from kassa.store.db import Database
from kassa.store.migrate import head
from kassa.store.ops import OutboxFigures, WebhookFigures

log = logging.getLogger("kassa.health")

READY_TIMEOUT_S = 5.0
# The timeline actions of a cancel (a plan's topic), by the face whose orders they end.
CANCEL_ACTIONS = {
    "order.canceled": "ticketing",
    "order.partially_canceled": "ticketing",
    "order.expired": "ticketing",
    "delivery.cancelled": "delivery",
    "delivery.partially_cancelled": "delivery",
    "loyalty.cancelled": "loyalty",
}
# A partial cancel of a loyalty order is recorded as the order's change, as the shop's own
# change is: only the cancel gives a reason, so only entries with one are counted (a partial
# cancel without a reason code is not told apart, and not counted).
CANCEL_ACTIONS_WITH_REASON = {"loyalty.changed": "loyalty"}
UNSPECIFIED = "unspecified"


@dataclass(frozen=True)
class Readiness:
    ready: bool
    reason: str | None  # why not, in words an operator acts on
    revision: str | None = None
    head: str | None = None


@dataclass(frozen=True)
class Figures:
    """The whole service's state, at one moment, for monitoring."""

    orders: dict[tuple[str, str], int]  # (face, status) -> orders
    open_reservations: int  # ticket orders holding tickets, not paid yet
    tickets_held: int  # the tickets those orders hold
    cancellations: dict[tuple[str, str], int]  # (face, reason code) -> cancels ever made
    outbox: OutboxFigures
    webhooks: WebhookFigures
    at: datetime

    @property
    def outbox_oldest_age_seconds(self) -> float:
        """How long the oldest undelivered message has waited (0 with none waiting)."""
        oldest = self.outbox.oldest_at
        return max((self.at - oldest).total_seconds(), 0.0) if oldest else 0.0


@functools.cache
def schema_head() -> str:
    """The revision this code's migrations end at (read from the packaged scripts once)."""
    return head()


async def readiness(db: Database) -> Readiness:
    """Ready when the database answers within READY_TIMEOUT_S and its schema is at this
    code's head."""
    expected = schema_head()
    timeout = READY_TIMEOUT_S
    try:
        async with asyncio.timeout(timeout), db.unit_of_work(write=False) as uow:
            revision = await uow.ops.schema_revision()
    except DatabaseUnavailable:
        return Readiness(False, "the database is unreachable or out of connections")
    except TimeoutError:
        return Readiness(False, f"the database did not answer within {timeout:g} s")
    except Exception as error:  # a probe answers "not ready", never 500, and says why
        log.warning("readiness check failed: %s", error)
        return Readiness(False, f"the database check failed: {type(error).__name__}")
    if revision != expected:
        reason = (
            f"the database schema is at {revision or 'no revision'}, this code needs "
            f"{expected}: run kassa migrate"
        )
        return Readiness(False, reason, revision, expected)
    return Readiness(True, None, revision, expected)


async def figures(db: Database, now: datetime) -> Figures:
    """Orders, holds, cancellations, the outbox and webhook deliveries, as they stand now."""
    async with db.unit_of_work(write=False) as uow:
        by_status = await uow.ops.orders_by_status()
        open_orders, tickets = await uow.ops.held()
        cancels = await uow.ops.cancellations(CANCEL_ACTIONS, CANCEL_ACTIONS_WITH_REASON)
        outbox = await uow.ops.outbox()
        webhooks = await uow.ops.webhooks()
    cancellations: dict[tuple[str, str], int] = {}
    for (face, code), n in cancels.items():
        key = (face, code or UNSPECIFIED)
        cancellations[key] = cancellations.get(key, 0) + n
    return Figures(by_status, open_orders, tickets, cancellations, outbox, webhooks, now)


def pool_use(db: Database) -> tuple[int, int]:
    """(connections this process has checked out now, the most it may open)."""
    return db.pool_use()
