"""`kassa serve --workers N`: uvicorn's supervisor, with a listening socket of each worker's own.

uvicorn's own multi-process mode binds one socket in the parent and every worker accepts from
it. asyncio accepts up to the whole backlog at each wake-up, so the first worker to wake takes
nearly every connection a client opens at once: 31 of 32 wrk connections, and 27 of 32 in a
second try, went to one of two workers here (BENCHMARKS.md, fourth pass). Behind a proxy or a
load generator that keeps its connections open, one worker then serves almost everything
while the other idles.

On Linux each worker here binds its own socket with SO_REUSEPORT instead, and the kernel
spreads new connections over the workers' sockets by a hash of their addresses. The
supervisor itself is uvicorn's (`Multiprocess`: restart of a dead or hung worker, SIGHUP,
SIGTTIN/SIGTTOU, the health pings); only the socket each worker serves changes. Where
SO_REUSEPORT is missing, `kassa serve` keeps uvicorn's shared socket.
"""

import socket
from typing import Any

from uvicorn import Config
from uvicorn.supervisors import multiprocess

REUSE_PORT = hasattr(socket, "SO_REUSEPORT")


def own_socket(host: str, port: int, backlog: int) -> socket.socket:
    """A listening socket of this worker's, in the port's SO_REUSEPORT group."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.bind((host, port))
    sock.listen(backlog)
    return sock


class _Worker(multiprocess.Process):
    """uvicorn's worker process, serving a socket it binds itself (in the child)."""

    def target(self, sockets: list[socket.socket] | None = None) -> None:  # pragma: no cover
        config = self.config
        super().target([own_socket(config.host, config.port, config.backlog)])


def run(config: Config) -> None:
    """Serve `config.workers` processes, each on its own SO_REUSEPORT socket."""
    # uvicorn's supervisor makes its workers by the module's name `Process` (at start, on a
    # restart, SIGHUP, SIGTTIN): for this run, in this (parent) process, that is `_Worker`.
    original = multiprocess.Process
    multiprocess.Process = _Worker  # type: ignore[misc]
    try:
        supervisor: Any = multiprocess.Multiprocess(config, sockets=[])
        supervisor.run()
    finally:
        multiprocess.Process = original  # type: ignore[misc]
