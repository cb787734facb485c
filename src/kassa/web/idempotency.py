"""`Idempotency-Key` on every mutating call of every face (POST, PUT, PATCH, DELETE).

The first call with a key runs and its answer (under 500) is kept for 24 hours
(`KASSA_IDEMPOTENCY_RETENTION_HOURS`; the worker purges older keys); a retry with the same key
and the same request gets that answer again (header `Idempotent-Replayed: true`) without
running anything. The same key with another request (method, path or body) is 422; a
retry while the first call still runs is 409. Keys are scoped to the caller's credentials
(`Authorization`, or the loyalty face's `shop_id`), so two callers never share one. A call
that failed with 5xx, or whose server died, leaves no answer: it may be retried; a key left
running for longer than `STALE` is taken over.
"""

import hashlib
import json
from datetime import datetime, timedelta
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from kassa.app import idempotency
from kassa.app.db import Database
from kassa.core.errors import DatabaseUnavailable
from kassa.web import errors
from kassa.web.guard import read_body, replay_body

HEADER = b"idempotency-key"
MUTATING = frozenset({"POST", "PUT", "PATCH", "DELETE"})
MAX_KEY = 255
# What `begin` may answer instead of letting the request run: (status, reason, code).
REFUSALS = {
    "mismatch": (422, "Idempotency-Key was used with another request", "idempotency_key_reused"),
    "running": (
        409,
        "A request with this Idempotency-Key is still running",
        "idempotency_key_in_flight",
    ),
    "unavailable": (
        503,
        "The database is unavailable or busy; nothing was changed, try again shortly",
        DatabaseUnavailable.code,
    ),
}


class Idempotency:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in MUTATING:
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        raw_key = headers.get(HEADER)
        if raw_key is None:
            await self.app(scope, receive, send)
            return
        path = scope.get("path", "")
        key = raw_key.decode("latin-1").strip()
        if not key or len(key) > MAX_KEY:
            await _refuse(
                scope,
                receive,
                send,
                400,
                "Idempotency-Key must have 1 to 255 characters",
                "idempotency_key_invalid",
            )
            return
        body = await read_body(receive)
        credential = headers.get(b"authorization", b"") or _shop(body)
        caller = hashlib.sha256(credential).hexdigest()
        fingerprint = hashlib.sha256(
            scope["method"].encode()
            + b" "
            + path.encode()
            + b"?"
            + scope.get("query_string", b"")
            + b"\n"
            + body
        ).hexdigest()
        ctx = scope["app"].state.kassa
        db, now = ctx.db, ctx.clock()
        keep = ctx.settings.idempotency_retention
        outcome = await _begin(db, caller, key, fingerprint, now, keep)
        if isinstance(outcome, idempotency.Stored):
            await _send(send, outcome.status, outcome.content_type, outcome.body, replayed=True)
            return
        if outcome in REFUSALS:
            await _refuse(scope, receive, send, *REFUSALS[outcome])
            return
        captured: dict[str, Any] = {"status": 500, "content_type": None, "body": b""}

        async def capture(message: Message) -> None:
            if message["type"] == "http.response.start":
                captured["status"] = message["status"]
                for name, value in message.get("headers") or []:
                    if name.lower() == b"content-type":
                        captured["content_type"] = value.decode("latin-1")
            elif message["type"] == "http.response.body":
                captured["body"] += message.get("body", b"")
            await send(message)

        try:
            await self.app(scope, replay_body(body, receive), capture)
        finally:
            await idempotency.finish(
                db, caller, key, captured["status"], captured["content_type"], captured["body"]
            )


async def _begin(
    db: Database, caller: str, key: str, fingerprint: str, now: datetime, keep: timedelta
) -> idempotency.Stored | str:
    """The key's state, or "unavailable" when the database cannot be asked (503)."""
    try:
        return await idempotency.begin(db, caller, key, fingerprint, now, keep)
    except DatabaseUnavailable:
        return "unavailable"


def _shop(body: bytes) -> bytes:
    try:
        data = json.loads(body or b"{}")
    except ValueError:
        return b""
    shop = data.get("shop_id") if isinstance(data, dict) else None
    return f"shop:{shop}".encode() if shop else b""


async def _send(
    send: Send, status: int, content_type: str | None, body: bytes, *, replayed: bool
) -> None:
    headers = [(b"content-length", str(len(body)).encode()), (b"idempotent-replayed", b"true")]
    if content_type:
        headers.append((b"content-type", content_type.encode("latin-1")))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


async def _refuse(
    scope: Scope, receive: Receive, send: Send, status: int, reason: str, code: str
) -> None:
    response = errors.error_response(status, reason, code, path=scope.get("path", ""))
    await response(scope, receive, send)
