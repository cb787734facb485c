"""`kassa serve`'s HTTP protocol: what one event-loop turn writes to a connection leaves in one
write of the real transport, at the next turn; closing sends what is held, aborting drops it.
On a real socket pair, with a spy on the real transport's `write` to count the writes; and a
real uvicorn server on `OneWriteProtocol` answering over TCP."""

import asyncio
import contextlib
import socket
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
import uvicorn

from kassa.cli.protocol import PROTOCOL, HeldWrites


class Spied:
    """A real transport whose `write` calls are recorded, then done."""

    def __init__(self, transport: asyncio.Transport) -> None:
        self.transport = transport
        self.writes: list[bytes] = []

    def write(self, data: bytes) -> None:
        self.writes.append(bytes(data))
        self.transport.write(data)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.transport, name)


@contextlib.asynccontextmanager
async def connection() -> AsyncIterator[tuple[HeldWrites, Spied, socket.socket]]:
    loop = asyncio.get_running_loop()
    ours, peer = socket.socketpair()
    peer.setblocking(False)
    transport, _ = await loop.connect_accepted_socket(asyncio.Protocol, ours)
    spied = Spied(transport)  # type: ignore[arg-type]
    try:
        yield HeldWrites(spied, loop), spied, peer
    finally:
        transport.close()
        peer.close()


def pending(peer: socket.socket) -> bytes:
    """What has arrived at the peer so far (nothing: b"")."""
    try:
        return peer.recv(65536)
    except BlockingIOError:
        return b""


async def a_turn() -> None:
    for _ in range(3):  # the flush runs at the next turn; give the kernel a moment too
        await asyncio.sleep(0)


async def test_what_one_turn_writes_leaves_in_one_write_at_the_next() -> None:
    async with connection() as (held, spied, peer):
        held.write(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\n")
        held.write(b"{}")
        assert spied.writes == []
        assert pending(peer) == b""
        assert held.get_write_buffer_size() == 40

        await a_turn()

        assert spied.writes == [b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\n{}"]
        assert pending(peer) == b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\n{}"


async def test_writes_of_separate_turns_leave_separately_and_in_order() -> None:
    async with connection() as (held, spied, peer):
        held.write(b"one")
        await a_turn()
        held.writelines([b"two", b"", b"three"])
        await a_turn()
        assert spied.writes == [b"one", b"twothree"]
        assert pending(peer) == b"onetwothree"


async def test_close_sends_what_is_held_and_abort_drops_it() -> None:
    async with connection() as (held, spied, peer):
        held.write(b"last words")
        held.close()
        await a_turn()
        assert spied.writes == [b"last words"]
        assert pending(peer) == b"last words"
        assert held.is_closing()

    async with connection() as (held, spied, peer):
        held.write(b"never sent")
        held.abort()
        await a_turn()
        assert spied.writes == []
        assert pending(peer) == b""


@pytest.mark.parametrize("length", [0, 10, 300_000])
async def test_a_real_server_on_the_protocol_answers_whole(length: int) -> None:
    body = b"x" * length

    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        headers = [(b"content-type", b"text/plain"), (b"content-length", str(length).encode())]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        half = length // 2
        await send({"type": "http.response.body", "body": body[:half], "more_body": True})
        await asyncio.sleep(0)  # the second half in another turn
        await send({"type": "http.response.body", "body": body[half:]})

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    config = uvicorn.Config(app, host="127.0.0.1", port=port, http=PROTOCOL, log_level="warning")
    server = uvicorn.Server(config)
    serving = asyncio.create_task(server.serve())
    try:
        for _ in range(1000):  # uvicorn says it started by a flag, not an event
            if server.started:
                break
            await asyncio.sleep(0.01)
        assert server.started
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as client:
            for _ in range(3):  # one kept-alive connection, several answers
                answer = await client.get("/")
                assert answer.status_code == 200
                assert answer.content == body
    finally:
        server.should_exit = True
        await serving
