"""Webhooks: an organisation's registered endpoints, the topics each wants, and the rows
that record each delivery (pending, delivered, dead)."""

from dataclasses import dataclass
from datetime import datetime
from typing import Any


@dataclass(frozen=True)
class Endpoint:
    id: str
    org_id: str
    url: str
    secret: str
    events: tuple[str, ...]
    active: bool
    created_at: datetime | None = None  # events from before it are not its own

    def wants(self, topic: str) -> bool:
        """`order.canceled`, `order.*`, `*`: exact topics or a family. `order.created` and
        `order.confirmed` are the names of `order.placed` and `order.done` too."""
        names = {topic, *ALIASES.get(topic, ())}
        return self.active and any(
            pattern == "*"
            or pattern in names
            or (pattern.endswith(".*") and topic.startswith(pattern[:-1]))
            for pattern in self.events
        )


ALIASES = {"order.placed": ("order.created",), "order.done": ("order.confirmed",)}


@dataclass(frozen=True)
class Delivery:
    id: int
    endpoint_id: str
    event_id: int
    topic: str
    payload: dict[str, Any]
    state: str
    attempts: int
    created_at: datetime
    available_at: datetime
    delivered_at: datetime | None
    last_error: str | None
