"""The ASGI app, assembled above the faces and the console: every face's router and the console
on one FastAPI app, one error handler, the middleware and the OpenAPI document."""

import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from fastapi.responses import RedirectResponse
from fastapi.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

import kassa
from kassa.app.clock import Clock, utcnow
from kassa.app.db import Database, open_database
from kassa.app.health import pool_use
from kassa.config import Settings
from kassa.console.buyer import error_page as buyer_error_page
from kassa.console.buyer import router as buyer_router
from kassa.console.common import PREFIX, STATIC
from kassa.console.errors import error_page
from kassa.console.offer import router as offer_router
from kassa.console.router import root as console_root
from kassa.console.router import router as console_router
from kassa.console.security import SecurityHeaders
from kassa.faces.delivery import HOT as delivery_hot
from kassa.faces.delivery import router as delivery_router
from kassa.faces.delivery_admin import router as delivery_admin_router
from kassa.faces.kassa_api import HOT as kassa_hot
from kassa.faces.kassa_api import router as kassa_router
from kassa.faces.loyalty import HOT as loyalty_hot
from kassa.faces.loyalty import router as loyalty_router
from kassa.faces.loyalty_admin import router as loyalty_admin_router
from kassa.faces.loyalty_certificates import admin as certificate_pools_router
from kassa.faces.loyalty_certificates import router as certificates_router
from kassa.faces.loyalty_promo_lists import router as promo_lists_router
from kassa.faces.loyalty_services import router as loyalty_services_router
from kassa.faces.selfservice_api import router as selfservice_router
from kassa.faces.ticketing.accounts import router as accounts_router
from kassa.faces.ticketing.mosbilet import router as mosbilet_router
from kassa.faces.ticketing.promocodes import router as promocodes_router
from kassa.faces.ticketing.refunds import router as refunds_router
from kassa.faces.ticketing.refunds_v1 import router as refunds_v1_router
from kassa.faces.ticketing.v1 import HOT as ticketing_v1_hot
from kassa.faces.ticketing.v1 import router as ticketing_v1
from kassa.faces.ticketing.v2 import HOT as ticketing_v2_hot
from kassa.faces.ticketing.v2 import router as ticketing_v2
from kassa.faces.webhooks_api import router as webhooks_router
from kassa.web import apidocs, errors, metrics
from kassa.web.context import Context
from kassa.web.guard import InputGuard
from kassa.web.hot import HotRoutes
from kassa.web.idempotency import Idempotency
from kassa.web.negotiation import Negotiation
from kassa.web.openapi import finish
from kassa.web.ops import router as ops_router
from kassa.web.responses import Json
from kassa.web.telemetry import Telemetry


class BodyLimit:
    """Refuse request bodies over `limit` bytes with 413, before anything reads them whole."""

    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope.get("headers") or []).get(b"content-length")
        if declared is not None and declared.isdigit():
            if int(declared) > self.limit:
                await self._refuse(scope, receive, send)
                return
            await self.app(scope, receive, send)
            return
        # No declared length (a streamed body): read it here, up to the limit, then replay it.
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":
                break
            size += len(message.get("body", b""))
            if size > self.limit:
                await self._refuse(scope, receive, send)
                return
            chunks.append(message.get("body", b""))
            if not message.get("more_body", False):
                break
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": b"".join(chunks), "more_body": False}
            return await receive()

        await self.app(scope, replay, send)

    async def _refuse(self, scope: Scope, receive: Receive, send: Send) -> None:
        response = errors.error_response(
            413,
            f"Request body is larger than {self.limit} bytes",
            "body_too_large",
            path=scope.get("path", ""),
        )
        await response(scope, receive, send)


# The requests of each face's hot path (`kassa.web.hot`): the v1 reserve and cancel, the v2
# PATCH, the loyalty checkout, the aggregator's order calls and Kassa's cancellation API.
HOT_ROUTES = ticketing_v1_hot + ticketing_v2_hot + loyalty_hot + delivery_hot + kassa_hot


