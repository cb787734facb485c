"""The waiting list over HTTP, on SQLite and PostgreSQL: joining a sold-out set through Kassa's
API, every kind of release (cancel, partial cancel, refund, expiry, a PATCH dropping tickets)
offering the tickets in the same transaction, the offer's e-mail over real SMTP, the buyer's
page taking the tickets, offers passing on when unclaimed, leaving, and tenancy."""

import asyncio
import re
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
from sqlalchemy import func, select, text

from kassa.app import waitlist, waitlist_offers
from kassa.app.cancellation import expire_due
from kassa.app.orders import Holds
from kassa.app.outbox import drain
from kassa.app.selflinks import Links, secret_of
from kassa.app.waitlist_mail import offer_url
from kassa.core.selfservice import sign
from kassa.core.tenancy import Principal
from kassa.core.waitlist import Entry, OfferInvalid
from kassa.notify.smtp import SmtpSettings
from kassa.store.db import Database
from kassa.store.tables import tickets
from kassa.store.waitlist_tables import waiting_list
from tests.api.helpers import Tenant, outbox_rows, patch_order
from tests.api.test_mail import Inbox, inbox  # noqa: F401 - the SMTP fixture
from tests.conftest import FakeClock

V2 = "/v2/resources/orders"
CSRF = re.compile(r'name="csrf" value="([^"]+)"')
LINK = re.compile(r"(http://127\.0\.0\.1:8000/my/offers/\S+)")
LINKS = Links("http://127.0.0.1:8000")
NewTenant = Callable[..., Awaitable[Tenant]]


def line_url(t: Tenant) -> str:
    return f"/api/v1/events/{t.event_id}/sets/{t.set_id}/waiting_list"


async def buy(client: httpx.AsyncClient, t: Tenant, n: int) -> dict[str, Any]:
    answer = await client.post(
        V2, headers=t.seller, json={"event": t.event_id, "random": {t.set_id: n}}
    )
    assert answer.status_code == 200, answer.text
    order: dict[str, Any] = answer.json()["data"]
    return order


async def join(
    client: httpx.AsyncClient, t: Tenant, email: str, quantity: int = 1, key: str = "organiser"
) -> dict[str, Any]:
    answer = await client.post(
        line_url(t),
        headers=getattr(t, key),
        json={"email": email, "name": email.split("@")[0], "quantity": quantity},
    )
    assert answer.status_code == 201, answer.text
    entry: dict[str, Any] = answer.json()
    return entry


async def cancel(
    client: httpx.AsyncClient, t: Tenant, order_id: str, tickets_: list[str] | None = None
) -> None:
    body: dict[str, Any] = {"reason": "customer_request"}
    if tickets_:
        body["tickets"] = tickets_
    answer = await client.post(
        f"/api/v1/orders/{order_id}/cancellation", headers=t.organiser, json=body
    )
    assert answer.status_code == 200, answer.text


async def entries(client: httpx.AsyncClient, t: Tenant) -> dict[str, dict[str, Any]]:
    answer = await client.get(line_url(t), headers=t.organiser)
    assert answer.status_code == 200, answer.text
    return {e["email"]: e for e in answer.json()["entries"]}


async def ticket_counts(db: Database, set_id: str) -> dict[str, int]:
    async with db.unit_of_work(write=False) as uow:
        rows = await uow.tx.execute(
            select(tickets.c.status, func.count())
            .where(tickets.c.set_id == set_id)
            .group_by(tickets.c.status)
        )
        return {status: int(n) for status, n in rows}


async def offered_held(db: Database, set_id: str) -> int:
    """Tickets the offered entries hold, by their own lists."""
    async with db.unit_of_work(write=False) as uow:
        rows = await uow.tx.execute(
            select(waiting_list.c.tickets).where(
                waiting_list.c.set_id == set_id, waiting_list.c.status == "offered"
            )
        )
        return sum(len(r.tickets) for r in rows)


@pytest.fixture
async def small(new_tenant: NewTenant) -> Tenant:
    return await new_tenant(capacity=3)


