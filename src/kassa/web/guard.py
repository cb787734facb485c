"""The edge's one check of request text, for every face and the console, before any of them.

PostgreSQL cannot store a NUL character in text or JSON, a lone UTF-16 surrogate cannot be
encoded at all, and the JSON decoder recurses once per nesting level: any of them reaching a
face would be a 500 somewhere deep in a use case. So the path, the query string, form bodies
and JSON bodies are refused here with a 400 in the face's own error format when they hold a
NUL, a lone surrogate or bytes that are not UTF-8, or when JSON nests deeper than
`MAX_JSON_DEPTH`. A body that is not JSON at all is left to the face, which says so in its
own words.
"""

import json
import re
from collections.abc import Iterator
from itertools import accumulate
from typing import Any
from urllib.parse import unquote_to_bytes

import orjson
from fastapi import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from kassa.web import errors

MAX_JSON_DEPTH = 32
TEXT_INVALID = "text_invalid"
JSON_TOO_DEEP = "json_too_deep"

_STRING = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)
_NOT_BRACKET = bytes(b for b in range(256) if b not in b"[]{}")
_FORM = "application/x-www-form-urlencoded"


class InputRefused(Exception):
    """The request's text cannot be taken; `code` is the error's stable code."""

    def __init__(self, reason: str, code: str = TEXT_INVALID) -> None:
        super().__init__(reason)
        self.reason = reason
        self.code = code


def check_text(text: str, where: str) -> None:
    """No NUL and no lone surrogate in decoded text."""
    if "\x00" in text:
        raise InputRefused(f"{where} holds a NUL character")
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise InputRefused(f"{where} holds a lone surrogate (not UTF-8 text)") from None


def check_bytes(data: bytes, where: str) -> None:
    """UTF-8 text without NUL."""
    if b"\x00" in data:
        raise InputRefused(f"{where} holds a NUL character")
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        raise InputRefused(f"{where} is not UTF-8 text") from None


def check_urlencoded(data: bytes, where: str) -> None:
    """A query string or form body: every name and value, percent-decoded."""
    for pair in data.replace(b"+", b" ").split(b"&"):
        for part in pair.split(b"="):
            check_bytes(unquote_to_bytes(part), where)


def json_depth(body: bytes) -> int:
    """How deep the arrays and objects of a JSON text nest (brackets inside strings aside)."""
    brackets = _STRING.sub(b"", body).translate(None, _NOT_BRACKET)
    steps = (1 if b in b"[{" else -1 for b in brackets)
    return max(accumulate(steps), default=0)


_NO_DOCUMENT: Any = object()  # what the checks answer for a body they did not decode as JSON
# Where the guard leaves the JSON document it decoded, for the route to validate (see
# `kassa.web.routes`); only a document that `json.loads` would give the same.
PARSED_JSON = "kassa.json"


def _strings(value: Any, floats: list[float] | None = None) -> Iterator[str]:
    """Every string of a decoded JSON document, keys included (iteratively: no recursion);
    its floats go to `floats` when given."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            yield item
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
        elif floats is not None and isinstance(item, float):
            floats.append(item)


def check_json(body: bytes) -> Any:
    """Bounded nesting, then every string and key free of NUL and lone surrogates. Answers the
    document when orjson decoded it and it holds no float (the stdlib's `json.loads` gives
    the very same then), else `_NO_DOCUMENT`."""
    if json_depth(body) > MAX_JSON_DEPTH:
        raise InputRefused(f"JSON nests deeper than {MAX_JSON_DEPTH} levels", JSON_TOO_DEEP)
    try:
        # orjson takes only strict JSON (no lone surrogates, NaN or byte order mark) and on
        # what it takes gives the stdlib's document, several times faster, but for numbers:
        # an integer beyond 64 bits becomes a float, and a float may round otherwise. So a
        # document with a float is decoded again by the stdlib for the face.
        document = orjson.loads(body)
        floats: list[float] | None = []
    except orjson.JSONDecodeError:
        try:
            document = json.loads(body)
        except (ValueError, RecursionError):
            return _NO_DOCUMENT  # not JSON: the face refuses it in its own words
        floats = None
    for text in _strings(document, floats):
        check_text(text, "request body")
    return document if floats == [] else _NO_DOCUMENT


def check_body(body: bytes, content_type: str) -> Any:
    """The body's text checked; the JSON document as `check_json` answers it."""
    if not body:
        return _NO_DOCUMENT
    if content_type.split(";")[0].strip().lower() == _FORM:
        check_urlencoded(body, "form")
        return _NO_DOCUMENT
    check_bytes(body, "request body")
    return check_json(body)


def check_request(scope: Scope, body: bytes) -> None:
    """The path, the query string and the body of one HTTP request."""
    check_text(scope.get("path", ""), "path")
    raw_path = scope.get("raw_path") or b""
    check_bytes(unquote_to_bytes(raw_path.split(b"?")[0]), "path")
    check_urlencoded(scope.get("query_string") or b"", "query")
    headers = dict(scope.get("headers") or [])
    document = check_body(body, headers.get(b"content-type", b"").decode("latin-1"))
    if document is not _NO_DOCUMENT:
        scope[PARSED_JSON] = document


class InputGuard:
    """ASGI middleware: reads the body (BodyLimit, outside it, has bounded it), checks the
    request's text and hands the same body on, or answers 400 in the face's format."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        body = await read_body(receive)
        try:
            check_request(scope, body)
        except InputRefused as refused:
            request = Request(scope, replay_body(body, receive))
            response = await errors.respond(request, 400, refused.reason, refused.code)
            await response(scope, receive, send)
            return
        await self.app(scope, replay_body(body, receive), send)


async def read_body(receive: Receive) -> bytes:
    """The whole request body, however many messages it came in."""
    chunks = []
    while True:
        message = await receive()
        if message["type"] != "http.request":
            break
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            break
    return b"".join(chunks)


def replay_body(body: bytes, receive: Receive) -> Receive:
    """A receive that hands `body` on once, then whatever the server sends next."""
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay
