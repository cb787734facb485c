"""Whole-event cancellation: an organiser cancels an event (or one of its sets) and the worker
cancels every order of it through the one engine, in batches, resumably.

A job is a row with counters; the worker advances them in the same transaction as the
cancels it counts, so a crash loses nothing and counts nothing twice. Orders are visited in
two passes by their number: the first skips an order it cannot cancel now (held by another
change), the second retries what is still live and counts what fails again.
"""

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from kassa.core.cancellation.policy import Override
from kassa.core.errors import CatalogInvalid, NotFound

MAX_REASON = 500


class JobStatus(StrEnum):
    PENDING = "pending"
    RUNNING = "running"
    DONE = "done"


class PolicyChoice(StrEnum):
    """How the orders are charged: everything back, or the event's policy's fee (its window
    does not apply: the organiser cancels, not the buyer)."""

    FULL_REFUND = "full_refund"
    EVENT = "event"


LAST_PASS = 2


class EventCancellationNotFound(NotFound):
    code = "event_cancellation_not_found"


@dataclass(frozen=True)
class EventCancellation:
    id: str
    org_id: str
    event_id: str
    set_id: str | None
    policy: PolicyChoice
    reason: str
    status: JobStatus
    created_by: str
    created_at: datetime
    updated_at: datetime
    total: int = 0
    cancelled: int = 0
    skipped: int = 0
    failed: int = 0
    finished_at: datetime | None = None

    @property
    def visited(self) -> int:
        """Orders the job is done with, whatever became of them."""
        return self.cancelled + self.skipped + self.failed

    @property
    def percent(self) -> int:
        """Progress in whole percent (100 once done)."""
        if self.status is JobStatus.DONE:
            return 100
        if self.total <= 0:
            return 0
        return min(99, self.visited * 100 // self.total)

    def override(self) -> Override:
        """What the engine is told: the organiser's decision, audited with its reason."""
        why = f"event cancelled: {self.reason}"
        return Override(self.created_by, why, policy_fee=self.policy is PolicyChoice.EVENT)


def parse_choice(text: str) -> PolicyChoice:
    """`full_refund` or `event` (also `event_policy`), else CatalogInvalid."""
    value = "event" if text == "event_policy" else text
    try:
        return PolicyChoice(value)
    except ValueError:
        raise CatalogInvalid(
            f"policy must be one of: {', '.join(c.value for c in PolicyChoice)}"
        ) from None


def check_reason_text(text: str) -> str:
    """The organiser's words, trimmed; never empty or longer than MAX_REASON."""
    trimmed = text.strip()
    if not trimmed or len(trimmed) > MAX_REASON:
        raise CatalogInvalid(f"reason must be 1 to {MAX_REASON} characters")
    return trimmed
