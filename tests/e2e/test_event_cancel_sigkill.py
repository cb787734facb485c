"""A whole-event cancellation of many orders survives a `kassa worker` killed with SIGKILL in
the middle: another worker goes on once the lease runs out, and every order is cancelled
exactly once (one timeline entry each), every ticket is back on sale, the money refunded is
the money paid, each buyer gets one e-mail. PostgreSQL, real processes.

KASSA_EVENT_CANCEL_ORDERS sets the number of orders (default 2,000; the issue's run is
50,000). They are real orders: two are placed and one paid through the API, the rest are
copies of those rows made in bulk by SQL (each with a ticket of its own), which the engine
cancels like any other."""

import asyncio
import os
import signal
import subprocess
import time
from decimal import Decimal
from pathlib import Path
from typing import Any

import asyncpg
import pytest

from tests.e2e.conftest import KassaServer, start_worker
from tests.e2e.helpers import ORGANISER, SELLER, client, new_sale

pytestmark = pytest.mark.race

ORDERS = int(os.environ.get("KASSA_EVENT_CANCEL_ORDERS", "2000"))
V2_ORDERS = "/v2/resources/orders"


def pg_dsn(url: str) -> str:
    return url.replace("postgresql+asyncpg://", "postgresql://")


async def template_orders(http: Any, event_id: str, set_id: str) -> tuple[str, str]:
    """One paid and one open order, placed through the v2 face with a buyer's e-mail."""
    made = []
    for _ in range(2):
        body = {
            "event": event_id,
            "random": {set_id: 1},
            "settings": {"customer": {"email": "buyer@example.org", "name": "B", "lang": "en"}},
        }
        answer = await http.post(V2_ORDERS, json=body)
        assert answer.status_code == 200, answer.text
        made.append(answer.json()["data"]["id"])
    paid = await http.patch(f"{V2_ORDERS}/{made[0]}", json={"status": "done"})
    assert paid.status_code == 200, paid.text
    return made[0], made[1]


# Each vacant ticket gets an order of its own: a copy of the paid template (even numbers) or
# of the open one (odd), whose id is derived from the ticket's, so the lines can follow.
COPY_ORDERS = """
WITH t AS (
    SELECT id AS ticket_id, row_number() OVER (ORDER BY number) AS n
    FROM tickets WHERE set_id = $1 AND status = 'vacant'
)
INSERT INTO orders (id, event_id, org_id, vendor_id, status, origin, customer, payment,
                    created_at, updated_at, reserved_till, done_at, settings, vendor_data,
                    promocodes, code)
SELECT left(md5(t.ticket_id), 24), o.event_id, o.org_id, o.vendor_id, o.status, o.origin,
       o.customer, o.payment, o.created_at, o.updated_at, now() + interval '1 day', o.done_at,
       o.settings, o.vendor_data, o.promocodes, o.code
FROM t JOIN orders o ON o.id = CASE WHEN t.n % 2 = 0 THEN $2 ELSE $3 END
"""
COPY_LINES = """
INSERT INTO order_lines (order_id, ticket_id, set_id, rule_id, state, price, discount, nominal,
                         extra, "full", barcode, created_at)
SELECT left(md5(t.id), 24), t.id, l.set_id, l.rule_id, l.state, l.price, l.discount, l.nominal,
       l.extra, l."full", CASE WHEN l.barcode IS NULL THEN NULL ELSE md5('b' || t.id) END,
       l.created_at
FROM tickets t JOIN orders o ON o.id = left(md5(t.id), 24)
JOIN order_lines l ON l.order_id = CASE WHEN o.status = 'done' THEN $2 ELSE $3 END
WHERE t.set_id = $1 AND t.status = 'vacant'
"""
TAKE_TICKETS = """
UPDATE tickets t SET status = CASE WHEN o.status = 'done' THEN 'sold' ELSE 'reserved' END,
                     order_id = o.id
FROM orders o WHERE o.id = left(md5(t.id), 24) AND t.set_id = $1 AND t.status = 'vacant'
"""


async def copy_orders(url: str, set_id: str, paid: str, open_: str) -> None:
    conn = await asyncpg.connect(pg_dsn(url))
    try:
        async with conn.transaction():
            await conn.execute(COPY_ORDERS, set_id, paid, open_)
            await conn.execute(COPY_LINES, set_id, paid, open_)
            await conn.execute(TAKE_TICKETS, set_id)
        await conn.execute("ANALYZE")
    finally:
        await conn.close()


async def job_row(url: str) -> dict[str, Any]:
    conn = await asyncpg.connect(pg_dsn(url))
    try:
        row = await conn.fetchrow("SELECT * FROM event_cancellations ORDER BY created_at DESC")
        return dict(row) if row else {}
    finally:
        await conn.close()


