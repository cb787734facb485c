"""Kassa's own API for the waiting list of a sold-out ticket set: join (organiser or seller),
read the line, leave. Another organisation's event, set or entry is a 404; a seller sees and
removes only the people it added. Offers are made by Kassa (see README, "The waiting list")."""

from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from kassa.app import waitlist
from kassa.core.waitlist import MAX_QUANTITY, Entry
from kassa.faces.ticketing.schemas import _Body
from kassa.web.deps import Caller, Ctx
from kassa.web.responses import Json

# Included by `kassa_api`, under its /api/v1 prefix.
router = APIRouter(default_response_class=Json)  # tagged "kassa" by kassa_api's router
LINE = "/events/{event_id}/sets/{set_id}/waiting_list"


class JoinIn(_Body):
    """Who waits, for how many tickets of the set (offered together, never fewer)."""

    model_config = ConfigDict(
        json_schema_extra={"examples": [{"email": "ann@example.com", "name": "Ann", "quantity": 2}]}
    )

    email: Annotated[str, StringConstraints(min_length=3, max_length=254)]
    name: Annotated[str, StringConstraints(max_length=200)] | None = None
    quantity: Annotated[int, Field(ge=1, le=MAX_QUANTITY)] = 1


class EntryOut(BaseModel):
    """One person on a set's waiting list."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "id": "65f0c0ffee0000000000a001",
                    "event": "65f0c0ffee0000000000e001",
                    "set": "65f0c0ffee0000000000s001",
                    "email": "ann@example.com",
                    "name": "Ann",
                    "quantity": 2,
                    "status": "waiting",
                    "position": 1,
                    "created_at": "2026-11-30T10:00:00+00:00",
                    "offer_expires_at": None,
                    "tickets": [],
                    "order": None,
                }
            ]
        }
    )

    id: str
    event: str
    set: str
    email: str
    name: str | None
    quantity: int
    status: Literal["waiting", "offered", "taken", "passed", "left", "closed"]
    position: int | None = Field(description="place in line while waiting (1: next); else null")
    created_at: datetime
    offer_expires_at: datetime | None = Field(description="while offered: until when it holds")
    tickets: list[str] = Field(description="while offered: the ticket ids held for them")
    order: str | None = Field(description="taken: the order made of the offered tickets")


class LineOut(BaseModel):
    """A set's waiting list, in joining order."""

    event: str
    set: str
    entries: list[EntryOut]


def _out(entry: Entry, position: int | None) -> dict[str, Any]:
    return {
        "id": entry.id,
        "event": entry.event_id,
        "set": entry.set_id,
        "email": entry.email,
        "name": entry.name,
        "quantity": entry.quantity,
        "status": entry.status.value,
        "position": position,
        "created_at": entry.created_at,
        "offer_expires_at": entry.offer_expires_at,
        "tickets": list(entry.tickets),
        "order": entry.order_id,
    }


@router.post(
    LINE,
    status_code=201,
    response_model=EntryOut,
    response_class=JSONResponse,
)
async def join(event_id: str, set_id: str, body: JoinIn, who: Caller, ctx: Ctx) -> Any:
    """Put someone on the waiting list of a sold-out set. When a cancel, a refund or an
    expiry gives tickets back, they are held for the first person they fit (for
    KASSA_WAITLIST_OFFER_MINUTES) and e-mailed a link to take them. A set with tickets on
    sale is a 409 `set_not_sold_out` (buy instead); an e-mail already waiting on the set a
    409 `already_waiting`."""
    joining = waitlist.Joining(body.email, body.quantity, body.name)
    entry, place = await waitlist.join(
        ctx.db, who, event_id, set_id, joining, ctx.clock(), ctx.settings.waitlist_offer_hold
    )
    return _out(entry, place)


@router.get(LINE, response_model=LineOut, response_class=JSONResponse)
async def read_line(event_id: str, set_id: str, who: Caller, ctx: Ctx) -> Any:
    """The set's waiting list in joining order: who waits (with their place), who holds an
    offer and until when, who took theirs (the order), passed or left. A seller sees the
    people it added."""
    found = await waitlist.line(ctx.db, who, event_id, set_id)
    entries = [_out(e, found.positions.get(e.id)) for e in found.entries]
    return {"event": event_id, "set": set_id, "entries": entries}


@router.delete("/waiting_list/{entry_id}", response_model=EntryOut, response_class=JSONResponse)
async def leave(entry_id: str, who: Caller, ctx: Ctx) -> Any:
    """Take someone off the waiting list (status `left`); tickets offered to them pass to
    the next person at once. An entry that has ended is a 409 `waiting_list_entry_ended`."""
    entry = await waitlist.leave(ctx.db, who, entry_id, ctx.clock())
    return _out(entry, None)
