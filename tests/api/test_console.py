"""The operator console over HTTP, on SQLite and PostgreSQL: sign-in, sessions and CSRF, what
each tenant and role may see and do, and the console's commands reaching the order core.
(The same pages in a real browser: tests/e2e/test_console_browser.py.)"""

import asyncio
import re
from datetime import timedelta
from typing import Any

import httpx
import pytest

from kassa.app import demo, operators, tenants
from kassa.config import Settings
from kassa.core.pricing import FeePolicy
from kassa.store.db import Database
from tests.api.test_delivery import order_body, send, token
from tests.conftest import FakeClock, create_app

ORGANISER = {"Authorization": f"key {demo.ORG_KEY}"}
CSRF = re.compile(r'name="csrf" value="([^"]+)"')


async def sign_in(
    client: httpx.AsyncClient, email: str = demo.OPERATOR_EMAIL, password: str = "kassa-demo"
) -> tuple[httpx.Response, str]:
    """Sign in like a browser: fetch the form (its CSRF cookie), post it. Returns the answer
    and the session's CSRF token taken from the next page."""
    form = await client.get("/console/login")
    assert form.status_code == 200
    token = CSRF.search(form.text)
    assert token is not None
    answer = await client.post(
        "/console/login",
        data={"email": email, "password": password, "csrf": token.group(1), "next": ""},
    )
    if answer.status_code != 303:
        return answer, ""
    page = await client.get("/console/orders")
    found = CSRF.search(page.text)
    assert found is not None, page.text[:500]
    return answer, found.group(1)


async def reserve(client: httpx.AsyncClient, count: int = 2) -> dict[str, Any]:
    response = await client.post(
        "/v1/resources/orders",
        json={"event": demo.EVENT_ID, "random": {demo.STALLS_SET_ID: count}},
        headers=ORGANISER,
    )
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


async def vacant(client: httpx.AsyncClient) -> int:
    event = (await client.get(f"/v1/resources/events/{demo.EVENT_ID}", headers=ORGANISER)).json()
    sets = {s["id"]: s for s in event["sets"]}
    return int(sets[demo.STALLS_SET_ID]["amount_vacant"])


async def test_pages_need_a_session_and_sign_in_sets_a_safe_cookie(
    client: httpx.AsyncClient, demo_data: demo.DemoInfo
) -> None:
    first = await client.get("/console/orders")
    assert first.status_code == 303
    assert first.headers["location"] == "/console/login?next=%2Fconsole%2Forders"

    wrong, _ = await sign_in(client, password="not-the-password")
    assert wrong.status_code == 401
    assert "Wrong e-mail or password" in wrong.text
    unknown, _ = await sign_in(client, email="nobody@demo.kassa")
    assert unknown.status_code == 401
    assert "Wrong e-mail or password" in unknown.text

    answer, csrf = await sign_in(client)
    assert answer.status_code == 303
    cookie = answer.headers["set-cookie"]
    assert "kassa_session=" in cookie
    assert "HttpOnly" in cookie
    assert "SameSite=lax" in cookie
    assert "Path=/console" in cookie
    page = await client.get("/console/")
    assert page.status_code == 200
    assert "Dashboard" in page.text
    assert page.headers["x-frame-options"] == "DENY"
    assert "default-src 'self'" in page.headers["content-security-policy"]
    assert page.headers["cache-control"] == "no-store"
    assert csrf


async def test_sign_in_without_the_forms_token_is_refused(
    client: httpx.AsyncClient, demo_data: demo.DemoInfo
) -> None:
    answer = await client.post(
        "/console/login", data={"email": demo.OPERATOR_EMAIL, "password": "kassa-demo"}
    )
    assert answer.status_code == 403
    assert "kassa_session" not in answer.headers.get("set-cookie", "")


async def test_every_form_needs_the_sessions_csrf_token(
    client: httpx.AsyncClient, demo_data: demo.DemoInfo
) -> None:
    order = await reserve(client)
    _, csrf = await sign_in(client)
    url = f"/console/orders/tickets/{order['id']}/cancellation"
    for data in ({"reason": "customer_request"}, {"reason": "customer_request", "csrf": "x" * 40}):
        refused = await client.post(url, data=data)
        assert refused.status_code == 403, refused.text
        assert "did not come from this console" in refused.text
    still = await client.get(f"/v1/resources/orders/{order['id']}", headers=ORGANISER)
    assert still.json()["status"] == "executed"
    # The header htmx sends works as well as the field.
    done = await client.post(
        url, data={"reason": "customer_request"}, headers={"X-CSRF-Token": csrf}
    )
    assert done.status_code == 303, done.text


