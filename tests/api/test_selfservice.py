"""Buyer self-service over HTTP, on SQLite and PostgreSQL: the signed link (issued by the
organiser or the selling partner, in the ticket e-mail), the buyer's page and its cancels
through the one engine, and cancellation requests an operator approves or declines, the
decision e-mailed through the outbox over real SMTP."""

import asyncio
import re
from decimal import Decimal
from email.header import decode_header, make_header
from email.message import Message
from typing import Any
from urllib.parse import urlsplit

import httpx

from kassa.app import demo
from kassa.app.outbox import drain
from kassa.app.selflinks import Links
from kassa.notify.smtp import SmtpSettings
from kassa.store.db import Database
from tests.api.test_console import sign_in
from tests.api.test_mail import Inbox, done_order, inbox  # noqa: F401 - the SMTP fixture
from tests.conftest import FakeClock

CSRF = re.compile(r'name="csrf" value="([^"]+)"')
VERSION = re.compile(r'name="version" value="([^"]+)"')
TICKET = re.compile(r'name="tickets" value="([0-9a-f]{24})"')
LINKS = Links("http://127.0.0.1:8000")


def subject(message: Message) -> str:
    return str(make_header(decode_header(message["Subject"])))


async def link(client: httpx.AsyncClient, order_id: str, key: dict[str, str], **body: Any) -> str:
    """The path of a new self-service link to the order."""
    answer = await client.post(
        f"/api/v1/orders/{order_id}/self_service_link", headers=key, json=body or None
    )
    assert answer.status_code == 200, answer.text
    data = answer.json()
    assert data["url"].startswith("http://127.0.0.1:8000/my/")
    assert data["expires_at"]
    return urlsplit(data["url"]).path


async def form_of(client: httpx.AsyncClient, path: str) -> tuple[str, str, list[str]]:
    """Open the page like a browser: (csrf, version, ticket ids)."""
    page = await client.get(path)
    assert page.status_code == 200, page.text
    csrf, version = CSRF.search(page.text), VERSION.search(page.text)
    assert csrf is not None
    return csrf.group(1), version.group(1) if version else "", TICKET.findall(page.text)


async def timeline(client: httpx.AsyncClient, order_id: str, key: dict[str, str]) -> list[Any]:
    answer = await client.get(f"/api/v1/orders/{order_id}/timeline", headers=key)
    entries: list[Any] = answer.json()["timeline"]
    return entries


async def needs_approval(client: httpx.AsyncClient, key: dict[str, str], needs: bool) -> None:
    answer = await client.put(
        f"/api/v1/events/{demo.V2_EVENT_ID}/self_service",
        headers=key,
        json={"needs_approval": needs},
    )
    assert answer.status_code == 200, answer.text


async def test_the_seller_and_the_organiser_get_a_link_that_opens_the_order(
    client: httpx.AsyncClient, seller: dict[str, str], organiser: dict[str, str]
) -> None:
    order = await done_order(client, seller, send_tickets=False)
    for key in (seller, organiser):
        path = await link(client, order["id"], key)
        page = await client.get(path)
        assert page.status_code == 200
        assert f"Order {order['number']}" in page.text
        assert 'Refund: <strong id="my-refund">2500.00' in page.text
        assert page.headers["x-frame-options"] == "DENY"
        assert page.headers["cache-control"] == "no-store"
        assert "kassa_my=" in page.headers.get("set-cookie", "") or client.cookies.get("kassa_my")
    assert "self_service.link_issued" in [
        e["action"] for e in await timeline(client, order["id"], organiser)
    ]