async def test_joining_a_set_with_tickets_on_sale_is_a_conflict(
    client: httpx.AsyncClient, small: Tenant
) -> None:
    answer = await client.post(line_url(small), headers=small.organiser, json={"email": "a@b.io"})
    assert answer.status_code == 409, answer.text
    assert answer.json()["code"] == "set_not_sold_out"
    assert "buy them instead" in answer.json()["reason"]


async def test_one_live_entry_per_email_and_bad_input_is_refused(
    client: httpx.AsyncClient, small: Tenant
) -> None:
    await buy(client, small, 3)
    first = await join(client, small, "Ann@Example.com", 2)
    assert first["email"] == "ann@example.com" and first["position"] == 1
    again = await client.post(
        line_url(small), headers=small.seller, json={"email": "ann@example.com"}
    )
    assert again.status_code == 409 and again.json()["code"] == "already_waiting"
    for body in ({"email": "nobody"}, {"email": "a@b.io", "quantity": 0}):
        bad = await client.post(line_url(small), headers=small.organiser, json=body)
        assert bad.status_code in (400, 422), bad.text
    second = await join(client, small, "bob@example.com", key="seller")
    assert second["position"] == 2


async def test_a_cancel_offers_the_tickets_first_fit_and_the_buyer_takes_them(
    client: httpx.AsyncClient,
    small: Tenant,
    db: Database,
    clock: FakeClock,
    inbox: tuple[Inbox, SmtpSettings],  # noqa: F811
) -> None:
    box, smtp = inbox
    big = await buy(client, small, 2)
    one = await buy(client, small, 1)
    await join(client, small, "ann@example.com", 2)  # wants two: one ticket does not fit
    await join(client, small, "bob@example.com", 1)
    await cancel(client, small, one["id"])
    line = await entries(client, small)
    assert line["ann@example.com"]["status"] == "waiting"
    assert line["ann@example.com"]["position"] == 1
    bob = line["bob@example.com"]
    assert bob["status"] == "offered" and len(bob["tickets"]) == 1
    assert bob["offer_expires_at"]
    assert await ticket_counts(db, small.set_id) == {"reserved": 2, "offered": 1}
    # Nobody else can take the held ticket.
    refused = await client.post(
        V2, headers=small.seller, json={"event": small.event_id, "random": {small.set_id: 1}}
    )
    assert refused.status_code != 200
    # The e-mail carries the link; the page takes the tickets.
    async with httpx.AsyncClient() as http:
        await drain(db, http, clock(), smtp=smtp, links=LINKS)
    [mail] = [m for m in box.messages if m["To"] == "bob@example.com"]
    body = mail.get_payload(decode=True).decode()  # type: ignore[union-attr]
    found = LINK.search(body)
    assert found is not None, body
    path = urlsplit(found.group(1)).path
    page = await client.get(path)
    assert page.status_code == 200, page.text
    assert "Take the tickets" in page.text
    csrf = CSRF.search(page.text)
    assert csrf is not None
    taken = await client.post(f"{path}/take", data={"csrf": csrf.group(1)})
    assert taken.status_code == 303, taken.text
    assert taken.headers["location"].startswith("/my/")
    order_page = await client.get(taken.headers["location"])
    assert "The tickets are yours" in order_page.text
    bob = (await entries(client, small))["bob@example.com"]
    assert bob["status"] == "taken" and bob["order"]
    order = await client.get(f"{V2}/{bob['order']}", headers=small.organiser)
    assert order.status_code == 200, order.text
    data = order.json()["data"]
    assert data["status"] == "executed"
    assert [t["id"] for t in data["tickets"]] == line["bob@example.com"]["tickets"]
    assert await ticket_counts(db, small.set_id) == {"reserved": 3}
    # The link is spent.
    assert (await client.get(path)).status_code == 404
    # The big order's partial cancel frees one: still not two for ann.
    await cancel(client, small, big["id"], [big["tickets"][0]["id"]])
    assert (await entries(client, small))["ann@example.com"]["status"] == "waiting"


