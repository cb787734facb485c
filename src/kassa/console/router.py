"""The console's one router: every page group under /console, none in the OpenAPI document;
and `root`, what a browser asks of the site itself (`/favicon.ico`)."""

from fastapi import APIRouter
from fastapi.responses import FileResponse

from kassa.console.common import PREFIX, STATIC
from kassa.console.pages import (
    auth,
    cancel,
    catalog,
    dashboard,
    eventcancel,
    kitchen,
    loyalty,
    operators,
    orders,
    requests,
    waitlist,
    webhooks,
)

router = APIRouter(prefix=PREFIX, include_in_schema=False)
for group in (
    auth,
    dashboard,
    orders,
    cancel,
    eventcancel,
    catalog,
    kitchen,
    loyalty,
    webhooks,
    operators,
):
    router.include_router(group.router, include_in_schema=False)
router.include_router(requests.router, include_in_schema=False)  # buyers' requests
router.include_router(waitlist.router, include_in_schema=False)  # waiting lists of sets

root = APIRouter(include_in_schema=False)


@root.get("/favicon.ico")
async def favicon() -> FileResponse:
    """Kassa's icon, for the browsers that ask the site's root for it."""
    return FileResponse(STATIC / "favicon.ico", media_type="image/x-icon")