async def test_forged_altered_expired_links_are_404_and_open_nothing_else(
    client: httpx.AsyncClient, seller: dict[str, str], clock: FakeClock
) -> None:
    order = await done_order(client, seller, send_tickets=False)
    other = await done_order(client, seller, send_tickets=False)
    path = await link(client, order["id"], seller, ttl_hours=1)
    token = path.rsplit("/", 1)[1]
    order_id, expiry, mac = token.split(".")
    forged = [
        f"/my/{other['id']}.{expiry}.{mac}",  # another order under this signature
        f"/my/{order_id}.{int(expiry) + 3600}.{mac}",  # a later expiry
        f"/my/{order_id}.{expiry}.{mac[:-2]}AA",  # an altered signature
        f"/my/{order_id}.{expiry}",
        "/my/nothing",
    ]
    for bad in forged:
        answer = await client.get(bad)
        assert answer.status_code == 404, bad
        assert "not valid" in answer.text
    # The link opens this order's page and its actions only: not the console, not the API.
    assert (await client.get("/console/orders")).status_code == 303
    assert (await client.get(f"/v2/resources/orders/{order['id']}")).status_code == 401
    clock.advance(hours=1, seconds=1)
    assert (await client.get(path)).status_code == 404


async def test_another_orders_link_cannot_post_to_this_order(
    client: httpx.AsyncClient, seller: dict[str, str]
) -> None:
    order = await done_order(client, seller, send_tickets=False)
    other = await done_order(client, seller, send_tickets=False)
    path = await link(client, order["id"], seller)
    other_path = await link(client, other["id"], seller)
    csrf, version, tickets = await form_of(client, path)
    # The other order's page, with this page's CSRF token and tickets: refused, nothing moves.
    answer = await client.post(
        f"{other_path}/cancel", data={"csrf": csrf, "version": version, "tickets": tickets[0]}
    )
    assert answer.status_code == 403
    other_csrf, _, _ = await form_of(client, other_path)
    answer = await client.post(
        f"{other_path}/cancel", data={"csrf": other_csrf, "tickets": tickets[0]}
    )
    assert answer.status_code == 400  # not a ticket of that order
    assert (await client.get(path)).status_code == 200


async def test_posts_need_the_pages_csrf_token_and_cookie(
    client: httpx.AsyncClient, seller: dict[str, str]
) -> None:
    order = await done_order(client, seller, send_tickets=False)
    path = await link(client, order["id"], seller)
    csrf, version, _ = await form_of(client, path)
    assert (await client.post(f"{path}/cancel", data={"version": version})).status_code == 403
    client.cookies.clear()
    answer = await client.post(f"{path}/cancel", data={"csrf": csrf, "version": version})
    assert answer.status_code == 403
    assert (await client.get(path)).status_code == 200  # still whole


async def test_the_buyer_cancels_chosen_tickets_then_the_rest_and_the_link_ends(
    client: httpx.AsyncClient, seller: dict[str, str], organiser: dict[str, str]
) -> None:
    order = await done_order(client, seller, send_tickets=False)
    path = await link(client, order["id"], seller)
    csrf, _, tickets = await form_of(client, path)
    assert len(tickets) == 3
    preview = await client.get(path, params={"tickets": tickets[0]})
    assert "Cancel 1 ticket(s)" in preview.text
    version = VERSION.search(preview.text)
    assert version is not None
    answer = await client.post(
        f"{path}/cancel",
        data={"csrf": csrf, "version": version.group(1), "tickets": tickets[0]},
    )
    assert answer.status_code == 303, answer.text
    assert "ok=partially_cancelled" in answer.headers["location"]
    csrf, version_whole, left = await form_of(client, path)
    assert sorted(left) == sorted(tickets[1:])
    done = await client.post(f"{path}/cancel", data={"csrf": csrf, "version": version_whole})
    assert done.status_code == 200
    assert "Your order is cancelled" in done.text
    assert (await client.get(path)).status_code == 404  # the order has ended
    assert (await client.post(f"{path}/cancel", data={"csrf": csrf})).status_code == 404
    entries = await timeline(client, order["id"], organiser)
    buyer = [e for e in entries if e["actor"] == "buyer"]
    assert len(buyer) == 2
    assert all(e["reason"].startswith("customer_request") for e in buyer)
    refused = await client.post(f"/api/v1/orders/{order['id']}/self_service_link", headers=seller)
    assert refused.status_code == 400