async def test_cancel_with_the_preview_applies_that_plan_and_names_the_operator(
    client: httpx.AsyncClient, demo_data: demo.DemoInfo
) -> None:
    before = await vacant(client)
    order = await reserve(client, 3)
    assert await vacant(client) == before - 3
    _, csrf = await sign_in(client)

    page = await client.get(f"/console/orders/tickets/{order['id']}")
    assert page.status_code == 200
    assert str(order["number"]) in page.text
    tickets = re.findall(r'name="tickets" value="([0-9a-f]{24})"', page.text)
    assert len(tickets) == 3

    # A partial cancel of one ticket: previewed, then applied with the preview's version.
    preview = await client.get(
        f"/console/orders/tickets/{order['id']}/cancellation",
        params={"tickets": tickets[0]},
        headers={"HX-Request": "true"},
    )
    assert preview.status_code == 200
    assert '<strong id="preview-tickets">1</strong>' in preview.text
    version = re.search(r'name="version" value="([^"]+)"', preview.text)
    assert version is not None
    applied = await client.post(
        f"/console/orders/tickets/{order['id']}/cancellation",
        data={
            "csrf": csrf,
            "version": version.group(1),
            "tickets": tickets[0],
            "reason": "customer_request",
            "comment": "one seat less",
        },
    )
    assert applied.status_code == 303
    assert applied.headers["location"].endswith("ok=partially_cancelled")
    assert await vacant(client) == before - 2

    # The old preview no longer matches: refused, nothing changes.
    stale = await client.post(
        f"/console/orders/tickets/{order['id']}/cancellation",
        data={"csrf": csrf, "version": version.group(1), "reason": "customer_request"},
    )
    assert stale.status_code == 409
    assert await vacant(client) == before - 2

    whole = await client.get(f"/console/orders/tickets/{order['id']}/cancellation")
    assert whole.status_code == 200
    assert '<strong id="preview-tickets">2</strong>' in whole.text
    version = re.search(r'name="version" value="([^"]+)"', whole.text)
    assert version is not None
    done = await client.post(
        f"/console/orders/tickets/{order['id']}/cancellation",
        data={"csrf": csrf, "version": version.group(1), "reason": "duplicate_order"},
    )
    assert done.status_code == 303
    assert await vacant(client) == before

    timeline = (
        await client.get(f"/api/v1/orders/{order['id']}/timeline", headers=ORGANISER)
    ).json()["timeline"]
    cancels = [e for e in timeline if e["action"] in ("order.partially_canceled", "order.canceled")]
    assert [e["actor"] for e in cancels] == [f"operator:{demo.OPERATOR_EMAIL}"] * 2
    assert cancels[0]["reason"] == "customer_request: one seat less"
    assert cancels[1]["reason"] == "duplicate_order"
    shown = await client.get(f"/console/orders/tickets/{order['id']}")
    assert f'title="operator:{demo.OPERATOR_EMAIL}">by {demo.OPERATOR_EMAIL}<' in shown.text
    assert 'id="order-status" title="canceled">Cancelled<' in shown.text


async def test_confirm_and_resend_tickets(
    client: httpx.AsyncClient, demo_data: demo.DemoInfo, db: Database, clock: FakeClock
) -> None:
    order = await client.post(
        "/v1/resources/orders",
        json={"event": demo.EVENT_ID, "random": {demo.STALLS_SET_ID: 1}},
        headers=ORGANISER,
    )
    order_id = order.json()["id"]
    await client.patch(
        f"/v1/resources/orders/{order_id}",
        json={"customer": {"email": "buyer@example.com"}},
        headers=ORGANISER,
    )
    _, csrf = await sign_in(client)
    confirmed = await client.post(
        f"/console/orders/tickets/{order_id}/confirm", data={"csrf": csrf}
    )
    assert confirmed.status_code == 303
    got = (await client.get(f"/v1/resources/orders/{order_id}", headers=ORGANISER)).json()
    assert got["status"] == "done"
    resent = await client.post(
        f"/console/orders/tickets/{order_id}/resend",
        data={"csrf": csrf, "email": "other@example.com"},
    )
    assert resent.status_code == 303
    async with db.unit_of_work() as uow:
        mails = [m for m in await uow.outbox.claim(clock(), 100) if m.topic == "tickets.email"]
    assert [m.payload["email"] for m in mails] == ["other@example.com"]
    # Confirming twice is refused in the console's own format (a page, not JSON).
    again = await client.post(f"/console/orders/tickets/{order_id}/confirm", data={"csrf": csrf})
    assert again.status_code == 400
    assert again.headers["content-type"].startswith("text/html")


async def test_orders_list_finds_orders_of_every_face(
    client: httpx.AsyncClient, demo_data: demo.DemoInfo
) -> None:
    ticket = await reserve(client, 1)
    await client.patch(
        f"/v1/resources/orders/{ticket['id']}",
        json={"customer": {"email": "Finder@Example.com"}},
        headers=ORGANISER,
    )
    auth = await token(client)
    created = await send(client, "POST", "/order", auth, order_body("190330-20202020"))
    assert created.status_code == 200, created.text
    await sign_in(client)

    listing = await client.get("/console/orders")
    assert f">{ticket['number']}</a>" in listing.text
    assert ">190330-20202020</a>" in listing.text
    by_number = await client.get("/console/orders", params={"q": str(ticket["number"])})
    assert f">{ticket['number']}</a>" in by_number.text
    assert "190330-20202020" not in by_number.text
    by_email = await client.get("/console/orders", params={"q": "finder@example.com"})
    assert f">{ticket['number']}</a>" in by_email.text
    by_phone = await client.get("/console/orders", params={"q": "+7 999 000-00-01"})
    assert ">190330-20202020</a>" in by_phone.text
    delivery_only = await client.get("/console/orders", params={"face": "delivery"})
    assert f">{ticket['number']}</a>" not in delivery_only.text
    cancelled = await client.get("/console/orders", params={"stage": "cancelled"})
    assert 'id="no-orders"' in cancelled.text
    fragment = await client.get(
        "/console/orders",
        params={"face": "tickets"},
        headers={"HX-Request": "true", "HX-Target": "results"},
    )
    assert "<html" not in fragment.text
    assert f">{ticket['number']}</a>" in fragment.text
    bad = await client.get("/console/orders", params={"since": "yesterday"})
    assert bad.status_code == 400
    assert "is not a date" in bad.text


