"""Rendering core objects in the v1 wire format: field names, decimal strings, ISO times."""

from datetime import datetime
from typing import Any

from kassa.app.catalog import EventView, SetView
from kassa.core.catalog import Event, PriceRule, TicketRow, TicketSet, Venue
from kassa.core.errors import SetNotOnSale
from kassa.core.money import render
from kassa.core.orders import Order, OrderLine
from kassa.core.pricing import FeePolicy, ticket_values
from kassa.core.refunds import v1_order_status

_CUSTOMER_V1 = ("email", "first_name", "last_name", "mobile")
_PAYMENT_DEFAULTS: dict[str, Any] = {
    "failure_url": None,
    "redirect_url": None,
    "success_url": None,
    "system": None,
}


def iso(moment: datetime | None) -> str | None:
    """v1 times: ISO 8601 with microseconds and the UTC offset, e.g. ...15:43.289000+00:00."""
    return moment.isoformat(timespec="microseconds") if moment is not None else None


def ical(start: datetime | None, finish: datetime | None) -> str:
    """A time window as the iCalendar VEVENT the v1 catalogue uses."""
    lines = ["BEGIN:VEVENT"]
    if start is not None:
        lines.append(f"DTSTART;VALUE=DATE-TIME:{start:%Y%m%dT%H%M%SZ}")
    if finish is not None:
        lines.append(f"DTEND;VALUE=DATE-TIME:{finish:%Y%m%dT%H%M%SZ}")
    lines.append("END:VEVENT")
    return "\r\n".join(lines) + "\r\n"


def order_v1(order: Order) -> dict[str, Any]:
    """The v1 order object, field for field as the partner API returns it."""
    values = order.values
    rendered_values: dict[str, Any] = {
        "extra": render(values.extra),
        "full": render(values.full),
        "nominal": render(values.nominal),
    }
    if values.discount:
        rendered_values["discount"] = render(values.discount)
        rendered_values["sets"] = [
            {"id": s.set_id, "p": render(s.price), "d": render(s.discount), "ps": render(s.nominal)}
            for s in values.sets
        ]
    payment = {**_PAYMENT_DEFAULTS, **order.payment}
    return {
        "id": order.id,
        "created_at": iso(order.created_at),
        "customer": customer_v1(order.customer),
        "deal": None,
        "event": order.event_id,
        "number": order.number,
        "org": order.org_id,
        "payment": payment,
        "promocodes": list(order.promocodes),
        "reserved_till": iso(order.reserved_till),
        "rules": order.rules,
        "status": v1_order_status(order),
        "tickets": [line.ticket_id for line in order.listed_lines],
        "updated_at": iso(order.updated_at),
        "value": render(values.full),
        "value_extra": render(values.extra),
        "values": rendered_values,
        "vendor": order.vendor_id,
    }


def customer_v1(customer: dict[str, Any]) -> dict[str, Any]:
    """v1 keys, read from either spelling (v2 stores name/phone); `lang` defaults to ru."""
    found = dict(customer)
    first, _, last = (found.pop("name", None) or "").strip().partition(" ")
    phone = found.pop("phone", None)
    if "first_name" not in found and "last_name" not in found and first:
        found["first_name"] = first
        if last.strip():
            found["last_name"] = last.strip()
    if "mobile" not in found and phone is not None:
        found["mobile"] = phone
    shown = {key: found[key] for key in _CUSTOMER_V1 if key in found}
    return {"lang": found.get("lang") or "ru", **shown}


def order_tickets_v1(order: Order) -> list[dict[str, Any]]:
    """`/orders/{id}/tickets`: each ticket with its barcode (null until the order is done)."""
    return [_order_ticket(line) for line in order.listed_lines]


def _order_ticket(line: OrderLine) -> dict[str, Any]:
    return {
        "id": line.ticket_id,
        "barcode": line.barcode,
        "number": line.number,
        "serial": line.serial,
        "seat": _seat(line.seat.sector, line.seat.row, line.seat.number) if line.seat else None,
        "set": line.set_id,
        "price": render(line.values.full),
    }


def _seat(sector: str | None, row: int | None, number: int | None) -> dict[str, Any]:
    return {"number": number, "row": row, "sector": sector}


def event_ticket_v1(ticket: TicketRow) -> dict[str, Any]:
    """A ticket row of `/events/{id}/tickets`."""
    seat = None
    if ticket.seat_sector or ticket.seat_row or ticket.seat_number:
        seat = _seat(ticket.seat_sector, ticket.seat_row, ticket.seat_number)
    return {
        "id": ticket.id,
        "number": ticket.number,
        "reserved_till": iso(ticket.reserved_till) if ticket.status.value == "reserved" else None,
        "seat": seat,
        "serial": ticket.serial,
        "set": ticket.set_id,
        "status": ticket.status.value,
    }


def event_v1(view: EventView, now: datetime) -> dict[str, Any]:
    """An event as `/v1/services/simple/events` and `/v1/resources/events/{id}` show it."""
    event = view.event
    sets = [set_v1(s, view.fee, event, now) for s in view.sets]
    return {
        "id": event.id,
        "age_rating": event.age_rating,
        "created_at": iso(view.created_at),
        "deal": None,
        "lifetime": ical(event.starts_at, event.ends_at),
        "map": None,
        "media": {},
        "org": {
            "id": event.org_id,
            "contact": {},
            "desc": None,
            "media": {},
            "name": view.org_name,
            "tags": [],
        },
        "partner": None,
        "sets": sets,
        "status": event.status.value,
        "tags": [],
        "ticket_template": None,
        "tickets_amount": sum(s.amount for s in view.sets),
        "tickets_amount_vacant": sum(s.amount_vacant for s in view.sets),
        "timezone": event.timezone,
        "title": {"desc": event.description, "text": event.title},
        "updated_at": iso(view.updated_at),
        "venue": venue_v1(view.venue) if view.venue else None,
    }


def venue_v1(venue: Venue) -> dict[str, Any]:
    return {
        "id": venue.id,
        "address": venue.address,
        "city": {"name": venue.city, "timezone": venue.timezone},
        "country": venue.country,
        "desc": None,
        "name": venue.name,
        "point": None,
    }


def set_v1(view: SetView, fee: FeePolicy, event: Event, now: datetime) -> dict[str, Any]:
    """A ticket set: buyer's price (`price`), the organiser's part and the service fee."""
    ticket_set = view.ticket_set
    current = _current_rule(ticket_set, now)
    price = current.price if current is not None else ticket_set.price
    values = ticket_values(price, fee)
    return {
        "id": ticket_set.id,
        "amount": view.amount,
        "amount_vacant": view.amount_vacant,
        "name": ticket_set.name,
        "pos": ticket_set.position,
        "price": render(values.full),
        "price_extra": render(values.extra),
        "price_org": render(values.nominal),
        "rules": [
            rule_v1(rule, fee, event, current is not None and rule.id == current.id)
            for rule in ticket_set.rules
        ],
        "seats": ticket_set.with_seats,
        "sector": None,
    }


def rule_v1(rule: PriceRule, fee: FeePolicy, event: Event, current: bool) -> dict[str, Any]:
    values = ticket_values(rule.price, fee)
    return {
        "id": rule.id,
        "cal": ical(rule.starts_at, rule.ends_at or event.ends_at),
        "current": current,
        "price": render(values.full),
        "price_extra": render(values.extra),
        "price_org": render(values.nominal),
    }


def _current_rule(ticket_set: TicketSet, now: datetime) -> PriceRule | None:
    try:
        return ticket_set.rule_at(now)
    except SetNotOnSale:
        return None
