"""Clients for the race tests: bursts of requests, each on a connection of its own, and the
catalogue and order reads the invariants are checked against."""

import asyncio
import ssl
from collections import Counter
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from kassa.app import demo

ORDERS = "/v1/resources/orders"
EVENTS = "/v1/resources/events"
ORGANISER = {"Authorization": f"key {demo.ORG_KEY}"}
SELLER = {"Authorization": f"key {demo.PARTNER_KEY}"}
TIMEOUT = httpx.Timeout(60.0)
# One TLS context for every client: building one per client (httpx's default) costs more than
# the race itself, and these are plain-HTTP clients anyway.
_SSL = ssl.create_default_context()

Call = Callable[[httpx.AsyncClient], Awaitable[httpx.Response]]


def client(base_url: str, headers: dict[str, str]) -> httpx.AsyncClient:
    return httpx.AsyncClient(base_url=base_url, headers=headers, timeout=TIMEOUT, verify=_SSL)


async def burst(
    base_url: str, headers: dict[str, str], calls: Sequence[Call]
) -> list[httpx.Response]:
    """Run every call at once, each on a client (so a TCP connection) of its own.

    Each client first opens its connection with a GET /health; only when all of them are
    connected does any call go out, so the calls reach the server within a few milliseconds.
    Answers come back in the order of `calls`.
    """
    barrier = asyncio.Barrier(len(calls))

    async def one(call: Call) -> httpx.Response:
        async with client(base_url, headers) as http:
            try:
                (await http.get("/health")).raise_for_status()
            except BaseException:
                await barrier.abort()
                raise
            await barrier.wait()
            return await call(http)

    return list(await asyncio.gather(*(one(call) for call in calls)))


def statuses(responses: Sequence[httpx.Response]) -> Counter[int]:
    return Counter(r.status_code for r in responses)


def assert_no_5xx(responses: Sequence[httpx.Response]) -> None:
    failed = [(r.status_code, r.text[:300]) for r in responses if r.status_code >= 500]
    assert not failed, f"{len(failed)} answers were 5xx, e.g. {failed[:3]}"


def assert_v1_error(response: httpx.Response, status: int, code: str) -> None:
    """`{"error": "HTTP...", "reason": "...", "code": "..."}` with this status and code."""
    assert response.status_code == status, (response.status_code, response.text)
    assert response.headers["content-type"].startswith("application/json"), response.headers
    body = response.json()
    assert isinstance(body, dict), body
    assert body.get("code") == code, body
    assert isinstance(body.get("error"), str), body
    assert body["error"].startswith("HTTP"), body
    assert isinstance(body.get("reason"), str), body
    assert body["reason"], body
    assert "database is locked" not in response.text, body


@dataclass(frozen=True)
class SaleSet:
    """An event of its own with one ticket set, so tests sharing a database never meet."""

    event_id: str
    set_id: str


async def new_sale(http: httpx.AsyncClient, amount: int, name: str) -> SaleSet:
    """Organiser: a public event on sale with one set of `amount` tickets at 100.00."""
    start = (datetime.now(UTC) + timedelta(days=30)).replace(microsecond=0)
    event = await http.post(
        EVENTS,
        headers=ORGANISER,
        json={
            "title": {"text": name},
            "lifetime": {
                "start": start.isoformat(),
                "finish": (start + timedelta(hours=3)).isoformat(),
            },
            "status": "public",
        },
    )
    assert event.status_code == 201, event.text
    event_id = event.json()["id"]
    created = await http.post(
        f"{EVENTS}/{event_id}/sets",
        headers=ORGANISER,
        json={"name": name, "price": "100.00", "amount": amount},
    )
    assert created.status_code == 201, created.text
    assert created.json()["amount"] == amount
    return SaleSet(event_id, created.json()["id"])