async def second_tenant(db: Database, clock: FakeClock) -> str:
    org = await tenants.create_organisation(db, "Other Org", FeePolicy(), clock())
    await operators.create_operator(
        db,
        org_id=org,
        email="boss@other.example",
        password="other-password",
        role="admin",
        now=clock(),
    )
    return org


async def test_an_operator_sees_only_their_own_tenant(
    client: httpx.AsyncClient, demo_data: demo.DemoInfo, db: Database, clock: FakeClock
) -> None:
    order = await reserve(client, 1)
    auth = await token(client)
    delivery = (await send(client, "POST", "/order", auth, order_body("190330-30303030"))).json()
    await second_tenant(db, clock)
    _, csrf = await sign_in(client, "boss@other.example", "other-password")

    for url in (
        f"/console/orders/tickets/{order['id']}",
        f"/console/orders/tickets/{order['id']}/cancellation",
        f"/console/orders/delivery/{delivery['orderId']}",
        f"/events/{demo.EVENT_ID}".replace("/events", "/console/events"),
    ):
        page = await client.get(url)
        assert page.status_code == 404, (url, page.status_code)
    listing = await client.get("/console/orders")
    assert 'id="no-orders"' in listing.text
    refused = await client.post(
        f"/console/orders/tickets/{order['id']}/cancellation",
        data={"csrf": csrf, "reason": "fraud_suspected"},
    )
    assert refused.status_code == 404
    moved = await client.post(
        f"/console/orders/delivery/{delivery['orderId']}/status",
        data={"csrf": csrf, "status": "ACCEPTED_BY_RESTAURANT"},
    )
    assert moved.status_code == 404
    still = await client.get(f"/v1/resources/orders/{order['id']}", headers=ORGANISER)
    assert still.json()["status"] == "executed"


async def test_roles_and_narrowed_accounts(
    client: httpx.AsyncClient, demo_data: demo.DemoInfo, db: Database, clock: FakeClock
) -> None:
    order = await reserve(client, 1)
    await operators.create_operator(
        db,
        org_id=demo.ORG_ID,
        email="look@demo.kassa",
        password="viewer-pass",
        role="viewer",
        now=clock(),
    )
    _, csrf = await sign_in(client, "look@demo.kassa", "viewer-pass")
    page = await client.get(f"/console/orders/tickets/{order['id']}")
    assert page.status_code == 200
    assert "Cancel order" not in page.text
    refused = await client.post(
        f"/console/orders/tickets/{order['id']}/cancellation",
        data={"csrf": csrf, "reason": "customer_request"},
    )
    assert refused.status_code == 403
    assert "needs the operator role" in refused.text

    client.cookies.clear()
    _, csrf = await sign_in(client, demo.KITCHEN_EMAIL, "kassa-demo")
    assert (await client.get(f"/console/orders/tickets/{order['id']}")).status_code == 403
    assert (await client.get("/console/events")).status_code == 403
    assert (await client.get("/console/kitchen")).status_code == 200
    assert (await client.get("/console/webhooks")).status_code == 403
    listing = await client.get("/console/orders")
    assert f">{order['number']}</a>" not in listing.text


async def test_kitchen_board_moves_cards_and_the_timeline_names_the_cook(
    client: httpx.AsyncClient, demo_data: demo.DemoInfo
) -> None:
    auth = await token(client)
    created = (await send(client, "POST", "/order", auth, order_body("190330-40404040"))).json()
    order_id = created["orderId"]
    _, csrf = await sign_in(client, demo.KITCHEN_EMAIL, "kassa-demo")
    board = await client.get("/console/kitchen")
    assert 'data-order="190330-40404040"' in board.text
    for step in ("ACCEPTED_BY_RESTAURANT", "COOKING", "READY"):
        moved = await client.post(
            f"/console/orders/delivery/{order_id}/status",
            data={"csrf": csrf, "status": step, "back": "/console/kitchen"},
            headers={"HX-Request": "true"},
        )
        assert moved.status_code == 200, moved.text
        column = re.search(rf'data-status="{step}">(.*?)</section>', moved.text, flags=re.DOTALL)
        assert column is not None and "190330-40404040" in column.group(1)
    status = await send(client, "GET", f"/order/{order_id}/status", auth)
    assert status.json()["status"] == "READY"
    timeline = (await client.get(f"/api/v1/orders/{order_id}/timeline", headers=ORGANISER)).json()[
        "timeline"
    ]
    assert [e["actor"] for e in timeline[1:]] == [f"operator:{demo.KITCHEN_EMAIL}"] * 3
    # Delivered by the courier is not the kitchen's to set.
    wrong = await client.post(
        f"/console/orders/delivery/{order_id}/status",
        data={"csrf": csrf, "status": "DELIVERED"},
    )
    assert wrong.status_code == 400


