"""A lean way through for the hottest requests: the same endpoint, without the layers that
have nothing to do for them.

Measured with callgrind (`bench/instructions.py`), a v1 reserve costs the server 2.34 M
instructions through the whole ASGI stack and 1.48 M when its endpoint function is called
directly: FastAPI's routing, dependency solving and request handling and Kassa's five inner
middlewares are over a third of the request, more than the command's own Python. For a
request that is plain for each of those layers, `HotRoutes` does what each would do with it
and calls the route's own endpoint function:

- no `Idempotency-Key` (else `Idempotency` has work to do), no query string (`fields-schema`
  and the like are the route's dependencies' to parse), no `Transfer-Encoding` and a
  `Content-Length` within the body limit (else `BodyLimit` has work to do);
- a body `Negotiation` takes and an `Accept` it finds satisfied; the v1 `charset=UTF-8`;
- the body checked by the input guard's own `check_request`, decoded by it (a document with a
  float is not: the stdlib decodes those, so such a request goes the whole way);
- the route's arguments built by the face's own binder from the same pydantic models and the
  same caller check (or the request itself, for the faces that read their own bodies), and the
  endpoint's exceptions answered by the app's own handlers.

The routes: each face's hot path (`kassa.server.HOT_ROUTES`), i.e. the v1 reserve and cancel,
the v2 PATCH, the loyalty checkout, the aggregator's order calls and Kassa's cancellation
preview and apply. Their endpoints return a response (FastAPI would otherwise render a value
through the route's response model, which the lean way does not do).

Anything else, and anything that fails before the endpoint runs (a body the model refuses, a
bad key), goes the whole way with the body it was sent: every refusal is the full stack's
own, in the face's format, and nothing has run twice, because nothing ran. Telemetry (the
request id, the metrics, the logs) stays outside, for both ways. The tests run every request
both ways and compare the answers (`tests/api/test_hot_routes.py`).
"""

import re
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from fastapi import APIRouter
from fastapi.routing import APIRoute
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

from kassa.web import metrics, negotiation
from kassa.web.deps import context_of
from kassa.web.guard import PARSED_JSON, InputRefused, check_request, read_body, replay_body
from kassa.web.idempotency import HEADER as IDEMPOTENCY_KEY

# Builds the endpoint's keyword arguments from the request, its decoded JSON body (None when
# there is none) and the path's parameters. It only reads: whatever it raises (a body the model
# refuses, a bad key) sends the request the whole way, where the same check answers it.
Bind = Callable[[Request, Any, dict[str, str]], Awaitable[dict[str, Any]]]
# What a route does with a body: "json", its binder takes the decoded document (a route with a
# body model; a body without one, or with a float, goes the whole way); "read", the endpoint
# reads the request itself (a face that parses its own body, numbers as Decimal); "none", it
# takes none (a request with a body goes the whole way).
BodyUse = Literal["json", "read", "none"]


@dataclass(frozen=True, eq=False)  # hashed by identity (FastAPI routes are not hashable)
class HotRoute:
    """One route's lean way: FastAPI's route (its method, its path and the router's own
    pattern for it, its endpoint function) and the binder of its arguments."""

    route: APIRoute
    bind: Bind
    body: BodyUse = "json"

    @property
    def method(self) -> str:
        return next(iter(self.route.methods or ()))

    @property
    def path(self) -> str:
        return self.route.path

    @property
    def endpoint(self) -> Callable[..., Awaitable[Response]]:
        endpoint: Callable[..., Awaitable[Response]] = self.route.endpoint
        return endpoint


_WHOLE_WAY: Any = object()


