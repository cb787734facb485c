"""The one cancellation engine (see `engine`): preview and cancel any kind of order."""

from kassa.app.cancellation.engine import (
    KINDS,
    Outcome,
    Target,
    cancel,
    cancel_locked,
    expire_due,
    expire_if_due,
    find,
    preview,
    target_of,
)
from kassa.app.cancellation.kinds import SYSTEM, WHOLE, WHOLE_OPEN, Kind, Part

__all__ = [
    "KINDS",
    "SYSTEM",
    "WHOLE",
    "WHOLE_OPEN",
    "Kind",
    "Outcome",
    "Part",
    "Target",
    "cancel",
    "cancel_locked",
    "expire_due",
    "expire_if_due",
    "find",
    "preview",
    "target_of",
]
