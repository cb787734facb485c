"""Prometheus metrics: what each process counts, and what a scrape reads from the database.

Requests are counted per face and route *template* (`/v1/resources/orders/{order_id}`, never
the path itself), so the number of series stays bounded whatever the callers send.

With several server processes (`kassa serve --workers N`) each process counts its own
requests; prometheus-client's multiprocess mode keeps every process's counters in files
under PROMETHEUS_MULTIPROC_DIR (the CLI sets one up, empty, at each start) and a scrape,
whichever process answers it, adds them up. The figures read from the database (orders,
holds, cancellations, the outbox, webhooks) are the same for every process: they are read by
the process that answers the scrape, at scrape time, and never written to those files.
"""

import os
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from prometheus_client import (
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    disable_created_metrics,
    generate_latest,
    multiprocess,
)
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from starlette.types import Scope

from kassa.app.health import Figures

MULTIPROCESS_ENV = "PROMETHEUS_MULTIPROC_DIR"
UNMATCHED = "unmatched"  # the route of a request no route took (a 404): one series for all
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
# Face modules whose name is not the face's own.
_FACE_OF_MODULE = {
    "loyalty_admin": "loyalty",
    "delivery_admin": "delivery",
    "kassa_api": "kassa",
    "kassa_policies": "kassa",
    "webhooks_api": "webhooks",
}

# No `*_created` series: multiprocess mode has none, and one process alone shows the same.
disable_created_metrics()  # type: ignore[no-untyped-call]
REGISTRY = CollectorRegistry(auto_describe=True)  # this process's own metrics

REQUESTS = Counter(
    "kassa_http_requests",
    "HTTP requests answered, by face, method, route template and status",
    ["face", "method", "route", "status"],
    registry=REGISTRY,
)
LATENCY = Histogram(
    "kassa_http_request_duration_seconds",
    "Time to answer an HTTP request, by face, method and route template",
    ["face", "method", "route"],
    registry=REGISTRY,
)
LEAN = Counter(
    "kassa_http_lean_requests",
    "Requests of the hottest routes answered the lean way (kassa.web.hot), by route template",
    ["method", "route"],
    registry=REGISTRY,
)
POOL_CHECKED_OUT = Gauge(
    "kassa_db_pool_checked_out",
    "Database connections in use now (all server processes together)",
    registry=REGISTRY,
    multiprocess_mode="livesum",
)
POOL_MAX = Gauge(
    "kassa_db_pool_max",
    "The most database connections the server processes may open together (pool + overflow)",
    registry=REGISTRY,
    multiprocess_mode="livesum",
)


def multiprocess_dir() -> str | None:
    """Where the processes' metric files are, when several processes serve."""
    path = os.environ.get(MULTIPROCESS_ENV)
    return path if path and os.path.isdir(path) else None


def route_of(scope: Scope) -> str:
    """The template of the route that took the request, rebuilt from the path and its
    parameters (FastAPI keeps an included router's prefix out of the route object)."""
    if scope.get("endpoint") is None:
        return UNMATCHED
    path: str = scope.get("path", "")
    for name, value in reversed(list((scope.get("path_params") or {}).items())):
        text = str(value)
        if text and path.endswith("/" + text):
            path = path[: -len(text)] + "{" + name + "}"
        elif text and f"/{text}/" in path:
            path = path.replace(f"/{text}/", "/{" + name + "}/", 1)
        else:  # a converted value (an int) that no longer reads as the path does
            return str(getattr(scope.get("route"), "path", UNMATCHED))
    return path


def face_of(scope: Scope, route: str) -> str:
    """The face a request belongs to: the console, a partner face, or Kassa's own routes."""
    if route == UNMATCHED:
        return "none"
    if route.startswith("/console"):
        return "console"
    module = str(getattr(scope.get("endpoint"), "__module__", ""))
    if module.startswith("kassa.faces."):
        name = module.split(".")[2]
        return _FACE_OF_MODULE.get(name, name)
    return "system"


# The labelled series already used, by their labels: `labels()` normalises its arguments and
# takes the metric's lock on every call. Bounded as the series themselves are (route templates).
_SERIES: dict[tuple[str, str, str, int], tuple[Any, Any]] = {}
_FACES: dict[tuple[Any, str], str] = {}


