"""The dashboard: sales and cancellations per day for the operator's organisation."""

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from kassa.app import console
from kassa.console.common import Me, page
from kassa.web.deps import Ctx

router = APIRouter()


@router.get("/")
async def dashboard(request: Request, me: Me, ctx: Ctx, days: int = 30) -> HTMLResponse:
    board = await console.dashboard(ctx.db, me.operator, ctx.clock(), days)
    peak = max([max(p.sales, p.cancellations) for p in board.days] + [1])
    return page(request, "dashboard.html", 200, me, board=board, peak=peak, days=days)
