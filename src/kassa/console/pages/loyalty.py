"""Loyalty members: a member's status by phone, and manual bonus adjustments."""

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from kassa.app import console, loyalty, operators
from kassa.console import forms
from kassa.console.common import PREFIX, Me, form_of, page, redirect
from kassa.core.errors import ActionForbidden
from kassa.web.deps import Ctx

router = APIRouter()


def _page_number(text: str) -> int:
    return int(text) if text.isdigit() and len(text) < 5 else 1


@router.get("/loyalty")
async def loyalty_page(
    request: Request,
    me: Me,
    ctx: Ctx,
    shop: str = "",
    phone: str = "",
    members: str = "1",
    checkouts: str = "1",
) -> HTMLResponse:
    """A member by phone; else the shop's members and its recent checkouts, a page of each."""
    shops = await console.shops(ctx.db, me.operator)
    if not shops:
        raise ActionForbidden("There is no loyalty shop for your account")
    chosen = next((s for s in shops if s.id == shop), shops[0])
    status = None
    phone = "".join(c for c in phone if c.isdigit())[:11]
    if phone:
        status = await loyalty.member_status(ctx.db, chosen, phone, ctx.clock(), ledger=True)
    overview = await console.loyalty_overview(
        ctx.db, chosen, ctx.clock(), _page_number(members), _page_number(checkouts)
    )
    values = {"shops": shops, "chosen": chosen, "phone": phone, "status": status}
    return page(request, "loyalty.html", 200, me, **values, overview=overview)


@router.post("/loyalty/{shop_id}/members/{phone}/adjust")
async def loyalty_adjust(request: Request, shop_id: str, phone: str, me: Me, ctx: Ctx) -> Response:
    form = await form_of(request, me)
    operators.require(me.operator, "operator")
    shop = await console.shop(ctx.db, me.operator, shop_id)
    reason = forms.text(form, "reason")
    await loyalty.adjust_bonuses(
        ctx.db,
        shop,
        phone,
        forms.amount(forms.text(form, "amount"), "amount"),
        f"{reason} (by {me.operator.email})" if reason else "",
        ctx.clock(),
    )
    return redirect(f"{PREFIX}/loyalty", shop=shop_id, phone=phone, ok="adjusted")
