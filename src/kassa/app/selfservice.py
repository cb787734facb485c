"""Buyer self-service: what a signed link opens (one order's page), the buyer's cancel and
cancellation request, and an operator's decision on a request. Every cancel goes through the
one engine as the actor `buyer`; every step is on the order's timeline.

The link is all the buyer has, so everything here starts from it and reaches only its order:
a forged, altered or expired link, or one whose order has ended, is LinkInvalid (404).
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from kassa.app import cancellation
from kassa.app.access import visible_order
from kassa.app.cancellation.policies import charged
from kassa.app.ids import new_id
from kassa.app.journal import record
from kassa.app.mail_jobs import DECISION_EMAIL, enqueue_buyer_mail
from kassa.app.selflinks import Links, secret_of, signed
from kassa.app.views import OrderView, order_view
from kassa.core.cancellation import OrderKind, Override, Plan, Reason
from kassa.core.catalog import Event
from kassa.core.errors import (
    CatalogInvalid,
    EventNotFound,
    OrderNotCancellable,
    OrderNotChangeable,
)
from kassa.core.operators import Operator
from kassa.core.orders import Order
from kassa.core.selfservice import (
    BUYER,
    CancellationNeedsApproval,
    CancellationRequest,
    CancellationRequestDecided,
    CancellationRequestNotFound,
    CancellationRequestPending,
    LinkInvalid,
    RequestStatus,
    csrf_ok,
    csrf_token,
    still_open,
    verify,
)
from kassa.core.tenancy import Principal
from kassa.store.db import Database, UnitOfWork
from kassa.store.selfservice import SelfServiceRepo

BUYER_REASON = "customer_request"


@dataclass(frozen=True)
class BuyerPage:
    """What the buyer's page shows."""

    token: str
    expires_at: datetime
    view: OrderView
    plan: Plan
    needs_approval: bool
    pending: CancellationRequest | None

    @property
    def order(self) -> Order:
        return self.view.order


async def issue_link(
    db: Database,
    who: Principal,
    order_id: str,
    now: datetime,
    links: Links,
    ttl: timedelta | None = None,
) -> tuple[str, datetime]:
    """A link to the order's page for its buyer, for the organiser or the selling partner;
    an order that has ended gets none. Recorded on the order's timeline."""
    secret = await secret_of(db, links, now)
    async with db.unit_of_work() as uow:
        order = await visible_order(uow, who, order_id)
        if not still_open(order) or order.is_due(now):
            raise OrderNotChangeable(f"Order {order.id} has ended", order=order.id)
        url, expires_at = signed(links, secret, order.id, now, ttl)
        await record(
            uow,
            order,
            actor=who.actor,
            action="self_service.link_issued",
            from_status=order.status,
            now=now,
            details={"expires_at": expires_at.isoformat()},
        )
        await uow.commit()
    return url, expires_at


async def _order_of(uow: UnitOfWork, order_id: str, now: datetime, *, lock: bool) -> Order:
    order = await (uow.orders.lock(order_id) if lock else uow.orders.get(order_id))
    if order is None or not still_open(order) or order.is_due(now):
        raise LinkInvalid("This link is not valid")
    return order


async def _link(db: Database, links: Links, token: str, now: datetime) -> tuple[str, datetime]:
    return verify(await secret_of(db, links, now), token, now)


async def open_page(db: Database, links: Links, token: str, now: datetime) -> BuyerPage:
    """The order behind a genuine link, with the engine's preview of a whole cancel."""
    order_id, expires_at = await _link(db, links, token, now)
    async with db.unit_of_work(write=False) as uow:
        order = await _order_of(uow, order_id, now, lock=False)
        repo = SelfServiceRepo(uow.tx)
        needs = await repo.needs_approval(order.event_id)
        pending = await repo.pending_of_order(order.id)
    plan = await preview(db, order, now)
    view = await order_view(db, order, now)
    return BuyerPage(token, expires_at, view, plan, needs, pending)


async def preview(db: Database, order: Order, now: datetime, tickets: Sequence[str] = ()) -> Plan:
    """The engine's plan of cancelling the order (or these of its tickets), charged by the
    event's cancellation policy (its fee, and whether its window is still open)."""
    return await cancellation.preview(
        db,
        Principal(org_id=order.org_id),
        order.id,
        now,
        cancellation.Part(tickets=tuple(tickets)),
        kind=OrderKind.TICKETS,
        policy=True,
    )


