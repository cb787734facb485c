"""Tickets as a PDF: one page per ticket, with a QR code of its barcode.

Text is set in DejaVu Sans (shipped with Kassa under its own licence, fonts/LICENSE-DejaVu.txt)
so Cyrillic set and venue names print as they are.
"""

import io
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import segno
from fpdf import FPDF

FONTS = Path(__file__).parent / "fonts"


@dataclass(frozen=True)
class TicketDoc:
    """Everything printed on one ticket."""

    event_title: str
    starts_at: datetime
    timezone: str
    venue: str | None
    set_name: str
    seat: str | None
    price: str  # "1000.00"
    serial: str
    number: int
    barcode: str
    order_number: int
    lang: str = "ru"


_LABELS = {
    "ru": {
        "set": "Категория",
        "seat": "Место",
        "price": "Цена",
        "ticket": "Билет",
        "order": "Заказ",
        "venue": "Площадка",
    },
    "en": {
        "set": "Category",
        "seat": "Seat",
        "price": "Price",
        "ticket": "Ticket",
        "order": "Order",
        "venue": "Venue",
    },
}


def render_tickets(tickets: Sequence[TicketDoc]) -> bytes:
    """A PDF with one A5 landscape page per ticket."""
    pdf = FPDF(orientation="landscape", unit="mm", format=(148, 210))  # A5
    pdf.set_auto_page_break(False)
    pdf.add_font("DejaVu", "", str(FONTS / "DejaVuSans.ttf"))
    pdf.add_font("DejaVu", "B", str(FONTS / "DejaVuSans-Bold.ttf"))
    pdf.set_title("Tickets")
    pdf.set_creator("Kassa")
    for ticket in tickets:
        _page(pdf, ticket)
    return bytes(pdf.output())


def _page(pdf: FPDF, ticket: TicketDoc) -> None:
    labels = _LABELS.get(ticket.lang, _LABELS["en"])
    pdf.add_page()
    local = ticket.starts_at.astimezone(ZoneInfo(ticket.timezone))
    pdf.set_font("DejaVu", "B", 18)
    pdf.set_xy(12, 12)
    pdf.multi_cell(120, 9, ticket.event_title)
    pdf.set_font("DejaVu", "", 12)
    pdf.set_x(12)
    pdf.cell(120, 8, f"{local:%d.%m.%Y %H:%M} ({ticket.timezone})", new_x="LMARGIN", new_y="NEXT")
    rows = [
        (labels["venue"], ticket.venue or "—"),
        (labels["set"], ticket.set_name),
        (labels["seat"], ticket.seat or "—"),
        (labels["price"], ticket.price),
        (labels["ticket"], f"{ticket.serial} {ticket.number}"),
        (labels["order"], str(ticket.order_number)),
    ]
    pdf.ln(4)
    for label, value in rows:
        pdf.set_x(12)
        pdf.set_font("DejaVu", "", 10)
        pdf.cell(30, 7, label)
        pdf.set_font("DejaVu", "B", 12)
        pdf.cell(90, 7, value, new_x="LMARGIN", new_y="NEXT")
    qr = segno.make_qr(ticket.barcode, error="m")
    image = io.BytesIO()
    qr.save(image, kind="png", scale=8, border=4)
    image.seek(0)
    pdf.image(image, x=140, y=20, w=60, h=60)
    pdf.set_font("DejaVu", "", 11)
    pdf.set_xy(140, 82)
    pdf.cell(60, 6, ticket.barcode, align="C")
