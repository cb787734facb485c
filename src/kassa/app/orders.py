"""Order use cases: place, change (reservation, details, status), read, list."""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any

from kassa.app import cancellation, ticket_loyalty, waitlist
from kassa.app.access import visible_order
from kassa.app.ids import new_barcode, new_id, new_order_code
from kassa.app.journal import entries, record
from kassa.app.mail_jobs import enqueue_tickets_email
from kassa.app.order_promocodes import PromoOutcome, apply_promocodes
from kassa.app.snapshots import SaleCatalog, load_sale, snapshots
from kassa.core.audit import AuditEntry
from kassa.core.cancellation import OrderKind
from kassa.core.errors import (
    EventUnknown,
    NotEnoughTickets,
    OrderNotChangeable,
    OrderNotFound,
    SetUnknown,
    TicketNotInEvent,
)
from kassa.core.orders import (
    Flow,
    LineState,
    Order,
    OrderLine,
    OrderStatus,
    ReservationDelta,
    ReservationRequest,
    ensure_details_changeable,
    ensure_not_final,
    ensure_reservation_allowed,
    ensure_transition,
    plan_reservation,
)
from kassa.core.pricing import ticket_values
from kassa.core.promocodes import PromoCode, PromoFailure
from kassa.core.tenancy import Principal
from kassa.store.db import Database, UnitOfWork
from kassa.store.orders import ClaimedTicket, OrderFilter


@dataclass(frozen=True)
class Holds:
    """How long a reservation is held: on placing, and once payment has started."""

    reserve: timedelta = timedelta(minutes=10)
    payment: timedelta = timedelta(hours=12)


@dataclass(frozen=True)
class OrderChange:
    """One PATCH: any mix of a reservation change, details, promo codes and a status."""

    reservation: ReservationRequest | None = None
    customer: dict[str, Any] | None = None
    payment: dict[str, Any] | None = None
    status: OrderStatus | None = None
    settings: dict[str, Any] | None = None  # v2: send_tickets, subscribe_agree
    vendor_data: dict[str, Any] | None = None  # v2: the seller's order_id and raw data
    promocodes: tuple[str, ...] | None = None  # the codes the order should hold

    @property
    def has_details(self) -> bool:
        return any(
            part is not None
            for part in (self.customer, self.payment, self.settings, self.vendor_data)
        )


@dataclass(frozen=True)
class ChangeOutcome:
    """The order after a command, and the promo codes that did not apply (never an error).

    `promos`: the codes the order holds, as the command read them in its transaction (None
    when it did not read them); `views.order_view` renders these, not read again."""

    order: Order
    promo_errors: list[PromoFailure] = field(default_factory=list)
    promos: dict[str, PromoCode] | None = None


async def place_order(
    db: Database,
    principal: Principal,
    event_id: str,
    request: ReservationRequest,
    now: datetime,
    holds: Holds,
    details: OrderChange = OrderChange(),
) -> Order:
    """Create an `executed` order holding the requested tickets; none obtained is an error."""
    return (await place(db, principal, event_id, request, now, holds, details)).order


