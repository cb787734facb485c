"""Content negotiation at the edge of the JSON faces: 415 for a body that is not JSON, 406 for
an `Accept` that JSON does not satisfy, each in the face's own error format.

The Ticketscloud v1 docs list both statuses; the other faces document nothing about them, and
a 415/406 in their own error shape is what an HTTP client expects. Lenient where clients are:

- a body with no `Content-Type` is taken as JSON (as FastAPI does); `application/json` and any
  `application/<vendor>+json` (Yandex Eats sends `application/vnd.eats.order.v2+json`) are JSON;
  the delivery token endpoint takes its form body (`application/x-www-form-urlencoded`);
- no `Accept`, `*/*`, `application/*`, `application/json` (any parameters, any q above 0) and
  any `application/<vendor>+json` are all satisfied by JSON; the Mosbilet visitor-names service
  answers an empty `text/html` and so also takes `text/html` and `text/*`.

The v1 answers also get the `Content-Type: application/json; charset=UTF-8` that the v1 docs
show (seed 000), on every v1 path, errors included.
"""

from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from kassa.web import errors

DELIVERY_TOKEN_PATH = "/security/oauth/token"  # noqa: S105 - a path, not a secret
MOSBILET_PATH = "/v2/services/orders/mosbilet/user_data"
V1_PREFIX = "/v1/"
V1_CONTENT_TYPE = b"application/json; charset=UTF-8"
_JSON = "application/json"
_FORM = "application/x-www-form-urlencoded"
_BODY_METHODS = {"POST", "PUT", "PATCH", "DELETE"}
UNSUPPORTED = "unsupported_media_type"
NOT_ACCEPTABLE = "not_acceptable"


def is_face(path: str) -> bool:
    """The JSON faces: ticketing v1/v2, Kassa's own API, loyalty and delivery."""
    return (
        path.startswith(("/v1/", "/v2/", "/api/"))
        or errors.is_loyalty(path)
        or errors.is_delivery(path)
    )


def _media(value: str) -> tuple[str, dict[str, str]]:
    """`type/subtype` in lower case and its parameters."""
    main, *params = value.split(";")
    found = {}
    for param in params:
        name, _, val = param.partition("=")
        found[name.strip().lower()] = val.strip().strip('"')
    return main.strip().lower(), found


def _is_json(media: str) -> bool:
    return media == _JSON or (media.startswith("application/") and media.endswith("+json"))


def body_accepted(path: str, content_type: str) -> bool:
    """Whether a body of `content_type` (empty: not given) is one the path reads."""
    media, _ = _media(content_type)
    if not media:
        return True
    if path == DELIVERY_TOKEN_PATH:
        return media == _FORM
    return _is_json(media)


def _quality(params: dict[str, str]) -> float:
    try:
        return float(params.get("q", "1"))
    except ValueError:
        return 0.0


def answer_acceptable(path: str, accept: str) -> bool:
    """Whether the path's JSON answer satisfies `accept` (empty: not given)."""
    if not accept.strip():
        return True
    html = path == MOSBILET_PATH
    for part in accept.split(","):
        media, params = _media(part)
        if not media or _quality(params) <= 0:
            continue
        if media in ("*/*", "application/*", "*") or _is_json(media):
            return True
        if html and media in ("text/html", "text/*"):
            return True
    return False


def _has_body(headers: dict[bytes, bytes]) -> bool:
    if b"transfer-encoding" in headers:
        return True
    try:
        return int(headers.get(b"content-length", b"0")) > 0
    except ValueError:
        return True


def refusal(scope: Scope) -> tuple[int, str, str] | None:
    path = scope.get("path", "")
    headers = dict(scope.get("headers") or [])
    content_type = headers.get(b"content-type", b"").decode("latin-1")
    if (
        scope.get("method") in _BODY_METHODS
        and _has_body(headers)
        and not body_accepted(path, content_type)
    ):
        wanted = _FORM if path == DELIVERY_TOKEN_PATH else _JSON
        return 415, f"Unsupported Content-Type {content_type!r}: send {wanted}", UNSUPPORTED
    accept = headers.get(b"accept", b"").decode("latin-1")
    if not answer_acceptable(path, accept):
        return 406, f"Not acceptable: {accept!r}; this API answers {_JSON}", NOT_ACCEPTABLE
    return None


class Negotiation:
    """ASGI middleware: 415/406 on the JSON faces, and the v1 `charset=UTF-8`."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not is_face(scope.get("path", "")):
            await self.app(scope, receive, send)
            return
        refused = refusal(scope)
        if refused is not None:
            response = await errors.respond(Request(scope, receive), *refused)
            await response(scope, receive, charset(scope, send))
            return
        await self.app(scope, receive, charset(scope, send))


def charset(scope: Scope, send: Send) -> Send:
    """On v1 paths, `application/json` answers become `application/json; charset=UTF-8`."""
    if not scope.get("path", "").startswith(V1_PREFIX):
        return send

    async def sending(message: Message) -> None:
        if message["type"] == "http.response.start":
            message["headers"] = [
                (name, V1_CONTENT_TYPE)
                if name.lower() == b"content-type" and value.lower() == _JSON.encode()
                else (name, value)
                for name, value in message.get("headers", [])
            ]
        await send(message)

    return sending