async def test_a_release_waits_for_the_people_another_release_is_offering_to(
    client: httpx.AsyncClient, small: Tenant, db: Database, backend: str
) -> None:
    """Two releases of one set at once (PostgreSQL; SQLite has one writer): the second waits
    for the waiting entries the first holds, then offers to whoever still waits. (It used to
    skip them, find nobody waiting, and put its tickets on sale past the people waiting.)"""
    if backend == "sqlite":
        pytest.skip("SQLite has one writer at a time: no release runs beside another")
    orders = [await buy(client, small, 1) for _ in range(3)]
    await join(client, small, "ann@example.com", 1)
    await join(client, small, "bob@example.com", 1)
    async with db.unit_of_work() as other:  # another release, offering: it holds the line
        await other.tx.execute(
            text("SELECT id FROM waiting_list WHERE set_id = :s FOR UPDATE"), {"s": small.set_id}
        )
        release = asyncio.create_task(cancel(client, small, orders[0]["id"]))
        await asyncio.sleep(0.5)
        assert not release.done()  # it waits for the line, never past it
    await release  # the other ended (rolled back): the entries still wait
    line = await entries(client, small)
    assert line["ann@example.com"]["status"] == "offered"
    assert line["bob@example.com"]["status"] == "waiting"
    assert await ticket_counts(db, small.set_id) == {"reserved": 2, "offered": 1}


async def test_an_unclaimed_offer_passes_on_then_goes_back_on_sale(
    client: httpx.AsyncClient, small: Tenant, db: Database, clock: FakeClock
) -> None:
    order = await buy(client, small, 3)
    await join(client, small, "ann@example.com")
    await join(client, small, "bob@example.com")
    await cancel(client, small, order["id"], [order["tickets"][0]["id"]])
    assert (await entries(client, small))["ann@example.com"]["status"] == "offered"
    assert await waitlist.pass_due(db, clock()) == 0  # not due yet
    clock.advance(hours=2, seconds=1)
    assert await waitlist.pass_due(db, clock()) == 1
    line = await entries(client, small)
    assert line["ann@example.com"]["status"] == "passed"
    assert line["bob@example.com"]["status"] == "offered"
    assert await waitlist.pass_due(db, clock()) == 0  # bob's hold starts now
    clock.advance(hours=2, seconds=1)
    assert await waitlist.pass_due(db, clock()) == 1
    assert await ticket_counts(db, small.set_id) == {"reserved": 2, "vacant": 1}
    assert await waitlist.pass_due(db, clock()) == 0  # idempotent


async def test_leaving_passes_an_offer_on_and_an_ended_entry_cannot_leave(
    client: httpx.AsyncClient, small: Tenant, db: Database
) -> None:
    order = await buy(client, small, 3)
    ann = await join(client, small, "ann@example.com")
    await join(client, small, "bob@example.com")
    await cancel(client, small, order["id"], [order["tickets"][0]["id"]])
    left = await client.delete(f"/api/v1/waiting_list/{ann['id']}", headers=small.organiser)
    assert left.status_code == 200, left.text
    assert left.json()["status"] == "left"
    assert (await entries(client, small))["bob@example.com"]["status"] == "offered"
    again = await client.delete(f"/api/v1/waiting_list/{ann['id']}", headers=small.organiser)
    assert again.status_code == 409 and again.json()["code"] == "waiting_list_entry_ended"
    assert await offered_held(db, small.set_id) == 1


async def test_expiry_and_a_patch_dropping_tickets_feed_the_list(
    client: httpx.AsyncClient, small: Tenant, db: Database, clock: FakeClock
) -> None:
    order = await buy(client, small, 3)
    await join(client, small, "ann@example.com")
    await join(client, small, "bob@example.com", 2)
    keep = order["tickets"][0]["id"]
    await patch_order(client, small.seller, order["id"], tickets=[keep])
    line = await entries(client, small)
    assert line["ann@example.com"]["status"] == "offered"
    assert line["bob@example.com"]["status"] == "waiting"  # two wanted, one left: on sale
    assert await ticket_counts(db, small.set_id) == {"reserved": 1, "offered": 1, "vacant": 1}
    clock.advance(minutes=11)  # the order's hold runs out: the worker expires it
    assert await expire_due(db, clock()) == 1
    assert await ticket_counts(db, small.set_id) == {"offered": 1, "vacant": 2}
    # Two on sale now: the worker's refill offers them to bob, who waits for two.
    assert await waitlist.refill(db, clock()) == 1
    line = await entries(client, small)
    assert line["bob@example.com"]["status"] == "offered"
    assert await ticket_counts(db, small.set_id) == {"offered": 3}
    assert await offered_held(db, small.set_id) == 3


