"""What the operator console reads: one orders list across the faces, an order's page of any
face, live set counts, the kitchen board, the dashboard. Every read is bounded by the
operator's organisation, and by their restaurant or shop when they are narrowed to one.
The console's commands are the faces' own app commands, called with the operator as actor."""

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from kassa.app.access import visible_order
from kassa.app.operators import principal
from kassa.core.audit import AuditEntry
from kassa.core.catalog import Event
from kassa.core.console import DayPoint, OrderFilter, OrderRow, SetCounts
from kassa.core.delivery import KITCHEN, DeliveryOrder, Restaurant, Status
from kassa.core.errors import ActionForbidden, EventNotFound, LoyaltyNotFound, OrderNotFound
from kassa.core.loyalty_orders import LedgerRow, LoyaltyOrder, Member, Shop
from kassa.core.operators import Operator
from kassa.core.orders import Order
from kassa.core.promocodes import PromoCode
from kassa.core.words import ACTORS
from kassa.store.db import Database, UnitOfWork

PAGE_SIZE = 25


def order_filter(operator: Operator, **given: Any) -> OrderFilter:
    return OrderFilter(
        org_id=operator.org_id,
        restaurant_id=operator.restaurant_id,
        shop_id=operator.shop_id,
        **given,
    )


def sees_tickets(operator: Operator) -> bool:
    """An operator narrowed to a restaurant or a shop does not see the box office."""
    return operator.restaurant_id is None and operator.shop_id is None


def require_tickets(operator: Operator) -> None:
    """The box office and everything organisation-wide: not for a narrowed account."""
    if not sees_tickets(operator):
        raise ActionForbidden("Your account is for one restaurant or shop only")


@dataclass(frozen=True)
class OrdersPage:
    rows: list[OrderRow]
    page: int
    has_more: bool


async def search(db: Database, f: OrderFilter, page: int) -> OrdersPage:
    page = max(1, min(page, 400))
    async with db.unit_of_work(write=False) as uow:
        rows = await uow.console.search(f, offset=(page - 1) * PAGE_SIZE, limit=PAGE_SIZE + 1)
    return OrdersPage(rows[:PAGE_SIZE], page, len(rows) > PAGE_SIZE)


# -- an order's page, by face ------------------------------------------------------------


@dataclass(frozen=True)
class TicketOrderPage:
    order: Order
    event: Event | None
    set_names: dict[str, str]
    promocodes: list[PromoCode]
    loyalty: list[LedgerRow]
    timeline: list[AuditEntry]
    names: dict[str, str]  # the timeline's actors by name


async def ticket_order(db: Database, operator: Operator, order_id: str) -> TicketOrderPage:
    require_tickets(operator)
    async with db.unit_of_work(write=False) as uow:
        order = await visible_order(uow, principal(operator), order_id)
        event = await uow.catalog.event(order.event_id)
        sets = {s.id: s.name for s in await uow.catalog.sets_of(order.event_id)}
        codes = await uow.promos.many(order.promocodes) if order.promocodes else {}
        shop = await uow.loyalty.shop_of_event(order.event_id)
        ledger = await uow.loyalty.order_rows(shop.id, f"ticket:{order.id}") if shop else []
        timeline = await uow.audit.timeline(order.id)
        names = await _names(uow, operator.org_id, [e.actor for e in timeline])
    return TicketOrderPage(order, event, sets, list(codes.values()), ledger, timeline, names)


@dataclass(frozen=True)
class DeliveryOrderPage:
    order: DeliveryOrder
    restaurant: Restaurant | None
    timeline: list[AuditEntry]
    names: dict[str, str]


async def _delivery(uow: UnitOfWork, operator: Operator, order_id: str) -> DeliveryOrder:
    order = await uow.delivery.order(order_id)
    if (
        order is None
        or order.org_id != operator.org_id
        or operator.shop_id is not None
        or operator.restaurant_id not in (None, order.restaurant_id)
    ):
        raise OrderNotFound(f"Order {order_id} not found", order=order_id)
    return order


async def delivery_order(db: Database, operator: Operator, order_id: str) -> DeliveryOrderPage:
    async with db.unit_of_work(write=False) as uow:
        order = await _delivery(uow, operator, order_id)
        restaurant = await uow.delivery.restaurant(order.restaurant_id)
        timeline = await uow.audit.timeline(order.id)
        names = await _names(uow, operator.org_id, [e.actor for e in timeline])
    return DeliveryOrderPage(order, restaurant, timeline, names)


async def visible_delivery(db: Database, operator: Operator, order_id: str) -> DeliveryOrder:
    async with db.unit_of_work(write=False) as uow:
        return await _delivery(uow, operator, order_id)


@dataclass(frozen=True)
class LoyaltyOrderPage:
    order: LoyaltyOrder
    shop: Shop
    member: str | None
    ledger: list[LedgerRow]
    timeline: list[AuditEntry]
    names: dict[str, str]


