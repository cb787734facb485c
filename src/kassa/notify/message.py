"""E-mails: the buyer's tickets (PDF attached) and an orders export (CSV attached)."""

from email.message import EmailMessage
from email.utils import make_msgid

_TEXT = {
    "ru": (
        "Ваши билеты: заказ {number}",
        "Здравствуйте!\n\nВо вложении ваши билеты на «{event}» ({count} шт.), заказ {number}.\n"  # noqa: RUF001
        "Покажите QR-код на входе.\n",
    ),
    "en": (
        "Your tickets: order {number}",
        'Hello,\n\nYour tickets for "{event}" ({count}) are attached, order {number}.\n'
        "Show the QR code at the entrance.\n",
    ),
}


def tickets_message(
    *,
    sender: str,
    to: str,
    lang: str,
    event_title: str,
    order_number: int,
    ticket_count: int,
    pdf: bytes,
) -> EmailMessage:
    subject, body = _TEXT.get(lang, _TEXT["en"])
    message = EmailMessage()
    message["From"] = sender
    message["To"] = to
    message["Subject"] = subject.format(number=order_number)
    message["Message-ID"] = make_msgid(domain=sender.rpartition("@")[2] or "kassa.local")
    message.set_content(body.format(event=event_title, count=ticket_count, number=order_number))
    message.add_attachment(
        pdf, maintype="application", subtype="pdf", filename=f"tickets-{order_number}.pdf"
    )
    return message


def export_message(*, sender: str, to: str, csv_data: bytes, count: int) -> EmailMessage:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = to
    message["Subject"] = f"Orders export: {count} orders"
    message["Message-ID"] = make_msgid(domain=sender.rpartition("@")[2] or "kassa.local")
    message.set_content(f"The export of {count} orders is attached (CSV, UTF-8).\n")
    message.add_attachment(csv_data, maintype="text", subtype="csv", filename="orders.csv")
    return message


def code_message(*, sender: str, to: str, code: str, shop: str) -> EmailMessage:
    """A loyalty one-time code, for an e-mail-to-SMS gateway or the member's mailbox."""
    message = EmailMessage()
    message["From"] = sender
    message["To"] = to
    message["Subject"] = f"{shop}: {code}"
    message["Message-ID"] = make_msgid(domain=sender.rpartition("@")[2] or "kassa.local")
    message.set_content(f"Your code: {code}\n")
    return message
