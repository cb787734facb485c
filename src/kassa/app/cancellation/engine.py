"""The one cancellation engine: every cancel of every kind of order goes through here.

Two commands, each one transaction: `preview` (the plan, nothing changes) and `cancel` (apply
exactly that plan, refused with 409 when the caller's `version` is not the order's any more).
`cancel_locked` is the same step for a command that already holds the order in its own
transaction (a PATCH that cancels, a refund's approval). An order whose hold ran out is
expired instead of cancelled, here and only here.
"""

import random
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from kassa.app.cancellation.delivery import DeliveryOrders
from kassa.app.cancellation.kinds import SYSTEM, WHOLE, Kind, Part
from kassa.app.cancellation.loyalty import LoyaltyOrders
from kassa.app.cancellation.policies import charged, check_override
from kassa.app.cancellation.tickets import TicketOrders
from kassa.core.cancellation import (
    OrderKind,
    Override,
    Plan,
    Reason,
    check_reason,
    ensure_allowed,
    plan_json,
)
from kassa.core.cancellation.tickets import EXPIRED
from kassa.core.errors import (
    OrderAmbiguous,
    OrderBusy,
    OrderChanged,
    OrderNotCancellable,
    OrderNotFound,
)
from kassa.core.tenancy import Principal
from kassa.store.db import Database, UnitOfWork

KINDS: Sequence[Kind] = (TicketOrders(), DeliveryOrders(), LoyaltyOrders())


@dataclass(frozen=True)
class Target:
    """An order found for a caller, with the kind that knows how to cancel it."""

    kind: Kind
    order: Any


@dataclass(frozen=True)
class Outcome:
    """What a cancel did: the plan applied, the order as it is now, and the plan's wire form
    (`plan_json`, as the timeline recorded it)."""

    plan: Plan
    order: Any
    shown: dict[str, Any]


def target_of(kind: OrderKind, order: Any) -> Target:
    """An order a command already holds, with its kind."""
    return Target(next(k for k in KINDS if k.kind is kind), order)


async def find(
    uow: UnitOfWork,
    who: Principal | None,
    order_id: str,
    *,
    kind: OrderKind | None = None,
    lock: bool = False,
    policy: bool = False,
) -> Target:
    """The order by Kassa's id or, failing that, by a face's own id of it, for this caller.

    Kassa's id always wins. A face's own id (a ticket order's number, the aggregator's
    eatsId, a shop's order_id) is looked up only in the caller's organisation; when it names
    several orders the caller sees (two shops' `A-1`, a shop's `1001` and ticket order 1001),
    nothing is guessed: OrderAmbiguous lists them by Kassa's id. Kassa itself (`who` None)
    finds orders by Kassa's id only. `policy`: the caller charges the plan under the order's
    cancellation policy next (`Kind.find`)."""
    kinds = [k for k in KINDS if kind is None or k.kind is kind]
    for candidate in kinds:
        found = await candidate.find(uow, who, order_id, lock=lock, policy=policy)
        if found is not None:
            return Target(candidate, found)
    if who is not None:
        refs = [(k, ref) for k in kinds for ref in await k.refs(uow, who, order_id)]
        if len(refs) > 1:
            raise OrderAmbiguous(
                f"Order {order_id} names {len(refs)} orders; ask by Kassa's id: "
                + ", ".join(f"{k.kind.value} {ref}" for k, ref in refs),
                order=order_id,
                candidates=[{"id": ref, "face": k.kind.value} for k, ref in refs],
            )
        if refs:
            candidate, ref = refs[0]
            found = await candidate.find(uow, who, ref, lock=lock, policy=policy)
            if found is not None:
                return Target(candidate, found)
    raise OrderNotFound(f"Order {order_id} not found", order=order_id)


async def preview(
    db: Database,
    who: Principal,
    order_id: str,
    now: datetime,
    part: Part = WHOLE,
    *,
    kind: OrderKind | None = None,
    policy: bool = False,
    override: Override | None = None,
) -> Plan:
    """What a cancel of the order (or `part` of it) would do; nothing changes. With `policy`,
    the plan carries the fee and window of the order's cancellation policy."""
    check_override(who, override)
    async with db.unit_of_work(write=False) as uow:
        target = await find(uow, who, order_id, kind=kind, policy=policy)
        plan = await target.kind.plan(uow, target.order, part, now)
        if policy:
            plan = await charged(uow, target.kind, target.order, plan, now, override)
        return plan


