"""Buyer self-service in a real browser: the buyer's page at phone width (choose a ticket,
see the preview, cancel it; then, once the event needs approval, request), and the console's
approval view, where an operator approves the request. Screenshots: my-*.png, requests.png."""

import re
from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Browser, Page, expect

from kassa.app import demo
from tests.e2e.conftest import KassaServer
from tests.e2e.test_console_browser import (
    ORGANISER,
    TIMEOUT_MS,
    api,
    browser,  # noqa: F401 - the module's Chromium
    reserve,
    shot,
    sign_in,
)


@pytest.fixture
def phone(browser: Browser, pg: KassaServer) -> Iterator[Page]:  # noqa: F811
    context = browser.new_context(
        base_url=pg.base_url, viewport={"width": 375, "height": 740}, is_mobile=True
    )
    context.set_default_timeout(TIMEOUT_MS)
    opened = context.new_page()
    errors: list[str] = []
    opened.on("pageerror", lambda exc: errors.append(str(exc)))
    opened.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    yield opened
    context.close()
    assert not [e for e in errors if "status of 4" not in e], errors


@pytest.fixture
def desk(browser: Browser, pg: KassaServer) -> Iterator[Page]:  # noqa: F811
    context = browser.new_context(base_url=pg.base_url, viewport={"width": 1280, "height": 900})
    context.set_default_timeout(TIMEOUT_MS)
    yield context.new_page()
    context.close()


def link(server: KassaServer, order_id: str) -> str:
    with api(server) as http:
        answer = http.post(f"/api/v1/orders/{order_id}/self_service_link", headers=ORGANISER)
    assert answer.status_code == 200, answer.text
    return urlsplit(answer.json()["url"]).path


def needs_approval(server: KassaServer, needs: bool) -> None:
    with api(server) as http:
        answer = http.put(
            f"/api/v1/events/{demo.EVENT_ID}/self_service",
            headers=ORGANISER,
            json={"needs_approval": needs},
        )
    assert answer.status_code == 200, answer.text


def test_the_buyer_cancels_a_ticket_on_a_phone(phone: Page, pg: KassaServer) -> None:
    order = reserve(pg, 2)
    phone.goto(link(pg, order["id"]))
    expect(phone.get_by_role("heading", name=re.compile(r"Order \d+"))).to_be_visible()
    assert phone.evaluate("document.documentElement.scrollWidth") <= 375  # no sideways scroll
    expect(phone.locator("#my-tickets")).to_have_text("2")
    shot(phone, "my-order")
    phone.locator('input[name="tickets"]').first.check()
    phone.locator("#my-choose").click()
    expect(phone.locator("#my-tickets")).to_have_text("1")
    phone.locator("#my-cancel").click()
    expect(phone.get_by_role("status")).to_contain_text("The chosen tickets are cancelled")
    expect(phone.locator('input[name="tickets"]')).to_have_count(1)
    phone.locator("#my-cancel").click()
    expect(phone.locator("#my-done")).to_be_visible()
    shot(phone, "my-cancelled")
    phone.reload()
    expect(phone.locator("#my-error")).to_contain_text("not valid")


def test_a_request_waits_for_an_operator_who_approves_it(
    phone: Page, desk: Page, pg: KassaServer
) -> None:
    needs_approval(pg, True)
    try:
        order = reserve(pg, 1)
        phone.goto(link(pg, order["id"]))
        expect(phone.locator("#my-cancel")).to_have_count(0)
        phone.get_by_label("Why (optional)").fill("cannot come")
        phone.locator("#my-request").click()
        expect(phone.locator("#my-pending")).to_be_visible()
        shot(phone, "my-requested")

        sign_in(desk, demo.OPERATOR_EMAIL)
        desk.get_by_role("link", name="Requests").click()
        row = desk.locator("#pending-requests tr", has_text="cannot come")
        expect(row).to_be_visible()
        shot(desk, "requests")
        row.get_by_placeholder("Reason (optional)").fill("ok")
        row.get_by_role("button", name="Approve").click()
        expect(desk.get_by_role("status")).to_contain_text("Request approved")
        expect(desk.locator("#pending-requests tr", has_text="cannot come")).to_have_count(0)
        phone.reload()
        expect(phone.locator("#my-error")).to_contain_text("not valid")
    finally:
        needs_approval(pg, False)