async def place(
    db: Database,
    principal: Principal,
    event_id: str,
    request: ReservationRequest,
    now: datetime,
    holds: Holds,
    details: OrderChange = OrderChange(),
) -> ChangeOutcome:
    """`place_order`, with the promo codes of `details` applied and their failures told."""
    if request.is_empty:
        raise NotEnoughTickets("'tickets' or 'random' must be")
    async with db.unit_of_work() as uow:
        wanted = (request.random or {}).keys()
        catalog = await _catalog(db, uow, principal, event_id, now, wanted)
        order = Order(
            id=new_id(now),
            number=0,
            event_id=event_id,
            org_id=catalog.event.org_id,
            vendor_id=principal.id,
            status=OrderStatus.EXECUTED,
            created_at=now,
            updated_at=now,
            reserved_till=now + holds.reserve,
            customer=dict(details.customer or {}),
            payment=dict(details.payment or {}),
            settings=dict(details.settings or {}),
            vendor_data=dict(details.vendor_data or {}),
        )
        delta = plan_reservation([], request)
        if not details.promocodes and not delta.claim_ids and len(delta.claim_random) == 1:
            placed = await _place_whole(uow, principal, catalog, order, delta, request, now)
            if placed:
                await uow.commit()
                return ChangeOutcome(order)
        # Without promo codes the order's row is final before the claim: both go together.
        placing = None if details.promocodes else order
        lines = await _claim(uow, catalog, order.id, delta, request.all_or_nothing, now, placing)
        if not lines:
            raise NotEnoughTickets("Not enough tickets", event=event_id)
        order.lines = lines
        promos = PromoOutcome()
        if details.promocodes:
            promos = await apply_promocodes(uow, catalog.fee, order, details.promocodes, now)
        if placing is None:
            order.number = await uow.orders.add(order)
        await uow.orders.add_lines(order.id, order.lines, now)
        await record(
            uow,
            order,
            actor=principal.actor,
            action="order.placed",
            from_status=None,
            now=now,
            details={"tickets": [line.ticket_id for line in lines]},
        )
        await uow.commit()
    return ChangeOutcome(order, promos.failures, promos.held if details.promocodes else None)


async def change_order(
    db: Database,
    principal: Principal,
    order_id: str,
    change: OrderChange,
    now: datetime,
    holds: Holds,
    flow: Flow,
) -> Order:
    """Apply a PATCH whole or not at all. A change already in flight on the order is 409."""
    return (await apply_change(db, principal, order_id, change, now, holds, flow)).order


async def apply_change(
    db: Database,
    principal: Principal,
    order_id: str,
    change: OrderChange,
    now: datetime,
    holds: Holds,
    flow: Flow,
) -> ChangeOutcome:
    """`change_order`, telling which promo codes did not apply.

    Actions run in a fixed order: reservation, details, promo codes, status. Any 4xx rolls
    the whole PATCH back; a promo code that does not apply is reported, not raised.
    """
    outcome = await _change_unless_due(db, principal, order_id, change, now, holds, flow)
    if outcome is None:
        # The hold ran out: the order expires first, in its own transaction (as reading it
        # would have expired it), and the change starts again from the expired order.
        await cancellation.expire_if_due(db, order_id, now)
        outcome = await _change_unless_due(
            db, principal, order_id, change, now, holds, flow, due_ok=True
        )
    assert outcome is not None
    return outcome


async def _change_unless_due(
    db: Database,
    principal: Principal,
    order_id: str,
    change: OrderChange,
    now: datetime,
    holds: Holds,
    flow: Flow,
    *,
    due_ok: bool = False,
) -> ChangeOutcome | None:
    """The change in one transaction; None, nothing written, when the order's hold has run
    out (unless `due_ok`): "is it due?" is answered by the locked read, not a read before."""
    async with db.unit_of_work() as uow:
        # Tenancy checked by the lock itself (`OrdersRepo.lock`); the first code comes along.
        first_code = change.promocodes[0] if change.promocodes else None
        order = await uow.orders.lock(order_id, seen_by=principal, promocode=first_code)
        if order is None or not principal.sees(order.org_id, order.vendor_id):
            raise OrderNotFound(f"Order {order_id} not found", order=order_id)
        if order.is_due(now) and not due_ok:
            return None
        outcome = await _change_locked(db, uow, principal, order, change, now, holds, flow)
        await uow.commit()
    return outcome