async def ticket_set(http: httpx.AsyncClient, sale: SaleSet) -> dict[str, Any]:
    """The set as the organiser's catalogue shows it (`amount`, `amount_vacant`, ...)."""
    response = await http.get(f"{EVENTS}/{sale.event_id}/sets", headers=ORGANISER)
    assert response.status_code == 200, response.text
    found = [s for s in response.json() if s["id"] == sale.set_id]
    assert len(found) == 1, response.json()
    return dict(found[0])


async def ticket_ids(http: httpx.AsyncClient, sale: SaleSet, status: str) -> list[str]:
    """Ids of the event's tickets in `status`, from `/events/{id}/tickets?status=...`."""
    response = await http.get(
        f"{EVENTS}/{sale.event_id}/tickets", params={"status": status}, headers=ORGANISER
    )
    assert response.status_code == 200, response.text
    rows = response.json()
    assert all(row["status"] == status for row in rows), rows
    assert all(row["set"] == sale.set_id for row in rows), rows
    ids = [row["id"] for row in rows]
    assert len(ids) == len(set(ids)), "a ticket is listed twice"
    return ids


async def place(http: httpx.AsyncClient, sale: SaleSet, count: int) -> dict[str, Any]:
    response = await http.post(
        ORDERS, headers=SELLER, json={"event": sale.event_id, "random": {sale.set_id: count}}
    )
    assert response.status_code == 201, response.text
    order: dict[str, Any] = response.json()
    assert len(order["tickets"]) == count, order
    return order


async def read_order(http: httpx.AsyncClient, order_id: str) -> dict[str, Any]:
    response = await http.get(f"{ORDERS}/{order_id}", headers=SELLER)
    assert response.status_code == 200, response.text
    order: dict[str, Any] = response.json()
    return order


async def timeline(http: httpx.AsyncClient, order_id: str) -> list[dict[str, Any]]:
    response = await http.get(f"/api/v1/orders/{order_id}/timeline", headers=SELLER)
    assert response.status_code == 200, response.text
    entries: list[dict[str, Any]] = response.json()["timeline"]
    return entries


def buy(sale: SaleSet, count: int, *, all_or_nothing: bool = False) -> Call:
    """POST an order for `count` tickets of the set."""
    body: dict[str, Any] = {"event": sale.event_id, "random": {sale.set_id: count}}
    if all_or_nothing:
        body["all_or_nothing"] = True

    async def call(http: httpx.AsyncClient) -> httpx.Response:
        return await http.post(ORDERS, json=body)

    return call


def cancel(order_id: str) -> Call:
    async def call(http: httpx.AsyncClient) -> httpx.Response:
        return await http.patch(f"{ORDERS}/{order_id}", json={"status": "canceled"})

    return call


async def buyers_race_for_the_last_tickets(base_url: str, buyers: int, left: int) -> None:
    """A set of 200 shrunk to `left` by the organiser; `buyers` buy one ticket each at once:
    exactly `left` are served, one distinct ticket each, the rest refused cleanly; then all
    the orders are cancelled at once and every ticket is on sale again."""
    async with client(base_url, SELLER) as http:
        sale = await new_sale(http, 200, f"Last {left}")
        shrunk = await http.patch(
            f"{EVENTS}/{sale.event_id}/sets/{sale.set_id}",
            headers=ORGANISER,
            json={"amount": left},
        )
        assert shrunk.status_code == 200, shrunk.text
        assert (shrunk.json()["amount"], shrunk.json()["amount_vacant"]) == (left, left)
        vacant = await ticket_ids(http, sale, "vacant")
        assert len(vacant) == left

        answers = await burst(base_url, SELLER, [buy(sale, 1)] * buyers)

        assert_no_5xx(answers)
        assert statuses(answers) == {201: left, 400: buyers - left}
        for answer in answers:
            if answer.status_code == 400:
                assert_v1_error(answer, 400, "not_enough_tickets")
        orders = [a.json() for a in answers if a.status_code == 201]
        assert [len(o["tickets"]) for o in orders] == [1] * left, [o["tickets"] for o in orders]
        assert all(o["status"] == "executed" for o in orders)
        assert len({o["id"] for o in orders}) == left
        sold = [t for o in orders for t in o["tickets"]]
        assert sorted(sold) == sorted(vacant), "the orders do not hold the last tickets"
        assert sorted(await ticket_ids(http, sale, "reserved")) == sorted(sold)
        assert await ticket_ids(http, sale, "vacant") == []
        assert (await ticket_set(http, sale))["amount_vacant"] == 0

        cancels = await burst(base_url, SELLER, [cancel(o["id"]) for o in orders])

        assert_no_5xx(cancels)
        assert statuses(cancels) == {200: left}, [c.text for c in cancels]
        assert all(c.json()["status"] == "canceled" for c in cancels)
        assert await ticket_ids(http, sale, "reserved") == []
        assert sorted(await ticket_ids(http, sale, "vacant")) == sorted(vacant)
        listed = await ticket_set(http, sale)
        assert (listed["amount"], listed["amount_vacant"]) == (left, left)


