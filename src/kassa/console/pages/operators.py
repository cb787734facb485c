"""The organisation's operators (admins add and disable them) and one's own account."""

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from kassa.app import console, operators
from kassa.console import forms
from kassa.console.common import PREFIX, SESSION_COOKIE, Me, form_of, page, redirect
from kassa.core.errors import ActionForbidden, CatalogInvalid
from kassa.web.deps import Ctx

router = APIRouter()


@router.get("/operators")
async def operators_page(request: Request, me: Me, ctx: Ctx) -> HTMLResponse:
    people = await operators.of_org(ctx.db, me.operator)
    return page(
        request,
        "operators.html",
        200,
        me,
        people=people,
        roles=operators.ROLES,
        restaurants=await console.restaurants(ctx.db, me.operator),
        shops=await console.shops(ctx.db, me.operator),
    )


@router.post("/operators")
async def operator_create(request: Request, me: Me, ctx: Ctx) -> Response:
    form = await form_of(request, me)
    operators.require(me.operator, "admin")
    if me.operator.restaurant_id or me.operator.shop_id:
        raise ActionForbidden("An account narrowed to a restaurant or shop cannot add operators")
    await operators.create_operator(
        ctx.db,
        org_id=me.operator.org_id,
        email=forms.text(form, "email", 254),
        name=forms.text(form, "name", 200),
        role=forms.text(form, "role", 16),
        password=str(form.get("password") or "")[:1024],
        restaurant_id=forms.text(form, "restaurant", 64) or None,
        shop_id=forms.text(form, "shop", 32) or None,
        now=ctx.clock(),
    )
    return redirect(f"{PREFIX}/operators", ok="operator_added")


@router.post("/operators/{operator_id}/disable")
async def operator_disable(request: Request, operator_id: str, me: Me, ctx: Ctx) -> Response:
    await form_of(request, me)
    await operators.disable_in_org(ctx.db, me.operator, operator_id, ctx.clock())
    return redirect(f"{PREFIX}/operators", ok="operator_disabled")


@router.get("/account")
async def account_page(request: Request, me: Me) -> HTMLResponse:
    return page(request, "account.html", 200, me)


@router.post("/account/password")
async def account_password(request: Request, me: Me, ctx: Ctx) -> Response:
    form = await form_of(request, me)
    new = str(form.get("new_password") or "")[:1024]
    if new != str(form.get("repeat") or "")[:1024]:
        raise CatalogInvalid("The new passwords differ")
    await operators.change_password(
        ctx.db,
        me.operator,
        str(form.get("password") or ""),
        new,
        request.cookies.get(SESSION_COOKIE) or "",
    )
    return redirect(f"{PREFIX}/account", ok="password_changed")
