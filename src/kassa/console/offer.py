"""The buyer's page of a waiting list's offer, `/my/offers/{token}`: the tickets held for
them and a "Take the tickets" button. Server-rendered, no script, phone width first (the
self-service page's look). Taking makes a reserved order of exactly the held tickets and
opens that order's own self-service page. The form carries the self-service CSRF token,
bound to the link and to this browser's cookie."""

import secrets

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from kassa.app import selfservice, waitlist_offers
from kassa.console.buyer import MY, NONCE_COOKIE
from kassa.console.common import CsrfInvalid, env
from kassa.web.deps import Ctx
from kassa.web.selflinks import links_of

router = APIRouter(prefix=f"{MY}/offers", include_in_schema=False)


@router.get("/{token}")
async def offer_page(request: Request, token: str, ctx: Ctx) -> HTMLResponse:
    """The offer: event, set, the held tickets, their price, until when they are held."""
    now = ctx.clock()
    links = links_of(ctx)
    shown = await waitlist_offers.open_offer(ctx.db, links, token, now)
    nonce = request.cookies.get(NONCE_COOKIE) or secrets.token_urlsafe(16)
    secret = await selfservice.page_secret(ctx.db, links, now)
    page = env.get_template("my/offer.html").render(
        my=MY, o=shown, csrf=selfservice.form_token(secret, token, nonce)
    )
    response = HTMLResponse(page)
    if NONCE_COOKIE not in request.cookies:
        response.set_cookie(NONCE_COOKIE, nonce, httponly=True, samesite="strict", path=MY)
    return response


@router.post("/{token}/take")
async def take(request: Request, token: str, ctx: Ctx) -> Response:
    """Take the held tickets: a reserved order; on to its page."""
    form = await request.form()
    links = links_of(ctx)
    secret = await selfservice.page_secret(ctx.db, links, ctx.clock())
    nonce = request.cookies.get(NONCE_COOKIE) or ""
    if not selfservice.form_ok(secret, token, nonce, str(form.get("csrf") or "")):
        raise CsrfInvalid("The form expired; open the link again")
    _, url = await waitlist_offers.take_offer(ctx.db, links, token, ctx.clock(), ctx.holds)
    path = url.split("/my/", 1)[1]
    return RedirectResponse(f"{MY}/{path}?ok=offer_taken", status_code=303)
