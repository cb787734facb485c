"""JSON responses rendered straight with orjson (no second pass through jsonable_encoder)."""

from typing import Any

import orjson
from fastapi import Response


class Json(Response):
    media_type = "application/json"

    def render(self, content: Any) -> bytes:
        return orjson.dumps(content)


def json_response(content: Any, status: int = 200, partner: str | None = None) -> Json:
    """A JSON answer; `partner` fills the v1 `X-Partner` header."""
    headers = {"X-Partner": partner} if partner else None
    return Json(content, status_code=status, headers=headers)
