"""Health, readiness, metrics and the request id, on the app in-process (SQLite and PostgreSQL).

The same behaviour against a real `kassa serve` (two workers, JSON logs) is in
tests/e2e/test_observability.py.
"""

import json
import logging
import re
from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from kassa import cli
from kassa.app import demo
from kassa.app.trace import bind_request_id, unbind_request_id
from kassa.config import Settings
from kassa.logs import TEXT_FORMAT, JsonFormatter, RequestIdFilter
from kassa.store.db import Database
from kassa.store.migrate import head, upgrade_async
from kassa.web.metrics import route_of
from kassa.web.multiprocess import ENV, metrics_directory
from tests.conftest import create_app

ORDERS = "/v2/resources/orders"
GENERATED_ID = re.compile(r"^[0-9a-f]{32}$")


def sample(text: str, name: str, **labels: str) -> float:
    """The value of one series of a scrape (0 when it is absent)."""
    for family in text_string_to_metric_families(text):
        for found in family.samples:
            if found.name == name and all(found.labels.get(k) == v for k, v in labels.items()):
                return float(found.value)
    return 0.0


async def scrape(client: httpx.AsyncClient) -> str:
    response = await client.get("/metrics")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/plain")
    return response.text


async def reserve(client: httpx.AsyncClient, seller: dict[str, str], n: int) -> httpx.Response:
    body = {"event": demo.V2_EVENT_ID, "random": {demo.V2_STALLS_SET_ID: n}}
    return await client.post(ORDERS, headers=seller, json=body)


async def test_healthz_answers_without_the_database_and_health_stays_an_alias(
    client: httpx.AsyncClient,
) -> None:
    for path in ("/healthz", "/health"):
        response = await client.get(path)
        assert response.status_code == 200
        assert response.json()["status"] == "ok"


async def test_readyz_is_ready_on_a_migrated_database(client: httpx.AsyncClient) -> None:
    response = await client.get("/readyz")
    assert response.status_code == 200, response.text
    assert response.json() == {"status": "ready", "revision": head()}


async def test_readyz_is_503_with_the_reason_when_the_database_is_unreachable() -> None:
    nowhere = Database("postgresql://postgres@127.0.0.1:1/kassa", pool_size=1)
    app = create_app(Settings(database_url="postgresql://postgres@127.0.0.1:1/kassa"), db=nowhere)
    transport = httpx.ASGITransport(app=app)
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://kassa.test") as http:
            assert (await http.get("/healthz")).status_code == 200
            ready = await http.get("/readyz")
            assert ready.status_code == 503
            assert ready.json()["status"] == "unavailable"
            assert "unreachable" in ready.json()["reason"]
            scraped = await http.get("/metrics")  # the process's own metrics still answer
            assert scraped.status_code == 200
            assert sample(scraped.text, "kassa_database_up") == 0
    finally:
        await nowhere.dispose()


async def test_readyz_is_503_on_a_database_behind_the_code(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'old.db'}"
    await upgrade_async(url, "0011_loyalty_codes_cdp")
    old = Database(url)
    transport = httpx.ASGITransport(app=create_app(Settings(database_url=url), db=old))
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://kassa.test") as http:
            ready = await http.get("/readyz")
            assert ready.status_code == 503
            body = ready.json()
            assert body["revision"] == "0011_loyalty_codes_cdp"
            assert head() in body["reason"] and "kassa migrate" in body["reason"]
            assert ready.headers["retry-after"]
    finally:
        await old.dispose()


async def test_a_sane_request_id_is_kept_and_any_other_replaced(
    client: httpx.AsyncClient,
) -> None:
    kept = await client.get("/healthz", headers={"X-Request-Id": "lb-7f3a:42.1_x"})
    assert kept.headers["x-request-id"] == "lb-7f3a:42.1_x"
    for bad in ("has spaces", "x" * 129, "<script>", ""):
        replaced = await client.get("/healthz", headers={"X-Request-Id": bad})
        assert GENERATED_ID.match(replaced.headers["x-request-id"]), bad
    fresh = [(await client.get("/healthz")).headers["x-request-id"] for _ in range(2)]
    assert fresh[0] != fresh[1]


async def test_the_timeline_entry_names_the_request_that_made_the_change(
    client: httpx.AsyncClient, seller: dict[str, str]
) -> None:
    placed = await client.post(
        ORDERS,
        headers={**seller, "X-Request-Id": "place-1"},
        json={"event": demo.V2_EVENT_ID, "random": {demo.V2_STALLS_SET_ID: 1}},
    )
    assert placed.status_code == 200, placed.text
    order_id = placed.json()["data"]["id"]
    cancelled = await client.post(
        f"/api/v1/orders/{order_id}/cancellation",
        headers=seller,
        json={"reason": "customer_request"},
    )
    assert cancelled.status_code == 200, cancelled.text
    timeline = await client.get(f"/api/v1/orders/{order_id}/timeline", headers=seller)
    entries = {e["action"]: e["request_id"] for e in timeline.json()["timeline"]}
    assert entries["order.placed"] == "place-1"
    assert entries["order.canceled"] == cancelled.headers["x-request-id"]