async def _loyalty(uow: UnitOfWork, operator: Operator, order_id: str) -> tuple[LoyaltyOrder, Shop]:
    order = await uow.loyalty.order_by_id(order_id)
    shop = await uow.loyalty.shop(order.shop_id) if order else None
    if (
        order is None
        or shop is None
        or shop.org_id != operator.org_id
        or operator.restaurant_id is not None
        or operator.shop_id not in (None, shop.id)
    ):
        raise OrderNotFound(f"Order {order_id} not found", order=order_id)
    return order, shop


async def loyalty_order(db: Database, operator: Operator, order_id: str) -> LoyaltyOrderPage:
    async with db.unit_of_work(write=False) as uow:
        order, shop = await _loyalty(uow, operator, order_id)
        member = (
            await uow.loyalty.member(shop.id, member_id=order.member_id)
            if order.member_id
            else None
        )
        ledger = await uow.loyalty.order_rows(shop.id, order.order_id)
        timeline = await uow.audit.timeline(order.id)
        names = await _names(uow, operator.org_id, [e.actor for e in timeline])
    phone = member.identifier if member else None
    return LoyaltyOrderPage(order, shop, phone, ledger, timeline, names)


async def visible_loyalty(
    db: Database, operator: Operator, order_id: str
) -> tuple[LoyaltyOrder, Shop]:
    async with db.unit_of_work(write=False) as uow:
        return await _loyalty(uow, operator, order_id)


# -- who did it, in words --------------------------------------------------------------


async def names(db: Database, operator: Operator, actors: Iterable[str]) -> dict[str, str]:
    """What the console calls each actor (or webhook recipient) of the operator's
    organisation: its name, an operator's e-mail; an id of anyone else reads as itself."""
    async with db.unit_of_work(write=False) as uow:
        return await _names(uow, operator.org_id, actors)


async def _names(uow: UnitOfWork, org_id: str, actors: Iterable[str]) -> dict[str, str]:
    return {actor: await _name(uow, org_id, actor) for actor in set(actors)}


async def _name(uow: UnitOfWork, org_id: str, actor: str) -> str:
    kind, _, rest = actor.partition(":")
    if actor in ACTORS:
        return ACTORS[actor]
    if kind == "operator" and rest:
        return rest
    if kind == "shop" and rest:
        shop = await uow.loyalty.shop(rest)
        return f"{shop.name} (shop)" if shop is not None and shop.org_id == org_id else actor
    if actor == org_id:
        return await uow.tenants.organisation_name(org_id) or actor
    if await uow.tenants.partner_org(actor) == org_id:
        return await uow.tenants.partner_name(actor) or actor
    return actor


# -- events, kitchen, shops ---------------------------------------------------------------


@dataclass(frozen=True)
class EventCounts:
    event: Event
    sets: list[SetCounts]


async def events(db: Database, operator: Operator) -> list[EventCounts]:
    require_tickets(operator)
    async with db.unit_of_work(write=False) as uow:
        found = await uow.catalog.events_of(operator.org_id)
        counts = await uow.console.set_counts([e.id for e in found])
    by_event: dict[str, list[SetCounts]] = defaultdict(list)
    for c in counts:
        by_event[c.event_id].append(c)
    return [EventCounts(e, by_event[e.id]) for e in found]


async def event_choices(db: Database, operator: Operator) -> list[Event]:
    """The organisation's events, for a filter (no counts: cheap on a big box office)."""
    if not sees_tickets(operator):
        return []
    async with db.unit_of_work(write=False) as uow:
        return await uow.catalog.events_of(operator.org_id)


async def event_page(
    db: Database, operator: Operator, event_id: str
) -> tuple[EventCounts, list[PromoCode], dict[str, list[Any]]]:
    require_tickets(operator)
    async with db.unit_of_work(write=False) as uow:
        event = await uow.catalog.event(event_id)
        if event is None or event.org_id != operator.org_id:
            raise EventNotFound(f"Event {event_id} not found", event=event_id)
        counts = await uow.console.set_counts([event_id])
        promos = await uow.promos.of_event(event_id)
        rules = {s.id: list(s.rules) for s in await uow.catalog.sets_of(event_id)}
    return EventCounts(event, counts), promos, rules


async def restaurants(db: Database, operator: Operator) -> list[Restaurant]:
    async with db.unit_of_work(write=False) as uow:
        found = await uow.delivery.restaurants_of(operator.org_id)
    if operator.shop_id is not None:
        return []
    return [r for r in found if operator.restaurant_id in (None, r.id)]


async def shops(db: Database, operator: Operator) -> list[Shop]:
    async with db.unit_of_work(write=False) as uow:
        found = await uow.loyalty.shops_of(operator.org_id)
    if operator.restaurant_id is not None:
        return []
    return [s for s in found if operator.shop_id in (None, s.id)]


async def shop(db: Database, operator: Operator, shop_id: str) -> Shop:
    """A shop the operator may act in; another organisation's (or one they are not narrowed
    to) is not found, exactly like one that does not exist."""
    for found in await shops(db, operator):
        if found.id == shop_id:
            return found
    raise LoyaltyNotFound(f"Shop {shop_id} not found")


@dataclass(frozen=True)
class MemberRow:
    member: Member
    bonuses: Decimal


