"""Tickets by e-mail and exports: a real SMTP server (aiosmtpd) on loopback receives them.

The PDF is read back with pypdf; its QR codes are decoded with zxing-cpp from the images
embedded in it, so "scannable" is checked, not assumed.
"""

import email
import io
import socket
from collections.abc import Iterator
from dataclasses import dataclass, field
from email.message import Message
from typing import Any

import httpx
import pytest
import zxingcpp
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session
from PIL import Image
from pypdf import PdfReader

from kassa.app import demo
from kassa.app.outbox import drain
from kassa.notify.smtp import SmtpSettings
from kassa.store.db import Database
from tests.api.helpers import outbox_rows
from tests.conftest import FakeClock

EVENT = demo.V2_EVENT_ID
STALLS = demo.V2_STALLS_SET_ID
BALCONY = demo.V2_BALCONY_SET_ID
ORDERS = "/v2/resources/orders"


@dataclass
class Inbox:
    """What the SMTP server accepted; `refuse` answers that many deliveries with a 451."""

    messages: list[Message] = field(default_factory=list)
    recipients: list[list[str]] = field(default_factory=list)
    refuse: int = 0

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        if self.refuse > 0:
            self.refuse -= 1
            return "451 4.3.0 try again later"
        content = envelope.content
        assert isinstance(content, bytes)
        self.messages.append(email.message_from_bytes(content))
        self.recipients.append(list(envelope.rcpt_tos))
        return "250 OK"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def inbox() -> Iterator[tuple[Inbox, SmtpSettings]]:
    handler = Inbox()
    port = _free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield handler, SmtpSettings(host="127.0.0.1", port=port, sender="box@kassa.test")
    finally:
        controller.stop()


def attachments(message: Message) -> dict[str, bytes]:
    found = {}
    for part in message.walk():
        name = part.get_filename()
        if name:
            payload = part.get_payload(decode=True)
            assert isinstance(payload, bytes)
            found[name] = payload
    return found


def qr_codes(pdf: bytes) -> list[list[str]]:
    """Per page, the texts of the QR codes found in its images."""
    pages = []
    for page in PdfReader(io.BytesIO(pdf)).pages:
        texts = []
        for image in page.images:
            picture = Image.open(io.BytesIO(image.data)).convert("L")
            texts += [r.text for r in zxingcpp.read_barcodes(picture)]
        pages.append(texts)
    return pages


async def done_order(
    client: httpx.AsyncClient, seller: dict[str, str], send_tickets: bool = True
) -> dict[str, Any]:
    body = {
        "event": EVENT,
        "random": {STALLS: 2, BALCONY: 1},
        "settings": {
            "send_tickets": send_tickets,
            "customer": {"email": "buyer@example.ru", "name": "Иван", "lang": "ru"},
        },
    }
    order = (await client.post(ORDERS, headers=seller, json=body)).json()["data"]
    response = await client.patch(
        f"{ORDERS}/{order['id']}", headers=seller, json={"status": "done"}
    )
    assert response.status_code == 200, response.text
    data: dict[str, Any] = response.json()["data"]
    return data


async def test_done_order_mails_one_pdf_page_per_ticket(
    client: httpx.AsyncClient,
    seller: dict[str, str],
    db: Database,
    clock: FakeClock,
    inbox: tuple[Inbox, SmtpSettings],
) -> None:
    box, smtp = inbox
    order = await done_order(client, seller)
    async with httpx.AsyncClient() as http:
        result = await drain(db, http, clock(), smtp=smtp)
    assert result.delivered >= 1
    [message] = box.messages
    assert box.recipients == [["buyer@example.ru"]]
    assert message["From"] == "box@kassa.test"
    assert str(order["number"]) in message["Subject"]
    files = attachments(message)
    pdf = files[f"tickets-{order['number']}.pdf"]
    reader = PdfReader(io.BytesIO(pdf))
    assert len(reader.pages) == 3
    text = "\n".join(page.extract_text() for page in reader.pages)
    assert "Партер" in text and "Балкон" in text and "1000.00" in text and "500.00" in text
    assert "Demo Hall" in text
    barcodes = sorted(t["barcode"] for t in order["tickets"])
    assert sorted(code for page in qr_codes(pdf) for code in page) == barcodes
    for ticket in order["tickets"]:
        assert f"{ticket['serial']} {ticket['number']}" in text
    # Delivered once: another pass sends nothing more.
    async with httpx.AsyncClient() as http:
        await drain(db, http, clock.advance(hours=1), smtp=smtp)
    assert len(box.messages) == 1


