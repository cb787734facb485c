"""What a load balancer and a monitoring system ask: is the process alive (`/healthz`), may
it take traffic (`/readyz`), and how is the service doing (`/metrics`, Prometheus text)."""

import logging
from typing import Any

from fastapi import APIRouter, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST

import kassa
from kassa.app import health
from kassa.web import metrics
from kassa.web.deps import Ctx

log = logging.getLogger("kassa.metrics")
router = APIRouter(include_in_schema=False)


@router.get("/healthz")
@router.get("/health")  # the older name, kept for the probes already pointed at it
async def healthz() -> dict[str, Any]:
    """The process is alive and serving; the database is not asked."""
    return {"status": "ok", "version": kassa.__version__}


@router.get("/readyz")
async def readyz(ctx: Ctx) -> JSONResponse:
    """200 when the database answers and its schema is at this code's migration head; 503
    with the reason otherwise."""
    found = await health.readiness(ctx.db)
    if not found.ready:
        body = {"status": "unavailable", "reason": found.reason, "revision": found.revision}
        return JSONResponse(body, 503, headers={"Retry-After": "5"})
    return JSONResponse({"status": "ready", "revision": found.revision})


@router.get("/metrics")
async def prometheus(ctx: Ctx) -> Response:
    """Every process's request counts and latencies, and the database's figures now."""
    try:
        figures: health.Figures | None = await health.figures(ctx.db, ctx.clock())
    except Exception as error:  # the process's own metrics still count; the DB's say it failed
        log.warning("metrics: the database figures could not be read: %s", error)
        figures = None
    metrics.observe_pool(*health.pool_use(ctx.db))
    return Response(metrics.exposition(figures), media_type=CONTENT_TYPE_LATEST)