@dataclass(frozen=True)
class Checkout:
    order: LoyaltyOrder
    member: str | None  # the member's phone; None for a guest


@dataclass(frozen=True)
class LoyaltyOverview:
    members: list[MemberRow]
    members_page: int
    more_members: bool
    checkouts: list[Checkout]
    checkouts_page: int
    more_checkouts: bool


async def loyalty_overview(
    db: Database, shop: Shop, now: datetime, members_page: int, checkouts_page: int
) -> LoyaltyOverview:
    """A page of the shop's members (newest first, with their bonuses) and one of its
    checkouts (newest first). `shop` is one the operator may see (`shop()`)."""
    members_page = max(1, min(members_page, 400))
    checkouts_page = max(1, min(checkouts_page, 400))
    async with db.unit_of_work(write=False) as uow:
        found = await uow.loyalty.members_of(
            shop.id, offset=(members_page - 1) * PAGE_SIZE, limit=PAGE_SIZE + 1
        )
        lots = await uow.loyalty.bonus_lots_of([m.id for m in found[:PAGE_SIZE]])
        orders = await uow.loyalty.recent_orders(
            shop.id, offset=(checkouts_page - 1) * PAGE_SIZE, limit=PAGE_SIZE + 1
        )
        phones = await uow.loyalty.identifiers([o.member_id for o in orders if o.member_id])
    return LoyaltyOverview(
        [MemberRow(m, lots[m.id].balance(now)) for m in found[:PAGE_SIZE]],
        members_page,
        len(found) > PAGE_SIZE,
        [Checkout(o, phones.get(o.member_id or "")) for o in orders[:PAGE_SIZE]],
        checkouts_page,
        len(orders) > PAGE_SIZE,
    )


# The kitchen board's columns, and the step each card's button takes.
BOARD = KITCHEN
NEXT_STEP = {
    Status.NEW: Status.ACCEPTED,
    Status.ACCEPTED: Status.COOKING,
    Status.COOKING: Status.READY,
}


async def kitchen(
    db: Database, operator: Operator, restaurant_id: str
) -> dict[Status, list[DeliveryOrder]]:
    if restaurant_id not in {r.id for r in await restaurants(db, operator)}:
        raise OrderNotFound(f"Restaurant {restaurant_id} not found")
    async with db.unit_of_work(write=False) as uow:
        found = await uow.delivery.orders_of(operator.org_id, BOARD)
    columns: dict[Status, list[DeliveryOrder]] = {s: [] for s in BOARD}
    for order in sorted(found, key=lambda o: o.created_at):
        if order.restaurant_id == restaurant_id:
            columns[order.status].append(order)
    return columns


# -- the dashboard ------------------------------------------------------------------------


@dataclass(frozen=True)
class Dashboard:
    since: datetime
    days: list[DayPoint]
    reasons: list[tuple[str, int]]
    events: list[tuple[str, Decimal, Decimal]]  # title, revenue, refunded
    restaurants: list[tuple[str, Decimal, int]]  # title, revenue delivered, cancelled orders
    shops: list[tuple[str, Decimal, int]]  # name, paid in fulfilled orders, cancelled orders
    totals: dict[str, int] = field(default_factory=dict)


async def dashboard(db: Database, operator: Operator, now: datetime, days: int) -> Dashboard:
    days = max(1, min(days, 366))
    start = (now - timedelta(days=days - 1)).replace(hour=0, minute=0, second=0, microsecond=0)
    org = operator.org_id
    async with db.unit_of_work(write=False) as uow:
        scope = order_filter(operator)
        daily = await uow.console.daily(scope, start)
        reasons = await uow.console.cancel_reasons(scope, start)
        ticket_money = await uow.console.ticket_money(org, start) if sees_tickets(operator) else []
        delivered = await uow.console.delivery_outcomes(org, start)
        shop_orders = await uow.console.loyalty_totals(org, start)
    points = []
    for i in range(days):
        day = (start + timedelta(days=i)).date()
        sales, gone = daily.get(day.isoformat(), (0, 0))
        points.append(DayPoint(day, sales, gone))
    names = {r.id: r.title for r in await restaurants(db, operator)}
    per_restaurant: dict[str, list[Any]] = {n: [Decimal(0), 0] for n in names.values()}
    for restaurant_id, status, lines in delivered:
        if restaurant_id not in names:
            continue
        slot = per_restaurant[names[restaurant_id]]
        if status == Status.DELIVERED.value:
            slot[0] += sum(
                (Decimal(str(x["price"])) * Decimal(str(x["quantity"])) for x in lines),
                Decimal(0),
            )
        else:
            slot[1] += 1
    allowed = {s.name for s in await shops(db, operator)}
    return Dashboard(
        since=start,
        days=points,
        reasons=reasons,
        events=ticket_money,
        restaurants=[(k, v[0], v[1]) for k, v in sorted(per_restaurant.items())],
        shops=[row for row in shop_orders if row[0] in allowed],
        totals={
            "sales": sum(p.sales for p in points),
            "cancellations": sum(p.cancellations for p in points),
        },
    )