async def test_loyalty_member_lookup_and_adjustment(
    client: httpx.AsyncClient, demo_data: demo.DemoInfo
) -> None:
    _, csrf = await sign_in(client)
    page = await client.get("/console/loyalty", params={"phone": demo.MEMBER})
    assert page.status_code == 200
    assert '<dd id="balance">1000.00</dd>' in page.text
    adjusted = await client.post(
        f"/console/loyalty/{demo.SHOP_ID}/members/{demo.MEMBER}/adjust",
        data={"csrf": csrf, "amount": "-250.50", "reason": "goodwill correction"},
    )
    assert adjusted.status_code == 303
    page = await client.get("/console/loyalty", params={"phone": demo.MEMBER})
    assert '<dd id="balance">749.50</dd>' in page.text
    assert "goodwill correction (by admin@demo.kassa)" in page.text
    bad = await client.post(
        f"/console/loyalty/{demo.SHOP_ID}/members/{demo.MEMBER}/adjust",
        data={"csrf": csrf, "amount": "lots", "reason": "x"},
    )
    assert bad.status_code == 400
    page = await client.get("/console/loyalty", params={"phone": demo.MEMBER})
    assert '<dd id="balance">749.50</dd>' in page.text


async def test_dashboard_counts_sales_and_cancellations_with_reasons(
    client: httpx.AsyncClient, demo_data: demo.DemoInfo
) -> None:
    _, csrf = await sign_in(client)
    empty = await client.get("/console/")
    assert '<strong id="total-cancellations">0</strong>' in empty.text
    order = await reserve(client, 1)
    preview = await client.get(f"/console/orders/tickets/{order['id']}/cancellation")
    version = re.search(r'name="version" value="([^"]+)"', preview.text)
    assert version is not None
    await client.post(
        f"/console/orders/tickets/{order['id']}/cancellation",
        data={"csrf": csrf, "version": version.group(1), "reason": "event_changed"},
    )
    sold = await reserve(client, 2)
    await client.patch(
        f"/v1/resources/orders/{sold['id']}", json={"status": "in_progress"}, headers=ORGANISER
    )
    await client.patch(
        f"/v1/resources/orders/{sold['id']}", json={"status": "done"}, headers=ORGANISER
    )
    board = await client.get("/console/")
    assert '<strong id="total-cancellations">1</strong>' in board.text
    assert '<strong id="total-sales">1</strong>' in board.text
    assert '<td>The event changed</td><td class="num">1</td>' in board.text
    assert "<rect" in board.text


async def test_catalogue_forms_create_an_event_a_set_a_rule_and_a_promo_code(
    client: httpx.AsyncClient, demo_data: demo.DemoInfo, clock: FakeClock
) -> None:
    _, csrf = await sign_in(client)
    starts = (clock() + timedelta(days=10)).strftime("%Y-%m-%dT%H:%M")
    ends = (clock() + timedelta(days=10, hours=2)).strftime("%Y-%m-%dT%H:%M")
    made = await client.post(
        "/console/events",
        data={
            "csrf": csrf,
            "title": "Console gig",
            "starts_at": starts,
            "ends_at": ends,
            "timezone": "Europe/Moscow",
            "status": "public",
        },
    )
    assert made.status_code == 303, made.text
    event_url = made.headers["location"].split("?")[0]
    event_id = event_url.rsplit("/", 1)[1]
    added = await client.post(
        f"{event_url}/sets",
        data={"csrf": csrf, "name": "Floor", "price": "1500.50", "capacity": "40"},
    )
    assert added.status_code == 303, added.text
    page = await client.get(event_url)
    set_id = re.search(r'data-set="([0-9a-f]{24})"', page.text)
    assert set_id is not None
    assert '<td class="num vacant">40</td>' in page.text
    rule = await client.post(
        f"{event_url}/sets/{set_id.group(1)}/rules",
        data={"csrf": csrf, "price": "2000", "starts_at": starts, "ends_at": ""},
    )
    assert rule.status_code == 303, rule.text
    promo = await client.post(
        f"{event_url}/promocodes",
        data={"csrf": csrf, "code": "GIG10", "kind": "percentage", "value": "10"},
    )
    assert promo.status_code == 303, promo.text
    event = (await client.get(f"/v1/resources/events/{event_id}", headers=ORGANISER)).json()
    assert event["title"]["text"] == "Console gig"
    assert [s["amount"] for s in event["sets"]] == [40]
    bad = await client.post(
        f"{event_url}/sets", data={"csrf": csrf, "name": "X", "price": "abc", "capacity": "4"}
    )
    assert bad.status_code == 400
    event = (await client.get(f"/v1/resources/events/{event_id}", headers=ORGANISER)).json()
    assert len(event["sets"]) == 1


async def test_logout_ends_the_session(client: httpx.AsyncClient, demo_data: demo.DemoInfo) -> None:
    _, csrf = await sign_in(client)
    out = await client.post("/console/logout", data={"csrf": csrf})
    assert out.status_code == 303
    assert (await client.get("/console/")).status_code == 303


