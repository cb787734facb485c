"""The waiting list in a real browser: an operator adds someone to a sold-out set's list on the
console's event page, a cancel offers them the ticket (the page shows the offer and the
Offered count), and the buyer takes it on the offer's page at phone width. Screenshots:
waitlist-*.png, my-offer*.png."""

import re
from collections.abc import Iterator
from datetime import datetime
from typing import Any

import asyncpg
import pytest
from playwright.sync_api import Browser, Page, expect

from kassa.app import demo
from kassa.app.selflinks import SECRET_NAME
from kassa.core.selfservice import sign
from kassa.core.waitlist import OFFER_LINK
from tests.conftest import run_sync
from tests.e2e.conftest import KassaServer
from tests.e2e.test_console_browser import (
    ORGANISER,
    TIMEOUT_MS,
    api,
    browser,  # noqa: F401 - the module's Chromium
    shot,
    sign_in,
)
from tests.e2e.test_selfservice_browser import phone  # noqa: F401 - the buyer's phone page

BUYER = "ann@waiting.test"


@pytest.fixture
def desk(browser: Browser, pg: KassaServer) -> Iterator[Page]:  # noqa: F811
    context = browser.new_context(base_url=pg.base_url, viewport={"width": 1280, "height": 900})
    context.set_default_timeout(TIMEOUT_MS)
    opened = context.new_page()
    errors: list[str] = []
    opened.on("pageerror", lambda exc: errors.append(str(exc)))
    yield opened
    context.close()
    assert not errors, errors


def sold_out_set(server: KassaServer) -> tuple[str, str]:
    """A set of one ticket in the demo event, and the order that holds it."""
    with api(server) as http:
        created = http.post(
            f"/v1/resources/events/{demo.EVENT_ID}/sets",
            headers=ORGANISER,
            json={"name": "Box seat", "price": "1500.00", "amount": 1},
        )
        assert created.status_code == 201, created.text
        set_id = created.json()["id"]
        order = http.post(
            "/v1/resources/orders",
            headers=ORGANISER,
            json={"event": demo.EVENT_ID, "random": {set_id: 1}},
        )
        assert order.status_code == 201, order.text
    return set_id, order.json()["id"]


def entry_of(server: KassaServer, set_id: str) -> dict[str, Any]:
    with api(server) as http:
        answer = http.get(
            f"/api/v1/events/{demo.EVENT_ID}/sets/{set_id}/waiting_list", headers=ORGANISER
        )
    assert answer.status_code == 200, answer.text
    [entry] = [e for e in answer.json()["entries"] if e["email"] == BUYER]
    return dict(entry)


def offer_path(server: KassaServer, entry: dict[str, Any]) -> str:
    """The offer's link as its e-mail carries it (signed with the server's own secret, which
    the server makes on its first link: a link that opens nothing makes it)."""
    with api(server) as http:
        assert http.get("/my/offers/x.1.y").status_code == 404

    async def secret() -> str:
        conn = await asyncpg.connect(server.database_url)
        try:
            value = await conn.fetchval(
                "SELECT value FROM server_secrets WHERE name = $1", SECRET_NAME
            )
        finally:
            await conn.close()
        return str(value)

    expires = datetime.fromisoformat(entry["offer_expires_at"])
    return f"/my/offers/{sign(run_sync(secret()), entry['id'], expires, purpose=OFFER_LINK)}"


def test_an_operator_adds_someone_a_cancel_offers_and_the_buyer_takes_it(
    desk: Page,
    phone: Page,  # noqa: F811 - the fixture imported above
    pg: KassaServer,
) -> None:
    set_id, order_id = sold_out_set(pg)
    sign_in(desk, demo.OPERATOR_EMAIL)
    desk.goto(f"/console/events/{demo.EVENT_ID}")
    section = desk.locator(f'section.waitlist[data-set="{set_id}"]')
    expect(section).to_contain_text("Nobody is waiting.")
    section.get_by_text("Add to the waiting list of Box seat").click()
    section.get_by_label("E-mail").fill(BUYER)
    section.get_by_label("Name").fill("Ann")
    section.get_by_role("button", name="Add to the waiting list").click()
    expect(desk.get_by_role("status")).to_contain_text("Added to the waiting list")
    row = section.locator("tr[data-entry]", has_text=BUYER)
    expect(row).to_have_attribute("data-status", "waiting")
    shot(desk, "waitlist-waiting")

    with api(pg) as http:
        gone = http.patch(
            f"/v1/resources/orders/{order_id}", headers=ORGANISER, json={"status": "canceled"}
        )
    assert gone.status_code == 200, gone.text
    desk.reload()
    expect(row).to_have_attribute("data-status", "offered")
    expect(row).to_contain_text(re.compile(r"\d{4}-\d\d-\d\d \d\d:\d\d"))  # held until
    counts = desk.locator(f'table.sets tr[data-set="{set_id}"]')
    expect(counts.locator("td.offered")).to_have_text("1")
    expect(counts.locator("td.vacant")).to_have_text("0")
    shot(desk, "waitlist-offered")

    phone.goto(offer_path(pg, entry_of(pg, set_id)))
    expect(phone.get_by_role("heading", name="Tickets held for you")).to_be_visible()
    expect(phone.locator("#offer-set")).to_contain_text("Box seat")
    assert phone.evaluate("document.documentElement.scrollWidth") <= 375  # no sideways scroll
    shot(phone, "my-offer")
    phone.get_by_role("button", name="Take the tickets").click()
    expect(phone.get_by_role("status")).to_contain_text("The tickets are yours")
    expect(phone.get_by_role("heading", name=re.compile(r"Order \d+"))).to_be_visible()
    shot(phone, "my-offer-taken")

    desk.reload()
    expect(row).to_have_attribute("data-status", "taken")
    expect(row.get_by_role("link")).to_be_visible()
    expect(counts.locator("td.reserved")).to_have_text("1")
    phone.go_back()
    phone.reload()
    expect(phone.locator("#my-error")).to_be_visible()  # the offer is spent


def test_an_operator_removes_someone_from_the_list(desk: Page, pg: KassaServer) -> None:
    set_id, _ = sold_out_set(pg)
    sign_in(desk, demo.OPERATOR_EMAIL)
    desk.goto(f"/console/events/{demo.EVENT_ID}")
    section = desk.locator(f'section.waitlist[data-set="{set_id}"]')
    section.get_by_text("Add to the waiting list of Box seat").click()
    section.get_by_label("E-mail").fill("bob@waiting.test")
    section.get_by_label("Tickets").fill("2")
    section.get_by_role("button", name="Add to the waiting list").click()
    row = section.locator("tr[data-entry]", has_text="bob@waiting.test")
    expect(row).to_have_attribute("data-status", "waiting")
    row.get_by_role("button", name="Remove").click()
    expect(desk.get_by_role("status")).to_contain_text("Taken off the waiting list")
    expect(row).to_have_attribute("data-status", "left")
    shot(desk, "waitlist-left")
