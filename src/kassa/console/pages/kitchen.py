"""The kitchen board: a restaurant's delivery orders by status, refreshed by htmx."""

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from kassa.app import console, delivery
from kassa.console.common import Me, page
from kassa.core.errors import ActionForbidden
from kassa.web.deps import Ctx

router = APIRouter()


@router.get("/kitchen")
async def kitchen(request: Request, me: Me, ctx: Ctx, restaurant: str = "") -> HTMLResponse:
    places = await console.restaurants(ctx.db, me.operator)
    if not places:
        raise ActionForbidden("There is no restaurant for your account")
    chosen = next((r for r in places if r.id == restaurant), places[0])
    columns = await console.kitchen(ctx.db, me.operator, chosen.id)
    return page(
        request,
        "kitchen.html",
        200,
        me,
        places=places,
        chosen=chosen,
        columns=columns,
        next_step=console.NEXT_STEP,
        total=delivery.total,
    )


@router.get("/kitchen/{restaurant_id}/board")
async def kitchen_board(request: Request, me: Me, ctx: Ctx, restaurant_id: str) -> HTMLResponse:
    columns = await console.kitchen(ctx.db, me.operator, restaurant_id)
    return page(
        request,
        "_board.html",
        200,
        me,
        columns=columns,
        next_step=console.NEXT_STEP,
        total=delivery.total,
        restaurant_id=restaurant_id,
    )