async def preview_part(
    db: Database, links: Links, token: str, tickets: Sequence[str], now: datetime
) -> Plan:
    """The plan of cancelling these tickets (none named: the whole order), by link."""
    order_id, _ = await _link(db, links, token, now)
    async with db.unit_of_work(write=False) as uow:
        order = await _order_of(uow, order_id, now, lock=False)
    return await preview(db, order, now, _own(order, tickets))


def _own(order: Order, tickets: Sequence[str]) -> tuple[str, ...]:
    """The chosen tickets, each one the order still holds."""
    held = {line.ticket_id for line in order.active_lines}
    chosen = tuple(dict.fromkeys(t for t in tickets if t))
    if any(t not in held for t in chosen):
        raise CatalogInvalid("Choose tickets of this order")
    return chosen


async def buyer_cancel(
    db: Database,
    links: Links,
    token: str,
    tickets: Sequence[str],
    version: str | None,
    now: datetime,
) -> cancellation.Outcome:
    """The buyer cancels the order (or these tickets) by the plan the page showed, under the
    event's policy: its fee is kept, and outside its window the cancel is refused."""
    order_id, _ = await _link(db, links, token, now)
    async with db.unit_of_work(write=False) as uow:
        order = await _order_of(uow, order_id, now, lock=False)
        if await SelfServiceRepo(uow.tx).needs_approval(order.event_id):
            raise CancellationNeedsApproval("The organiser approves cancellations of this event")
    return await cancellation.cancel(
        db,
        Principal(org_id=order.org_id),
        order.id,
        now,
        cancellation.Part(tickets=_own(order, tickets)),
        reason=Reason(BUYER_REASON, "self-service"),
        version=version,
        actor=BUYER,
        kind=OrderKind.TICKETS,
        policy=True,
    )


async def request_cancel(
    db: Database,
    links: Links,
    token: str,
    tickets: Sequence[str],
    comment: str | None,
    now: datetime,
) -> CancellationRequest:
    """The buyer asks the organiser to cancel the order (or these tickets); one request is
    pending at a time."""
    order_id, _ = await _link(db, links, token, now)
    async with db.unit_of_work() as uow:
        order = await _order_of(uow, order_id, now, lock=True)
        repo = SelfServiceRepo(uow.tx)
        if await repo.pending_of_order(order.id) is not None:
            raise CancellationRequestPending("A cancellation request is already waiting")
        request = CancellationRequest(
            id=new_id(now),
            order_id=order.id,
            org_id=order.org_id,
            event_id=order.event_id,
            tickets=_own(order, tickets),
            comment=comment,
            status=RequestStatus.PENDING,
            requested_at=now,
        )
        await repo.add_request(request)
        await record(
            uow,
            order,
            actor=BUYER,
            action="cancellation.requested",
            from_status=order.status,
            now=now,
            reason=comment,
            details={"request": request.id, "tickets": list(request.tickets)},
        )
        await uow.commit()
    return request


def form_token(secret: str, token: str, nonce: str) -> str:
    return csrf_token(secret, token, nonce)


async def page_secret(db: Database, links: Links, now: datetime) -> str:
    return await secret_of(db, links, now)


def form_ok(secret: str, token: str, nonce: str, given: str) -> bool:
    return csrf_ok(secret, token, nonce, given)


@dataclass(frozen=True)
class RequestRow:
    """A request as the console lists it, with its order."""

    request: CancellationRequest
    order: Order


async def requests_of(
    db: Database, operator: Operator, statuses: Sequence[RequestStatus]
) -> list[RequestRow]:
    """The organisation's requests in these states, newest first."""
    async with db.unit_of_work(write=False) as uow:
        found = await SelfServiceRepo(uow.tx).requests(operator.org_id, statuses)
        rows = []
        for request in found:
            order = await uow.orders.get(request.order_id)
            if order is not None:
                rows.append(RequestRow(request, order))
    return rows


