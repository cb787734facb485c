"""Cancellation policies in the one engine: the charge of a plan under its owner's policy, and
the commands that set and read a policy (an event's, a restaurant's, a loyalty shop's).

Only the callers that opt in (Kassa's own cancellation API and the console) are charged; a
partner face's cancel, an approved refund and an expiry are free (see README, "Cancellation
policies")."""

from dataclasses import replace
from datetime import datetime

from kassa.app.cancellation.kinds import Kind
from kassa.core.cancellation import Override, Plan, Policy, Scope, assess, version_of
from kassa.core.errors import (
    ActionForbidden,
    EventNotFound,
    LoyaltyNotFound,
    RestaurantNotFound,
)
from kassa.core.tenancy import Principal
from kassa.store.db import Database, UnitOfWork


async def charged(
    uow: UnitOfWork, kind: Kind, order: object, plan: Plan, now: datetime, override: Override | None
) -> Plan:
    """The plan with its fee and window under the owner's policy. The version folds in the
    policy, so a policy changed since the preview is refused as a changed order; an override
    does not change the version (the operator decides on the plan they saw)."""
    policy, basis = await kind.basis(uow, order, plan)
    charge = assess(policy, basis, now, override)
    if policy is None:
        return replace(plan, charge=charge)
    version = version_of(plan.kind, plan.order_id, [plan.version, policy.fingerprint()])
    return replace(plan, charge=charge, version=version)


def check_override(who: Principal, override: Override | None) -> None:
    """Only the organiser (its key, or a console operator) may override a policy."""
    if override is not None and not who.is_organiser:
        raise ActionForbidden("Only the organiser may override the cancellation policy")


async def _ensure_owner(uow: UnitOfWork, who: Principal, scope: Scope, scope_id: str) -> None:
    """The owner exists in the caller's organisation (else a 404, like an id nobody has)."""
    if scope is Scope.EVENT:
        event = await uow.catalog.event(scope_id)
        if event is None or event.org_id != who.org_id or who.restaurant_id or who.shop_id:
            raise EventNotFound(f"Event {scope_id} not found", event=scope_id)
    elif scope is Scope.RESTAURANT:
        restaurant = await uow.delivery.restaurant(scope_id)
        if (
            restaurant is None
            or restaurant.org_id != who.org_id
            or who.restaurant_id not in (None, scope_id)
            or who.shop_id
        ):
            raise RestaurantNotFound(f"Restaurant {scope_id} not found", restaurant=scope_id)
    else:
        shop = await uow.loyalty.shop(scope_id)
        if (
            shop is None
            or shop.org_id != who.org_id
            or who.shop_id not in (None, scope_id)
            or who.restaurant_id
        ):
            raise LoyaltyNotFound(f"Shop {scope_id} not found", shop=scope_id)


async def get_policy(db: Database, who: Principal, scope: Scope, scope_id: str) -> Policy:
    """The owner's policy; with none set, the free one (cancel any time, no fee)."""
    async with db.unit_of_work(write=False) as uow:
        await _ensure_owner(uow, who, scope, scope_id)
        return await uow.policies.get(scope, scope_id) or Policy(scope, scope_id)


async def set_policy(db: Database, who: Principal, policy: Policy, now: datetime) -> Policy:
    """Replace the owner's policy (the organiser only); cancels from now on are charged by it."""
    if not who.is_organiser:
        raise ActionForbidden("Only the organiser sets cancellation policies")
    async with db.unit_of_work() as uow:
        await _ensure_owner(uow, who, policy.scope, policy.scope_id)
        await uow.policies.put(who.org_id, policy, now, who.actor)
        await uow.commit()
    return replace(policy, updated_at=now)


async def remove_policy(db: Database, who: Principal, scope: Scope, scope_id: str) -> None:
    """Drop the owner's policy: cancels are free again."""
    if not who.is_organiser:
        raise ActionForbidden("Only the organiser sets cancellation policies")
    async with db.unit_of_work() as uow:
        await _ensure_owner(uow, who, scope, scope_id)
        await uow.policies.remove(scope, scope_id)
        await uow.commit()
