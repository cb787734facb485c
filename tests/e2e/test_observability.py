"""/healthz, /readyz, /metrics and the request id, against real `kassa serve` processes.

The PostgreSQL server runs two workers with JSON-lines logs and the access log on; its
metrics directory is named here (PROMETHEUS_MULTIPROC_DIR), so the test can read each
process's counters apart and check that a scrape adds them all up.
"""

import json
import shutil
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.parser import text_string_to_metric_families

from kassa.store.migrate import downgrade, head, upgrade
from tests.conftest import create_pg_database, drop_pg_database, run_sync
from tests.e2e.conftest import KassaServer, _attach, start_server, stop_server
from tests.e2e.helpers import ORDERS, SELLER, client, new_sale, place, timeline

BEFORE_HEAD = "0011_loyalty_codes_cdp"


def sample(text: str, name: str, **labels: str) -> float:
    """The sum of the series of `name` whose labels include `labels`."""
    total = 0.0
    for family in text_string_to_metric_families(text):
        for found in family.samples:
            if found.name == name and all(found.labels.get(k) == v for k, v in labels.items()):
                total += float(found.value)
    return total


def scrape(base_url: str) -> str:
    response = httpx.get(f"{base_url}/metrics", timeout=30)
    assert response.status_code == 200, response.text
    return response.text


@pytest.fixture(scope="module")
def metrics_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The workers' metrics directory, with a file a previous run left behind."""
    path = tmp_path_factory.mktemp("kassa-metrics")
    (path / "counter_1.db").write_bytes(b"left by an earlier run: must not be read")
    return path


@pytest.fixture(scope="module")
def observed_server(
    postgres_admin_url: str, tmp_path_factory: pytest.TempPathFactory, metrics_dir: Path
) -> Iterator[KassaServer]:
    """`kassa serve --workers 2` on a new PostgreSQL database: JSON logs, access log on."""
    url = run_sync(create_pg_database(postgres_admin_url))
    extra_env = {
        "KASSA_LOG_FORMAT": "json",
        "KASSA_ACCESS_LOG": "1",
        "PROMETHEUS_MULTIPROC_DIR": str(metrics_dir),
    }
    log_dir = tmp_path_factory.mktemp("kassa-observed")
    try:
        server = start_server("observed-pg", url, 2, log_dir, extra_env)
        try:
            yield server
        finally:
            stop_server(server)
    finally:
        run_sync(drop_pg_database(postgres_admin_url, url))


@pytest.fixture
def observed(request: pytest.FixtureRequest, observed_server: KassaServer) -> KassaServer:
    return _attach(request, observed_server)


def test_healthz_and_readyz_answer_on_a_running_server(observed: KassaServer) -> None:
    assert httpx.get(f"{observed.base_url}/healthz").json()["status"] == "ok"
    ready = httpx.get(f"{observed.base_url}/readyz")
    assert ready.status_code == 200, ready.text
    assert ready.json() == {"status": "ready", "revision": head()}


def test_a_scrape_adds_up_the_requests_of_both_workers(
    observed: KassaServer, metrics_dir: Path, tmp_path: Path
) -> None:
    assert not (metrics_dir / "counter_1.db").exists()  # cleaned at start
    route = {"route": "/healthz", "status": "200"}
    before = sample(scrape(observed.base_url), "kassa_http_requests_total", **route)
    sent = 0
    with ThreadPoolExecutor(8) as pool:
        # Each request on a connection of its own, so either worker may take it; until both
        # have answered some (the kernel shares the listening socket between them).
        for _ in range(20):
            answers = list(pool.map(lambda _: httpx.get(f"{observed.base_url}/healthz"), range(40)))
            assert all(a.status_code == 200 for a in answers)
            sent += len(answers)
            per_process = _healthz_counts_per_process(metrics_dir, tmp_path)
            if len([n for n in per_process.values() if n > 0]) >= 2:
                break
    # Two or more: on a loaded machine uvicorn may replace a worker that answered its health
    # check late; a replaced worker's counts stay in the sum, as they should.
    assert len([n for n in per_process.values() if n > 0]) >= 2, per_process
    # A worker counts a request once its answer has gone out, so the client may have the
    # last answer a moment before its worker's file has it: wait for every one to be counted.
    deadline = time.monotonic() + 10
    while sum(per_process.values()) < before + sent and time.monotonic() < deadline:
        time.sleep(0.05)
        per_process = _healthz_counts_per_process(metrics_dir, tmp_path)
    after = sample(scrape(observed.base_url), "kassa_http_requests_total", **route)
    assert after - before == sent
    assert after == sum(per_process.values())
    # The live processes' pools are in the sum (a replaced worker's not): 15 each (no overflow). A
    # worker being replaced right now has not counted yet: wait for it a little.
    deadline = time.monotonic() + 30
    while sample(scrape(observed.base_url), "kassa_db_pool_max") != 2 * 15:
        assert time.monotonic() < deadline, scrape(observed.base_url)
        time.sleep(0.5)
    observed.assert_alive_and_quiet()


