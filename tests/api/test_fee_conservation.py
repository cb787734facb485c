"""Conservation under a cancellation policy, property-based: any policy (fixed fee, percent,
fee per ticket, service fee kept), any sold order, any sequence of partial cancels (some with
an operator's override) and then a full cancel through Kassa's API: every ticket is back on
sale, and the money paid is exactly the refunds plus the fees kept, each fee being what the
policy (or the override) says, never negative, never above that cancel's refund. Each example
runs on a loop of its own against the real app and database (SQLite and PostgreSQL)."""

from collections import Counter
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kassa.config import Settings
from kassa.core.pricing import FeePolicy
from kassa.store.db import Database
from tests.api.helpers import Tenant, make_tenant
from tests.conftest import FakeClock, create_app, run_sync

ORDERS = "/v2/resources/orders"
CENT = Decimal("0.01")
amounts = st.decimals(min_value=0, max_value=150, places=2, allow_nan=False)

scenarios = st.fixed_dictionaries(
    {
        "fixed_fee": amounts,
        "percent": st.decimals(min_value=0, max_value=100, places=2, allow_nan=False),
        "per_ticket": amounts,
        "keep_service_fee": st.booleans(),
        "count": st.integers(1, 4),
        # (which ticket, override: None | waive (-1) | a fee)
        "cuts": st.lists(
            st.tuples(st.integers(0, 9), st.none() | st.just(Decimal(-1)) | amounts),
            max_size=3,
        ),
    }
)


def expected_fee(s: dict[str, Any], tickets: list[dict[str, Any]], override: Any) -> Decimal:
    """The fee, computed apart from Kassa's code: the policy's sum, capped at the refund."""
    gross = sum((Decimal(t["full"]) for t in tickets), Decimal(0))
    if override is not None:
        asked = Decimal(0) if override < 0 else override
    else:
        percent = (gross * s["percent"] / 100).quantize(CENT, rounding=ROUND_HALF_UP)
        service = sum((Decimal(t["extra"]) for t in tickets), Decimal(0))
        asked = s["fixed_fee"] + percent + s["per_ticket"] * len(tickets)
        asked += service if s["keep_service_fee"] else 0
    return max(Decimal(0), min(asked, gross))


async def _tickets(http: httpx.AsyncClient, tenant: Tenant) -> dict[str, int]:
    listed = await http.get(
        f"/v1/resources/events/{tenant.event_id}/tickets", headers=tenant.organiser
    )
    return dict(Counter(t["status"] for t in listed.json()))


async def _cancel(
    http: httpx.AsyncClient,
    tenant: Tenant,
    order_id: str,
    tickets: list[str] | None,
    override: Decimal | None,
) -> dict[str, Any]:
    body: dict[str, Any] = {"reason": "customer_request"}
    if tickets:
        body["tickets"] = tickets
    if override is not None:
        body["override"] = {"reason": "goodwill"}
        if override >= 0:
            body["override"]["fee"] = str(override)
    answer = await http.post(
        f"/api/v1/orders/{order_id}/cancellation", headers=tenant.organiser, json=body
    )
    assert answer.status_code == 200, answer.text
    plan: dict[str, Any] = answer.json()
    return plan


async def _scenario(url: str, tenant: Tenant, s: dict[str, Any]) -> None:
    db = Database(url, pool_size=4)
    app = create_app(Settings(database_url=url), db=db, clock=FakeClock())
    try:
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://kassa.test"
        ) as http:
            terms = {k: str(s[k]) for k in ("fixed_fee", "percent", "per_ticket")}
            policy = await http.put(
                f"/api/v1/events/{tenant.event_id}/cancellation_policy",
                headers=tenant.organiser,
                json={"paid": {**terms, "keep_service_fee": s["keep_service_fee"]}},
            )
            assert policy.status_code == 200, policy.text
            start = await _tickets(http, tenant)
            body = {"event": tenant.event_id, "random": {tenant.set_id: s["count"]}}
            made = await http.post(ORDERS, headers=tenant.seller, json=body)
            assert made.status_code == 200, made.text
            order_id = made.json()["data"]["id"]
            sold = await http.patch(
                f"{ORDERS}/{order_id}", headers=tenant.seller, json={"status": "done"}
            )
            assert sold.status_code == 200, sold.text
            held = {t["id"]: t for t in sold.json()["data"]["tickets"]}
            paid = sum((Decimal(t["full"]) for t in held.values()), Decimal(0))
            refunded = kept = Decimal(0)
            for pick, override in s["cuts"]:
                if len(held) < 2:
                    break
                one = sorted(held)[pick % len(held)]
                plan = await _cancel(http, tenant, order_id, [one], override)
                fee, net = Decimal(plan["fee"]["amount"]), Decimal(plan["refund"]["amount"])
                assert fee == expected_fee(s, [held.pop(one)], override)
                assert net >= 0
                refunded, kept = refunded + net, kept + fee
            plan = await _cancel(http, tenant, order_id, None, None)
            fee, net = Decimal(plan["fee"]["amount"]), Decimal(plan["refund"]["amount"])
            assert fee == expected_fee(s, list(held.values()), None) and net >= 0
            refunded, kept = refunded + net, kept + fee
            assert refunded + kept == paid  # money in equals money out, the fees kept exactly
            assert await _tickets(http, tenant) == start  # every ticket back on sale
    finally:
        await db.dispose()


@pytest.fixture
def tenant(database_url: str) -> Tenant:
    """An organisation whose tickets carry a service fee (7.5 % + 3.00 on 100.00)."""

    async def make() -> Tenant:
        db = Database(database_url, pool_size=2)
        try:
            fee = FeePolicy(percent=Decimal("7.5"), fixed=Decimal("3.00"))
            return await make_tenant(
                db, FakeClock()(), fee=fee, price=Decimal("100.00"), capacity=20
            )
        finally:
            await db.dispose()

    return run_sync(make())


@settings(
    max_examples=20,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(scenario=scenarios)
def test_fees_are_kept_exactly_and_tickets_and_money_are_conserved(
    database_url: str, tenant: Tenant, scenario: dict[str, Any]
) -> None:
    run_sync(_scenario(database_url, tenant, scenario))