FEE = re.compile(r'id="my-fee">([0-9.]+)<')
REFUND = re.compile(r'id="my-refund">([0-9.]+)<')
EVENT_POLICY = f"/api/v1/events/{demo.V2_EVENT_ID}/cancellation_policy"


async def test_the_buyer_page_previews_and_cancels_under_the_events_policy(
    client: httpx.AsyncClient, seller: dict[str, str], organiser: dict[str, str]
) -> None:
    """The page shows the policy's fee and the refund net of it, the cancel keeps exactly
    that fee, and once the window has closed the page says so and a cancel is refused."""
    order = await done_order(client, seller, send_tickets=False)
    path = await link(client, order["id"], seller)
    free = await client.get(path)
    assert FEE.search(free.text) is None and "my-closed" not in free.text
    found = REFUND.search(free.text)
    assert found is not None
    whole = Decimal(found.group(1))
    policy = {"paid": {"fixed_fee": "10.00"}}
    assert (await client.put(EVENT_POLICY, headers=organiser, json=policy)).status_code == 200
    csrf, _, tickets = await form_of(client, path)
    page = await client.get(path, params={"tickets": tickets[0]})
    fee, refund = FEE.search(page.text), REFUND.search(page.text)
    assert fee is not None and refund is not None, page.text
    assert fee.group(1) == "10.00"
    version = VERSION.search(page.text)
    assert version is not None
    api_plan = await client.get(
        f"/api/v1/orders/{order['id']}/cancellation",
        headers=organiser,
        params={"tickets": tickets[0]},
    )
    assert api_plan.json()["refund"]["amount"] == refund.group(1)
    assert api_plan.json()["fee"]["amount"] == "10.00"
    answer = await client.post(
        f"{path}/cancel",
        data={"csrf": csrf, "version": version.group(1), "tickets": tickets[0]},
    )
    assert answer.status_code == 303, answer.text
    [cancelled] = [
        e
        for e in await timeline(client, order["id"], organiser)
        if e["actor"] == "buyer" and "fee" in (e["details"] or {})
    ]
    assert cancelled["details"]["fee"]["amount"] == "10.00"
    assert Decimal(cancelled["details"]["refund"]["amount"]) + 10 < whole

    closed = {"paid": {"fixed_fee": "10.00", "hours_before_start": 87_600}}
    assert (await client.put(EVENT_POLICY, headers=organiser, json=closed)).status_code == 200
    page = await client.get(path)
    assert 'id="my-closed"' in page.text and 'id="my-cancel"' not in page.text
    version_now = (
        await client.get(f"/api/v1/orders/{order['id']}/cancellation", headers=organiser)
    ).json()["version"]
    refused = await client.post(f"{path}/cancel", data={"csrf": csrf, "version": version_now})
    assert refused.status_code == 409
    assert len(TICKET.findall((await client.get(path)).text)) == 2


async def test_an_approval_past_the_window_is_the_organisers_override_at_the_policys_fee(
    client: httpx.AsyncClient, seller: dict[str, str], organiser: dict[str, str]
) -> None:
    await needs_approval(client, organiser, True)
    closed = {"paid": {"fixed_fee": "10.00", "hours_before_start": 87_600}}
    assert (await client.put(EVENT_POLICY, headers=organiser, json=closed)).status_code == 200
    order = await done_order(client, seller, send_tickets=False)
    path = await link(client, order["id"], seller)
    csrf, _, _ = await form_of(client, path)
    assert (await client.post(f"{path}/request", data={"csrf": csrf})).status_code == 303
    _, console_csrf = await sign_in(client)
    found = re.search(r'id="request-([0-9a-f]{24})"', (await client.get("/console/requests")).text)
    assert found is not None
    approved = await client.post(
        f"/console/requests/{found.group(1)}/approve", data={"csrf": console_csrf, "reason": "ok"}
    )
    assert approved.status_code == 303, approved.text
    [cancelled] = [
        e
        for e in await timeline(client, order["id"], organiser)
        if e["actor"] == "buyer" and "fee" in (e["details"] or {})
    ]
    fee = cancelled["details"]["fee"]
    assert fee["amount"] == "10.00" and fee["allowed"] is False
    assert fee["override"] == {
        "by": f"operator:{demo.OPERATOR_EMAIL}",
        "reason": "approved cancellation request",
    }