def _healthz_counts_per_process(metrics_dir: Path, scratch: Path) -> dict[str, float]:
    """Each worker's own count of answered /healthz requests, read from its file alone."""
    counts: dict[str, float] = {}
    for counter_file in metrics_dir.glob("counter_*.db"):
        alone = scratch / counter_file.stem
        alone.mkdir(exist_ok=True)
        shutil.copy(counter_file, alone / counter_file.name)
        registry = CollectorRegistry()
        MultiProcessCollector(registry, path=str(alone))
        text = generate_latest(registry).decode()
        counts[counter_file.stem] = sample(text, "kassa_http_requests_total", route="/healthz")
    return counts


async def test_metrics_after_a_reservation_and_a_cancel(observed: KassaServer) -> None:
    before = scrape(observed.base_url)
    async with client(observed.base_url, SELLER) as http:
        sale = await new_sale(http, 10, "metrics")
        kept = await place(http, sale, 3)
        dropped = await place(http, sale, 2)
        cancel = await http.post(
            f"/api/v1/orders/{dropped['id']}/cancellation",
            json={"reason": "duplicate_order", "comment": f"dup of {kept['id']}"},
        )
        assert cancel.status_code == 200, cancel.text
    after = scrape(observed.base_url)
    placed = {"face": "ticketing", "method": "POST", "route": ORDERS, "status": "201"}
    assert (
        sample(after, "kassa_http_requests_total", **placed)
        - sample(before, "kassa_http_requests_total", **placed)
        == 2
    )
    cancels = {"face": "ticketing", "reason": "duplicate_order"}
    assert sample(after, "kassa_cancellations_total", **cancels) == 1
    assert sample(after, "kassa_tickets_held") - sample(before, "kassa_tickets_held") == 3
    assert sample(after, "kassa_orders", face="ticketing", status="canceled") >= 1
    assert sample(after, "kassa_outbox_backlog") >= 3  # nobody delivers: no worker runs
    assert sample(after, "kassa_outbox_oldest_age_seconds") > 0
    assert dropped["id"] not in after and kept["id"] not in after
    for name in ("kassa_webhook_dead_letters", "kassa_webhook_deliveries_failing"):
        assert f"\n{name} " in after
    assert sample(after, "kassa_http_request_duration_seconds_count", route=ORDERS) >= 2
    observed.assert_alive_and_quiet()


async def test_the_request_id_is_answered_logged_and_on_the_timeline(
    observed: KassaServer,
) -> None:
    async with client(observed.base_url, SELLER) as http:
        sale = await new_sale(http, 5, "request id")
        response = await http.post(
            ORDERS,
            json={"event": sale.event_id, "random": {sale.set_id: 1}},
            headers={"X-Request-Id": "e2e-order-7"},
        )
        assert response.status_code == 201, response.text
        assert response.headers["x-request-id"] == "e2e-order-7"
        entries = await timeline(http, response.json()["id"])
    assert entries[0]["action"] == "order.placed"
    assert entries[0]["request_id"] == "e2e-order-7"
    lines = [json.loads(line) for line in _log_lines(observed, "e2e-order-7")]
    assert lines, "no log line names the request"
    access = [line for line in lines if line["logger"] == "uvicorn.access"]
    assert access and access[0]["path"] == ORDERS and access[0]["status"] == 201
    # Every line the server wrote is a JSON object.
    for line in observed.stderr().splitlines():
        if line.strip():
            assert isinstance(json.loads(line), dict), line


def _log_lines(server: KassaServer, request_id: str) -> list[str]:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        found = [line for line in server.stderr().splitlines() if request_id in line]
        if found:
            return found
        time.sleep(0.1)
    return []


@pytest.fixture(scope="module")
def sqlite_server_of_its_own(tmp_path_factory: pytest.TempPathFactory) -> Iterator[KassaServer]:
    """A server whose database the test takes back one migration."""
    log_dir = tmp_path_factory.mktemp("kassa-readyz")
    server = start_server("readyz", f"sqlite:///{log_dir / 'kassa.db'}", 1, log_dir)
    try:
        yield server
    finally:
        stop_server(server)


def test_readyz_is_503_while_the_database_is_behind_the_code(
    request: pytest.FixtureRequest, sqlite_server_of_its_own: KassaServer
) -> None:
    server = _attach(request, sqlite_server_of_its_own)
    downgrade(server.database_url, BEFORE_HEAD)
    try:
        ready = httpx.get(f"{server.base_url}/readyz")
        assert ready.status_code == 503, ready.text
        assert ready.json()["status"] == "unavailable"
        assert ready.json()["revision"] == BEFORE_HEAD
        assert "kassa migrate" in ready.json()["reason"]
        assert httpx.get(f"{server.base_url}/healthz").status_code == 200  # alive all along
    finally:
        upgrade(server.database_url)
    assert httpx.get(f"{server.base_url}/readyz").status_code == 200
    server.assert_alive_and_quiet()