def observe_request(scope: Scope, status: int, seconds: float) -> None:
    """Count one answered request and how long it took."""
    route = route_of(scope)
    endpoint = scope.get("endpoint")
    face = _FACES.get((endpoint, route))
    if face is None:
        face = _FACES[(endpoint, route)] = face_of(scope, route)
    method = scope.get("method", "GET")
    method = method if method in METHODS else "other"
    key = (face, method, route, status)
    series = _SERIES.get(key)
    if series is None:
        series = _SERIES[key] = (
            REQUESTS.labels(face, method, route, str(status)),
            LATENCY.labels(face, method, route),
        )
    series[0].inc()
    series[1].observe(seconds)


_POOL: list[tuple[int, int]] = []  # the figures last set in this process


def observe_pool(checked_out: int, budget: int) -> None:
    """Set the pool's gauges (only when they changed: a set takes a lock, and a file write
    in multiprocess mode)."""
    if _POOL and _POOL[0] == (checked_out, budget):
        return
    POOL_CHECKED_OUT.set(checked_out)
    POOL_MAX.set(budget)
    _POOL[:] = [(checked_out, budget)]


class _Snapshot(Collector):
    """Metric families computed once, for one scrape."""

    def __init__(self, families: Iterable[Metric]) -> None:
        self._families = list(families)

    def collect(self) -> Iterator[Metric]:
        return iter(self._families)


def database_families(figures: Figures | None) -> list[Metric]:
    """The figures read from the database; only `kassa_database_up 0` when it did not answer."""
    up = GaugeMetricFamily("kassa_database_up", "Whether the scrape could read the database")
    up.add_metric([], 0 if figures is None else 1)
    if figures is None:
        return [up]
    orders = GaugeMetricFamily(
        "kassa_orders", "Orders by face and status", labels=["face", "status"]
    )
    for (face, status), n in sorted(figures.orders.items()):
        orders.add_metric([face, status], n)
    cancels = CounterMetricFamily(
        "kassa_cancellations",
        "Cancellations (whole or partial) and expiries ever made, by face and reason code",
        labels=["face", "reason"],
    )
    for (face, reason), n in sorted(figures.cancellations.items()):
        cancels.add_metric([face, reason], n)
    return [up, orders, cancels, *_gauges(figures)]


def _gauges(figures: Figures) -> list[Metric]:
    values: list[tuple[str, str, float]] = [
        (
            "kassa_reservations_open",
            "Ticket orders holding tickets, not paid yet",
            figures.open_reservations,
        ),
        ("kassa_tickets_held", "Tickets held by unpaid orders now", figures.tickets_held),
        (
            "kassa_outbox_backlog",
            "Outbox messages (webhooks, mail) not delivered yet",
            figures.outbox.backlog,
        ),
        (
            "kassa_outbox_oldest_age_seconds",
            "How long the oldest undelivered message has waited",
            figures.outbox_oldest_age_seconds,
        ),
        (
            "kassa_outbox_failing",
            "Undelivered outbox messages that failed at least once",
            figures.outbox.failing,
        ),
        (
            "kassa_webhook_deliveries_failing",
            "Deliveries to registered webhook endpoints being retried after a failure",
            figures.webhooks.failing,
        ),
        (
            "kassa_webhook_dead_letters",
            "Webhook deliveries given up on (replayable)",
            figures.webhooks.dead,
        ),
    ]
    families: list[Metric] = []
    for name, documentation, value in values:
        family = GaugeMetricFamily(name, documentation)
        family.add_metric([], value)
        families.append(family)
    return families


def exposition(figures: Figures | None) -> bytes:
    """The text a scrape gets: every process's own metrics, then the database's figures."""
    path = multiprocess_dir()
    if path is None:
        own = generate_latest(REGISTRY)
    else:
        _forget_dead_processes(path)
        every_process = CollectorRegistry()
        multiprocess.MultiProcessCollector(every_process, path=path)  # type: ignore[no-untyped-call]
        own = generate_latest(every_process)
    scraped = CollectorRegistry()
    scraped.register(_Snapshot(database_families(figures)))
    return own + generate_latest(scraped)


def forget_process(pid: int) -> None:
    """A process that stops serving: its live gauges (the pool's) leave the sums."""
    _POOL.clear()  # a server started again in this process sets its gauges anew
    path = multiprocess_dir()
    if path is not None:
        multiprocess.mark_process_dead(pid, path)  # type: ignore[no-untyped-call]


def _forget_dead_processes(path: str) -> None:
    """Drop the live gauges of workers gone without a word (uvicorn kills a worker that
    stops answering it): all workers share this host, so a pid that is not running is gone."""
    for gauge_file in Path(path).glob("gauge_live*_*.db"):
        pid = gauge_file.stem.rsplit("_", 1)[-1]
        if pid.isdigit() and not _running(int(pid)):
            forget_process(int(pid))


def _running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process: running
        return True
    return True
