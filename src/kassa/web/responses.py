"""JSON responses rendered straight with orjson (no second pass through jsonable_encoder)."""

from decimal import Decimal
from typing import Any

import orjson
from fastapi.responses import JSONResponse


def json_default(value: Any) -> Any:
    """Decimal amounts go out as exact JSON numbers (the loyalty face's wire form)."""
    if isinstance(value, Decimal):
        return orjson.Fragment(str(value))
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


class Json(JSONResponse):
    """A JSONResponse (so the OpenAPI document shows the route's model) rendered by orjson."""

    def render(self, content: Any) -> bytes:
        return orjson.dumps(content, default=json_default)


def json_response(content: Any, status: int = 200, partner: str | None = None) -> Json:
    """A JSON answer; `partner` fills the v1 `X-Partner` header."""
    headers = {"X-Partner": partner} if partner else None
    return Json(content, status_code=status, headers=headers)
