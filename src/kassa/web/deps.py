"""FastAPI dependencies every face (and the console) shares: the process context and the
ticketing caller.

Both are `async def`: FastAPI runs a plain `def` dependency in a worker thread, a thread
hand-off on every request for nothing.
"""

from typing import Annotated

from fastapi import Depends, Request, Response

from kassa.core.errors import ApiKeyInvalid
from kassa.core.tenancy import Principal
from kassa.web.context import Context


async def context(request: Request) -> Context:
    ctx: Context = request.app.state.kassa
    return ctx


Ctx = Annotated[Context, Depends(context)]


def context_of(request: Request) -> Context:
    """`Ctx` without a dependency, for the hottest routes: FastAPI solves each dependency
    anew on every request, which is a few per cent of a reserve."""
    ctx: Context = request.app.state.kassa
    return ctx


async def caller(request: Request, response: Response) -> Principal:
    """`Authorization: key <32 hex>` (`Key` too); the answer names the caller in X-Partner.

    The context and the header are taken from the request, not through `Ctx` or a FastAPI
    `Security` dependency: FastAPI solves every sub-dependency again on each request (cached
    or not), a few per cent of a reserve. The OpenAPI document names the `apiKey` scheme on
    every ticketing and Kassa operation itself (`kassa.web.openapi`); Kassa answers a
    missing key itself (401, in the face's format)."""
    principal = await principal_of(request)
    response.headers["X-Partner"] = principal.id
    return principal


async def principal_of(request: Request) -> Principal:
    """The caller named by the request's `Authorization: key <32 hex>`; ApiKeyInvalid."""
    authorization = request.headers.get("authorization")
    scheme, _, key = (authorization or "").strip().partition(" ")
    if scheme.lower() != "key" or not key:
        raise ApiKeyInvalid("Authorization: key <api key> is required")
    return await context_of(request).principal(key.strip())


Caller = Annotated[Principal, Depends(caller)]
