"""What every console page shares: the Jinja2 environment and `page()`, redirects, the
signed-in session (`Me`) and the CSRF check of posted forms."""

import secrets
from datetime import UTC
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.datastructures import FormData

from kassa.app import operators
from kassa.core import words
from kassa.core.cancellation import label, reason_code
from kassa.core.errors import ErrorKind, KassaError
from kassa.core.money import render
from kassa.core.operators import Session
from kassa.web.deps import Ctx

SESSION_COOKIE = "kassa_session"
LOGIN_COOKIE = "kassa_login"
PREFIX = "/console"
TEMPLATES = Path(__file__).parent / "templates"
STATIC = Path(__file__).parent / "static"

OK_MESSAGES = {
    "cancelled": "Order cancelled.",
    "partially_cancelled": "The chosen tickets or items were cancelled.",
    "confirmed": "Order confirmed.",
    "resent": "Tickets are on their way to the buyer.",
    "moved": "Order moved on.",
    "event_saved": "Event saved.",
    "event_cancelling": "Cancelling: sales stopped, the worker is cancelling the orders.",
    "event_cancelling_already": "This cancellation is already running.",
    "set_added": "Ticket set added.",
    "set_saved": "Ticket set saved.",
    "rule_deleted": "Price rule deleted.",
    "rule_added": "Price rule added.",
    "promo_added": "Promo code added.",
    "promo_saved": "Promo code saved.",
    "waitlist_added": "Added to the waiting list.",
    "waitlist_removed": "Taken off the waiting list; an offer they held went to the next person.",
    "adjusted": "Balance adjusted.",
    "replayed": "Delivery queued again.",
    "endpoint_removed": "Endpoint switched off: it gets no more events.",
    "operator_added": "Operator added: they can sign in now.",
    "operator_disabled": "Operator disabled: their sessions have ended.",
    "password_changed": "Password changed; your other sessions have ended.",
}

env = Environment(
    loader=FileSystemLoader(TEMPLATES),
    autoescape=select_autoescape(["html"]),
    trim_blocks=True,
    lstrip_blocks=True,
)
env.filters["money"] = lambda v: render(Decimal(str(v))) if v is not None else ""
env.filters["reason_label"] = label
env.filters["reason_text"] = lambda v: (
    f"{label(code)}{v[len(code) :]}" if (code := reason_code(v)) else v or ""
)
env.filters["count"] = lambda v: format(Decimal(str(v)).normalize(), "f") if v is not None else ""
env.filters["status"] = words.status_label
env.filters["tone"] = words.status_tone
env.filters["ticket_state"] = words.ticket_state
env.filters["action"] = words.action_label
env.filters["entry"] = words.entry_label
env.filters["waiting"] = words.waiting_label
env.filters["account"] = words.account_label
env.filters["event_status"] = lambda v: words.EVENTS.get(v, v)
env.filters["face"] = lambda v: words.FACES.get(v, v)
env.filters["stage"] = lambda v: words.STAGE.get(v, v)
env.filters["when"] = lambda v: v.astimezone(UTC).strftime("%Y-%m-%d %H:%M") if v else ""
env.globals["prefix"] = PREFIX


class SignInRequired(KassaError):
    kind = ErrorKind.UNAUTHORIZED
    code = "sign_in_required"


class CsrfInvalid(KassaError):
    kind = ErrorKind.FORBIDDEN
    code = "csrf_invalid"


def page(
    request: Request,
    template: str,
    status_code: int = 200,
    session: Session | None = None,
    **values: Any,
) -> HTMLResponse:
    ok = request.query_params.get("ok")
    body = env.get_template(template).render(
        request=request,
        me=session.operator if session else None,
        csrf=session.csrf if session else "",
        can=(lambda role: operators.can(session.operator, role)) if session else (lambda _r: False),
        ok_message=OK_MESSAGES.get(ok or ""),
        path=request.url.path,
        **values,
    )
    return HTMLResponse(body, status_code)


def redirect(url: str, **query: str) -> RedirectResponse:
    return RedirectResponse(url + (("?" + urlencode(query)) if query else ""), status_code=303)


async def current(request: Request, ctx: Ctx) -> Session:
    found = await operators.session(ctx.db, request.cookies.get(SESSION_COOKIE), ctx.clock())
    if found is None:
        raise SignInRequired("Please sign in")
    return found


Me = Annotated[Session, Depends(current)]


async def form_of(request: Request, session: Session) -> FormData:
    """The posted form, once its CSRF token (field or X-CSRF-Token header) is the session's."""
    form = await request.form()
    given = str(form.get("csrf") or request.headers.get("x-csrf-token") or "")
    if not secrets.compare_digest(given.encode(), session.csrf.encode()):
        raise CsrfInvalid("The form expired or did not come from this console; reload the page")
    return form