async def test_another_organisation_sees_nothing(
    client: httpx.AsyncClient, small: Tenant, new_tenant: NewTenant
) -> None:
    other = await new_tenant(name="Other two")
    await buy(client, small, 3)
    ann = await join(client, small, "ann@example.com")
    assert (await client.get(line_url(small), headers=other.organiser)).status_code == 404
    joined = await client.post(line_url(small), headers=other.seller, json={"email": "x@y.io"})
    assert joined.status_code == 404
    gone = await client.delete(f"/api/v1/waiting_list/{ann['id']}", headers=other.organiser)
    assert gone.status_code == 404


async def test_a_seller_sees_its_own_people_and_gets_the_order_of_a_taken_offer(
    client: httpx.AsyncClient, small: Tenant, db: Database, clock: FakeClock
) -> None:
    order = await buy(client, small, 3)
    await join(client, small, "ann@example.com")  # by the organiser
    bob = await join(client, small, "bob@example.com", key="seller")
    seen = await client.get(line_url(small), headers=small.seller)
    assert [e["email"] for e in seen.json()["entries"]] == ["bob@example.com"]
    assert seen.json()["entries"][0]["position"] == 2
    mine = await client.delete(f"/api/v1/waiting_list/{bob['id']}", headers=small.seller)
    assert mine.status_code == 200
    bob = await join(client, small, "bob@example.com", key="seller")  # left: may join again
    await cancel(client, small, order["id"], [t["id"] for t in order["tickets"][:2]])
    line = await entries(client, small)
    assert {e["status"] for e in line.values()} == {"offered"}
    entry = await waitlist.get_entry(db, _principal(small), bob["id"])
    token = await _token(db, entry)
    taken, _ = await waitlist_offers.take_offer(db, LINKS, token, clock(), Holds())
    assert taken.vendor_id == small.partner_id
    answer = await client.get(f"{V2}/{taken.id}", headers=small.seller)
    assert answer.status_code == 200, answer.text
    assert answer.json()["data"]["origin"] == "waiting_list"
    placed = [m for m in await outbox_rows(db, taken.id) if m["topic"] == "order.placed"]
    assert len(placed) == 1 and placed[0]["partner_id"] == small.partner_id
    with pytest.raises(OfferInvalid):  # taken once
        await waitlist_offers.take_offer(db, LINKS, token, clock(), Holds())


async def test_an_offer_mail_is_voided_when_the_offer_is_gone_before_it_is_sent(
    client: httpx.AsyncClient,
    small: Tenant,
    db: Database,
    clock: FakeClock,
    inbox: tuple[Inbox, SmtpSettings],  # noqa: F811
) -> None:
    box, smtp = inbox
    order = await buy(client, small, 3)
    ann = await join(client, small, "ann@example.com")
    await cancel(client, small, order["id"], [order["tickets"][0]["id"]])
    left = await client.delete(f"/api/v1/waiting_list/{ann['id']}", headers=small.organiser)
    assert left.status_code == 200
    async with httpx.AsyncClient() as http:
        result = await drain(db, http, clock(), smtp=smtp, links=LINKS)
    assert result.voided == 1
    assert box.messages == []


async def test_a_forged_or_an_order_link_does_not_open_an_offer(
    client: httpx.AsyncClient, small: Tenant, db: Database, clock: FakeClock
) -> None:
    order = await buy(client, small, 3)
    ann = await join(client, small, "ann@example.com")
    await cancel(client, small, order["id"], [order["tickets"][0]["id"]])
    entry = await waitlist.get_entry(db, _principal(small), ann["id"])
    token = await _token(db, entry)
    assert (await client.get(f"/my/offers/{token}")).status_code == 200
    forged = token[:-2] + ("AA" if not token.endswith("AA") else "BB")
    assert (await client.get(f"/my/offers/{forged}")).status_code == 404
    # The same entry signed as an order's self-service link opens nothing here...
    secret = await secret_of(db, LINKS, clock())
    assert entry.offer_expires_at is not None
    as_order = sign(secret, entry.id, entry.offer_expires_at)
    assert (await client.get(f"/my/offers/{as_order}")).status_code == 404
    # ...and an offer's token opens no order page.
    assert (await client.get(f"/my/{token}")).status_code == 404
    # Posting without the page's cookie and form token is refused.
    assert (await client.post(f"/my/offers/{token}/take", data={"csrf": "x"})).status_code == 403


