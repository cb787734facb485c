"""Money on the wire: the organisation's service fee, per-ticket half-up rounding, totals."""

from collections.abc import Awaitable, Callable
from datetime import timedelta
from decimal import Decimal

import httpx
import pytest

from kassa.core.pricing import FeePolicy
from tests.api.helpers import Tenant, create_order, patch_order
from tests.conftest import FakeClock

NewTenant = Callable[..., Awaitable[Tenant]]
FEE = FeePolicy(percent=Decimal("5"), fixed=Decimal("1.12"))
PERCENT_ONLY = FeePolicy(percent=Decimal("5"))


@pytest.mark.parametrize(
    ("fee", "price", "count", "per_ticket", "order"),
    [
        # 5 % of 100.00 = 5.00, + 1.12 fixed = 6.12 per ticket.
        (FEE, "100.00", 1, ("100.00", "6.12", "106.12"), ("100.00", "6.12", "106.12")),
        (FEE, "100.00", 2, ("100.00", "6.12", "106.12"), ("200.00", "12.24", "212.24")),
        # 5 % of 33.35 = 1.6675 -> 1.67; + 1.12 = 2.79; the fee is rounded per ticket.
        (FEE, "33.35", 3, ("33.35", "2.79", "36.14"), ("100.05", "8.37", "108.42")),
        (PERCENT_ONLY, "33.35", 1, ("33.35", "1.67", "35.02"), ("33.35", "1.67", "35.02")),
        # Ties: 5 % of 33.30 = 1.665 and of 10.50 = 0.525 round half-up (half-even: down).
        (PERCENT_ONLY, "33.30", 2, ("33.30", "1.67", "34.97"), ("66.60", "3.34", "69.94")),
        (PERCENT_ONLY, "10.50", 1, ("10.50", "0.53", "11.03"), ("10.50", "0.53", "11.03")),
        (PERCENT_ONLY, "0.10", 1, ("0.10", "0.01", "0.11"), ("0.10", "0.01", "0.11")),
        # 5 % of 0.09 = 0.0045 -> 0.00: below half a cent rounds down.
        (PERCENT_ONLY, "0.09", 1, ("0.09", "0.00", "0.09"), ("0.09", "0.00", "0.09")),
        # A free ticket carries no fee, not even the fixed part.
        (FEE, "0.00", 2, ("0.00", "0.00", "0.00"), ("0.00", "0.00", "0.00")),
        (
            FeePolicy(),
            "99999.99",
            3,
            ("99999.99", "0.00", "99999.99"),
            ("299999.97", "0.00", "299999.97"),
        ),
    ],
    ids=[
        "fee-100",
        "fee-100x2",
        "fee-33.35x3",
        "pct-33.35",
        "tie-33.30x2",
        "tie-10.50",
        "tie-0.10",
        "under-half-0.09",
        "free",
        "no-fee-large",
    ],
)
async def test_order_values_with_a_fee_policy(
    client: httpx.AsyncClient,
    new_tenant: NewTenant,
    fee: FeePolicy,
    price: str,
    count: int,
    per_ticket: tuple[str, str, str],
    order: tuple[str, str, str],
) -> None:
    tenant = await new_tenant(fee=fee, price=Decimal(price), capacity=5)
    nominal, extra, full = order

    placed = await create_order(
        client, tenant.seller, tenant.event_id, random={tenant.set_id: count}
    )

    assert len(placed["tickets"]) == count
    assert placed["values"] == {"extra": extra, "full": full, "nominal": nominal}
    assert (placed["value"], placed["value_extra"]) == (full, extra)
    assert placed["rules"] == {tenant.set_id: tenant.rule_id}
    # The catalogue shows the same per-ticket split: buyer's price, organiser's part, fee.
    sets = await client.get(f"/v1/resources/events/{tenant.event_id}/sets", headers=tenant.seller)
    [shown] = sets.json()
    assert (shown["price_org"], shown["price_extra"], shown["price"]) == per_ticket
    assert (shown["rules"][0]["price_org"], shown["rules"][0]["price"]) == (
        per_ticket[0],
        per_ticket[2],
    )
    # Each ticket of the order carries its full price.
    tickets = await client.get(
        f"/v1/resources/orders/{placed['id']}/tickets", headers=tenant.seller
    )
    assert [t["price"] for t in tickets.json()] == [per_ticket[2]] * count


async def test_values_follow_reservation_changes(
    client: httpx.AsyncClient, new_tenant: NewTenant
) -> None:
    tenant = await new_tenant(fee=FEE, price=Decimal("33.35"), capacity=10)
    placed = await create_order(client, tenant.seller, tenant.event_id, random={tenant.set_id: 1})
    assert placed["values"] == {"extra": "2.79", "full": "36.14", "nominal": "33.35"}

    grown = await patch_order(client, tenant.seller, placed["id"], random={tenant.set_id: 7})
    assert grown["values"] == {"extra": "19.53", "full": "252.98", "nominal": "233.45"}
    assert (grown["value"], grown["value_extra"]) == ("252.98", "19.53")

    shrunk = await patch_order(client, tenant.seller, placed["id"], random={tenant.set_id: 2})
    assert shrunk["values"] == {"extra": "5.58", "full": "72.28", "nominal": "66.70"}
    # Cancelled, the order still shows what it was worth.
    canceled = await patch_order(client, tenant.seller, placed["id"], status="canceled")
    assert canceled["values"] == shrunk["values"]
    assert canceled["value"] == "72.28"


async def test_a_price_rule_is_charged_with_the_fee(
    client: httpx.AsyncClient, new_tenant: NewTenant, clock: FakeClock
) -> None:
    tenant = await new_tenant(fee=FEE, price=Decimal("100.00"))
    start = clock() - timedelta(minutes=1)
    response = await client.post(
        f"/v1/resources/events/{tenant.event_id}/sets/{tenant.set_id}/rules",
        headers=tenant.organiser,
        json={"price": "49.70", "start": start.isoformat()},
    )
    assert response.status_code == 201, response.text
    [window] = [r for r in response.json()["rules"] if r["id"] != tenant.rule_id]
    # 5 % of 49.70 = 2.485 -> 2.49 (half-up), + 1.12 = 3.61.
    assert (window["current"], window["price_org"], window["price_extra"], window["price"]) == (
        True,
        "49.70",
        "3.61",
        "53.31",
    )

    placed = await create_order(client, tenant.seller, tenant.event_id, random={tenant.set_id: 2})

    assert placed["rules"] == {tenant.set_id: window["id"]}
    assert placed["values"] == {"extra": "7.22", "full": "106.62", "nominal": "99.40"}
