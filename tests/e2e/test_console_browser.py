"""The operator console in a real headless Chromium (Debian's `chromium`, driven by Playwright)
against a real `kassa serve` (2 workers, PostgreSQL): sign in, find an order, preview and
cancel it, see the set's counts and the dashboard move, advance a kitchen order while new ones
appear without a reload, keep one tenant out of another's orders, fit a phone's screen.

Screenshots of every main page go to test-output/screenshots/ (KASSA_TEST_OUTPUT overrides).
"""

import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright

from kassa.app import demo
from tests.api.test_delivery import order_body
from tests.e2e.conftest import KassaServer

ROOT = Path(__file__).resolve().parents[2]
SHOTS = Path(os.environ.get("KASSA_TEST_OUTPUT") or ROOT / "test-output") / "screenshots"
ORGANISER = {"Authorization": f"key {demo.ORG_KEY}"}
TIMEOUT_MS = 15_000


def chromium_path() -> str:
    found = os.environ.get("KASSA_CHROMIUM") or shutil.which("chromium")
    if found:
        return found
    if os.environ.get("CI"):
        pytest.fail("chromium is not installed: .ci/run installs it with apt-get")
    pytest.skip("chromium is not installed (apt-get install chromium)")


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    path = chromium_path()
    SHOTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=path, args=["--no-sandbox", "--disable-dev-shm-usage"]
        )
        try:
            yield launched
        finally:
            launched.close()


@pytest.fixture
def page(browser: Browser, pg: KassaServer) -> Iterator[Page]:
    context = browser.new_context(base_url=pg.base_url, viewport={"width": 1280, "height": 900})
    context.set_default_timeout(TIMEOUT_MS)
    opened = context.new_page()
    errors: list[str] = []
    opened.on("pageerror", lambda exc: errors.append(str(exc)))
    opened.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    yield opened
    context.close()
    # No script error and no CSP violation on any page the test visited.
    assert not [e for e in errors if "status of 4" not in e], errors


def shot(page: Page, name: str) -> None:
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def sign_in(page: Page, email: str, password: str = demo.OPERATOR_PASSWORD) -> None:
    page.goto("/console/")
    expect(page).to_have_url(re.compile(r".*/console/login\?next=.*"))
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Dashboard")).to_be_visible()


def api(server: KassaServer) -> httpx.Client:
    return httpx.Client(base_url=server.base_url, timeout=30.0)


def reserve(server: KassaServer, count: int) -> dict[str, Any]:
    with api(server) as http:
        response = http.post(
            "/v1/resources/orders",
            json={"event": demo.EVENT_ID, "random": {demo.STALLS_SET_ID: count}},
            headers=ORGANISER,
        )
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


def set_counts(page: Page) -> dict[str, int]:
    page.goto("/console/events")
    row = page.locator(f'tr[data-set="{demo.STALLS_SET_ID}"]')
    return {
        name: int(row.locator(f"td.{name}").inner_text())
        for name in ("vacant", "reserved", "sold", "cancelled")
    }


def test_sign_in_find_an_order_preview_and_cancel_it(page: Page, pg: KassaServer) -> None:
    sign_in(page, demo.OPERATOR_EMAIL)
    cancellations_before = int(page.locator("#total-cancellations").inner_text())
    counts_before = set_counts(page)
    order = reserve(pg, 2)
    counts_held = set_counts(page)
    assert counts_held["vacant"] == counts_before["vacant"] - 2
    assert counts_held["reserved"] == counts_before["reserved"] + 2
    shot(page, "events")

    page.goto("/console/orders")
    page.get_by_label("Search").fill(str(order["number"]))
    page.get_by_role("button", name="Find").click()
    link = page.locator("#results").get_by_role("link", name=str(order["number"]), exact=True)
    expect(link).to_be_visible()
    expect(page.locator("#results tbody tr")).to_have_count(1)
    shot(page, "orders")
    link.click()
    expect(page.get_by_role("heading", name=f"Ticket order {order['number']}")).to_be_visible()
    shot(page, "order")

    page.get_by_role("button", name="Cancel order…").click()
    preview = page.locator("#cancel-preview")
    expect(preview).to_be_visible()
    expect(preview.locator("#preview-tickets")).to_have_text("2")
    shot(page, "cancel-preview")
    # Nothing changed yet: the preview is only a plan.
    with api(pg) as http:
        still = http.get(f"/v1/resources/orders/{order['id']}", headers=ORGANISER).json()
    assert still["status"] == "executed"

    preview.get_by_label("Reason").select_option("event_cancelled")
    preview.get_by_label("Comment").fill("the band fell ill")
    preview.get_by_role("button", name="Cancel now").click()
    expect(page.locator("#order-status")).to_have_text("Cancelled")
    expect(page.get_by_role("status")).to_have_text("Order cancelled.")
    timeline = page.locator("#timeline")
    expect(timeline).to_contain_text(f"by {demo.OPERATOR_EMAIL}")
    expect(timeline).to_contain_text("The event is cancelled: the band fell ill")

    assert set_counts(page) == {
        **counts_before,
        "cancelled": counts_before["cancelled"] + 2,
    }
    page.goto("/console/")
    expect(page.locator("#total-cancellations")).to_have_text(str(cancellations_before + 1))
    expect(page.locator("#reasons")).to_contain_text("The event is cancelled")
    shot(page, "dashboard")