async def test_the_openapi_document_shows_the_waiting_list(client: httpx.AsyncClient) -> None:
    paths = (await client.get("/openapi.json")).json()["paths"]
    line = paths["/api/v1/events/{event_id}/sets/{set_id}/waiting_list"]
    assert line["post"]["responses"]["201"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/EntryOut"
    }
    assert "409" in line["post"]["responses"] and "404" in line["get"]["responses"]
    assert "set_not_sold_out" in line["post"]["description"]
    assert "409" in paths["/api/v1/waiting_list/{entry_id}"]["delete"]["responses"]


def _principal(t: Tenant) -> Principal:
    return Principal(org_id=t.org_id)


async def _token(db: Database, entry: Entry) -> str:
    secret = await secret_of(db, LINKS, datetime.now(UTC))
    return offer_url(LINKS, secret, entry).rsplit("/", 1)[1]


async def test_tickets_of_an_event_no_longer_on_sale_are_not_offered(
    client: httpx.AsyncClient, small: Tenant, db: Database
) -> None:
    order = await buy(client, small, 3)
    await join(client, small, "ann@example.com")
    stopped = await client.patch(
        f"/v1/resources/events/{small.event_id}",
        headers=small.organiser,
        json={"status": "cancelled"},
    )
    assert stopped.status_code == 200, stopped.text
    await cancel(client, small, order["id"])
    assert (await entries(client, small))["ann@example.com"]["status"] == "waiting"
    assert await ticket_counts(db, small.set_id) == {"vacant": 3}


@pytest.mark.parametrize("one_set", [False, True])
async def test_cancelling_the_event_or_set_closes_its_waiting_list(
    client: httpx.AsyncClient, small: Tenant, db: Database, clock: FakeClock, one_set: bool
) -> None:
    """Starting the cancellation closes the list in the same transaction (an offer's held
    tickets go back, never to be offered again), nothing is offered while the job cancels the
    orders nor after it, and nobody can join a cancelled event's or set's list."""
    from kassa.app import event_cancellation

    await buy(client, small, 2)
    one = await buy(client, small, 1)
    await join(client, small, "ann@example.com")
    await join(client, small, "bob@example.com")
    await cancel(client, small, one["id"])
    assert (await entries(client, small))["ann@example.com"]["status"] == "offered"
    assert await ticket_counts(db, small.set_id) == {"reserved": 2, "offered": 1}
    body: dict[str, Any] = {"reason": "The artist is ill"}
    if one_set:
        body["set_id"] = small.set_id
    started = await client.post(
        f"/api/v1/events/{small.event_id}/cancellation", headers=small.organiser, json=body
    )
    assert started.status_code in (200, 201, 202), started.text
    line = await entries(client, small)
    assert {e["status"] for e in line.values()} == {"closed"}
    assert line["ann@example.com"]["tickets"] == []
    assert await ticket_counts(db, small.set_id) == {"reserved": 2, "vacant": 1}
    for _ in range(10):  # the job goes round once more after a while, then finishes
        if not await event_cancellation.run_batch(db, clock):
            break
        clock.advance(minutes=10)
    assert {e["status"] for e in (await entries(client, small)).values()} == {"closed"}
    assert await ticket_counts(db, small.set_id) == {"vacant": 3}
    late = await client.post(
        line_url(small), headers=small.organiser, json={"email": "cy@example.com", "quantity": 1}
    )
    assert late.status_code in (400, 409), late.text
    assert late.json()["code"] in ("event_not_on_sale", "set_not_on_sale")