async def _change_locked(
    db: Database,
    uow: UnitOfWork,
    principal: Principal,
    order: Order,
    change: OrderChange,
    now: datetime,
    holds: Holds,
    flow: Flow,
) -> ChangeOutcome:
    """`apply_change` on the locked order, in the command's one transaction (not committed)."""
    if flow is Flow.DIRECT:
        ensure_not_final(order.status)
    if change.status is OrderStatus.CANCELED:
        target = cancellation.target_of(OrderKind.TICKETS, order)
        await cancellation.cancel_locked(
            uow,
            target,
            now,
            cancellation.WHOLE_OPEN,
            reason=None,
            version=None,
            actor=principal.actor,
        )
        return ChangeOutcome(order)
    before = order.status
    promos = PromoOutcome()
    held: dict[str, PromoCode] | None = None
    lines_changed = False
    if change.reservation is not None and not change.reservation.is_empty:
        lines_changed = await _change_reservation(
            db, uow, principal, order, change.reservation, now
        )
    if change.has_details:
        _change_details(order, change)
    if change.promocodes is not None or (lines_changed and order.promocodes):
        fee = (await _snapshot(db, uow, order.event_id)).fee
        promos = await apply_promocodes(uow, fee, order, change.promocodes, now)
        held = promos.held
    if change.has_details:  # recorded after the codes' reads: one write with the rest
        await record(
            uow,
            order,
            actor=principal.actor,
            action="order.details_changed",
            from_status=before,
            now=now,
        )
    if change.status is not None:
        await _change_status(uow, principal, order, change.status, now, holds, flow)
    order.updated_at = now
    await uow.orders.save(order)
    return ChangeOutcome(order, promos.failures, held)


async def get_order(db: Database, principal: Principal, order_id: str, now: datetime) -> Order:
    """Read one order; a hold that ran out is expired on the way (its tickets go back)."""
    await _expire_if_due(db, principal, order_id, now)
    async with db.unit_of_work(write=False) as uow:
        return await visible_order(uow, principal, order_id)


async def list_orders(
    db: Database,
    principal: Principal,
    now: datetime,
    *,
    statuses: Sequence[OrderStatus] = (),
    event_ids: Sequence[str] = (),
    created_from: datetime | None = None,
    created_to: datetime | None = None,
    only_with_customer: bool = False,
    page: int = 1,
    page_size: int = 50,
) -> tuple[list[Order], int]:
    """A page of the caller's orders, newest first, with the total count."""
    where = OrderFilter(
        org_id=principal.org_id,
        vendor_id=principal.partner_id,
        statuses=statuses,
        event_ids=event_ids,
        created_from=created_from,
        created_to=created_to,
        only_with_customer=only_with_customer,
    )
    for _ in range(2):
        async with db.unit_of_work(write=False) as uow:
            found, total = await uow.orders.search(
                where, limit=page_size, offset=(page - 1) * page_size
            )
        due = [order.id for order in found if order.is_due(now)]
        if not due:
            break
        for order_id in due:
            await cancellation.expire_if_due(db, order_id, now)
    return found, total


async def _expire_if_due(db: Database, principal: Principal, order_id: str, now: datetime) -> None:
    async with db.unit_of_work(write=False) as uow:
        order = await visible_order(uow, principal, order_id)
    if order.is_due(now):
        await cancellation.expire_if_due(db, order_id, now)


async def _catalog(
    db: Database,
    uow: UnitOfWork,
    principal: Principal,
    event_id: str,
    now: datetime,
    wanted_sets: Iterable[str] = (),
) -> SaleCatalog:
    """The event on sale now, its sets and fee, from the per-process snapshot (see snapshots)."""

    async def load() -> SaleCatalog | None:
        return await load_sale(uow, event_id)

    cache = snapshots(db)
    catalog = await cache.get(event_id, load)
    if catalog is not None and any(s not in catalog.sets for s in wanted_sets):
        catalog = await cache.get(event_id, load, fresh=True)
    if catalog is None or catalog.event.org_id != principal.org_id:
        raise EventUnknown(f"Event {event_id} not found", event=event_id)
    catalog.event.ensure_on_sale(now)
    return catalog


async def _claim(
    uow: UnitOfWork,
    catalog: SaleCatalog,
    order_id: str,
    delta: ReservationDelta,
    all_or_nothing: bool,
    now: datetime,
    placing: Order | None = None,
) -> list[OrderLine]:
    """Claim what the delta asks for; with all_or_nothing a shortfall claims nothing.

    `placing`: a new order whose row is inserted with the first claim (its number set)."""
    for set_id in delta.claim_random:
        if set_id not in catalog.sets:
            raise SetUnknown(f"Set {set_id} not found in event {catalog.event.id}", set=set_id)
        catalog.sets[set_id].rule_at(now)
    await _ensure_in_event(uow, catalog.event.id, delta.claim_ids)
    claimed: list[ClaimedTicket] = []
    for set_id, count in delta.claim_random.items():
        if placing is not None:
            got, number = await uow.orders.add_claiming(placing, set_id, count)
            if number is not None:
                placing.number, placing = number, None
            claimed += got
        else:
            claimed += await uow.inventory.claim_random(set_id, count, order_id)
    if placing is not None and delta.claim_ids:  # not placed with a random claim yet
        placing.number = await uow.orders.add(placing)
    claimed += await uow.inventory.claim_ids(catalog.event.id, delta.claim_ids, order_id)
    if all_or_nothing and len(claimed) < delta.wanted:
        raise NotEnoughTickets(
            f"Not enough tickets: {len(claimed)} of {delta.wanted} available",
            wanted=delta.wanted,
            available=len(claimed),
        )
    return [_priced(catalog, ticket, now) for ticket in claimed]


