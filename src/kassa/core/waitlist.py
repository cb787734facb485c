"""The waiting list of a sold-out ticket set: who waits, in which order, and who is offered
the tickets a cancellation, a refund or an expiry gives back.

An entry waits for `quantity` tickets of one set. Released tickets are offered first-fit in
the order of joining: the earliest waiting entry that the released tickets can serve whole is
offered exactly its quantity; an entry asking for more than is free keeps its place (a party
of four is never offered two seats). Offered tickets are held for that entry alone until the
offer is taken (an order is made of exactly them), passes (the hold ran out: they go to the
next entry, or back on sale when nobody fits) or the entry leaves.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from kassa.core.errors import ErrorKind, KassaError, NotFound

MAX_QUANTITY = 20
OFFER_LINK = "offer"  # the signing purpose of an offer's link (see core.selfservice.sign)
DEFAULT_OFFER_HOLD = timedelta(hours=2)


class EntryStatus(StrEnum):
    WAITING = "waiting"
    OFFERED = "offered"
    TAKEN = "taken"
    PASSED = "passed"  # the offer's hold ran out unclaimed
    LEFT = "left"
    CLOSED = "closed"  # the event (or the set) was cancelled


LIVE = frozenset({EntryStatus.WAITING, EntryStatus.OFFERED})


class WaitingListEntryNotFound(NotFound):
    code = "waiting_list_entry_not_found"


class SetNotSoldOut(KassaError):
    """Tickets are on sale: buy them instead of waiting."""

    kind = ErrorKind.CONFLICT
    code = "set_not_sold_out"


class AlreadyWaiting(KassaError):
    kind = ErrorKind.CONFLICT
    code = "already_waiting"


class EntryNotLive(KassaError):
    """The entry has been offered and took, passed or left: nothing to leave or take."""

    kind = ErrorKind.CONFLICT
    code = "waiting_list_entry_ended"


class OfferInvalid(NotFound):
    """The offer's link is forged, altered or expired, or the offer is no longer open."""

    code = "offer_invalid"


class WaitingListInvalid(KassaError):
    code = "waiting_list_invalid"


@dataclass(frozen=True)
class Entry:
    """One person waiting for tickets of one set."""

    id: str
    org_id: str
    event_id: str
    set_id: str
    vendor_id: str  # who added them: the organisation or a selling partner
    email: str
    name: str | None
    quantity: int
    status: EntryStatus
    hold: timedelta  # how long an offer to this entry is held
    created_at: datetime
    updated_at: datetime
    offered_at: datetime | None = None
    offer_expires_at: datetime | None = None
    tickets: tuple[str, ...] = ()  # held for the entry while offered
    order_id: str | None = None  # the order made when the offer was taken

    @property
    def live(self) -> bool:
        return self.status in LIVE

    def offer_open(self, now: datetime) -> bool:
        """The offer may be taken now."""
        expires = self.offer_expires_at
        return self.status is EntryStatus.OFFERED and expires is not None and now < expires


def normalized_email(text: str) -> str:
    """The address as the list compares it: trimmed, lowercased; a plain shape check."""
    email = text.strip().lower()
    local, at, domain = email.partition("@")
    if not at or not local or "." not in domain or len(email) > 254 or " " in email:
        raise WaitingListInvalid(f"{text!r} is not an e-mail address", field="email")
    return email


def validate_quantity(quantity: int) -> int:
    if not 1 <= quantity <= MAX_QUANTITY:
        raise WaitingListInvalid(
            f"quantity must be 1 to {MAX_QUANTITY}", field="quantity", maximum=MAX_QUANTITY
        )
    return quantity


def match(
    free: Mapping[str, Sequence[str]], waiting: Sequence[Entry]
) -> tuple[list[tuple[Entry, tuple[str, ...]]], dict[str, list[str]]]:
    """Offers of the free tickets ({set_id: ticket ids}) to the waiting entries (in joining
    order): first fit, each entry exactly its quantity. Returns the offers and what is left
    of each set (back on sale)."""
    left = {set_id: sorted(ids) for set_id, ids in free.items()}
    offers: list[tuple[Entry, tuple[str, ...]]] = []
    for entry in sorted(waiting, key=lambda e: (e.created_at, e.id)):
        pool = left.get(entry.set_id, [])
        if entry.status is EntryStatus.WAITING and len(pool) >= entry.quantity:
            offers.append((entry, tuple(pool[: entry.quantity])))
            left[entry.set_id] = pool[entry.quantity :]
    return offers, {set_id: ids for set_id, ids in left.items() if ids}


def positions(entries: Sequence[Entry]) -> dict[str, int]:
    """The place in line (1, 2, ...) of each waiting entry of a set, by joining order."""
    waiting = sorted(
        (e for e in entries if e.status is EntryStatus.WAITING), key=lambda e: (e.created_at, e.id)
    )
    return {e.id: n for n, e in enumerate(waiting, start=1)}
