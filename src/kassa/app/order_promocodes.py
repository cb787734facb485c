"""An order's promo code: the first of the codes sent that applies is taken (its use counted
in SQL), the one it replaces is given back, and the tickets are repriced by it."""

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime

from kassa.app.journal import record
from kassa.core import promocodes as promo
from kassa.core.orders import Order
from kassa.core.pricing import FeePolicy, ticket_values
from kassa.core.promocodes import PromoCode, PromoFailure
from kassa.store.db import UnitOfWork


@dataclass(frozen=True)
class PromoOutcome:
    """What `apply_promocodes` did: the codes that failed, and the codes the order holds now
    as the command read them (a view of the order needs no read of its own)."""

    failures: list[PromoFailure] = field(default_factory=list)
    held: dict[str, PromoCode] = field(default_factory=dict)


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
) -> PromoOutcome:
    """Make the order hold the first of `codes` that applies, and price its tickets by it.

    `codes` is the desired state: `[]` gives the current code back; codes that all fail leave
    the current one in place. `None` re-checks the current code after a reservation change: a
    code the order no longer qualifies for (too few tickets) is given back.
    """
    current_id = order.promocodes[0] if order.promocodes else None
    current = (await uow.promos.many([current_id])).get(current_id) if current_id else None
    sets = [line.set_id for line in order.active_lines]
    if codes is None:
        chosen, failures = _recheck_promocode(current, sets, now)
    else:
        chosen, failures = await _pick_promocode(uow, order, codes, current, current_id, sets, now)
    changed = (chosen and chosen.id) != (current and current.id)
    if changed and current is not None:
        await uow.promos.give_back_use(current.id)
    order.promocodes = [chosen.id] if chosen is not None else []
    await _reprice(uow, fee, order, chosen)
    if failures or changed:
        actor = "system" if codes is None else order.vendor_id
        await _record_promocodes(uow, order, actor, current, chosen, failures, now)
    return PromoOutcome(failures, {chosen.id: chosen} if chosen is not None else {})


def _recheck_promocode(
    current: PromoCode | None, sets: Sequence[str], now: datetime
) -> tuple[PromoCode | None, list[PromoFailure]]:
    """After a reservation change the held code stays only while the order still qualifies."""
    failure = promo.check(current, sets, now, held=True) if current else None
    return (current, []) if failure is None else (None, [failure])


async def _pick_promocode(
    uow: UnitOfWork,
    order: Order,
    codes: Sequence[str],
    current: PromoCode | None,
    current_id: str | None,
    sets: Sequence[str],
    now: datetime,
) -> tuple[PromoCode | None, list[PromoFailure]]:
    """The first of `codes` that applies, its use taken, and why each other one failed. No
    codes at all gives the current one back; codes that all fail keep it."""
    picked: PromoCode | None = None
    failures: list[PromoFailure] = []
    for code in codes:
        candidate = await uow.promos.by_code(order.event_id, code)
        failure = await _take_promocode(uow, candidate, current_id, picked is not None, sets, now)
        if failure is not None:
            failures.append(failure)
            continue
        picked = candidate
    return (picked if picked is not None or not codes else current), failures


async def _take_promocode(
    uow: UnitOfWork,
    candidate: PromoCode | None,
    current_id: str | None,
    one_picked: bool,
    sets: Sequence[str],
    now: datetime,
) -> PromoFailure | None:
    """Why `candidate` cannot be the order's code, or None once it is (a new code's use is
    taken in SQL, so the last use goes to one order only)."""
    held = candidate is not None and candidate.id == current_id
    failure = promo.check(candidate, sets, now, held=held)
    if failure is None and one_picked:
        failure = promo.apply_info("an order takes one promo code")
    taken = failure is None and candidate is not None and not held
    if taken and candidate and not await uow.promos.take_use(candidate):
        failure = promo.already_used()
    return failure


async def _record_promocodes(
    uow: UnitOfWork,
    order: Order,
    actor: str,
    current: PromoCode | None,
    chosen: PromoCode | None,
    failures: Sequence[PromoFailure],
    now: datetime,
) -> None:
    """The journal entry of a change of the order's promo code, or of codes that failed."""
    await record(
        uow,
        order,
        actor=actor,
        action="order.promocodes_changed",
        from_status=order.status,
        now=now,
        details={
            "promocodes": list(order.promocodes),
            "released": [current.id] if current and current is not chosen else [],
            "failed": [f.code for f in failures],
        },
    )


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