def test_partial_cancel_of_chosen_tickets(page: Page, pg: KassaServer) -> None:
    order = reserve(pg, 3)
    sign_in(page, demo.OPERATOR_EMAIL)
    page.goto(f"/console/orders/tickets/{order['id']}")
    boxes = page.locator('input[name="tickets"]')
    expect(boxes).to_have_count(3)
    boxes.nth(0).check()
    page.get_by_role("button", name="Cancel chosen tickets…").click()
    expect(page.locator("#preview-tickets")).to_have_text("1")
    page.get_by_role("button", name="Cancel now").click()
    expect(page.get_by_role("status")).to_have_text("The chosen tickets or items were cancelled.")
    expect(page.locator("#order-status")).to_have_text("Reserved")
    expect(page.locator('input[name="tickets"]')).to_have_count(2)


def new_delivery_order(server: KassaServer, eats_id: str) -> str:
    with api(server) as http:
        token = http.post(
            "/security/oauth/token",
            data={
                "client_id": demo.DELIVERY_CLIENT_ID,
                "client_secret": demo.DELIVERY_CLIENT_SECRET,
                "grant_type": "client_credentials",
                "scope": "read write",
            },
        ).json()["access_token"]
        body = json.loads(json.dumps(order_body(eats_id), default=str))
        created = http.post("/order", json=body, headers={"Authorization": f"Bearer {token}"})
    assert created.status_code == 200, created.text
    order_id: str = created.json()["orderId"]
    return order_id


def test_kitchen_board_advances_orders_and_shows_new_ones_without_reload(
    page: Page, pg: KassaServer
) -> None:
    sign_in(page, demo.KITCHEN_EMAIL)
    page.goto("/console/kitchen")
    expect(page.get_by_role("heading", name="Kitchen: Demo Kitchen")).to_be_visible()
    new_column = page.locator('section[data-status="NEW"]')
    order_id = new_delivery_order(pg, "190330-61616161")
    # The board polls: the new order shows up on the open page.
    card = new_column.locator('[data-order="190330-61616161"]')
    expect(card).to_be_visible()
    shot(page, "kitchen")

    card.get_by_role("button", name="Accept").click()
    accepted = page.locator('section[data-status="ACCEPTED_BY_RESTAURANT"]')
    expect(accepted.locator('[data-order="190330-61616161"]')).to_be_visible()
    accepted.locator('[data-order="190330-61616161"]').get_by_role(
        "button", name="Start cooking"
    ).click()
    cooking = page.locator('section[data-status="COOKING"]')
    expect(cooking.locator('[data-order="190330-61616161"]')).to_be_visible()
    expect(new_column.locator('[data-order="190330-61616161"]')).to_have_count(0)
    shot(page, "kitchen-cooking")

    with api(pg) as http:
        timeline = http.get(f"/api/v1/orders/{order_id}/timeline", headers=ORGANISER).json()
    assert [e["to_status"] for e in timeline["timeline"]][-2:] == [
        "ACCEPTED_BY_RESTAURANT",
        "COOKING",
    ]