async def cancel(
    db: Database,
    who: Principal,
    order_id: str,
    now: datetime,
    part: Part = WHOLE,
    *,
    reason: Reason | None,
    version: str | None = None,
    actor: str | None = None,
    kind: OrderKind | None = None,
    extra: dict[str, Any] | None = None,
    policy: bool = False,
    override: Override | None = None,
) -> Outcome:
    """Cancel the order (or `part` of it) by its plan, as `actor` (default: the caller).
    With `policy`, the order's cancellation policy charges its fee and refuses a cancel
    outside its window, unless the organiser's `override` says otherwise."""
    check_override(who, override)
    async with db.unit_of_work() as uow:
        target = await find(uow, who, order_id, kind=kind, lock=True, policy=policy)
        if target.kind.due(target.order, now):
            await _expire(uow, target, now)
            await uow.commit()
            raise OrderNotCancellable(f"Order {order_id} is not cancellable", order=order_id)
        outcome = await cancel_locked(
            uow,
            target,
            now,
            part,
            reason=reason,
            version=version,
            actor=actor or who.actor,
            extra=extra,
            policy=policy,
            override=override,
        )
        await uow.commit()
    return outcome


async def cancel_locked(
    uow: UnitOfWork,
    target: Target,
    now: datetime,
    part: Part = WHOLE,
    *,
    reason: Reason | None,
    version: str | None,
    actor: str,
    system: bool = False,
    extra: dict[str, Any] | None = None,
    policy: bool = False,
    override: Override | None = None,
) -> Outcome:
    """The cancel inside the caller's transaction, on an order it holds locked."""
    if reason is not None and reason.code is not None:
        check_reason(target.kind.kind, reason.code, system=system)
    plan = await target.kind.plan(uow, target.order, part, now)
    if policy:
        plan = await charged(uow, target.kind, target.order, plan, now, override)
    if version is not None and version != plan.version:
        raise OrderChanged(
            f"Order {plan.order_id} changed since the preview", order=plan.order_id, version=version
        )
    if policy:
        ensure_allowed(plan.charge, plan.order_id)
    return await _apply(uow, target, replace(plan, reason=reason), actor, now, extra)


async def _apply(
    uow: UnitOfWork,
    target: Target,
    plan: Plan,
    actor: str,
    now: datetime,
    extra: dict[str, Any] | None = None,
) -> Outcome:
    order = await target.kind.apply(uow, target.order, plan, actor, now)
    shown = plan_json(plan)
    await target.kind.record(uow, order, plan, actor, now, {**shown, **(extra or {})})
    return Outcome(plan, order, shown)


async def _expire(uow: UnitOfWork, target: Target, now: datetime) -> Outcome:
    plan = await target.kind.plan(uow, target.order, WHOLE, now, expire=True)
    return await _apply(uow, target, replace(plan, reason=EXPIRED), SYSTEM, now)


async def expire_if_due(db: Database, order_id: str, now: datetime) -> bool:
    """Expire one order if its hold ran out; False when it is not due, gone or busy."""
    async with db.unit_of_work() as uow:
        try:
            target = await find(uow, None, order_id, kind=OrderKind.TICKETS, lock=True)
        except (OrderBusy, OrderNotFound):
            return False
        if not target.kind.due(target.order, now):
            return False
        await _expire(uow, target, now)
        await uow.commit()
    return True


async def expire_due(db: Database, now: datetime, batch: int = 100, max_batches: int = 50) -> int:
    """The sweeper's pass: expire due orders in batches, one transaction per order.

    Several workers may sweep at once: each takes the due orders in its own random order and
    skips any order another transaction holds (NOWAIT), so they share the work instead of
    queueing on the same rows; an order is expired exactly once.
    """
    expired = 0
    for _ in range(max_batches):
        async with db.unit_of_work(write=False) as uow:
            due = await uow.orders.due_for_expiry(now, batch)
        if not due:
            break
        random.shuffle(due)
        done = 0
        for order_id in due:
            done += await expire_if_due(db, order_id, now)
        expired += done
        if done == 0:  # what is left is being expired by others right now
            break
    return expired