async def test_a_refusing_server_gets_the_mail_again_later(
    client: httpx.AsyncClient,
    seller: dict[str, str],
    db: Database,
    clock: FakeClock,
    inbox: tuple[Inbox, SmtpSettings],
) -> None:
    box, smtp = inbox
    box.refuse = 1
    order = await done_order(client, seller)
    async with httpx.AsyncClient() as http:
        first = await drain(db, http, clock(), smtp=smtp)
        assert first.failed == 1 and box.messages == []
        [row] = [r for r in await outbox_rows(db, order["id"]) if r["topic"] == "tickets.email"]
        assert row["delivered_at"] is None and "451" in row["last_error"]
        await drain(db, http, clock.advance(seconds=1), smtp=smtp)
        assert box.messages == []  # not due yet: backoff
        await drain(db, http, clock.advance(minutes=5), smtp=smtp)
    assert len(box.messages) == 1


async def test_no_mail_without_send_tickets_or_for_a_rolled_back_change(
    client: httpx.AsyncClient,
    seller: dict[str, str],
    db: Database,
    clock: FakeClock,
    inbox: tuple[Inbox, SmtpSettings],
) -> None:
    box, smtp = inbox
    await done_order(client, seller, send_tickets=False)
    # send_tickets without an e-mail: done is refused and nothing is queued.
    order = (
        await client.post(
            ORDERS,
            headers=seller,
            json={"event": EVENT, "random": {STALLS: 1}, "settings": {"send_tickets": True}},
        )
    ).json()["data"]
    response = await client.patch(
        f"{ORDERS}/{order['id']}", headers=seller, json={"status": "done"}
    )
    assert response.status_code == 400
    assert response.json() == {"errors": ["send_tickets needs the customer's email"]}
    assert [r for r in await outbox_rows(db) if r["topic"] == "tickets.email"] == []
    async with httpx.AsyncClient() as http:
        await drain(db, http, clock(), smtp=smtp)
    assert box.messages == []


async def test_export_arrives_as_csv(
    client: httpx.AsyncClient,
    seller: dict[str, str],
    db: Database,
    clock: FakeClock,
    inbox: tuple[Inbox, SmtpSettings],
) -> None:
    box, smtp = inbox
    order = await done_order(client, seller, send_tickets=False)
    response = await client.post(
        f"{ORDERS}/export", headers=seller, json={"email": "office@shop.ru", "status": "done"}
    )
    assert response.status_code == 200
    async with httpx.AsyncClient() as http:
        await drain(db, http, clock(), smtp=smtp)
    [message] = box.messages
    assert box.recipients == [["office@shop.ru"]]
    rows = attachments(message)["orders.csv"].decode().splitlines()
    assert rows[0].startswith("id,number,status")
    assert len(rows) == 2 and rows[1].startswith(f"{order['id']},{order['number']},done")
    assert ",2500.00,0.00,2500.00,0.00,2500.00,Иван,buyer@example.ru," in rows[1]


REFUNDS = "/v2/resources/refund_requests"


async def refund(
    client: httpx.AsyncClient,
    seller: dict[str, str],
    organiser: dict[str, str],
    order: dict[str, Any],
    tickets: list[str],
) -> None:
    """The seller asks for a refund of `tickets`; the organiser approves it."""
    body = {"order": order["id"], "culprit": "user", "tickets": tickets}
    asked = await client.post(REFUNDS, headers=seller, json=body)
    assert asked.status_code == 200, asked.text
    approved = await client.patch(
        f"{REFUNDS}/{asked.json()['data']['id']}", headers=organiser, json={"status": "approved"}
    )
    assert approved.status_code == 200, approved.text


