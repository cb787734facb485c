"""A `kassa worker` killed with SIGKILL in the middle of a webhook delivery loses nothing:
another worker delivers after the lease runs out, and the receiver, de-duplicating by event
id, sees every event exactly once, each signed with the endpoint's secret. PostgreSQL, real
processes: a server, two workers one after the other, a receiver on loopback."""

import asyncio
import hmac
import json
import os
import signal
import time
from pathlib import Path

import pytest

from kassa.app.outbox import sign
from tests.e2e.conftest import KassaServer, start_worker
from tests.e2e.helpers import ORGANISER, SELLER, client, new_sale, place

pytestmark = pytest.mark.race

EVENTS = 5


class SlowReceiver:
    """Records every POST; the very first one is held unanswered until `release`."""

    def __init__(self) -> None:
        self.requests: list[tuple[dict[str, str], bytes]] = []
        self.first_arrived = asyncio.Event()
        self.release = asyncio.Event()
        self.url = ""

    async def start(self) -> None:
        self.server = await asyncio.start_server(self._handle, "127.0.0.1", 0)
        self.url = f"http://127.0.0.1:{self.server.sockets[0].getsockname()[1]}/hook"

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            head = (await reader.readuntil(b"\r\n\r\n")).decode("latin-1")
            headers = {}
            for line in head.split("\r\n")[1:]:
                if line:
                    name, _, value = line.partition(":")
                    headers[name.strip().lower()] = value.strip()
            body = await reader.readexactly(int(headers.get("content-length", "0")))
            self.requests.append((headers, body))
            if len(self.requests) == 1:
                self.first_arrived.set()
                await self.release.wait()
            writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok")
            await writer.drain()
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        finally:
            writer.close()


async def test_a_worker_killed_mid_delivery_loses_nothing(
    fresh_pg: KassaServer, tmp_path: Path
) -> None:
    receiver = SlowReceiver()
    await receiver.start()
    async with client(fresh_pg.base_url, ORGANISER) as http:
        made = await http.post(
            "/api/v1/webhooks/endpoints", json={"url": receiver.url, "events": ["order.*"]}
        )
        assert made.status_code == 201, made.text
        secret = made.json()["secret"]
    async with client(fresh_pg.base_url, SELLER) as http:
        sale = await new_sale(http, 50, "sigkill")
        for _ in range(EVENTS):
            await place(http, sale, 1)
    first = start_worker(
        fresh_pg.database_url,
        tmp_path / "worker.log",
        worker_lease_seconds="2",
        webhook_timeout_seconds="60",
    )
    try:
        await asyncio.wait_for(receiver.first_arrived.wait(), 30)
        os.killpg(first.pid, signal.SIGKILL)  # in the middle of a delivery
        first.wait(10)
    finally:
        if first.poll() is None:
            os.killpg(first.pid, signal.SIGKILL)
    second = start_worker(
        fresh_pg.database_url,
        tmp_path / "worker.log",
        worker_lease_seconds="2",
        webhook_timeout_seconds="60",
    )
    try:
        deadline = time.monotonic() + 40
        while time.monotonic() < deadline:
            seen = {h["x-kassa-event-id"] for h, _ in receiver.requests[1:]}
            if len(seen) >= EVENTS:
                break
            await asyncio.sleep(0.2)
    finally:
        receiver.release.set()
        os.killpg(second.pid, signal.SIGTERM)
        second.wait(20)
    by_id: dict[str, bytes] = {}
    for headers, body in receiver.requests:
        parts = dict(p.split("=", 1) for p in headers["x-kassa-signature"].split(","))
        assert hmac.compare_digest(
            sign(secret, int(parts["t"]), body), headers["x-kassa-signature"]
        )
        by_id.setdefault(headers["x-kassa-event-id"], body)
    assert len(by_id) == EVENTS, (tmp_path / "worker.log").read_text()[-3000:]
    assert {json.loads(b)["type"] for b in by_id.values()} == {"order.placed"}
    # The held delivery was the one sent twice: at least once, de-duplicated by its id.
    assert len(receiver.requests) >= EVENTS + 1
    async with client(fresh_pg.base_url, ORGANISER) as http:
        delivered = (
            await http.get("/api/v1/webhooks/deliveries", params={"state": "delivered"})
        ).json()
        assert len(delivered) == EVENTS
    receiver.server.close()
