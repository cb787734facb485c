"""`kassa serve`'s HTTP/1.1 protocol: uvicorn's (httptools), with an answer sent in one write.

uvicorn writes an answer's status line and headers to the socket when the app sends
`http.response.start`, and its body when the app sends `http.response.body`; uvloop's
transport sends each write at once. That is two `send` system calls for an answer of a few
hundred bytes, and the client woken twice, where a `send` on loopback or on a VM is among the
dearest things a request does (BENCHMARKS.md, sixth pass). Here the connection's transport
holds what one turn of the event loop writes and sends it as one piece at the start of the
next turn: the head and the body of an answer leave together; a streamed answer still leaves
chunk by chunk, each chunk as soon as the app awaits anything.

Closing the connection sends what is held first; aborting it drops it, as it drops the
transport's own buffer. `KASSA_ONE_WRITE=0` serves with uvicorn's own protocol (README,
settings).
"""

import asyncio
from typing import Any

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol


class HeldWrites:
    """A connection's transport whose writes of one event-loop turn go out as one `write`."""

    __slots__ = ("_held", "_loop", "_transport")

    def __init__(self, transport: Any, loop: asyncio.AbstractEventLoop) -> None:
        self._transport = transport
        self._loop = loop
        self._held: list[bytes] = []

    def write(self, data: bytes | bytearray | memoryview) -> None:
        if not data:
            return
        if not self._held:
            self._loop.call_soon(self.flush)
        self._held.append(bytes(data))

    def writelines(self, lines: Any) -> None:
        for data in lines:
            self.write(data)

    def flush(self) -> None:
        held, self._held = self._held, []
        if held and not self._transport.is_closing():
            self._transport.write(held[0] if len(held) == 1 else b"".join(held))

    def get_write_buffer_size(self) -> int:
        return int(self._transport.get_write_buffer_size()) + sum(len(d) for d in self._held)

    def write_eof(self) -> None:
        self.flush()
        self._transport.write_eof()

    def close(self) -> None:
        self.flush()
        self._transport.close()

    def abort(self) -> None:
        self._held = []
        self._transport.abort()

    def __getattr__(self, name: str) -> Any:  # is_closing, get_extra_info, pause_reading, ...
        return getattr(self._transport, name)


class OneWriteProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol on a `HeldWrites` transport."""

    def connection_made(self, transport: Any) -> None:
        held: Any = HeldWrites(transport, self.loop)
        super().connection_made(held)


PROTOCOL = f"{__name__}:{OneWriteProtocol.__name__}"
