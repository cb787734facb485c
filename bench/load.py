"""A lean HTTP/1.1 load client on persistent connections, and CPU meters read from /proc.

The faces' flows need state between requests (an order made, then confirmed, then cancelled),
which wrk's Lua cannot keep per connection; this client can, and costs little: each request is
pre-built bytes, each answer is read by its Content-Length, nothing else is parsed but what a
flow asks for. Its own CPU time is measured and printed beside the server's, so a reader can see
that the client is not what limits a run.
"""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

TICK = os.sysconf("SC_CLK_TCK")


@dataclass
class Answer:
    status: int
    body: bytes

    def json(self) -> Any:
        return orjson.loads(self.body) if self.body else None


class Connection:
    """One keep-alive connection; requests on it go one after another."""

    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self._reader: asyncio.StreamReader | None = None
        self._writer: asyncio.StreamWriter | None = None

    async def open(self) -> None:
        self._reader, self._writer = await asyncio.open_connection(self.host, self.port)

    async def close(self) -> None:
        if self._writer is not None:
            self._writer.close()
            self._writer = None

    async def send(self, raw: bytes) -> Answer:
        if self._writer is None:
            await self.open()
        assert self._reader is not None and self._writer is not None
        self._writer.write(raw)
        head = await self._reader.readuntil(b"\r\n\r\n")
        status = int(head[9:12])
        length = 0
        for line in head.split(b"\r\n")[1:]:
            if line[:15].lower() == b"content-length:":
                length = int(line[15:])
                break
        body = await self._reader.readexactly(length) if length else b""
        return Answer(status, body)


def request(method: str, path: str, headers: dict[str, str], body: Any = None) -> bytes:
    """The bytes of one request; a dict/list body is sent as JSON."""
    payload = b""
    if body is not None:
        payload = body if isinstance(body, bytes) else orjson.dumps(body)
    lines = [f"{method} {path} HTTP/1.1", "Host: bench", f"Content-Length: {len(payload)}"]
    if body is not None and "Content-Type" not in headers:
        lines.append("Content-Type: application/json")
    lines += [f"{k}: {v}" for k, v in headers.items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + payload


@dataclass
class Outcome:
    """What one measured phase did: answers by status, latencies, wall and client CPU time."""

    latencies_ms: list[float] = field(default_factory=list)
    statuses: dict[int, int] = field(default_factory=dict)
    errors: int = 0
    seconds: float = 0.0
    client_cpu_s: float = 0.0

    @property
    def ok(self) -> int:
        return sum(n for s, n in self.statuses.items() if 200 <= s < 300)

    @property
    def non2xx(self) -> int:
        return sum(n for s, n in self.statuses.items() if not 200 <= s < 300)

    def percentile(self, p: float) -> float:
        if not self.latencies_ms:
            return 0.0
        ordered = sorted(self.latencies_ms)
        return ordered[min(len(ordered) - 1, int(len(ordered) * p / 100))]


async def run_phase(
    host: str,
    port: int,
    items: Iterable[Any],
    build: Callable[[Any], bytes],
    concurrency: int,
    seen: Callable[[Any, Answer], Awaitable[None] | None] | None = None,
) -> Outcome:
    """Send one request per item over `concurrency` persistent connections, as fast as the
    server answers; `seen(item, answer)` collects what a later phase needs."""
    queue = iter(items)
    out = Outcome()
    conns = [Connection(host, port) for _ in range(concurrency)]
    await asyncio.gather(*(c.open() for c in conns))

    async def worker(conn: Connection) -> None:
        for item in queue:
            raw = build(item)
            start = time.perf_counter()
            try:
                answer = await conn.send(raw)
            except (OSError, asyncio.IncompleteReadError):
                out.errors += 1
                await conn.close()
                continue
            out.latencies_ms.append(1000 * (time.perf_counter() - start))
            out.statuses[answer.status] = out.statuses.get(answer.status, 0) + 1
            if seen is not None:
                done = seen(item, answer)
                if done is not None:
                    await done

    cpu0, t0 = time.process_time(), time.perf_counter()
    await asyncio.gather(*(worker(c) for c in conns))
    out.seconds = time.perf_counter() - t0
    out.client_cpu_s = time.process_time() - cpu0
    await asyncio.gather(*(c.close() for c in conns))
    return out


# --- CPU time of process trees, from /proc -------------------------------------------------


def _stat(pid: int) -> tuple[int, int] | None:
    """(process group, utime+stime ticks) of a live process."""
    try:
        raw = Path(f"/proc/{pid}/stat").read_bytes()
    except OSError:
        return None
    fields = raw[raw.rindex(b")") + 2 :].split()
    return int(fields[2]), int(fields[11]) + int(fields[12])


def _cmdline(pid: int) -> bytes:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return b""


class CpuMeter:
    """CPU seconds used by the server's process group and by the PostgreSQL backends serving
    `database` (their process title names it), between start() and stop().

    A background task polls /proc every 0.2 s, so a process that ends mid-run still counts up
    to its last poll, and one born mid-run counts from zero. PostgreSQL's shared background
    processes (WAL writer, checkpointer) are not counted: other work on the machine uses them too.
    """

    def __init__(self, server_pgid: int | None, database: str | None) -> None:
        self.server_pgid = server_pgid
        self.database = f" {database} ".encode() if database else None
        self._first: dict[int, int] = {}
        self._last: dict[int, tuple[str, int]] = {}
        self._task: asyncio.Task[None] | None = None

    def _poll(self, first: bool) -> None:
        for entry in os.listdir("/proc"):
            if not entry.isdigit():
                continue
            pid = int(entry)
            stat = _stat(pid)
            if stat is None:
                continue
            group, ticks = stat
            if self.server_pgid is not None and group == self.server_pgid:
                kind = "server"
            elif self.database is not None and _cmdline(pid).startswith(b"postgres: "):
                if self.database not in _cmdline(pid):
                    continue
                kind = "db"
            else:
                continue
            if first:
                self._first[pid] = ticks
            self._first.setdefault(pid, 0)
            self._last[pid] = (kind, ticks)

    async def _loop(self) -> None:
        while True:
            await asyncio.sleep(0.2)
            self._poll(first=False)

    async def start(self) -> None:
        self._first, self._last = {}, {}
        self._poll(first=True)
        self._task = asyncio.create_task(self._loop())

    async def stop(self) -> dict[str, float]:
        """Seconds of CPU per kind ("server", "db") since start()."""
        if self._task is not None:
            self._task.cancel()
        self._poll(first=False)
        used = {"server": 0.0, "db": 0.0}
        for pid, (kind, ticks) in self._last.items():
            used[kind] += (ticks - self._first.get(pid, 0)) / TICK
        return used