def cli(server: KassaServer, *args: str, stdin: str = "") -> dict[str, Any]:
    done = subprocess.run(
        [sys.executable, "-m", "kassa.cli", *args],
        input=stdin,
        capture_output=True,
        text=True,
        env={**os.environ, "KASSA_DATABASE_URL": server.database_url},
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    result: dict[str, Any] = json.loads(done.stdout)
    return result


def test_another_tenants_operator_cannot_open_an_order_by_url(page: Page, pg: KassaServer) -> None:
    order = reserve(pg, 1)
    other = cli(pg, "orgs", "create", "--name", "Other Box Office")
    made = cli(
        pg,
        "operators",
        "create",
        "--org",
        other["org_id"],
        "--email",
        "clerk@other.example",
        "--role",
        "admin",
        "--password-stdin",
        stdin="clerk-password\n",
    )
    assert made["email"] == "clerk@other.example"
    sign_in(page, "clerk@other.example", "clerk-password")
    answer = page.goto(f"/console/orders/tickets/{order['id']}")
    assert answer is not None and answer.status == 404
    expect(page.get_by_role("alert")).to_contain_text("not found")
    shot(page, "other-tenant-404")
    page.goto("/console/orders")
    expect(page.locator("#no-orders")).to_be_visible()


def test_pages_fit_a_phone(browser: Browser, pg: KassaServer) -> None:
    order = reserve(pg, 1)
    context = browser.new_context(
        base_url=pg.base_url, viewport={"width": 390, "height": 844}, is_mobile=True
    )
    context.set_default_timeout(TIMEOUT_MS)
    phone = context.new_page()
    try:
        sign_in(phone, demo.OPERATOR_EMAIL)
        pages = {
            "dashboard": "/console/",
            "orders": "/console/orders",
            "order": f"/console/orders/tickets/{order['id']}",
            "events": "/console/events",
            "event": f"/console/events/{demo.EVENT_ID}",
            "kitchen": "/console/kitchen",
            "loyalty": f"/console/loyalty?phone={demo.MEMBER}",
            "webhooks": "/console/webhooks",
            "operators": "/console/operators",
            "account": "/console/account",
        }
        for name, url in pages.items():
            answer = phone.goto(url)
            assert answer is not None and answer.status == 200, (url, answer and answer.status)
            wide = phone.evaluate("document.scrollingElement.scrollWidth - window.innerWidth")
            assert wide <= 1, f"{name} scrolls sideways by {wide}px at phone width"
            shot(phone, f"phone-{name}")
        phone.goto("/console/loyalty")
        expect(phone.get_by_label("Phone")).to_be_visible()
    finally:
        context.close()


def test_part_of_a_delivery_order_is_cancelled_with_a_preview(page: Page, pg: KassaServer) -> None:
    order_id = new_delivery_order(pg, "190330-62626262")
    sign_in(page, demo.OPERATOR_EMAIL)
    page.goto(f"/console/orders/delivery/{order_id}")
    first = page.locator('input[name^="qty-"]').first
    first.fill("1")
    page.get_by_role("button", name="Cancel these items…").click()
    preview = page.locator("#partial-preview")
    expect(preview).to_be_visible()
    shot(page, "delivery-partial-preview")
    preview.get_by_role("button", name="Cancel these").click()
    expect(page.get_by_role("status")).to_have_text("The chosen tickets or items were cancelled.")
    expect(page.locator("#timeline")).to_contain_text("Partly cancelled")


def test_every_face_reads_in_the_same_words(page: Page, pg: KassaServer) -> None:
    """Statuses, ticket states, reasons, actors and webhook recipients in words; Kassa's id
    on every order page; the loyalty page's lists; the site's icon."""
    ticket = reserve(pg, 1)
    delivery_id = new_delivery_order(pg, "190330-63636363")
    sign_in(page, demo.OPERATOR_EMAIL)

    page.goto(f"/console/orders/tickets/{ticket['id']}")
    expect(page.locator("#order-status")).to_have_text("Reserved")
    expect(page.locator("td.state")).to_have_text(["Reserved"])
    expect(page.locator("#kassa-id")).to_have_text(ticket["id"])
    expect(page.locator("#timeline .actor")).to_have_text(["by Demo Organiser"])

    page.goto(f"/console/orders/delivery/{delivery_id}")
    expect(page.locator("#order-status")).to_have_text("New")
    expect(page.locator("#kassa-id")).to_have_text(delivery_id)
    page.get_by_text("Cancel this order…").click()
    preview = page.locator("#cancel-preview")
    expect(preview).to_contain_text("Told by webhook: Demo Organiser")
    reasons = preview.locator("#reason option").all_inner_texts()
    assert "Restaurant: a dish is missing" in reasons
    assert not [r for r in reasons if "_" in r or r != r.strip() or not r[0].isupper()], reasons
    preview.get_by_label("Reason").select_option(label="Buyer: does not want to wait")
    preview.get_by_role("button", name="Cancel now").click()
    expect(page.get_by_role("status")).to_have_text("Order cancelled.")
    expect(page.locator("#order-status")).to_have_text("Cancelled")
    expect(page.locator("#timeline")).to_contain_text(f"Cancelled by {demo.OPERATOR_EMAIL}")
    shot(page, "delivery-cancelled")

    page.goto("/console/orders?stage=cancelled")
    badges = page.locator("#results .status").all_inner_texts()
    assert badges and set(badges) == {"Cancelled"}, badges
    faces = page.locator("#results tbody td:nth-child(2)").all_inner_texts()
    assert {"Tickets", "Delivery"} <= set(faces), faces

    page.goto("/console/loyalty")
    expect(page.locator("#checkouts")).to_contain_text("DEMO-1")
    expect(page.locator("#members")).to_contain_text(demo.MEMBER)
    shot(page, "loyalty")
    page.locator("#checkouts").get_by_role("link", name="DEMO-1").click()
    expect(page.get_by_role("heading", name="Loyalty order DEMO-1")).to_be_visible()
    expect(page.locator("#order-status")).to_have_text("Paid")
    expect(page.locator("#products-count")).to_have_text("2")
    expect(page.locator("#kassa-id")).to_have_text(re.compile(r"^[0-9a-f]{24}$"))
    expect(page.locator("#timeline")).to_contain_text("by Demo Coffee (shop)")
    expect(page.locator("#cancel-preview")).to_contain_text("Told by webhook: Demo Organiser")
    shot(page, "loyalty-order")

    icon = page.request.get("/favicon.ico")
    assert icon.status == 200 and icon.headers["content-type"] == "image/x-icon"