@pytest.mark.parametrize("path", ["/console/orders/tickets/x'><script>", "/console/nope"])
async def test_unknown_pages_answer_in_html(
    client: httpx.AsyncClient, demo_data: demo.DemoInfo, path: str
) -> None:
    await sign_in(client)
    page = await client.get(path)
    assert page.status_code == 404
    assert page.headers["content-type"].startswith("text/html")
    assert "<script>" not in page.text


async def test_delivery_and_loyalty_orders_are_cancelled_from_their_pages(
    client: httpx.AsyncClient, demo_data: demo.DemoInfo, db: Database
) -> None:
    from tests.api.test_delivery import stock
    from tests.api.test_loyalty import cart, ledger_state, ok

    auth = await token(client)
    before = await stock(client)
    created = await send(client, "POST", "/order", auth, order_body("190330-50505050", borscht=3))
    order_id = created.json()["orderId"]
    _, csrf = await sign_in(client)
    page = await client.get(f"/console/orders/delivery/{order_id}")
    assert page.status_code == 200
    items = re.search(r'id="preview-items">([^<]*)<', page.text)
    assert items is not None
    assert items.group(1).split()[0] == "3", items.group(1)  # 3 x the borscht
    version = re.search(r'name="version" value="([^"]+)"', page.text)
    assert version is not None
    done = await client.post(
        f"/console/orders/delivery/{order_id}/cancel",
        data={"csrf": csrf, "version": version.group(1), "reason": "place.missing_dish"},
    )
    assert done.status_code == 303, done.text
    assert await stock(client) == before
    shown = await client.get(f"/console/orders/delivery/{order_id}")
    assert 'id="order-status" title="CANCELLED">Cancelled<' in shown.text
    assert 'id="cancel-preview"' not in shown.text

    member_before = await ledger_state(client, demo.MEMBER)
    await ok(
        client,
        "apply",
        order_id="CONSOLE-1",
        identifier=demo.MEMBER,
        charge_bonuses=True,
        cart_items=cart(("latte", "250", 2)),
    )
    await ok(client, "confirm", order_id="CONSOLE-1")
    async with db.unit_of_work(write=False) as uow:
        found = await uow.loyalty.order(demo.SHOP_ID, "CONSOLE-1")
    assert found is not None
    page = await client.get(f"/console/orders/loyalty/{found.id}")
    assert "Bonuses given back to " in page.text
    version = re.search(r'name="version" value="([^"]+)"', page.text)
    assert version is not None
    done = await client.post(
        f"/console/orders/loyalty/{found.id}/cancel",
        data={"csrf": csrf, "version": version.group(1), "reason": "customer_request"},
    )
    assert done.status_code == 303, done.text
    assert await ledger_state(client, demo.MEMBER) == member_before
    timeline = (await client.get(f"/api/v1/orders/{found.id}/timeline", headers=ORGANISER)).json()[
        "timeline"
    ]
    assert timeline[-1]["actor"] == f"operator:{demo.OPERATOR_EMAIL}"
    assert timeline[-1]["reason"] == "customer_request"


