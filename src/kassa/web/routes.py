"""A route class for the JSON faces: the body FastAPI validates is the JSON document the input
guard already decoded (`kassa.web.guard.PARSED_JSON`), not a second decoding by the stdlib's
`json` of the same bytes. The guard leaves a document there only when it is exactly what
`json.loads` would give, so validation and every answer stay the same."""

from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import Request, Response
from fastapi.routing import APIRoute

from kassa.web.guard import PARSED_JSON

_MISSING = object()


class JsonRoute(APIRoute):
    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def handle(request: Request) -> Response:
            document = request.scope.get(PARSED_JSON, _MISSING)
            if document is not _MISSING:
                # What Starlette's `Request.json()` keeps after decoding the body itself.
                request._json = document
            return await handler(request)

        return handle
