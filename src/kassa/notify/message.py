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


_LINK = {
    "ru": "\nВаш заказ и его отмена: {link}\n",  # noqa: RUF001
    "en": "\nYour order, and cancelling it: {link}\n",
}
_DECISION = {
    "ru": (
        (
            "Отмена заказа {number} подтверждена",
            "Ваш запрос на отмену заказа {number} ({event}) одобрен: заказ отменён.\n",
        ),
        (
            "Отмена заказа {number} отклонена",
            "Ваш запрос на отмену заказа {number} ({event}) отклонён.\n",
        ),
        "Причина: {reason}\n",
    ),
    "en": (
        (
            "Cancellation of order {number} approved",
            "Your request to cancel order {number} ({event}) was approved: it is cancelled.\n",
        ),
        (
            "Cancellation of order {number} declined",
            "Your request to cancel order {number} ({event}) was declined.\n",
        ),
        "Reason: {reason}\n",
    ),
}


def decision_message(
    *,
    sender: str,
    to: str,
    lang: str,
    event_title: str,
    order_number: int,
    approved: bool,
    reason: str | None,
) -> EmailMessage:
    """The organiser's decision on a buyer's cancellation request."""
    yes, no, why = _DECISION.get(lang, _DECISION["en"])
    subject, body = yes if approved else no
    message = EmailMessage()
    message["From"] = sender
    message["To"] = to
    message["Subject"] = subject.format(number=order_number)
    message["Message-ID"] = make_msgid(domain=sender.rpartition("@")[2] or "kassa.local")
    text = body.format(number=order_number, event=event_title)
    message.set_content(text + (why.format(reason=reason) if reason else ""))
    return message


_EVENT_CANCELLED = {
    "ru": (
        "«{event}» отменено: заказ {number}",
        "Здравствуйте!\n\nОрганизатор отменил «{event}». Ваш заказ {number} отменён, "  # noqa: RUF001
        "к возврату: {refund}.\nПричина: {reason}\n",  # noqa: RUF001
    ),
    "en": (
        '"{event}" is cancelled: order {number}',
        'Hello,\n\nThe organiser cancelled "{event}". Your order {number} is cancelled; '
        "to be refunded: {refund}.\nReason: {reason}\n",
    ),
}


def event_cancelled_message(
    *,
    sender: str,
    to: str,
    lang: str,
    event_title: str,
    order_number: int,
    refund: str,
    reason: str,
) -> EmailMessage:
    """The organiser cancelled the event (or the buyer's date): the order is cancelled."""
    subject, body = _EVENT_CANCELLED.get(lang, _EVENT_CANCELLED["en"])
    values = {"number": order_number, "event": event_title, "refund": refund, "reason": reason}
    message = EmailMessage()
    message["From"] = sender
    message["To"] = to
    message["Subject"] = subject.format(**values)
    message["Message-ID"] = make_msgid(domain=sender.rpartition("@")[2] or "kassa.local")
    message.set_content(body.format(**values))
    return message


def tickets_message(
    *,
    sender: str,
    to: str,
    lang: str,
    event_title: str,
    order_number: int,
    ticket_count: int,
    pdf: bytes,
    link: str | None = None,
) -> EmailMessage:
    """The tickets as a PDF; with `link`, the buyer's self-service page (view, cancel)."""
    subject, body = _TEXT.get(lang, _TEXT["en"])
    if link:
        body += _LINK.get(lang, _LINK["en"]).format(link=link)
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


def offer_message(
    *,
    sender: str,
    to: str,
    event_title: str,
    set_name: str,
    ticket_count: int,
    expires_at: str,
    link: str,
) -> EmailMessage:
    """A waiting list's offer: tickets held for the buyer until `expires_at`, and the link
    that takes them."""
    message = EmailMessage()
    message["From"] = sender
    message["To"] = to
    message["Subject"] = f'Tickets for "{event_title}" are held for you'
    message["Message-ID"] = make_msgid(domain=sender.rpartition("@")[2] or "kassa.local")
    message.set_content(
        f'Hello,\n\n{ticket_count} ticket(s) of "{set_name}" for "{event_title}" came back, '
        f"and you are next on the waiting list. They are held for you until {expires_at} "
        f"(UTC).\n\nTake them here: {link}\n\nIf you do not, they go to the next person.\n"
    )
    return message