async def ticket_mail(db: Database, order_id: str) -> dict[str, Any]:
    [row] = [r for r in await outbox_rows(db, order_id) if r["topic"] == "tickets.email"]
    return row


def mailed_barcodes(message: Message, order: dict[str, Any]) -> list[str]:
    pdf = attachments(message)[f"tickets-{order['number']}.pdf"]
    return sorted(code for page in qr_codes(pdf) for code in page)


async def test_a_refund_of_every_ticket_before_the_worker_runs_voids_the_mail(
    client: httpx.AsyncClient,
    seller: dict[str, str],
    organiser: dict[str, str],
    db: Database,
    clock: FakeClock,
    inbox: tuple[Inbox, SmtpSettings],
) -> None:
    box, smtp = inbox
    order = await done_order(client, seller)
    assert (await ticket_mail(db, order["id"]))["delivered_at"] is None
    await refund(client, seller, organiser, order, [t["id"] for t in order["tickets"]])
    row = await ticket_mail(db, order["id"])
    assert row["delivered_at"] is not None and row["last_error"].startswith("voided: ")
    async with httpx.AsyncClient() as http:
        await drain(db, http, clock.advance(minutes=1), smtp=smtp)
    assert box.messages == []
    assert await ticket_mail(db, order["id"]) == row  # voided, kept, never sent


async def test_a_partial_refund_mails_only_the_tickets_left(
    client: httpx.AsyncClient,
    seller: dict[str, str],
    organiser: dict[str, str],
    db: Database,
    clock: FakeClock,
    inbox: tuple[Inbox, SmtpSettings],
) -> None:
    box, smtp = inbox
    order = await done_order(client, seller)
    gone, *kept = order["tickets"]
    await refund(client, seller, organiser, order, [gone["id"]])
    row = await ticket_mail(db, order["id"])
    assert row["delivered_at"] is None
    assert row["payload"]["tickets"] == [t["id"] for t in kept]
    async with httpx.AsyncClient() as http:
        result = await drain(db, http, clock.advance(minutes=1), smtp=smtp)
    assert result.voided == 0
    [message] = box.messages
    assert mailed_barcodes(message, order) == sorted(t["barcode"] for t in kept)
    assert (await ticket_mail(db, order["id"]))["delivered_at"] is not None


async def test_the_worker_sends_only_tickets_still_the_buyers(
    client: httpx.AsyncClient,
    seller: dict[str, str],
    db: Database,
    clock: FakeClock,
    inbox: tuple[Inbox, SmtpSettings],
) -> None:
    box, smtp = inbox
    order = await done_order(client, seller)
    gone, *kept = order["tickets"]
    # Behind the queue's back: the ticket goes back on sale, the mail is not told.
    async with db.unit_of_work() as uow:
        await uow.inventory.release(order["id"], [gone["id"]])
        await uow.commit()
    assert gone["id"] in (await ticket_mail(db, order["id"]))["payload"]["tickets"]
    async with httpx.AsyncClient() as http:
        await drain(db, http, clock(), smtp=smtp)
    [message] = box.messages
    assert mailed_barcodes(message, order) == sorted(t["barcode"] for t in kept)
    assert gone["barcode"] not in mailed_barcodes(message, order)


async def test_a_mail_with_no_ticket_still_the_buyers_is_voided_at_send_time(
    client: httpx.AsyncClient,
    seller: dict[str, str],
    db: Database,
    clock: FakeClock,
    inbox: tuple[Inbox, SmtpSettings],
) -> None:
    box, smtp = inbox
    order = await done_order(client, seller)
    async with db.unit_of_work() as uow:
        await uow.inventory.release(order["id"], [t["id"] for t in order["tickets"]])
        await uow.commit()
    async with httpx.AsyncClient() as http:
        result = await drain(db, http, clock(), smtp=smtp)
    assert box.messages == [] and result.voided == 1 and result.failed == 0
    row = await ticket_mail(db, order["id"])
    assert row["delivered_at"] == clock() and row["last_error"].startswith("voided: ")
    async with httpx.AsyncClient() as http:
        await drain(db, http, clock.advance(hours=1), smtp=smtp)
    assert box.messages == []