class HotRoutes:
    """ASGI middleware, just inside Telemetry: the lean way for `routes`, the rest untouched."""

    def __init__(self, app: ASGIApp, routes: tuple[HotRoute, ...], body_limit: int) -> None:
        self.app = app
        self.body_limit = body_limit
        self._exact: dict[tuple[str, str], HotRoute] = {}
        self._templated: list[tuple[str, re.Pattern[str], HotRoute]] = []
        self._counted = {route: metrics.LEAN.labels(route.method, route.path) for route in routes}
        for route in routes:
            if route.route.param_convertors:  # matched by the router's own pattern
                self._templated.append((route.method, route.route.path_regex, route))
            else:
                self._exact[(route.method, route.path)] = route

    def _match(self, method: str, path: str) -> tuple[HotRoute, dict[str, str]] | None:
        route = self._exact.get((method, path))
        if route is not None:
            return route, {}
        for wanted, pattern, candidate in self._templated:
            if wanted == method:
                found = pattern.match(path)
                if found is not None:
                    return candidate, found.groupdict()
        return None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        matched = None
        if scope["type"] == "http":
            matched = self._match(scope.get("method", ""), scope.get("path", ""))
        if matched is None or not self._plain(scope, matched[0]):
            await self.app(scope, receive, send)
            return
        route, params = matched
        body = await read_body(receive)
        replayed = replay_body(body, receive)
        document = self._document(scope, route, body)
        if document is _WHOLE_WAY:
            await self.app(scope, replayed, send)
            return
        request = Request(scope, replayed)
        if document is not None:
            request._json = document  # what Starlette's `Request.json()` keeps (kassa.web.routes)
        try:
            arguments = await route.bind(request, document, params)
        except Exception:  # the full stack answers it in its own words
            await self.app(scope, replay_body(body, receive), send)
            return
        scope["endpoint"] = route.endpoint
        scope["path_params"] = params
        scope["route"] = route.route
        try:
            response = await route.endpoint(**arguments)
        except Exception as exc:
            handler = _handler(scope, exc)
            if handler is None:
                raise  # as the full stack: ServerErrorMiddleware answers 500 and logs it
            response = await handler(request, exc)
        self._counted[route].inc()
        await response(scope, receive, negotiation.charset(scope, send))

    @staticmethod
    def _document(scope: Scope, route: HotRoute, body: bytes) -> Any:
        """The body's decoded JSON document (None: none), or `_WHOLE_WAY` when the input
        guard refuses it or the route cannot take it."""
        try:
            check_request(scope, body)
        except InputRefused:
            return _WHOLE_WAY  # the guard's 400, in the face's format
        document = scope.get(PARSED_JSON)
        if route.body == "json" and document is None:
            return _WHOLE_WAY  # no body, or one decoded otherwise: FastAPI's own words
        return document

    def _plain(self, scope: Scope, route: HotRoute) -> bool:
        """Whether every layer the lean way leaves out would only have passed it on."""
        if scope.get("query_string"):
            return False
        headers: Mapping[bytes, bytes] = dict(scope.get("headers") or [])
        if IDEMPOTENCY_KEY in headers or b"transfer-encoding" in headers:
            return False
        length = headers.get(b"content-length", b"0")
        if not length.isdigit() or int(length) > self.body_limit:
            return False
        if int(length) and route.body == "none":
            return False
        return negotiation.refusal(scope) is None


ExceptionHandler = Callable[[Request, Exception], Awaitable[Response]]


def lean(
    router: APIRouter,
    method: str,
    endpoint: Callable[..., Any],
    bind: Bind,
    *,
    body: BodyUse = "json",
) -> HotRoute:
    """The lean way for `router`'s route of `method` to `endpoint`. The lean way matches the
    route's own path, so the router must be included in the app without a prefix (as every
    face's is), and no earlier route may take the same requests (the tests send each lean
    route's requests both ways)."""
    for route in router.routes:
        if isinstance(route, APIRoute) and route.endpoint is endpoint and route.methods == {method}:
            return HotRoute(route, bind, body)
    raise LookupError(f"{router!r} has no {method} route to {endpoint.__name__}")


async def request_only(request: Request, _: Any, path: dict[str, str]) -> dict[str, Any]:
    """The binder of an endpoint that takes the path's parameters, the request (it reads its
    own body) and the process context."""
    return {**path, "request": request, "ctx": context_of(request)}


def _handler(scope: Scope, exc: Exception) -> ExceptionHandler | None:
    """The app's handler for `exc`, looked up as Starlette's ExceptionMiddleware does (the
    catch-all `Exception` handler is ServerErrorMiddleware's, outside)."""
    handlers: Mapping[Any, ExceptionHandler] = scope["app"].exception_handlers
    if isinstance(exc, HTTPException) and exc.status_code in handlers:
        return handlers[exc.status_code]
    for cls in type(exc).__mro__:
        if cls is Exception:
            return None
        if cls in handlers:
            return handlers[cls]
    return None