async def decide(
    db: Database,
    operator: Operator,
    request_id: str,
    *,
    approve: bool,
    reason: str | None,
    now: datetime,
) -> CancellationRequest:
    """Approve (the engine cancels, as the buyer asked) or decline a pending request; the
    buyer is told by e-mail either way. One transaction: the decision, the cancel, the
    timeline and the e-mail stand or fall together, and two operators deciding at once
    decide once (the second is CancellationRequestDecided, or 409 on the locked order)."""
    status = RequestStatus.APPROVED if approve else RequestStatus.DECLINED
    actor = f"operator:{operator.email}"
    async with db.unit_of_work() as uow:
        repo = SelfServiceRepo(uow.tx)
        request = await repo.request(request_id)
        if request is None or request.org_id != operator.org_id:
            raise CancellationRequestNotFound(f"Request {request_id} not found")
        if request.status is not RequestStatus.PENDING:
            raise CancellationRequestDecided(f"Request {request_id} is {request.status} already")
        target = await cancellation.find(
            uow, None, request.order_id, kind=OrderKind.TICKETS, lock=True
        )
        if not await repo.decide(request.id, status, actor, reason, now):
            raise CancellationRequestDecided(f"Request {request.id} was decided meanwhile")
        order: Order = target.order
        if approve:
            if target.kind.due(order, now):  # the sweeper expires it; nothing to approve
                raise OrderNotCancellable(f"Order {order.id} is not cancellable", order=order.id)
            part = cancellation.Part(tickets=request.tickets)
            outcome = await cancellation.cancel_locked(
                uow,
                target,
                now,
                part,
                reason=Reason(BUYER_REASON, reason or "approved request"),
                version=None,
                actor=BUYER,
                extra={"request": request.id, "approved_by": operator.email},
                policy=True,
                override=await _approval_override(uow, target, part, actor, now),
            )
            order = outcome.order
        await record(
            uow,
            order,
            actor=actor,
            action=f"cancellation.request_{status.value}",
            from_status=order.status,
            now=now,
            reason=reason,
            details={"request": request.id},
        )
        await _mail_decision(uow, order, request, status, reason, now)
        await uow.commit()
    return CancellationRequest(
        **{**request.__dict__, "status": status, "decided_at": now, "decided_by": actor}
    )


async def _approval_override(
    uow: UnitOfWork, target: cancellation.Target, part: cancellation.Part, by: str, now: datetime
) -> Override | None:
    """An approval keeps the fee the event's policy asks; past the policy's window the
    organiser's approval is itself the override (recorded as such), still at that fee."""
    plan = await target.kind.plan(uow, target.order, part, now)
    charge = (await charged(uow, target.kind, target.order, plan, now, None)).charge
    if charge.allowed:
        return None
    return Override(by=by, reason="approved cancellation request", fee=charge.policy_fee)


async def _mail_decision(
    uow: UnitOfWork,
    order: Order,
    request: CancellationRequest,
    status: RequestStatus,
    reason: str | None,
    now: datetime,
) -> None:
    await enqueue_buyer_mail(
        uow,
        order,
        DECISION_EMAIL,
        now,
        approved=status is RequestStatus.APPROVED,
        tickets=len(request.tickets),
        reason=reason,
    )


async def set_needs_approval(
    db: Database, who: Principal, event_id: str, needs: bool, now: datetime
) -> None:
    """The organiser's rule for an event: buyers cancel themselves, or ask and wait."""
    async with db.unit_of_work() as uow:
        event = await uow.catalog.event(event_id)
        if event is None or not who.is_organiser or event.org_id != who.org_id:
            raise EventNotFound(f"Event {event_id} not found", event=event_id)
        await SelfServiceRepo(uow.tx).set_needs_approval(event_id, event.org_id, needs, now)
        await uow.commit()


async def approval_events(db: Database, org_id: str) -> set[str]:
    """The organisation's events whose cancellations need an operator's approval."""
    async with db.unit_of_work(write=False) as uow:
        return await SelfServiceRepo(uow.tx).approval_events(org_id)


async def event_rules(db: Database, org_id: str) -> list[tuple[Event, bool]]:
    """The organisation's events, each with whether its cancellations need approval."""
    async with db.unit_of_work(write=False) as uow:
        found = await uow.catalog.events_of(org_id)
        needing = await SelfServiceRepo(uow.tx).approval_events(org_id)
    return [(event, event.id in needing) for event in found]
