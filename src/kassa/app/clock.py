"""The one place the application reads the wall clock; the core is always handed `now`."""

from collections.abc import Callable
from datetime import UTC, datetime

Clock = Callable[[], datetime]


def utcnow() -> datetime:
    """Timezone-aware UTC now."""
    return datetime.now(UTC)
