"""The console's error pages, rendered by the app's one error handler for console paths."""

from urllib.parse import urlencode

from fastapi import Request
from fastapi.responses import RedirectResponse, Response

from kassa.app import operators
from kassa.console.common import PREFIX, SESSION_COOKIE, page
from kassa.web.context import Context


async def error_page(request: Request, status: int, message: str, code: str) -> Response:
    """The console's errors: sign-in first, a message box for htmx, a page otherwise."""
    if status == 401 and code != "sign_in_failed":
        target = f"{PREFIX}/login?" + urlencode({"next": request.url.path})
        if request.headers.get("hx-request"):
            return Response(status_code=401, headers={"HX-Redirect": target})
        return RedirectResponse(target, status_code=303)
    ctx: Context = request.app.state.kassa
    found = (  # with the database out of reach, the error page shows no account
        None
        if status == 503
        else await operators.session(ctx.db, request.cookies.get(SESSION_COOKIE), ctx.clock())
    )
    if request.headers.get("hx-request"):
        response = page(request, "_flash.html", status, found, message=message)
        response.headers["HX-Retarget"] = "#flash"
        response.headers["HX-Reswap"] = "innerHTML"
        return response
    return page(request, "error.html", status, found, message=message, status=status)
