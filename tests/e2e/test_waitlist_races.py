"""The waiting list's offers racing, on PostgreSQL (`kassa serve --workers 2`) and on SQLite
(`kassa serve`, one process: SQLite has one writer), each with two `kassa worker` processes,
while cancels and partial cancels release tickets, new buyers try to buy them, people leave
the list and buyers take their offers (through the offer page), and offers run out and pass
on (a hold of six seconds). Never oversold, never an offer lost: every ticket is in at most
one order, held offers hold exactly the offered tickets, every taken offer became an order of
exactly its tickets, and once things settle nobody waits for fewer tickets than are on sale."""

import asyncio
import random
import subprocess
import time
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import text

from kassa.core.selfservice import sign
from kassa.core.waitlist import OFFER_LINK
from kassa.store.db import Database
from tests.conftest import (
    copy_sqlite,
    create_migrated_pg_database,
    drop_pg_database_later,
    run_sync,
)
from tests.e2e.conftest import KassaServer, start_server, start_worker, stop_server
from tests.e2e.helpers import (
    ORDERS,
    ORGANISER,
    SELLER,
    SaleSet,
    assert_no_5xx,
    burst,
    client,
    new_sale,
    place,
)

pytestmark = pytest.mark.race

SECRET = "waiting-list-race-secret"
ENV = {
    "KASSA_SECRET_KEY": SECRET,
    # Six seconds: offers pass while others take, and a taker on a busy machine (three
    # requests: the list, the offer's page, the take) still comes in time.
    "KASSA_WAITLIST_OFFER_MINUTES": "0.1",
    "KASSA_SMTP_PORT": "9",  # nobody listens: the offer mails retry, nothing else minds
}
CAPACITY = 24
PEOPLE = 16
SETTLE_S = 120


@pytest.fixture(scope="module", params=["postgresql", "sqlite"])
def racing(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[KassaServer, list[subprocess.Popen[bytes]], Path]]:
    """A server (two processes on PostgreSQL) and two workers on a new database."""
    logs = tmp_path_factory.mktemp(f"kassa-waitlist-race-{request.param}")
    admin_url = None
    if request.param == "postgresql":
        admin_url = request.getfixturevalue("postgres_admin_url")
        template = request.getfixturevalue("postgres_template")
        url = run_sync(create_migrated_pg_database(admin_url, template))
    else:
        url = copy_sqlite(request.getfixturevalue("sqlite_template"), logs / "kassa.db")
    try:
        processes = 2 if admin_url else 1
        server = start_server(f"{request.param}-waitlist", url, processes, logs, extra_env=ENV)
        workers = [
            start_worker(
                url,
                logs / f"worker{n}.log",
                worker_interval_seconds="0.1",
                **{k.removeprefix("KASSA_").lower(): v for k, v in ENV.items()},
            )
            for n in range(2)
        ]
        try:
            yield server, workers, logs
        finally:
            for worker in workers:
                worker.terminate()
                worker.wait(timeout=20)
            stop_server(server)
    finally:
        if admin_url is not None:
            drop_pg_database_later(admin_url, url)


TICKETS = text("SELECT id, status, order_id FROM tickets WHERE set_id = :set")
LINES = text(
    "SELECT l.ticket_id, l.order_id FROM order_lines l JOIN orders o ON o.id = l.order_id "
    "WHERE l.set_id = :set AND l.state = 'active' "
    "AND o.status IN ('executed', 'in_progress', 'done')"
)
TAKEN = text(
    "SELECT w.id, w.quantity, w.order_id, count(l.ticket_id) AS n FROM waiting_list w "
    "LEFT JOIN order_lines l ON l.order_id = w.order_id "
    "WHERE w.set_id = :set AND w.status = 'taken' GROUP BY w.id, w.quantity, w.order_id"
)


def _line(sale: SaleSet) -> str:
    return f"/api/v1/events/{sale.event_id}/sets/{sale.set_id}/waiting_list"


