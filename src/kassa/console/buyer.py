"""The buyer's self-service page, `/my/{token}`: one order, reached by its signed link only.

Server-rendered, no script needed, phone width first; its own templates (`templates/my/`).
It shows the order and the engine's cancellation preview, and cancels the whole order or
chosen tickets (or, where the organiser approves cancellations, sends a request). Forms carry
a CSRF token bound to the link and to a random cookie of this browser.
"""

import secrets
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.datastructures import FormData

from kassa.app import selfservice
from kassa.console import forms
from kassa.console.common import CsrfInvalid, env
from kassa.core.cancellation import Plan, plan_json
from kassa.core.selfservice import still_open
from kassa.web.deps import Ctx
from kassa.web.selflinks import links_of

MY = "/my"
NONCE_COOKIE = "kassa_my"
OK = {
    "partially_cancelled": "The chosen tickets are cancelled.",
    "requested": "Your request was sent; you will get an e-mail with the organiser's answer.",
    "offer_taken": "The tickets are yours, reserved in this order; the seller tells you how to pay",
}
router = APIRouter(prefix=MY, include_in_schema=False)


def _render(template: str, status: int = 200, **values: Any) -> HTMLResponse:
    return HTMLResponse(env.get_template(f"my/{template}").render(my=MY, **values), status)


def _chosen(values: Any) -> list[str]:
    return [str(t) for t in values.getlist("tickets") if t][:500]


@router.get("/{token}")
async def order_page(request: Request, token: str, ctx: Ctx) -> HTMLResponse:
    """The order, its tickets, and what cancelling it (or the chosen tickets) would do."""
    now = ctx.clock()
    links = links_of(ctx)
    shown = await selfservice.open_page(ctx.db, links, token, now)
    chosen = _chosen(request.query_params)
    plan: Plan = shown.plan
    if chosen:
        plan = await selfservice.preview_part(ctx.db, links, token, chosen, now)
    nonce = request.cookies.get(NONCE_COOKIE) or secrets.token_urlsafe(16)
    secret = await selfservice.page_secret(ctx.db, links, now)
    response = _render(
        "order.html",
        p=shown,
        plan=plan_json(plan),
        chosen=chosen,
        csrf=selfservice.form_token(secret, token, nonce),
        ok_message=OK.get(request.query_params.get("ok") or ""),
    )
    if NONCE_COOKIE not in request.cookies:
        response.set_cookie(NONCE_COOKIE, nonce, httponly=True, samesite="strict", path=MY)
    return response


async def _form(request: Request, ctx: Ctx, token: str) -> FormData:
    """The posted form, once its CSRF token matches this link and this browser's cookie."""
    form = await request.form()
    secret = await selfservice.page_secret(ctx.db, links_of(ctx), ctx.clock())
    nonce = request.cookies.get(NONCE_COOKIE) or ""
    if not selfservice.form_ok(secret, token, nonce, str(form.get("csrf") or "")):
        raise CsrfInvalid("The form expired; open the link again")
    return form


@router.post("/{token}/cancel")
async def cancel(request: Request, token: str, ctx: Ctx) -> Response:
    """Cancel the whole order, or the chosen tickets, by the plan the page showed."""
    form = await _form(request, ctx, token)
    done = await selfservice.buyer_cancel(
        ctx.db,
        links_of(ctx),
        token,
        _chosen(form),
        forms.text(form, "version", 64) or None,
        ctx.clock(),
    )
    if still_open(done.order):  # tickets left: back to the page
        return RedirectResponse(f"{MY}/{token}?ok=partially_cancelled", status_code=303)
    return _render("done.html", plan=plan_json(done.plan))


@router.post("/{token}/request")
async def request_cancel(request: Request, token: str, ctx: Ctx) -> Response:
    """Ask the organiser to cancel the order (or the chosen tickets)."""
    form = await _form(request, ctx, token)
    await selfservice.request_cancel(
        ctx.db,
        links_of(ctx),
        token,
        _chosen(form),
        forms.text(form, "comment") or None,
        ctx.clock(),
    )
    return RedirectResponse(f"{MY}/{token}?ok=requested", status_code=303)


async def error_page(request: Request, status: int, message: str, code: str) -> Response:
    """The page's errors: a link that opens nothing looks the same however it failed."""
    if status == 404:
        message = "This link is not valid any more. Ask the seller for a new one."
    return _render("error.html", status, message=message, code=status)
