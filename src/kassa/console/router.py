"""The console's one router: every page group under /console, none in the OpenAPI document."""

from fastapi import APIRouter

from kassa.console.common import PREFIX
from kassa.console.pages import (
    auth,
    cancel,
    catalog,
    dashboard,
    kitchen,
    loyalty,
    operators,
    orders,
    webhooks,
)

router = APIRouter(prefix=PREFIX, include_in_schema=False)
for group in (auth, dashboard, orders, cancel, catalog, kitchen, loyalty, webhooks, operators):
    router.include_router(group.router, include_in_schema=False)