async def _entries(http: httpx.AsyncClient, sale: SaleSet) -> list[dict[str, Any]]:
    answer = await http.get(_line(sale), headers=ORGANISER)
    assert answer.status_code == 200, answer.text
    found: list[dict[str, Any]] = answer.json()["entries"]
    return found


async def _take(base_url: str, entry: dict[str, Any], answers: list[httpx.Response]) -> None:
    """A buyer opens the offer's page and takes the tickets (a browser: cookie and form)."""
    expires = datetime.fromisoformat(entry["offer_expires_at"])
    token = sign(SECRET, entry["id"], expires, purpose=OFFER_LINK)
    async with httpx.AsyncClient(base_url=base_url, timeout=60) as browser:
        page = await browser.get(f"/my/offers/{token}")
        answers.append(page)
        if page.status_code != 200:
            return
        csrf = page.text.split('name="csrf" value="', 1)[1].split('"', 1)[0]
        answers.append(await browser.post(f"/my/offers/{token}/take", data={"csrf": csrf}))


async def _takers(
    base_url: str, sale: SaleSet, until: float, answers: list[httpx.Response]
) -> None:
    """The even-numbered people take each offer as it appears; the others let theirs run
    out (so offers both are taken and pass on)."""
    tried: set[tuple[str, str]] = set()
    async with client(base_url, ORGANISER) as http:
        while time.monotonic() < until:
            for entry in await _entries(http, sale):
                key = (entry["id"], entry["offer_expires_at"] or "")
                taker = int(entry["email"][1:].split("@")[0]) % 2 == 0
                if entry["status"] == "offered" and taker and key not in tried:
                    tried.add(key)
                    await _take(base_url, entry, answers)
            await asyncio.sleep(0.2)


async def _buyers(
    base_url: str, sale: SaleSet, until: float, answers: list[httpx.Response]
) -> None:
    """Buyers keep trying for a ticket of the sold-out set."""
    async with client(base_url, SELLER) as http:
        while time.monotonic() < until:
            body = {"event": sale.event_id, "random": {sale.set_id: 1}}
            answers.append(await http.post(ORDERS, json=body))
            await asyncio.sleep(0.05)


async def _leavers(base_url: str, ids: list[str], answers: list[httpx.Response]) -> None:
    async with client(base_url, ORGANISER) as http:
        for entry_id in ids:
            await asyncio.sleep(1.0)
            answers.append(await http.delete(f"/api/v1/waiting_list/{entry_id}"))


async def _releases(base_url: str, orders: list[dict[str, Any]]) -> list[httpx.Response]:
    """Whole cancels of most orders and one ticket of the others, all at once."""

    def partial(order: dict[str, Any]) -> Any:
        async def call(http: httpx.AsyncClient) -> httpx.Response:
            return await http.post(
                f"/api/v1/orders/{order['id']}/cancellation",
                json={"reason": "customer_request", "tickets": [order["tickets"][0]]},
            )

        return call

    def whole(order: dict[str, Any]) -> Any:
        async def call(http: httpx.AsyncClient) -> httpx.Response:
            return await http.patch(f"{ORDERS}/{order['id']}", json={"status": "canceled"})

        return call

    calls = [partial(o) if n % 3 == 0 else whole(o) for n, o in enumerate(orders)]
    return await burst(base_url, SELLER, calls)


