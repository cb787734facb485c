"""A ticket order's promo code: which one it holds, given back when it no longer applies, and
the tickets priced by it. Used by a PATCH's promo-code action and after a partial cancel."""

from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime

from kassa.app.journal import record
from kassa.core import promocodes as promo
from kassa.core.orders import Order
from kassa.core.pricing import FeePolicy, ticket_values
from kassa.core.promocodes import PromoCode, PromoFailure
from kassa.store.db import UnitOfWork


async def recheck_promocodes(uow: UnitOfWork, order: Order, now: datetime) -> None:
    """After tickets left the order: give its code back if it no longer applies, reprice."""
    fee = await uow.tenants.fee_policy(order.org_id)
    await apply_promocodes(uow, fee, order, None, now)


async def apply_promocodes(
    uow: UnitOfWork,
    fee: FeePolicy,
    order: Order,
    codes: Sequence[str] | None,
    now: datetime,
) -> list[PromoFailure]:
    """Make the order hold the first of `codes` that applies, and price its tickets by it.

    `codes` is the desired state: `[]` gives the current code back; codes that all fail leave
    the current one in place. `None` re-checks the current code after a reservation change: a
    code the order no longer qualifies for (too few tickets) is given back.
    """
    current_id = order.promocodes[0] if order.promocodes else None
    current = (await uow.promos.many([current_id])).get(current_id) if current_id else None
    sets = [line.set_id for line in order.active_lines]
    failures: list[PromoFailure] = []
    chosen = current
    if codes is None:
        failure = promo.check(current, sets, now, held=True) if current else None
        if failure is not None:
            failures.append(failure)
            chosen = None
    else:
        picked: PromoCode | None = None
        for code in codes:
            candidate = await uow.promos.by_code(order.event_id, code)
            held = candidate is not None and candidate.id == current_id
            failure = promo.check(candidate, sets, now, held=held)
            if failure is None and picked is not None:
                failure = promo.apply_info("an order takes one promo code")
            taken = failure is None and candidate is not None and not held
            if taken and candidate and not await uow.promos.take_use(candidate.id):
                failure = promo.already_used()
            if failure is not None:
                failures.append(failure)
                continue
            picked = candidate
        if picked is not None or not codes:
            chosen = picked
    if current is not None and (chosen is None or chosen.id != current.id):
        await uow.promos.give_back_use(current.id)
    order.promocodes = [chosen.id] if chosen is not None else []
    await _reprice(uow, fee, order, chosen)
    if failures or (chosen and chosen.id) != (current and current.id):
        await record(
            uow,
            order,
            actor="system" if codes is None else order.vendor_id,
            action="order.promocodes_changed",
            from_status=order.status,
            now=now,
            details={
                "promocodes": list(order.promocodes),
                "released": [current.id] if current and current is not chosen else [],
                "failed": [f.code for f in failures],
            },
        )
    return failures


async def _reprice(uow: UnitOfWork, fee: FeePolicy, order: Order, chosen: PromoCode | None) -> None:
    """Each active ticket's discount, nominal, fee and full by the order's code (or none)."""
    active = sorted(order.active_lines, key=lambda line: (line.set_id, line.number))
    discounts = promo.line_discounts([(line.set_id, line.values.price) for line in active], chosen)
    repriced = {
        line.ticket_id: replace(line, values=ticket_values(line.values.price, fee, discount))
        for line, discount in zip(active, discounts, strict=True)
        if line.values.discount != discount
    }
    if not repriced:
        return
    order.lines = [repriced.get(line.ticket_id, line) for line in order.lines]
    if order.number:  # lines of an order not inserted yet are written with it
        await uow.orders.reprice_lines(order.id, list(repriced.values()))