async def _place_whole(
    uow: UnitOfWork,
    principal: Principal,
    catalog: SaleCatalog,
    order: Order,
    delta: ReservationDelta,
    request: ReservationRequest,
    now: datetime,
) -> bool:
    """The common reserve (random tickets of one set, no promo code) written as one unit by
    the store: the claim, the order, its lines and its journal. True when done (`order` then
    has its number and lines); False when fewer tickets were free than asked for but some
    were, so the general path decides (a partial claim, or all_or_nothing's refusal); no free
    ticket at all is refused here as the general path would."""
    [(set_id, count)] = delta.claim_random.items()
    if set_id not in catalog.sets:
        raise SetUnknown(f"Set {set_id} not found in event {catalog.event.id}", set=set_id)
    line = _priced(catalog, ClaimedTicket("", set_id, "", 0, None), now)
    # The journal as it will read, but for the ticket ids and the number, which the store
    # writes in from what it claims.
    audit, message = entries(
        replace(order, lines=[line] * count),
        actor=principal.actor,
        action="order.placed",
        from_status=None,
        now=now,
        details={"tickets": []},
    )
    picked, claimed, number = await uow.orders.place_claiming(
        order, set_id, count, line, now, audit, message
    )
    if claimed and number is not None:
        order.number = number
        order.lines = [_priced(catalog, ticket, now) for ticket in claimed]
        return True
    if picked == 0:
        if request.all_or_nothing:
            raise NotEnoughTickets(
                f"Not enough tickets: 0 of {delta.wanted} available",
                wanted=delta.wanted,
                available=0,
            )
        raise NotEnoughTickets("Not enough tickets", event=catalog.event.id)
    return False


async def _ensure_in_event(uow: UnitOfWork, event_id: str, ticket_ids: Sequence[str]) -> None:
    if not ticket_ids:
        return
    owners = await uow.inventory.events_of(ticket_ids)
    for ticket_id in ticket_ids:
        if owners.get(ticket_id) != event_id:
            raise TicketNotInEvent(
                f"ticket (id = {ticket_id}) does not belong to current event", ticket=ticket_id
            )


def _priced(catalog: SaleCatalog, ticket: ClaimedTicket, now: datetime) -> OrderLine:
    rule = catalog.sets[ticket.set_id].rule_at(now)
    return OrderLine(
        ticket_id=ticket.id,
        set_id=ticket.set_id,
        rule_id=rule.id,
        serial=ticket.serial,
        number=ticket.number,
        values=ticket_values(rule.price, catalog.fee),
        seat=ticket.seat,
    )


async def _change_reservation(
    db: Database,
    uow: UnitOfWork,
    principal: Principal,
    order: Order,
    request: ReservationRequest,
    now: datetime,
) -> bool:
    """Release and claim to reach the desired reservation; True when any line changed."""
    delta = plan_reservation(order.active_lines, request)
    ensure_reservation_allowed(order.status, delta)
    added: list[OrderLine] = []
    if delta.claims_anything:
        wanted = delta.claim_random.keys()
        catalog = await _catalog(db, uow, principal, order.event_id, now, wanted)
        added = await _claim(uow, catalog, order.id, delta, request.all_or_nothing, now)
    # Claims come first: under all_or_nothing a shortfall raises before anything is released.
    waiting = await waitlist.waiting_for_release(uow, order, delta.release)
    await uow.inventory.release(order.id, delta.release)
    await waitlist.offer_released(uow, order, delta.release, now, waiting=waiting)
    await uow.orders.end_lines(order.id, delta.release, LineState.RELEASED, now)
    await uow.orders.add_lines(order.id, added, now)
    released = set(delta.release)
    order.lines = [
        replace(line, state=LineState.RELEASED)
        if line.ticket_id in released and line.state is LineState.ACTIVE
        else line
        for line in order.lines
    ] + added
    if not delta.release and not added:
        return False
    await record(
        uow,
        order,
        actor=principal.actor,
        action="order.reservation_changed",
        from_status=order.status,
        now=now,
        details={
            "released": list(delta.release),
            "reserved": [line.ticket_id for line in added],
        },
    )
    return True


