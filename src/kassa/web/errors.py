"""Error rendering shared by the HTTP app: one handler turns every error into the face's format.

The ticketing face answers `{"error": "HTTPBadRequest", "reason": "...", "code": "..."}`, the
shape the v1 API documents for its errors; `code` is Kassa's stable machine-readable code.
The v2 resources answer `{"errors": ["<message>", ...]}`, as the v2 docs show; the loyalty
face `{"status": "error", "success": false, "payload": {"message": "..."}}`.
"""

import logging
import re
from collections.abc import Awaitable, Callable
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from kassa.core.errors import ErrorKind, KassaError
from kassa.web.delivery_errors import number_of

log = logging.getLogger("kassa.http")

STATUS_OF_KIND = {
    ErrorKind.INVALID: 400,
    ErrorKind.UNAUTHORIZED: 401,
    ErrorKind.FORBIDDEN: 403,
    ErrorKind.NOT_FOUND: 404,
    ErrorKind.CONFLICT: 409,
    ErrorKind.UNAVAILABLE: 503,
}
# A 503 (the database is out of reach or out of connections) says when to try again.
RETRY_AFTER_S = 1

_NAMES = {
    400: "HTTPBadRequest",
    401: "HTTPUnauthorized",
    403: "HTTPForbidden",
    404: "HTTPNotFound",
    405: "HTTPMethodNotAllowed",
    406: "HTTPNotAcceptable",
    409: "HTTPConflict",
    413: "HTTPRequestEntityTooLarge",
    415: "HTTPUnsupportedMediaType",
    422: "HTTPUnprocessableEntity",
    500: "HTTPInternalServerError",
    503: "HTTPServiceUnavailable",
}


def error_body(status: int, reason: str, code: str, **extra: Any) -> dict[str, Any]:
    name = _NAMES.get(status) or "HTTP" + HTTPStatus(status).phrase.replace(" ", "")
    return {"error": name, "reason": reason, "code": code, **extra}


V2_PREFIX = "/v2/resources/"
# v2 services that answer errors as the v2 resources do (the promo-code check keeps its own).
V2_ERROR_PREFIXES = (V2_PREFIX, "/v2/services/orders/")


# The promo-code check documents its failure as exactly `{"error", "reason"}` (ticketing.md 1.7).
PROMOCODE_CHECK_PATH = "/v2/services/promocodes/check"
# The core's status is v1's `canceled`; v2 spells it `cancelled` (ticketing.md 1.6).
_CANCELED = re.compile(r"\bcanceled\b")


def v2_words(message: str) -> str:
    """A core message in the v2 spelling."""
    return _CANCELED.sub("cancelled", message)


def is_v2(path: str) -> bool:
    """Paths whose errors are `{"errors": ["<message>", ...]}`."""
    return path.startswith(V2_ERROR_PREFIXES)


# v1 errors Kassa answers in the v2 list shape, as the spec asks (ticketing.md 1.11).
LIST_SHAPED_CODES = frozenset({"fields_schema_invalid"})
LOYALTY_PREFIX = "/loyalty/"
# The REES46 paths outside /loyalty/: the older one-time-code paths, the CDP order sync and
# the promo-code lists.
LOYALTY_PREFIXES = (LOYALTY_PREFIX, "/otp/", "/sync/", "/promo_codes/")


def is_loyalty(path: str) -> bool:
    return path == "/promo_codes" or path.startswith(LOYALTY_PREFIXES)


def is_delivery(path: str) -> bool:
    """The delivery face's paths (Yandex Eats calls the restaurant's server)."""
    return (
        path == "/order"
        or path.startswith(("/order/", "/menu/", "/security/oauth/"))
        or path in ("/restaurants", "/restaurants/availability")
    )


def _headers(status: int) -> dict[str, str] | None:
    if status == 401:
        return {"WWW-Authenticate": "key"}
    if status == 503:
        return {"Retry-After": str(RETRY_AFTER_S)}
    return None


def error_response(
    status: int, reason: str, code: str, *, path: str = "", **extra: Any
) -> JSONResponse:
    headers = _headers(status)
    if is_delivery(path):
        if status == 401:
            return JSONResponse({"reason": reason}, 401)
        problems = [{"code": number_of(code, status), "description": reason}]
        return JSONResponse(problems, status, headers=headers)
    if is_loyalty(path):
        body = {"status": "error", "success": False, "payload": {"message": reason}}
        return JSONResponse(body, status, headers=headers)
    if is_v2(path) or code in LIST_SHAPED_CODES:
        messages = [f"{p['field']}: {p['msg']}" for p in extra.get("fields", [])] or [reason]
        body = {"errors": [v2_words(m) for m in messages]}
        return JSONResponse(body, status, headers=headers)
    if path == PROMOCODE_CHECK_PATH:
        documented = {k: v for k, v in error_body(status, reason, code).items() if k != "code"}
        return JSONResponse(documented, status, headers=headers)
    return JSONResponse(error_body(status, reason, code, **extra), status, headers=headers)


# Faces that answer with pages (the operator console), by path prefix.
PageRenderer = Callable[[Request, int, str, str], Awaitable[Response]]
_pages: dict[str, PageRenderer] = {}


def render_pages(prefix: str, renderer: PageRenderer) -> None:
    _pages[prefix] = renderer


async def respond(request: Request, status: int, reason: str, code: str, **extra: Any) -> Response:
    """An error in the format of the face (or console page) that owns the request's path."""
    path = request.url.path
    for prefix, renderer in _pages.items():
        if path == prefix or path.startswith(prefix + "/"):
            response = await renderer(request, status, reason, code)
            if status == 503:
                response.headers["Retry-After"] = str(RETRY_AFTER_S)
            return response
    return error_response(status, reason, code, path=path, **extra)


def _field(loc: tuple[Any, ...]) -> str:
    parts = [str(p) for p in loc if p not in ("body", "query", "path", "header")]
    return ".".join(parts) or "body"


async def _kassa_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, KassaError)
    shown = {key: exc.details[key] for key in exc.public if key in exc.details}
    return await respond(request, STATUS_OF_KIND[exc.kind], exc.message, exc.code, **shown)


async def _validation_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    problems = []
    for err in exc.errors():
        if err.get("type") == "json_invalid":
            return await respond(request, 400, "Malformed JSON in request body", "json_invalid")
        problems.append({"field": _field(tuple(err.get("loc", ()))), "msg": err.get("msg", "")})
    first = problems[0] if problems else {"field": "body", "msg": "invalid"}
    reason = f"{first['field']}: {first['msg']}"
    return await respond(request, 400, reason, "validation_failed", fields=problems)


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    code = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, "http_error")
    reason = exc.detail if isinstance(exc.detail, str) else HTTPStatus(exc.status_code).phrase
    return await respond(request, exc.status_code, reason, code)


async def _unexpected(request: Request, exc: Exception) -> Response:
    log.exception("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    return error_response(500, "Internal server error", "internal_error", path=request.url.path)


def install(app: FastAPI) -> None:
    app.add_exception_handler(KassaError, _kassa_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(Exception, _unexpected)
