"""Cancelling a whole event from the console, in a real headless Chromium against a real
`kassa serve` and a real `kassa worker` (PostgreSQL): the form needs its confirmation, the
event stops selling, and the event page's live count climbs to "N of N orders cancelled"
without a reload while the worker runs."""

import os
import signal
from pathlib import Path

from playwright.sync_api import Page, expect

from kassa.app import demo
from tests.e2e.conftest import KassaServer, start_worker
from tests.e2e.test_console_browser import (  # noqa: F401 - the fixtures, shared
    api,
    browser,
    page,
    shot,
    sign_in,
)

SELLER = {"Authorization": f"key {demo.PARTNER_KEY}"}
ORDERS = "/v2/resources/orders"
COUNT = 12


def place_orders(server: KassaServer, count: int) -> list[str]:
    made = []
    with api(server) as http:
        for n in range(count):
            body = {
                "event": demo.V2_EVENT_ID,
                "random": {demo.V2_STALLS_SET_ID: 1},
                "settings": {"customer": {"email": f"b{n}@example.org", "name": "B"}},
            }
            answer = http.post(ORDERS, json=body, headers=SELLER)
            assert answer.status_code == 200, answer.text
            made.append(answer.json()["data"]["id"])
    return made


def test_the_console_cancels_an_event_and_counts_the_orders_live(
    page: Page,  # noqa: F811
    pg: KassaServer,
    tmp_path: Path,
) -> None:
    place_orders(pg, COUNT)
    sign_in(page, demo.OPERATOR_EMAIL)
    page.goto(f"/console/events/{demo.V2_EVENT_ID}")
    expect(page.locator("#event-cancellation")).to_contain_text("Not cancelled")
    page.get_by_text("Cancel event…").click()
    form = page.locator("#cancel-event form")
    form.get_by_label("Reason (buyers read it)").fill("The artist is ill")
    form.get_by_role("button", name="Cancel event").click()  # the confirmation is required
    box = form.get_by_label("I understand every order will be cancelled")
    assert box.evaluate("e => e.validity.valueMissing") is True
    box.check()
    form.get_by_role("button", name="Cancel event").click()
    expect(page.get_by_role("status")).to_contain_text("Cancelling")
    count = page.locator("#event-cancellation .count")
    expect(count).to_have_text(f"0 of {COUNT} orders cancelled")
    shot(page, "event-cancel-started")
    with api(pg) as http:  # sales stopped at once
        refused = http.post(
            ORDERS,
            json={"event": demo.V2_EVENT_ID, "random": {demo.V2_STALLS_SET_ID: 1}},
            headers=SELLER,
        )
        assert refused.status_code >= 400, refused.text
    worker = start_worker(pg.database_url, tmp_path / "worker.log")
    try:
        expect(count).to_have_text(f"{COUNT} of {COUNT} orders cancelled", timeout=60_000)
        expect(page.locator("#event-cancellation tr.cancellation")).to_have_attribute(
            "data-status", "done"
        )
    finally:
        os.killpg(worker.pid, signal.SIGTERM)
        worker.wait(20)
    shot(page, "event-cancel-done")
    with api(pg) as http:
        job = http.get(
            f"/api/v1/events/{demo.V2_EVENT_ID}/cancellation",
            headers={"Authorization": f"key {demo.ORG_KEY}"},
        ).json()
    assert (job["status"], job["cancelled"], job["failed"]) == ("done", COUNT, 0)