async def test_metrics_count_requests_by_route_template_and_read_the_database(
    client: httpx.AsyncClient, seller: dict[str, str]
) -> None:
    before = await scrape(client)
    held = await reserve(client, seller, 2)
    assert held.status_code == 200, held.text
    dropped = await reserve(client, seller, 1)
    dropped_id = dropped.json()["data"]["id"]
    cancel = await client.post(
        f"/api/v1/orders/{dropped_id}/cancellation",
        headers=seller,
        json={"reason": "fraud_suspected", "comment": "a comment is not a label"},
    )
    assert cancel.status_code == 200, cancel.text
    after = await scrape(client)

    def placed(text: str) -> float:
        labels = {"face": "ticketing", "method": "POST", "route": ORDERS, "status": "200"}
        return sample(text, "kassa_http_requests_total", **labels)

    assert placed(after) - placed(before) == 2
    template = "/api/v1/orders/{order_id}/cancellation"
    assert sample(after, "kassa_http_requests_total", face="kassa", route=template) >= 1
    assert dropped_id not in after  # an id never becomes a label
    assert sample(after, "kassa_http_request_duration_seconds_count", route=ORDERS) >= 2
    assert sample(after, "kassa_orders", face="ticketing", status="executed") == 1
    assert sample(after, "kassa_orders", face="ticketing", status="canceled") == 1
    assert sample(after, "kassa_reservations_open") == 1
    assert sample(after, "kassa_tickets_held") == 2
    cancels = sample(after, "kassa_cancellations_total", face="ticketing", reason="fraud_suspected")
    assert cancels == 1
    assert sample(after, "kassa_outbox_backlog") >= 2  # order.placed x2, order.canceled
    assert sample(after, "kassa_outbox_oldest_age_seconds") >= 0
    assert sample(after, "kassa_database_up") == 1
    assert sample(after, "kassa_db_pool_max") > 0


def test_a_route_template_is_rebuilt_from_the_path_and_its_parameters() -> None:
    def scope(url: str, **params: object) -> dict[str, object]:
        return {"endpoint": object(), "path": url, "path_params": params}

    assert route_of(scope("/v2/resources/orders/abc", order_id="abc")) == (
        "/v2/resources/orders/{order_id}"
    )
    assert route_of(scope("/v1/a/x/b/x", first="x", second="x")) == "/v1/a/{first}/b/{second}"
    assert route_of(scope("/console/static/css/app.css", path="css/app.css")) == (
        "/console/static/{path}"
    )
    assert route_of({"path": "/no/such/page"}) == "unmatched"


def test_several_workers_get_an_empty_metrics_directory_of_their_own(tmp_path: Path) -> None:
    env: dict[str, str] = {}
    with metrics_directory(1, env) as none:
        assert none is None and ENV not in env  # one process counts alone
    with metrics_directory(2, env) as made:
        assert made is not None and env[ENV] == made and Path(made).is_dir()
    assert not Path(made).exists() and ENV not in env  # made here, removed here
    given = tmp_path / "metrics"
    given.mkdir()
    (given / "counter_123.db").write_bytes(b"an earlier run's")
    (given / "notes.txt").write_text("not ours")
    env = {ENV: str(given)}
    with metrics_directory(1, env) as used:
        assert used == str(given)
        assert sorted(p.name for p in given.iterdir()) == ["notes.txt"]
    assert given.is_dir() and env[ENV] == str(given)  # the operator's: left in place


def test_json_log_lines_name_the_request() -> None:
    formatter = JsonFormatter()
    record = logging.LogRecord("kassa.http", logging.WARNING, __file__, 1, "slow %s", ("x",), None)
    token = bind_request_id("req-9")
    try:
        RequestIdFilter().filter(record)
    finally:
        unbind_request_id(token)
    line = json.loads(formatter.format(record))
    assert line["message"] == "slow x" and line["request_id"] == "req-9"
    assert line["level"] == "WARNING" and line["logger"] == "kassa.http"
    outside = logging.LogRecord("kassa.worker", logging.INFO, __file__, 1, "pass", (), None)
    RequestIdFilter().filter(outside)
    assert json.loads(formatter.format(outside))["request_id"] is None


def test_text_log_lines_name_the_request_in_brackets() -> None:
    record = logging.LogRecord("kassa.http", logging.INFO, __file__, 1, "hello", (), None)
    token = bind_request_id("req-10")
    try:
        RequestIdFilter().filter(record)
    finally:
        unbind_request_id(token)
    assert logging.Formatter(TEXT_FORMAT).format(record).endswith("kassa.http [req-10]: hello")


def test_an_unknown_log_format_is_one_line_and_a_non_zero_exit(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("KASSA_LOG_FORMAT", "xml")
    assert cli.main(["migrate"]) == 2
    error = capsys.readouterr().err
    assert error.count("\n") == 1 and "KASSA_LOG_FORMAT" in error and "json" in error


async def test_each_face_is_its_own_label(client: httpx.AsyncClient) -> None:
    calls = {
        ("loyalty", "/loyalty/checkout/details"): "GET",
        ("delivery", "/restaurants"): "GET",
        ("console", "/console/login"): "GET",
        ("ticketing", "/v1/resources/events"): "GET",
        ("webhooks", "/api/v1/webhooks/endpoints"): "GET",
    }
    for (_, path), method in calls.items():
        await client.request(method, path)
    scraped = await scrape(client)
    for face, route in calls:
        assert sample(scraped, "kassa_http_requests_total", face=face, route=route) >= 1, route