async def test_catalogue_forms_edit_a_set_drop_a_rule_and_change_a_promo_code(
    client: httpx.AsyncClient, demo_data: demo.DemoInfo, clock: FakeClock
) -> None:
    _, csrf = await sign_in(client)
    event_url = f"/console/events/{demo.EVENT_ID}"
    saved = await client.post(
        f"{event_url}/sets/{demo.STALLS_SET_ID}",
        data={"csrf": csrf, "name": "Stalls", "price": "120.00", "capacity": "150"},
    )
    assert saved.status_code == 303, saved.text
    event = (await client.get(f"/v1/resources/events/{demo.EVENT_ID}", headers=ORGANISER)).json()
    stalls = next(s for s in event["sets"] if s["id"] == demo.STALLS_SET_ID)
    assert stalls["amount"] == 150
    assert stalls["name"] == "Stalls"

    starts = (clock() + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")
    await client.post(
        f"{event_url}/sets/{demo.STALLS_SET_ID}/rules",
        data={"csrf": csrf, "price": "90", "starts_at": starts, "ends_at": ""},
    )
    page = await client.get(event_url)
    deletes = re.findall(r'/rules/([0-9a-f]{24})/delete"', page.text)
    assert len(deletes) == 1
    dropped = await client.post(
        f"{event_url}/sets/{demo.STALLS_SET_ID}/rules/{deletes[0]}/delete", data={"csrf": csrf}
    )
    assert dropped.status_code == 303
    page = await client.get(event_url)
    assert "/delete" not in page.text

    await client.post(
        f"{event_url}/promocodes",
        data={"csrf": csrf, "code": "EDITME", "kind": "percentage", "value": "5"},
    )
    page = await client.get(event_url)
    promo_id = re.search(r'/promocodes/([0-9a-f]{24})"', page.text)
    assert promo_id is not None
    changed = await client.post(
        f"{event_url}/promocodes/{promo_id.group(1)}",
        data={"csrf": csrf, "value": "7", "usage_limit": "3"},
    )
    assert changed.status_code == 303, changed.text
    off = await client.post(
        f"{event_url}/promocodes/{promo_id.group(1)}", data={"csrf": csrf, "active": "0"}
    )
    assert off.status_code == 303
    page = await client.get(event_url)
    row = re.search(r"<tr><td>EDITME</td>(.*?)</tr>", page.text, flags=re.DOTALL)
    assert row is not None
    assert '<td class="num">7.00%</td>' in row.group(1) or '<td class="num">7%</td>' in row.group(
        1
    ), row.group(1)
    assert '<td class="num">3</td>' in row.group(1)
    assert ">Activate<" in row.group(1)


async def test_wrong_passwords_in_a_row_lock_the_account_for_a_while(
    client: httpx.AsyncClient, demo_data: demo.DemoInfo, clock: FakeClock
) -> None:
    for _ in range(operators.LOCK_AFTER - 1):
        wrong, _ = await sign_in(client, password="guess-guess")
        assert "Wrong e-mail or password" in wrong.text
    right, _ = await sign_in(client)  # a success in between starts the count again
    assert right.status_code == 303
    client.cookies.clear()
    for _ in range(operators.LOCK_AFTER):
        wrong, _ = await sign_in(client, password="guess-guess")
        assert wrong.status_code == 401
    locked, _ = await sign_in(client)
    assert locked.status_code == 401
    assert operators.WRONG_SIGN_IN in locked.text  # as a wrong password: nothing told
    other, _ = await sign_in(client, demo.KITCHEN_EMAIL)  # only that account is locked
    assert other.status_code == 303
    client.cookies.clear()
    clock.advance(minutes=15, seconds=1)
    again, _ = await sign_in(client)
    assert again.status_code == 303


async def test_a_narrowed_operators_dashboard_counts_only_their_restaurant(
    client: httpx.AsyncClient, demo_data: demo.DemoInfo
) -> None:
    order = await reserve(client, 1)
    cancelled = await client.patch(
        f"/v1/resources/orders/{order['id']}", json={"status": "canceled"}, headers=ORGANISER
    )
    assert cancelled.status_code == 200
    auth = await token(client)
    created = await send(client, "POST", "/order", auth, order_body("190330-70707070"))
    gone = await send(
        client,
        "DELETE",
        f"/order/{created.json()['orderId']}",
        auth,
        {"eatsId": "190330-70707070", "comment": "the client left"},
    )
    assert gone.status_code == 200, gone.text
    await sign_in(client)
    board = await client.get("/console/")
    assert '<strong id="total-cancellations">2</strong>' in board.text
    client.cookies.clear()
    await sign_in(client, demo.KITCHEN_EMAIL)
    board = await client.get("/console/")
    assert '<strong id="total-cancellations">1</strong>' in board.text
    assert "<td>No reason given</td>" in board.text  # the aggregator's DELETE names no reason
    assert "Tickets per event" not in board.text


async def test_webhooks_page_lists_deliveries_and_replays_a_dead_letter(
    client: httpx.AsyncClient, demo_data: demo.DemoInfo, db: Database, clock: FakeClock
) -> None:
    from kassa.app.outbox import drain
    from tests.api.helpers import Receiver

    async with Receiver(status=500) as receiver:
        await client.post(
            "/api/v1/webhooks/endpoints",
            headers=ORGANISER,
            json={"url": receiver.url, "events": ["order.placed"]},
        )
        await reserve(client, 1)
        async with httpx.AsyncClient(trust_env=False) as http:
            await drain(db, http, clock())
            for _ in range(60):
                await drain(db, http, clock.advance(hours=2))
        _, csrf = await sign_in(client)
        page = await client.get("/console/webhooks", params={"state": "dead"})
        assert receiver.url in page.text
        assert '<span class="status s-dead">dead</span>' in page.text
        replay = re.search(r'/webhooks/deliveries/(\d+)/replay"', page.text)
        assert replay is not None
        tries = len(receiver.requests)
        receiver.status = 200
        done = await client.post(
            f"/console/webhooks/deliveries/{replay.group(1)}/replay", data={"csrf": csrf}
        )
        assert done.status_code == 303
        async with httpx.AsyncClient(trust_env=False) as http:
            await drain(db, http, clock.advance(seconds=1))
        assert len(receiver.requests) == tries + 1
        page = await client.get("/console/webhooks", params={"state": "delivered"})
        assert '<span class="status s-delivered">delivered</span>' in page.text


async def test_part_of_a_delivery_or_loyalty_order_is_cancelled_from_its_page(
    client: httpx.AsyncClient, demo_data: demo.DemoInfo, db: Database
) -> None:
    from tests.api.test_delivery import stock
    from tests.api.test_loyalty import cart, ledger_state, ok

    auth = await token(client)
    before = await stock(client)
    created = await send(client, "POST", "/order", auth, order_body("190330-80808080", borscht=3))
    order_id = created.json()["orderId"]
    _, csrf = await sign_in(client)
    page = await client.get(f"/console/orders/delivery/{order_id}")
    assert 'name="qty-borscht"' in page.text
    preview = await client.get(
        f"/console/orders/delivery/{order_id}/partial",
        params={"qty-borscht": "2", "qty-kompot": ""},
        headers={"HX-Request": "true"},
    )
    assert preview.status_code == 200, preview.text
    assert "<html" not in preview.text
    version = re.search(r'name="version" value="([^"]+)"', preview.text)
    assert version is not None
    empty = await client.get(f"/console/orders/delivery/{order_id}/partial")
    assert empty.status_code == 400
    done = await client.post(
        f"/console/orders/delivery/{order_id}/partial",
        data={
            "csrf": csrf,
            "version": version.group(1),
            "qty-borscht": "2",
            "reason": "place.missing_dish",
        },
    )
    assert done.status_code == 303, done.text
    assert (await stock(client))["borscht"] == before["borscht"] - 1

    member_before = await ledger_state(client, demo.MEMBER)
    await ok(
        client,
        "apply",
        order_id="CONSOLE-2",
        identifier=demo.MEMBER,
        cart_items=cart(("latte", "250", 4)),
    )
    await ok(client, "confirm", order_id="CONSOLE-2")
    confirmed = await ledger_state(client, demo.MEMBER)
    async with db.unit_of_work(write=False) as uow:
        found = await uow.loyalty.order(demo.SHOP_ID, "CONSOLE-2")
    assert found is not None
    preview = await client.get(
        f"/console/orders/loyalty/{found.id}/partial", params={"qty-latte": "2"}
    )
    assert preview.status_code == 200
    assert '<strong id="partial-refund">500.00</strong>' in preview.text
    version = re.search(r'name="version" value="([^"]+)"', preview.text)
    assert version is not None
    done = await client.post(
        f"/console/orders/loyalty/{found.id}/partial",
        data={"csrf": csrf, "version": version.group(1), "qty-latte": "2", "reason": "other"},
    )
    assert done.status_code == 303, done.text
    after = await ledger_state(client, demo.MEMBER)
    assert member_before["bonuses"] < after["bonuses"] < confirmed["bonuses"]


async def test_an_admin_adds_and_disables_operators_and_anyone_changes_their_password(
    client: httpx.AsyncClient, demo_data: demo.DemoInfo
) -> None:
    _, csrf = await sign_in(client)
    page = await client.get("/console/operators")
    assert demo.KITCHEN_EMAIL in page.text
    added = await client.post(
        "/console/operators",
        data={
            "csrf": csrf,
            "email": "Clerk@Demo.Kassa",
            "name": "Clerk",
            "role": "viewer",
            "password": "clerk-password",
            "restaurant": "",
        },
    )
    assert added.status_code == 303, added.text
    short = await client.post(
        "/console/operators",
        data={"csrf": csrf, "email": "x@demo.kassa", "role": "viewer", "password": "short"},
    )
    assert short.status_code == 400
    foreign = await client.post(
        "/console/operators",
        data={
            "csrf": csrf,
            "email": "y@demo.kassa",
            "role": "viewer",
            "password": "long-enough",
            "restaurant": "someone-elses",
        },
    )
    assert foreign.status_code == 400
    page = await client.get("/console/operators")
    clerk = re.search(r"clerk@demo\.kassa.*?/operators/([0-9a-f]{24})/disable", page.text, re.S)
    assert clerk is not None

    # The clerk signs in (in another browser), changes the password, and is disabled.
    clerk_client = httpx.AsyncClient(transport=client._transport, base_url=client.base_url)
    async with clerk_client:
        answer, clerk_csrf = await sign_in(clerk_client, "clerk@demo.kassa", "clerk-password")
        assert answer.status_code == 303
        assert (await clerk_client.get("/console/operators")).status_code == 403
        wrong = await clerk_client.post(
            "/console/account/password",
            data={
                "csrf": clerk_csrf,
                "password": "nope-nope",
                "new_password": "clerk-password-2",
                "repeat": "clerk-password-2",
            },
        )
        assert wrong.status_code == 401
        changed = await clerk_client.post(
            "/console/account/password",
            data={
                "csrf": clerk_csrf,
                "password": "clerk-password",
                "new_password": "clerk-password-2",
                "repeat": "clerk-password-2",
            },
        )
        assert changed.status_code == 303
        assert (await clerk_client.get("/console/account")).status_code == 200
        disabled = await client.post(
            f"/console/operators/{clerk.group(1)}/disable", data={"csrf": csrf}
        )
        assert disabled.status_code == 303
        assert (await clerk_client.get("/console/account")).status_code == 303
    async with httpx.AsyncClient(transport=client._transport, base_url=client.base_url) as fresh:
        old, _ = await sign_in(fresh, "clerk@demo.kassa", "clerk-password-2")
    assert old.status_code == 401


async def test_an_admin_adds_a_webhook_endpoint_sees_its_secret_once_and_switches_it_off(
    client: httpx.AsyncClient, demo_data: demo.DemoInfo
) -> None:
    _, csrf = await sign_in(client)
    added = await client.post(
        "/console/webhooks/endpoints",
        data={
            "csrf": csrf,
            "url": "https://hooks.example.com/kassa",
            "events": "order.*, refund.*",
        },
    )
    assert added.status_code == 200, added.text
    secret = re.search(r"<code>(whsec_[0-9a-f]+)</code>", added.text)
    assert secret is not None
    listed = (await client.get("/api/v1/webhooks/endpoints", headers=ORGANISER)).json()
    assert [e["url"] for e in listed] == ["https://hooks.example.com/kassa"]
    page = await client.get("/console/webhooks")
    assert secret.group(1) not in page.text
    bad = await client.post(
        "/console/webhooks/endpoints",
        data={"csrf": csrf, "url": "ftp://nope", "events": "order.*"},
    )
    assert bad.status_code == 400
    remove = re.search(r"/webhooks/endpoints/([0-9a-f]{24})/remove", page.text)
    assert remove is not None
    off = await client.post(
        f"/console/webhooks/endpoints/{remove.group(1)}/remove", data={"csrf": csrf}
    )
    assert off.status_code == 303
    page = await client.get("/console/webhooks")
    assert "/remove" not in page.text


async def test_a_new_demo_database_has_a_little_history_to_look_at(
    client: httpx.AsyncClient, db: Database, clock: FakeClock
) -> None:
    assert await demo.seed_if_empty(db, clock()) is True
    assert await demo.seed_if_empty(db, clock()) is False
    await sign_in(client)
    listing = await client.get("/console/orders")
    for shown in (">DEMO-1</a>", ">190330-00000001</a>", ">1</a>", ">2</a>"):
        assert shown in listing.text
    board = await client.get("/console/")
    assert '<strong id="total-cancellations">1</strong>' in board.text
    assert "<td>The buyer asked to cancel</td>" in board.text
    kitchen = await client.get("/console/kitchen")
    assert 'data-order="190330-00000001"' in kitchen.text


class CountingHasher:
    """The app's password hasher, counting the checks made against real accounts' hashes."""

    def __init__(self, real: Any) -> None:
        self.real = real
        self.checked: list[str] = []

    def __getattr__(self, name: str) -> Any:
        return getattr(self.real, name)

    def verify(self, password_hash: str, password: str) -> bool:
        if password_hash != operators._dummy_hash():
            self.checked.append(password)
        result: bool = self.real.verify(password_hash, password)
        return result


async def sign_in_apart(
    db: Database, settings: Settings, clock: FakeClock, email: str, password: str
) -> httpx.Response:
    """A sign-in from a browser of its own (its own CSRF cookie), for bursts."""
    transport = httpx.ASGITransport(app=create_app(settings, db=db, clock=clock))
    async with httpx.AsyncClient(transport=transport, base_url="http://kassa.test") as browser:
        answer, _ = await sign_in(browser, email, password)
        return answer


@pytest.fixture
def hasher(monkeypatch: pytest.MonkeyPatch) -> CountingHasher:
    """Counting checks at production's cost (the suite's is lower, tests/conftest.py): each
    takes as long as in production, so the burst is in flight while they run. Asked for
    before `demo_data`, so the demo's operators get the production hash."""
    monkeypatch.setattr(operators, "_hasher", operators._hasher)  # put back afterwards
    operators.use_password_hash_memory(operators.DEFAULT_HASH_MEMORY_KIB)
    operators._dummy_hash()  # made before counting starts
    counting = CountingHasher(operators._hasher)
    monkeypatch.setattr(operators, "_hasher", counting)
    return counting


async def test_a_burst_of_wrong_passwords_gets_five_checks_and_locks_the_account(
    hasher: CountingHasher,
    db: Database,
    settings: Settings,
    clock: FakeClock,
    demo_data: demo.DemoInfo,
) -> None:
    guesses = [f"guess-{n:02}" for n in range(24)]

    answers = await asyncio.gather(
        *(sign_in_apart(db, settings, clock, demo.OPERATOR_EMAIL, g) for g in guesses)
    )

    assert [a.status_code for a in answers] == [401] * 24
    assert 1 <= len(hasher.checked) <= operators.LOCK_AFTER, hasher.checked
    right = await sign_in_apart(db, settings, clock, demo.OPERATOR_EMAIL, "kassa-demo")
    assert right.status_code == 401
    assert len(hasher.checked) <= operators.LOCK_AFTER  # the locked account's is not checked
    clock.advance(minutes=15, seconds=1)
    later = await sign_in_apart(db, settings, clock, demo.OPERATOR_EMAIL, "kassa-demo")
    assert later.status_code == 303


def comparable(answer: httpx.Response, email: str) -> tuple[int, bytes, list[str]]:
    """A sign-in answer without what differs on every request (the form's fresh CSRF token)
    or was typed in (the e-mail, shown back in the form)."""
    token = CSRF.search(answer.text)
    assert token is not None
    body = answer.content.replace(token.group(1).encode(), b"TOKEN")
    body = body.replace(email.encode(), b"EMAIL")
    cookies = [c.replace(token.group(1), "TOKEN") for c in answer.headers.get_list("set-cookie")]
    return answer.status_code, body, sorted(cookies) + sorted(answer.headers.keys())


async def test_a_locked_account_answers_as_an_unknown_e_mail(
    db: Database, settings: Settings, clock: FakeClock, demo_data: demo.DemoInfo
) -> None:
    for _ in range(operators.LOCK_AFTER):
        await sign_in_apart(db, settings, clock, demo.OPERATOR_EMAIL, "guess-guess")

    locked = await sign_in_apart(db, settings, clock, demo.OPERATOR_EMAIL, "kassa-demo")
    unknown = await sign_in_apart(db, settings, clock, "nobody@demo.kassa", "kassa-demo")
    wrong = await sign_in_apart(db, settings, clock, demo.KITCHEN_EMAIL, "guess-guess")

    assert locked.status_code == 401
    assert comparable(locked, demo.OPERATOR_EMAIL) == comparable(unknown, "nobody@demo.kassa")
    assert comparable(wrong, demo.KITCHEN_EMAIL) == comparable(unknown, "nobody@demo.kassa")
