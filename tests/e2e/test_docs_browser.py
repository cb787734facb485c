"""/docs in a real headless Chromium against a real `kassa serve`, with the network cut off:
Swagger UI comes from Kassa itself and renders every operation of every face."""

from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
from playwright.sync_api import Browser, Route, sync_playwright

from tests.e2e.conftest import KassaServer
from tests.e2e.test_console_browser import SHOTS, TIMEOUT_MS, chromium_path

METHODS = ("get", "put", "post", "delete", "patch")
DOCUMENTS = ("ticketing", "loyalty", "delivery", "kassa")  # the selector's order
# A path of each face, so a face that vanished from the document is noticed too.
FACES = {
    "ticketing v1": "/v1/resources/orders",
    "ticketing v2": "/v2/resources/orders",
    "loyalty": "/loyalty/checkout/apply",
    "delivery": "/order",
    "Kassa API": "/api/v1/orders/{order_id}/cancellation",
}


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


def operations(document: dict[str, Any]) -> set[tuple[str, str]]:
    return {
        (method.upper(), path)
        for path, item in document["paths"].items()
        for method in item
        if method in METHODS
    }


def test_docs_render_every_operation_of_every_face_offline(
    browser: Browser, sqlite: KassaServer
) -> None:
    document = httpx.get(sqlite.base_url + "/openapi.json", timeout=30).json()
    expected = operations(document)
    assert {face: path for face, path in FACES.items() if path not in document["paths"]} == {}

    context = browser.new_context(base_url=sqlite.base_url, viewport={"width": 1280, "height": 900})
    context.set_default_timeout(TIMEOUT_MS)
    outside: list[str] = []

    def offline(route: Route) -> None:
        if urlsplit(route.request.url).hostname in ("127.0.0.1", "localhost"):
            route.continue_()
        else:  # as without internet: nothing beyond this machine answers
            outside.append(route.request.url)
            route.abort("internetdisconnected")

    context.route("**/*", offline)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    rendered: list[list[str]] = []
    try:
        page.goto("/docs")
        page.locator(".opblock").first.wait_for()
        selector = page.locator(".download-url-wrapper select")
        names = selector.locator("option").all_inner_texts()
        assert len(names) == len(DOCUMENTS), names
        for face, name in zip(DOCUMENTS, names, strict=True):
            part = operations(httpx.get(f"{sqlite.base_url}/openapi/{face}.json").json())
            assert part, face
            selector.select_option(label=name)
            page.wait_for_function(
                """ops => { const shown = new Set(Array.from(
                    document.querySelectorAll('.opblock .opblock-summary'),
                    b => b.querySelector('.opblock-summary-method').textContent.trim() + ' '
                        + b.querySelector('.opblock-summary-path').getAttribute('data-path')));
                    return ops.length === shown.size && ops.every(o => shown.has(o)); }""",
                arg=sorted(f"{method} {path}" for method, path in part),
            )
            rendered += page.eval_on_selector_all(
                ".opblock .opblock-summary",
                """blocks => blocks.map(b => [
                    b.querySelector('.opblock-summary-method').textContent.trim(),
                    b.querySelector('.opblock-summary-path').getAttribute('data-path'),
                ])""",
            )
            page.screenshot(path=str(SHOTS / f"api-docs-{face}.png"))
    finally:
        context.close()

    assert outside == []
    assert errors == []
    # Every operation of the whole document is on the page of exactly one face.
    assert sorted((method, path) for method, path in rendered) == sorted(expected)


def test_docs_assets_are_served_with_their_licence(sqlite: KassaServer) -> None:
    with httpx.Client(base_url=sqlite.base_url, timeout=30) as http:
        html = http.get("/docs").text
        assert "cdn." not in html and "https://" not in html
        for asset in ("swagger-ui-bundle.js", "swagger-ui.css", "LICENSE", "NOTICE"):
            assert http.get(f"/docs/assets/{asset}").status_code == 200, asset
        assert http.get("/redoc").status_code == 404
