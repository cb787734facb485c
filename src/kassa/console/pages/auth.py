"""Signing in and out: the sign-in form (its own double-submitted CSRF token), the session
cookie (HttpOnly, SameSite=Lax, Secure behind HTTPS), and only local `next` targets."""

import secrets
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from kassa.app import operators
from kassa.console import forms
from kassa.console.common import (
    LOGIN_COOKIE,
    PREFIX,
    SESSION_COOKIE,
    CsrfInvalid,
    Me,
    form_of,
    page,
    redirect,
)
from kassa.core.errors import KassaError
from kassa.web.deps import Ctx

router = APIRouter()


def _secure(request: Request) -> bool:
    return request.url.scheme == "https" or request.headers.get("x-forwarded-proto") == "https"


def _login_form(request: Request, status: int = 200, **values: Any) -> HTMLResponse:
    """The sign-in page with a fresh CSRF token, double-submitted as a cookie."""
    token = secrets.token_urlsafe(24)
    response = page(request, "login.html", status, login_csrf=token, **values)
    response.set_cookie(
        LOGIN_COOKIE,
        token,
        httponly=True,
        samesite="strict",
        secure=_secure(request),
        path=PREFIX,
        max_age=3600,
    )
    return response


def _safe_next(target: str) -> str:
    """Only a path of this console: never an open redirect."""
    return target if target.startswith(PREFIX + "/") and "//" not in target else PREFIX + "/"


@router.get("/login")
async def login_page(request: Request) -> HTMLResponse:
    return _login_form(request, next=_safe_next(request.query_params.get("next") or ""))


@router.post("/login")
async def login(request: Request, ctx: Ctx) -> Response:
    form = await request.form()
    expected = request.cookies.get(LOGIN_COOKIE) or ""
    given = str(form.get("csrf") or "")
    if not expected or not secrets.compare_digest(given.encode(), expected.encode()):
        raise CsrfInvalid("The sign-in form expired; reload the page")
    try:
        signed = await operators.sign_in(
            ctx.db, forms.text(form, "email", 254), str(form.get("password") or ""), ctx.clock()
        )
    except KassaError as exc:
        return _login_form(
            request,
            401,
            error=exc.message,
            email=forms.text(form, "email", 254),
            next=_safe_next(forms.text(form, "next")),
        )
    target = _safe_next(forms.text(form, "next"))
    signed_in = redirect(target)
    signed_in.set_cookie(
        SESSION_COOKIE,
        signed.token,
        httponly=True,
        samesite="lax",
        secure=_secure(request),
        path=PREFIX,
        max_age=int(operators.SESSION_TTL.total_seconds()),
    )
    signed_in.delete_cookie(LOGIN_COOKIE, path=PREFIX)
    return signed_in


@router.post("/logout")
async def logout(request: Request, me: Me, ctx: Ctx) -> Response:
    await form_of(request, me)
    await operators.sign_out(ctx.db, request.cookies.get(SESSION_COOKIE) or "")
    response = redirect(PREFIX + "/login")
    response.delete_cookie(SESSION_COOKIE, path=PREFIX)
    return response