@dataclass(frozen=True)
class PatchBurst:
    """What a burst of reservation changes to one order answered."""

    applied: list[tuple[int, dict[str, Any]]]  # (count asked, 200 body)
    refused: list[httpx.Response]  # everything else


async def patch_burst(
    base_url: str, order_id: str, sale: SaleSet, counts: Sequence[int]
) -> PatchBurst:
    """PATCH the order's `random` to each count in `counts`, all at once."""

    def change(count: int) -> Call:
        async def call(http: httpx.AsyncClient) -> httpx.Response:
            return await http.patch(f"{ORDERS}/{order_id}", json={"random": {sale.set_id: count}})

        return call

    responses = await burst(base_url, SELLER, [change(count) for count in counts])
    assert_no_5xx(responses)
    applied = [
        (n, r.json()) for n, r in zip(counts, responses, strict=True) if r.status_code == 200
    ]
    refused = [r for r in responses if r.status_code != 200]
    return PatchBurst(applied, refused)


async def check_patch_outcome(
    http: httpx.AsyncClient,
    sale: SaleSet,
    order_id: str,
    initial: Sequence[str],
    outcome: PatchBurst,
) -> dict[str, Any]:
    """Every applied change is whole, and the order ends as the last applied one left it.

    The order's timeline records each applied reservation change (what it released, what it
    reserved) in the order the changes committed; replaying it from the initial tickets must
    reproduce, step by step, the tickets each 200 answered with, and end on the final GET.
    """
    for count, body in outcome.applied:
        assert body["id"] == order_id
        assert body["status"] == "executed", body
        assert len(body["tickets"]) == count, (count, body["tickets"])
        assert len(set(body["tickets"])) == count, body["tickets"]

    changes = [
        e for e in await timeline(http, order_id) if e["action"] == "order.reservation_changed"
    ]
    assert len(changes) == len(outcome.applied), (
        f"{len(outcome.applied)} changes answered 200 but {len(changes)} were recorded"
    )
    answered = {count: sorted(body["tickets"]) for count, body in outcome.applied}
    state = list(initial)
    for entry in changes:
        released = entry["details"]["released"]
        assert set(released) <= set(state), ("released tickets the order did not hold", entry)
        state = [t for t in state if t not in set(released)] + entry["details"]["reserved"]
        assert len(state) in answered, (f"a change left {len(state)} tickets; nobody asked", entry)
        assert sorted(state) == answered[len(state)], (
            "a change applied other tickets than it answered"
        )

    final = await read_order(http, order_id)
    assert final["status"] == "executed", final
    assert sorted(final["tickets"]) == sorted(state), "the order is not what its last change left"
    if outcome.applied:
        last_count = len(state)
        assert sorted(final["tickets"]) == answered[last_count]

    reserved = await ticket_ids(http, sale, "reserved")
    assert sorted(reserved) == sorted(final["tickets"]), "reserved tickets outside the order"
    assert await ticket_ids(http, sale, "sold") == []
    listed = await ticket_set(http, sale)
    assert listed["amount_vacant"] == listed["amount"] - len(final["tickets"]), listed
    return final