def _native_telemetry() -> Any:
    """FastAPI's own OpenTelemetry, only where the environment configures OpenTelemetry.

    Kassa's metrics are Prometheus' (/metrics). Left on, FastAPI asks OpenTelemetry on every
    request whether a tracer, meter or logger provider is set, and each of those questions
    reads the process environment: about 6 % of a ticket reserve's CPU in the profile
    (BENCHMARKS.md). With an `OTEL_*` variable set (e.g. under `opentelemetry-instrument`) or
    `FASTAPI_OTEL_AUTO_CONFIGURE`, FastAPI's defaults apply unchanged."""
    if any(name.startswith(("OTEL_", "FASTAPI_OTEL_")) for name in os.environ):
        return None
    return {"tracing": False, "metrics": False, "logs": False}


def create_app(
    settings: Settings | None = None, *, db: Database | None = None, clock: Clock = utcnow
) -> FastAPI:
    """The whole HTTP app. Owns its database engine unless one is handed in."""
    settings = settings or Settings.from_env()
    owned = db is None
    database = db or open_database(
        settings.database_url,
        pool_size=settings.db_pool_size,
        max_overflow=settings.db_max_overflow,
        pool_timeout=settings.db_pool_timeout_seconds,
    )

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        metrics.observe_pool(*pool_use(database))
        yield
        metrics.forget_process(os.getpid())
        if owned:
            await database.dispose()

    app = FastAPI(
        title="Kassa",
        version=kassa.__version__,
        summary="One order core with ticketing, loyalty and delivery partner API faces.",
        default_response_class=Json,
        lifespan=lifespan,
        docs_url=None,  # /docs: Swagger UI from Kassa itself (web/apidocs.py), not a CDN
        redoc_url=None,
        telemetry=_native_telemetry(),
    )
    app.state.kassa = Context(database, settings, clock)
    errors.install(app)
    app.include_router(ticketing_v1)
    app.include_router(ticketing_v2)
    app.include_router(promocodes_router)
    app.include_router(refunds_router)
    app.include_router(refunds_v1_router)
    app.include_router(mosbilet_router)
    app.include_router(accounts_router)
    app.include_router(loyalty_router)
    app.include_router(loyalty_admin_router)
    app.include_router(loyalty_services_router)
    app.include_router(promo_lists_router)
    app.include_router(certificates_router)
    app.include_router(certificate_pools_router)
    app.include_router(delivery_router)
    app.include_router(delivery_admin_router)
    app.include_router(webhooks_router)
    app.include_router(kassa_router)
    app.include_router(selfservice_router)  # buyer self-service: links, event rule
    app.include_router(buyer_router)  # /my/{token}: the buyer's page
    app.include_router(offer_router)  # /my/offers/{token}: a waiting list's offer
    app.include_router(console_router)
    app.include_router(console_root)
    app.include_router(ops_router)  # /healthz, /readyz, /metrics (and /health)
    app.mount(PREFIX + "/static", StaticFiles(directory=STATIC), name="static")
    apidocs.install(app)
    errors.render_pages(PREFIX, error_page)
    errors.render_pages("/my", buyer_error_page)

    @app.get("/", include_in_schema=False)
    async def root() -> RedirectResponse:
        return RedirectResponse(PREFIX + "/", status_code=307)

    _document(app)
    # Outermost last: security headers on every console answer, then the body bounded, then
    # its text checked, and only then an idempotency key looked up or the faces reached.
    app.add_middleware(Idempotency)
    app.add_middleware(Negotiation)  # 415/406 in the face's format; v1's charset=UTF-8
    app.add_middleware(InputGuard)
    app.add_middleware(BodyLimit, limit=settings.max_body_bytes)
    app.add_middleware(SecurityHeaders)
    if settings.lean_routes:  # hot routes' plain requests: the endpoint, not the layers above
        app.add_middleware(HotRoutes, routes=HOT_ROUTES, body_limit=settings.max_body_bytes)
    app.add_middleware(Telemetry, db=database)  # outermost: the request id covers all
    return app


def _document(app: FastAPI) -> None:
    """FastAPI's document, finished by `kassa.web.openapi` with what FastAPI cannot see."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = finish(
                get_openapi(
                    title=app.title,
                    version=app.version,
                    summary=app.summary,
                    description=app.description,
                    routes=app.routes,
                )
            )
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
