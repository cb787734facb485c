"""The console's cancel page under a cancellation policy, in a real headless Chromium against a
real `kassa serve` (PostgreSQL): the fee and the closed window are shown, the browser will not
cancel outside the window without the override, and an override with a reason cancels with
the fee the operator chose, recorded on the timeline."""

from typing import Any

from playwright.sync_api import Page, expect

from kassa.app import demo
from tests.e2e.conftest import KassaServer
from tests.e2e.test_console_browser import (  # noqa: F401 - the fixtures, shared
    ORGANISER,
    api,
    browser,
    page,
    shot,
    sign_in,
)

SELLER = {"Authorization": f"key {demo.PARTNER_KEY}"}
ORDERS = "/v2/resources/orders"


def sold_order(server: KassaServer, count: int) -> dict[str, Any]:
    with api(server) as http:
        made = http.post(
            ORDERS,
            json={"event": demo.V2_EVENT_ID, "random": {demo.V2_STALLS_SET_ID: count}},
            headers=SELLER,
        )
        assert made.status_code == 200, made.text
        order: dict[str, Any] = made.json()["data"]
        done = http.patch(f"{ORDERS}/{order['id']}", json={"status": "done"}, headers=SELLER)
        assert done.status_code == 200, done.text
    return order


def test_the_cancel_page_shows_the_fee_and_cancels_only_with_an_override(
    page: Page,  # noqa: F811
    pg: KassaServer,
) -> None:
    order = sold_order(pg, 2)
    with api(pg) as http:
        policy = http.put(
            f"/api/v1/events/{demo.V2_EVENT_ID}/cancellation_policy",
            headers=ORGANISER,
            json={"paid": {"fixed_fee": "25.00", "hours_before_start": 24 * 90}},
        )
        assert policy.status_code == 200, policy.text
        plan = http.get(f"/api/v1/orders/{order['id']}/cancellation", headers=ORGANISER).json()
    gross = plan["refund"]["amount"]  # with the fee of 25.00 kept from it
    sign_in(page, demo.OPERATOR_EMAIL)
    page.goto(f"/console/orders/tickets/{order['id']}")
    page.get_by_role("button", name="Cancel order…").click()
    preview = page.locator("#cancel-preview")
    expect(preview.locator("#preview-fee")).to_have_text("25.00")
    expect(preview.locator("#preview-closed")).to_be_visible()
    expect(preview.locator("#preview-refund")).to_have_text(gross)
    shot(page, "cancel-policy")

    preview.get_by_role("button", name="Cancel now").click()  # the override box is required
    box = preview.locator("#preview-override-on")
    assert box.evaluate("e => e.validity.valueMissing") is True
    with api(pg) as http:
        again = http.get(f"/api/v1/orders/{order['id']}/cancellation", headers=ORGANISER)
    assert again.json()["version"] == plan["version"]  # nothing was cancelled

    preview.locator("#preview-override-on").check()
    preview.locator("#preview-override-reason").fill("the artist fell ill")
    preview.locator("#preview-override-fee").fill("5.00")
    preview.get_by_role("button", name="Cancel now").click()
    expect(page.get_by_role("status")).to_be_visible()
    timeline = page.locator("#timeline")
    expect(timeline).to_contain_text("fee kept 5.00")
    expect(timeline).to_contain_text("“the artist fell ill”")
    shot(page, "cancel-policy-done")
    with api(pg) as http:
        http.delete(f"/api/v1/events/{demo.V2_EVENT_ID}/cancellation_policy", headers=ORGANISER)
