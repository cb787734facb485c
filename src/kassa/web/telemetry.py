"""Every request gets an id and is measured.

The id is the caller's `X-Request-Id` when it is sane (1-128 letters, digits and `._:-`; a
proxy's or a partner's own id, so one id follows the request through every system), else a
new one. It is answered in `X-Request-Id`, named by every log line written while the request
runs, and recorded on the timeline entry of any order the request changes.
"""

import re
import time
import uuid

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from kassa.app.db import Database
from kassa.app.health import pool_use
from kassa.app.trace import bind_request_id, unbind_request_id
from kassa.web import metrics

HEADER = "X-Request-Id"
_HEADER_RAW = HEADER.lower().encode("latin-1")
_SANE = re.compile(r"[A-Za-z0-9._:\-]{1,128}")


def request_id(scope: Scope) -> str:
    """The caller's id if it is sane, else a new random one."""
    for name, value in scope.get("headers") or []:
        if name == b"x-request-id":
            text: str = value.decode("latin-1").strip()
            if _SANE.fullmatch(text):
                return text
            break
    return uuid.uuid4().hex


class Telemetry:
    """The outermost middleware: binds the request id, answers it, counts and times the
    request, and notes how many database connections the process has out."""

    def __init__(self, app: ASGIApp, db: Database) -> None:
        self.app = app
        self.db = db

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        rid = request_id(scope)
        token = bind_request_id(rid)
        started = time.perf_counter()
        status = 500  # what the caller gets when the app fails before answering

        async def answer(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                _set_header(message, _HEADER_RAW, rid.encode("latin-1"))
            await send(message)

        try:
            await self.app(scope, receive, answer)
        finally:
            metrics.observe_request(scope, status, time.perf_counter() - started)
            metrics.observe_pool(*pool_use(self.db))
            unbind_request_id(token)


def _set_header(message: Message, name: bytes, value: bytes) -> None:
    """`MutableHeaders(scope=message)[name] = value` without building the object: the one
    `name` header (lower case) of the answer gets `value`, appended if there was none."""
    headers = message["headers"] = list(message.get("headers") or [])
    found = [i for i, (key, _) in enumerate(headers) if key == name]
    for i in reversed(found[1:]):
        del headers[i]
    if found:
        headers[found[0]] = (name, value)
    else:
        headers.append((name, value))