async def test_a_stale_preview_is_refused(
    client: httpx.AsyncClient, seller: dict[str, str], organiser: dict[str, str]
) -> None:
    order = await done_order(client, seller, send_tickets=False)
    path = await link(client, order["id"], seller)
    csrf, version, tickets = await form_of(client, path)
    answer = await client.post(
        f"/api/v1/orders/{order['id']}/cancellation",
        headers=organiser,
        json={"reason": "customer_request", "tickets": [tickets[0]]},
    )
    assert answer.status_code == 200, answer.text
    stale = await client.post(f"{path}/cancel", data={"csrf": csrf, "version": version})
    assert stale.status_code == 409


async def test_request_then_approve_cancels_and_mails_the_buyer(
    client: httpx.AsyncClient,
    seller: dict[str, str],
    organiser: dict[str, str],
    db: Database,
    clock: FakeClock,
    inbox: tuple[Inbox, SmtpSettings],  # noqa: F811
) -> None:
    box, smtp = inbox
    await needs_approval(client, organiser, True)
    order = await done_order(client, seller)
    async with httpx.AsyncClient() as http:
        await drain(db, http, clock(), smtp=smtp, links=LINKS)
    [tickets_mail] = box.messages
    body = tickets_mail.get_payload()[0].get_payload(decode=True).decode()
    found = re.search(r"http://127\.0\.0\.1:8000(/my/\S+)", body)
    assert found is not None, body
    path = found.group(1)
    csrf, version, _ = await form_of(client, path)
    page = await client.get(path)
    assert "Request cancellation" in page.text and "my-cancel" not in page.text
    direct = await client.post(f"{path}/cancel", data={"csrf": csrf, "version": version})
    assert direct.status_code == 409  # this event's cancellations need approval
    asked = await client.post(f"{path}/request", data={"csrf": csrf, "comment": "ill"})
    assert asked.status_code == 303
    again = await client.post(f"{path}/request", data={"csrf": csrf})
    assert again.status_code == 409
    assert "Cancellation requested" in (await client.get(path)).text

    _, console_csrf = await sign_in(client)
    listed = await client.get("/console/requests")
    assert str(order["number"]) in listed.text and "ill" in listed.text
    request_id = re.search(r'id="request-([0-9a-f]{24})"', listed.text)
    assert request_id is not None
    approved = await client.post(
        f"/console/requests/{request_id.group(1)}/approve",
        data={"csrf": console_csrf, "reason": "get well"},
    )
    assert approved.status_code == 303, approved.text
    twice = await client.post(
        f"/console/requests/{request_id.group(1)}/decline",
        data={"csrf": console_csrf, "reason": "no"},
    )
    assert twice.status_code == 409
    state = (await client.get(f"/v2/resources/orders/{order['id']}", headers=seller)).json()
    assert not [t for t in state["data"]["tickets"] if t.get("status") == "sold"]
    assert (await client.get(path)).status_code == 404
    async with httpx.AsyncClient() as http:
        await drain(db, http, clock(), smtp=smtp, links=LINKS)
    decision = box.messages[-1]
    assert box.recipients[-1] == ["buyer@example.ru"]
    assert "подтверждена" in subject(decision)
    assert "get well" in decision.get_payload(decode=True).decode()
    actions = [(e["actor"], e["action"]) for e in await timeline(client, order["id"], organiser)]
    assert ("buyer", "cancellation.requested") in actions
    assert any(actor == "buyer" and "cancel" in action for actor, action in actions[-3:])
    assert ("operator:" + demo.OPERATOR_EMAIL, "cancellation.request_approved") in actions


