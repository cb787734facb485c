"""What `kassa serve` checks before it starts, and the banner it prints once it can."""

import errno
import fcntl
import os
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy.engine import make_url

from kassa.cli.failures import StartupFailure
from kassa.config import redacted


def ensure_port_free(host: str, port: int) -> None:
    """Bind the address for a moment, as uvicorn will: StartupFailure if it cannot be had."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn does
        try:
            sock.bind((host, port))
        except socket.gaierror:
            raise StartupFailure(f"cannot listen on {host}: no such address; fix --host") from None
        except OSError as error:
            raise StartupFailure(_bind_failed(host, port, error)) from None


def _bind_failed(host: str, port: int, error: OSError) -> str:
    if error.errno == errno.EADDRINUSE:
        return (
            f"port {port} on {host} is already in use (another kassa serve?): stop that "
            "program, or choose another port with --port"
        )
    if error.errno == errno.EACCES:
        return f"port {port} needs privileges: use a port above 1023 with --port (and a proxy)"
    return f"cannot listen on {host}:{port} ({error.strerror}): fix --host or --port"


@contextmanager
def sqlite_served_once(database_url: str) -> Iterator[None]:
    """Refuse a second `kassa serve` on the same SQLite file: an advisory lock on a file
    beside it, held while this one runs (its --workers share it; the OS frees it on exit)."""
    parsed = make_url(database_url)
    name = parsed.database or ""
    if parsed.get_backend_name() != "sqlite" or name in ("", ":memory:"):
        yield
        return
    path = Path(name).resolve()
    if not path.parent.is_dir():  # the database's own error says what to do
        yield
        return
    with (path.parent / f"{path.name}-serve.lock").open("a+", encoding="utf-8") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            lock.seek(0)
            pid = lock.read().strip()
            raise StartupFailure(
                f"another kassa serve{f' (pid {pid})' if pid else ''} already serves {path}: "
                "one server per SQLite file (give it --workers N), or use PostgreSQL for "
                "several; stop the other one first"
            ) from None
        lock.truncate(0)
        lock.write(str(os.getpid()))
        lock.flush()
        yield


KEYS_HINT = {
    "demo": "`kassa demo` prints the demo's API keys and console sign-in again",
    "own": "`kassa keys create --org ORG_ID` issues an API key (each is shown once); "
    "`kassa operators create` a console sign-in",
    "empty": "none yet: `kassa orgs create --name NAME` makes an organisation and prints its "
    "first API key; then `kassa operators create --org ORG_ID --email E` for the console",
}


def banner(base_url: str, database_url: str, tenancy: str) -> list[str]:
    """Where Kassa answers, what it runs on and how to get keys (`tenancy`: demo.tenancy)."""
    return [
        f"Kassa on {base_url}",
        f"  console   {base_url}/console/",
        f"  API docs  {base_url}/docs",
        f"  database  {redacted(database_url)}",
        f"  keys      {KEYS_HINT[tenancy]}",
    ]


def browsable(host: str, port: int) -> str:
    """The base URL to print: a wildcard address is reached on this machine as 127.0.0.1."""
    shown = "127.0.0.1" if host in ("0.0.0.0", "::", "") else host  # noqa: S104 - compared only
    if ":" in shown:
        shown = f"[{shown}]"
    return f"http://{shown}:{port}"
