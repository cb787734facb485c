"""The id of the HTTP request a command runs for, so its timeline entries can name it.

The web layer binds it around each request; `app` reads it where it writes the timeline, and
the log handlers read it for every line. Outside a request (the worker, the CLI) there is none.
A context variable, not an argument: every command would otherwise carry it through layers
that have no use for it, and a task started inside the request inherits it.
"""

from contextvars import ContextVar, Token

_request_id: ContextVar[str | None] = ContextVar("kassa_request_id", default=None)


def current_request_id() -> str | None:
    """The id of the request being served, or None outside one."""
    return _request_id.get()


def bind_request_id(request_id: str | None) -> Token[str | None]:
    """Make `request_id` current until `unbind_request_id(token)`."""
    return _request_id.set(request_id)


def unbind_request_id(token: Token[str | None]) -> None:
    _request_id.reset(token)
