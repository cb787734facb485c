"""Rendering orders in the v2 wire format: `{data, refs}`, decimal strings, "YYYY-MM-DD HH:MM:SS".

Field for field as the v2 examples (seed 002) show them. The core spells the ended status
`canceled`; v2 spells it `cancelled`.
"""

from datetime import UTC, datetime
from typing import Any

from kassa.app.views import OrderView
from kassa.core.catalog import Event, TicketSet, Venue
from kassa.core.money import render
from kassa.core.orders import LineState, Order, OrderLine, OrderStatus
from kassa.core.promocodes import PromoCode

V2_STATUS = {OrderStatus.CANCELED: "cancelled"}


def v2_time(moment: datetime | None) -> str | None:
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S") if moment is not None else None


def status_v2(status: OrderStatus) -> str:
    return V2_STATUS.get(status, status.value)


def customer_v2(customer: dict[str, Any]) -> dict[str, Any]:
    """v2 keys, read from either spelling (v1 stores first_name/last_name/mobile)."""
    name = customer.get("name")
    if name is None and (customer.get("first_name") or customer.get("last_name")):
        name = " ".join(p for p in (customer.get("first_name"), customer.get("last_name")) if p)
    return {
        "email": customer.get("email"),
        "lang": customer.get("lang") or "ru",
        "name": name,
        "phone": customer.get("phone") or customer.get("mobile"),
    }


def order_v2(view: OrderView) -> dict[str, Any]:
    order = view.order
    values = order.values
    data: dict[str, Any] = {
        "created_at": v2_time(order.created_at),
        "event": order.event_id,
        "expired_after": v2_time(order.reserved_till),
        "id": order.id,
        "number": order.number,
        "org": order.org_id,
        "origin": order.origin,
        "promocodes": list(order.promocodes),
        "settings": {
            "customer": customer_v2(order.customer),
            "invitation": bool(order.settings.get("invitation", False)),
            "send_tickets": order.send_tickets,
        },
        "status": status_v2(order.status),
        "tickets": [_ticket(order, line) for line in order.listed_lines],
        "values": {
            "discount": render(values.discount),
            "extra": render(values.extra),
            "full": render(values.full),
            "nominal": render(values.nominal),
            "price": render(values.price),
            "sets_values": {
                set_id: {
                    "discount": render(v.discount),
                    "id": set_id,
                    "nominal": render(v.nominal),
                    "price": render(v.price),
                    "promocode": v.promocode_id,
                }
                for set_id, v in view.sets_values.items()
            },
            "viral_promocodes": [],
        },
        "vendor": order.vendor_id,
        "vendor_data": dict(order.vendor_data),
    }
    for flag in ("courier", "subscribe_agree"):
        if order.settings.get(flag) is not None:
            data["settings"][flag] = bool(order.settings[flag])
    if order.status is OrderStatus.DONE:
        data["done_at"] = v2_time(order.done_at)
        data["code"] = order.code
    return data


def _ticket(order: Order, line: OrderLine) -> dict[str, Any]:
    if line.state is LineState.CANCELED:
        status = "cancelled"
    elif order.status is OrderStatus.DONE:
        status = "sold"
    else:
        status = "reserved"
    ticket: dict[str, Any] = {
        "barcode": line.barcode,
        "discount": render(line.values.discount),
        "extra": render(line.values.extra),
        "full": render(line.values.full),
        "id": line.ticket_id,
        "nominal": render(line.values.nominal),
        "number": line.number,
        "price": render(line.values.price),
        "serial": line.serial,
        "set": line.set_id,
        "status": status,
    }
    if line.seat is not None:
        ticket["seat"] = {
            "number": line.seat.number,
            "row": line.seat.row,
            "sector": line.seat.sector,
        }
    return ticket


def refs_v2(view: OrderView) -> dict[str, Any]:
    """Everything the order's data refers to by id."""
    set_ids = {line.set_id for line in view.order.listed_lines} | set(view.sets_values)
    return {
        "events": {view.event.id: event_ref(view.event)},
        "partners": {view.order.vendor_id: {"id": view.order.vendor_id, "name": view.vendor_name}},
        "promocodes": {p.id: promocode_ref(p) for p in view.promos.values()},
        "sets": {
            s.id: set_ref(s, view.set_prices.get(s.id, s.price))
            for s in view.sets.values()
            if s.id in set_ids
        },
        "venues": {view.venue.id: venue_ref(view.venue)} if view.venue else {},
    }


def event_ref(event: Event) -> dict[str, Any]:
    return {
        "age_rating": event.age_rating,
        "id": event.id,
        "lifetime": {"finish": v2_time(event.ends_at), "start": v2_time(event.starts_at)},
        "org": event.org_id,
        "status": event.status.value,
        "timezone": event.timezone,
        "title": {"desc": event.description, "text": event.title},
        "venue": event.venue_id,
    }


def set_ref(ticket_set: TicketSet, price: Any) -> dict[str, Any]:
    return {
        "id": ticket_set.id,
        "name": ticket_set.name,
        "price": render(price),
        "with_seats": ticket_set.with_seats,
    }


def venue_ref(venue: Venue) -> dict[str, Any]:
    return {
        "address": venue.address,
        "city": venue.city,
        "country": venue.country,
        "id": venue.id,
        "name": venue.name,
        "timezone": venue.timezone,
    }


def promocode_ref(promo: PromoCode) -> dict[str, Any]:
    ref: dict[str, Any] = {
        "code": promo.code,
        "discount": promo_discount(promo),
        "id": promo.id,
        "viral": promo.viral,
    }
    if promo.starts_at is not None or promo.finishes_at is not None:
        ref["lifetime"] = {
            "finish": v2_time(promo.finishes_at),
            "start": v2_time(promo.starts_at),
        }
    return ref


def promo_discount(promo: PromoCode) -> dict[str, str]:
    if promo.is_percentage:
        return {"percentage": f"{promo.value.normalize():f}%"}
    return {"fix": render(promo.value)}


def envelope(view: OrderView, errors: list[dict[str, str]] | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {"data": order_v2(view), "refs": refs_v2(view)}
    if errors:
        body["errors"] = errors
    return body