async def test_cancels_buyers_takes_and_expiries_race_the_offers(
    racing: tuple[KassaServer, list[subprocess.Popen[bytes]], Path],
) -> None:
    server, workers, logs = racing
    base = server.base_url
    async with client(base, SELLER) as http:
        sale = await new_sale(http, CAPACITY, "Waiting list race")
        orders = [await place(http, sale, 2) for _ in range(CAPACITY // 2)]
        wants = random.Random(11).choices([1, 1, 2], k=PEOPLE)
        joined = []
        for n, quantity in enumerate(wants):
            answer = await http.post(
                _line(sale),
                headers=ORGANISER,
                json={"email": f"p{n}@race.test", "quantity": quantity},
            )
            assert answer.status_code == 201, answer.text
            joined.append(answer.json()["id"])

    answers: list[httpx.Response] = []
    until = time.monotonic() + 15
    released, *_ = await asyncio.gather(
        _releases(base, orders),
        _takers(base, sale, until, answers),
        _buyers(base, sale, until, answers),
        _buyers(base, sale, until, answers),
        _leavers(base, joined[2:5], answers),
    )
    assert_no_5xx(released + answers)
    assert all(r.status_code in (200, 409) for r in released), [r.text for r in released]
    settled = await _settle(base, sale)
    await _check(server.database_url, sale, settled, _story(answers, settled, logs))
    server.assert_alive_and_quiet()
    assert all(w.poll() is None for w in workers), "a worker died"
    for log in logs.glob("worker*.log"):
        assert "Traceback" not in log.read_text(), log.read_text()[-3000:]


async def _settle(base_url: str, sale: SaleSet) -> list[dict[str, Any]]:
    """Wait until no offer is open (each is taken or has passed down the line)."""
    deadline = time.monotonic() + SETTLE_S
    async with client(base_url, ORGANISER) as http:
        while True:
            entries = await _entries(http, sale)
            if not any(e["status"] == "offered" for e in entries):
                await asyncio.sleep(1.0)  # a refill pass may still offer what is on sale
                again = await _entries(http, sale)
                if not any(e["status"] == "offered" for e in again):
                    return again
            assert time.monotonic() < deadline, entries
            await asyncio.sleep(0.5)


def _story(answers: list[httpx.Response], entries: list[dict[str, Any]], logs: Path) -> str:
    """What happened to the offers, for a failure's message: every take tried (its answer),
    every entry's end, and the workers' last lines."""
    takes = [
        f"{r.request.method} {r.status_code} {r.headers.get('location') or r.text[-200:]}"
        for r in answers
        if "/my/offers/" in r.request.url.path
    ]
    ends = [f"{e['email']} x{e['quantity']}: {e['status']}" for e in entries]
    workers = [log.read_text()[-1500:] for log in sorted(logs.glob("worker*.log"))]
    return "\n".join(["takes:", *takes, "entries:", *ends, "workers:", *workers])


async def _check(url: str, sale: SaleSet, entries: list[dict[str, Any]], story: str) -> None:
    db = Database(url, pool_size=1)
    try:
        async with db.unit_of_work(write=False) as uow:
            rows = (await uow.tx.execute(TICKETS, {"set": sale.set_id})).mappings().all()
            lines = (await uow.tx.execute(LINES, {"set": sale.set_id})).mappings().all()
            taken = (await uow.tx.execute(TAKEN, {"set": sale.set_id})).mappings().all()
    finally:
        await db.dispose()
    assert len(rows) == CAPACITY
    by_status: dict[str, int] = {}
    for row in rows:
        by_status[row["status"]] = by_status.get(row["status"], 0) + 1
    assert set(by_status) <= {"vacant", "reserved"}, by_status  # settled: nothing offered
    # Never oversold: every held ticket is in exactly one open order, the one it names.
    held = {row["id"]: row["order_id"] for row in rows if row["status"] == "reserved"}
    active = [(line["ticket_id"], line["order_id"]) for line in lines]
    assert len(active) == len({t for t, _ in active}), "a ticket is in two orders"
    assert dict(active) == held
    # Every taken offer is an order of exactly the tickets it held.
    for entry in taken:
        assert entry["order_id"] and entry["n"] == entry["quantity"], dict(entry)
    # No offer lost: nobody still waits for what is on sale.
    vacant = by_status.get("vacant", 0)
    waiting = [e for e in entries if e["status"] == "waiting"]
    assert all(e["quantity"] > vacant for e in waiting), (vacant, waiting)
    assert {e["status"] for e in entries} <= {"waiting", "taken", "passed", "left"}
    assert any(e["status"] == "taken" for e in entries), f"no offer was ever taken\n{story}"
    assert any(e["status"] == "passed" for e in entries), f"no offer ever ran out\n{story}"