def _change_details(order: Order, change: OrderChange) -> None:
    ensure_details_changeable(order.status)
    if change.customer is not None:
        order.customer = {**order.customer, **change.customer}
    if change.payment is not None:
        order.payment = {**order.payment, **change.payment}
    if change.settings is not None:
        order.settings = {**order.settings, **change.settings}
    if change.vendor_data is not None:
        order.vendor_data = {**order.vendor_data, **change.vendor_data}


async def _snapshot(db: Database, uow: UnitOfWork, event_id: str) -> SaleCatalog:
    """The event's snapshot, on sale or not (pricing an order already placed)."""

    async def load() -> SaleCatalog | None:
        return await load_sale(uow, event_id)

    found = await snapshots(db).get(event_id, load)
    if found is None:
        raise EventUnknown(f"Event {event_id} not found", event=event_id)
    return found


async def _change_status(
    uow: UnitOfWork,
    principal: Principal,
    order: Order,
    target: OrderStatus,
    now: datetime,
    holds: Holds,
    flow: Flow,
) -> None:
    before = order.status
    if before is target:
        return
    ensure_transition(before, target, flow)
    if target is OrderStatus.IN_PROGRESS:
        order.reserved_till = now + holds.payment
    elif target is OrderStatus.DONE:
        await _mark_done(uow, order, now)
    order.status = target
    if target is OrderStatus.DONE:
        await _after_done(uow, order, now)
    await record(
        uow,
        order,
        actor=principal.actor,
        action=f"order.{target.value}",
        from_status=before,
        now=now,
    )


async def _mark_done(uow: UnitOfWork, order: Order, now: datetime) -> None:
    """Paid: held tickets become sold, each gets its barcode, the order its code; and when
    the seller asked for it, the buyer's tickets are e-mailed (by the worker, after commit)."""
    active = order.active_lines
    if not active:
        raise OrderNotChangeable("there is no tickets in order", order=order.id)
    email = order.customer.get("email")
    if order.send_tickets and not email:
        raise OrderNotChangeable(
            "send_tickets needs the customer's email", order=order.id, field="email"
        )
    barcodes = {line.ticket_id: new_barcode() for line in active}
    await uow.inventory.sell(order.id, list(barcodes))
    await uow.orders.set_barcodes(order.id, barcodes)
    order.lines = [
        replace(line, barcode=barcodes[line.ticket_id]) if line.ticket_id in barcodes else line
        for line in order.lines
    ]
    order.done_at = now
    order.code = new_order_code()
    if order.send_tickets:
        await enqueue_tickets_email(uow, order, now)


async def _after_done(uow: UnitOfWork, order: Order, now: datetime) -> None:
    """Loyalty bonuses for the buyer, once the order is done (its event may have a shop)."""
    await ticket_loyalty.settle(uow, order, now)


async def order_timeline(
    db: Database, principal: Principal, order_id: str
) -> tuple[str, list[AuditEntry]]:
    """Kassa's id of the order and every recorded state change of it, oldest first.

    A ticket order is seen by its organiser and its seller; delivery and loyalty orders by
    their organisation's key. `order_id` is Kassa's id or the face's own id of the order (see
    `cancellation.find`)."""
    async with db.unit_of_work(write=False) as uow:
        target = await cancellation.find(uow, principal, order_id)
        return target.order.id, await uow.audit.timeline(target.order.id)