async def test_request_then_decline_keeps_the_order_and_mails_the_reason(
    client: httpx.AsyncClient,
    seller: dict[str, str],
    organiser: dict[str, str],
    db: Database,
    clock: FakeClock,
    inbox: tuple[Inbox, SmtpSettings],  # noqa: F811
) -> None:
    box, smtp = inbox
    await needs_approval(client, organiser, True)
    order = await done_order(client, seller, send_tickets=False)
    path = await link(client, order["id"], seller)
    csrf, _, tickets = await form_of(client, path)
    asked = await client.post(f"{path}/request", data={"csrf": csrf, "tickets": tickets[0]})
    assert asked.status_code == 303
    _, console_csrf = await sign_in(client)
    listed = await client.get("/console/requests")
    request_id = re.search(r'id="request-([0-9a-f]{24})"', listed.text)
    assert request_id is not None and "1 ticket(s)" in listed.text
    declined = await client.post(
        f"/console/requests/{request_id.group(1)}/decline",
        data={"csrf": console_csrf, "reason": "too close to the show"},
    )
    assert declined.status_code == 303
    assert "No request is waiting" in (await client.get("/console/requests")).text
    page = await client.get(path)
    assert page.status_code == 200 and len(TICKET.findall(page.text)) == 3
    async with httpx.AsyncClient() as http:
        await drain(db, http, clock(), smtp=smtp, links=LINKS)
    [decision] = box.messages
    assert "отклонена" in subject(decision)
    assert "too close to the show" in decision.get_payload(decode=True).decode()


async def test_an_approval_and_a_decline_at_once_decide_once(
    client: httpx.AsyncClient,
    seller: dict[str, str],
    organiser: dict[str, str],
) -> None:
    """Two operators decide the same request at the same moment: one decision stands, and the
    order is exactly as that decision says (never cancelled under a declined request)."""
    await needs_approval(client, organiser, True)
    order = await done_order(client, seller, send_tickets=False)
    path = await link(client, order["id"], seller)
    csrf, _, _ = await form_of(client, path)
    assert (await client.post(f"{path}/request", data={"csrf": csrf})).status_code == 303
    _, console_csrf = await sign_in(client)
    listed = await client.get("/console/requests")
    found = re.search(r'id="request-([0-9a-f]{24})"', listed.text)
    assert found is not None
    request_id = found.group(1)

    async def decide(verb: str) -> int:
        answer = await client.post(
            f"/console/requests/{request_id}/{verb}", data={"csrf": console_csrf, "reason": verb}
        )
        return answer.status_code

    approved, declined = await asyncio.gather(decide("approve"), decide("decline"))
    assert sorted([approved, declined]) == [303, 409], (approved, declined)
    state = (await client.get(f"/v2/resources/orders/{order['id']}", headers=seller)).json()
    sold = [t for t in state["data"]["tickets"] if t.get("status") == "sold"]
    actions = [e["action"] for e in await timeline(client, order["id"], organiser)]
    if approved == 303:
        assert not sold and "cancellation.request_approved" in actions
        assert "cancellation.request_declined" not in actions
    else:
        assert sold and "cancellation.request_declined" in actions
        assert "cancellation.request_approved" not in actions
        assert not [a for a in actions if a.startswith("order.cancel")]


async def test_the_link_ends_with_the_order_when_it_expires(
    client: httpx.AsyncClient, organiser: dict[str, str], clock: FakeClock
) -> None:
    held = await client.post(
        "/v1/resources/orders",
        json={"event": demo.EVENT_ID, "random": {demo.STALLS_SET_ID: 1}},
        headers=organiser,
    )
    order = held.json()
    path = await link(client, order["id"], organiser)
    assert (await client.get(path)).status_code == 200
    clock.advance(minutes=11)
    assert (await client.get(path)).status_code == 404


async def test_a_partner_cannot_link_an_order_it_did_not_sell(
    client: httpx.AsyncClient, organiser: dict[str, str], seller: dict[str, str]
) -> None:
    held = await client.post(
        "/v1/resources/orders",
        json={"event": demo.EVENT_ID, "random": {demo.STALLS_SET_ID: 1}},
        headers=organiser,
    )
    answer = await client.post(
        f"/api/v1/orders/{held.json()['id']}/self_service_link", headers=seller
    )
    assert answer.status_code == 404