async def wait_for(url: str, done: Any, seconds: float) -> dict[str, Any]:
    """Poll the job row until `done(row)`, or fail after `seconds`."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        row = await job_row(url)
        if row and done(row):
            return row
        await asyncio.sleep(0.2)
    raise AssertionError(f"timed out; the job is {await job_row(url)}")


async def outcome(url: str, event_id: str, set_id: str) -> dict[str, Any]:
    conn = await asyncpg.connect(pg_dsn(url))
    try:
        entries = await conn.fetchrow(
            "SELECT count(*) AS n, count(DISTINCT a.order_id) AS orders, "
            "coalesce(sum((a.details->'refund'->>'amount')::numeric), 0) AS refunded, "
            "coalesce(sum(json_array_length(a.details->'release'->'tickets')), 0) AS released "
            "FROM audit_log a JOIN orders o ON o.id = a.order_id "
            "WHERE o.event_id = $1 AND a.reason LIKE 'event_cancelled%'",
            event_id,
        )
        paid = await conn.fetchrow(
            'SELECT count(*) AS n, coalesce(sum(l."full"), 0) AS money FROM order_lines l '
            "JOIN orders o "
            "ON o.id = l.order_id WHERE o.event_id = $1 AND l.state = 'refunded'",
            event_id,
        )
        taken = await conn.fetchval(
            "SELECT count(*) FROM tickets WHERE set_id = $1 AND status <> 'vacant'", set_id
        )
        live = await conn.fetchval(
            "SELECT count(*) FROM orders WHERE event_id = $1 AND status IN "
            "('executed', 'in_progress')",
            event_id,
        )
        mails = await conn.fetchrow(
            "SELECT count(*) AS n, count(DISTINCT m.order_id) AS orders FROM outbox m "
            "JOIN orders o ON o.id = m.order_id "
            "WHERE o.event_id = $1 AND m.topic = 'event.cancelled_email'",
            event_id,
        )
        return {
            "entries": entries["n"],
            "orders": entries["orders"],
            "refunded": Decimal(entries["refunded"]),
            "released": entries["released"],
            "paid": Decimal(paid["money"]),
            "paid_tickets": paid["n"],
            "taken": taken,
            "live": live,
            "mails": mails["n"],
            "mailed_orders": mails["orders"],
        }
    finally:
        await conn.close()


def kill(process: subprocess.Popen[bytes], sig: int) -> None:
    if process.poll() is None:
        os.killpg(process.pid, sig)
    process.wait(30)


async def test_a_worker_killed_mid_event_cancellation_cancels_every_order_once(
    pg: KassaServer, tmp_path: Path
) -> None:
    async with client(pg.base_url, ORGANISER) as http:
        sale = await new_sale(http, ORDERS, "event-cancel")
    async with client(pg.base_url, SELLER) as http:
        paid, open_ = await template_orders(http, sale.event_id, sale.set_id)
    await copy_orders(pg.database_url, sale.set_id, paid, open_)
    async with client(pg.base_url, ORGANISER) as http:
        started = await http.post(
            f"/api/v1/events/{sale.event_id}/cancellation",
            json={"reason": "The venue burnt down", "policy": "full_refund"},
        )
        assert started.status_code == 202, started.text
        assert started.json()["total"] == ORDERS
    log = tmp_path / "worker.log"
    began = time.monotonic()
    first = start_worker(pg.database_url, log, worker_lease_seconds="3")
    try:
        at_kill = await wait_for(pg.database_url, lambda r: r["cancelled"] >= ORDERS // 3, 600)
        os.killpg(first.pid, signal.SIGKILL)  # in the middle of the cancellation
        first.wait(10)
    finally:
        kill(first, signal.SIGKILL)
    killed_at = (await job_row(pg.database_url))["cancelled"]
    second = start_worker(pg.database_url, log, worker_lease_seconds="3")
    try:
        final = await wait_for(pg.database_url, lambda r: r["status"] == "done", 1800)
    finally:
        kill(second, signal.SIGTERM)
    took = time.monotonic() - began
    found = await outcome(pg.database_url, sale.event_id, sale.set_id)
    print(
        f"\nevent cancellation: {ORDERS} orders in {took:.1f} s "
        f"({ORDERS / took:.0f} orders/s, lease wait included); SIGKILL after "
        f"{at_kill['cancelled']} seen, {killed_at} committed; job {final}; outcome {found}"
    )
    assert (final["cancelled"], final["skipped"], final["failed"]) == (ORDERS, 0, 0)
    assert found["entries"] == found["orders"] == ORDERS, log.read_text()[-3000:]
    assert found["released"] == ORDERS and found["taken"] == 0 and found["live"] == 0
    # Money in equals money out: every paid ticket's full price refunded, nothing else.
    assert found["paid_tickets"] == (ORDERS + 1) // 2 and found["paid"] > 0
    assert found["refunded"] == found["paid"]
    assert found["mails"] == found["mailed_orders"] == ORDERS
