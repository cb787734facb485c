"""Confirm settles what apply showed: the stored figures of the applied order, never a new
calculation against the balances of the moment; when the member can no longer cover what was
reserved, confirm refuses in REES46's words. On SQLite and PostgreSQL."""

import asyncio
from decimal import Decimal
from typing import Any

import httpx

from kassa.app import demo
from tests.api.test_loyalty import ADMIN, AUTH, MEMBER, ORGANISER, call, cart, ledger_state, ok

REFUSED = "Could not confirm order in its current status"


async def join(client: httpx.AsyncClient, identifier: str) -> str:
    joined = await client.post("/loyalty/members/join", json={**AUTH, "identifier": identifier})
    assert joined.status_code == 200, joined.text
    return identifier


async def adjust(client: httpx.AsyncClient, identifier: str, amount: int) -> None:
    done = await client.post(
        f"{ADMIN}/members/{identifier}/adjust",
        headers=ORGANISER,
        json={"amount": str(amount), "reason": "settlement test"},
    )
    assert done.status_code == 200, done.text


async def details(client: httpx.AsyncClient, order_id: str) -> dict[str, Any]:
    answer = await client.get("/loyalty/checkout/details", params={**AUTH, "order_id": order_id})
    assert answer.status_code == 200, answer.text
    payload: dict[str, Any] = answer.json()["payload"]
    return payload


async def ledger_spends(client: httpx.AsyncClient, identifier: str) -> dict[str, Decimal]:
    """Each order's bonuses spent, as the member's ledger holds them (spends less returns)."""
    answer = await client.get(f"{ADMIN}/members/{identifier}", headers=ORGANISER)
    assert answer.status_code == 200, answer.text
    spends: dict[str, Decimal] = {}
    for row in answer.json()["ledger"]:
        if row["account"] == "bonus" and row["entry"] in ("spend", "return"):
            order = row["order_id"]
            spends[order] = spends.get(order, Decimal(0)) - Decimal(str(row["amount"]))
    return spends


async def test_confirm_spends_what_apply_showed_not_bonuses_added_since(
    client: httpx.AsyncClient, demo_data: demo.DemoInfo
) -> None:
    member = await join(client, "79995550001")
    applied = await ok(
        client,
        "apply",
        order_id="SETTLE-1",
        identifier=member,
        charge_bonuses=True,
        cart_items=cart(("big", "5000", 1)),
    )
    assert Decimal(str(applied["bonuses_used"])) == 0
    assert Decimal(str(applied["order_to_pay"])) == Decimal(5000)
    await adjust(client, member, 400)
    await ok(client, "confirm", order_id="SETTLE-1")
    shown = await details(client, "SETTLE-1")
    assert shown["status"] == "fulfilled"
    assert Decimal(str(shown["bonuses_used"])) == 0
    assert (await ledger_spends(client, member)).get("SETTLE-1", Decimal(0)) == 0
    after = await ledger_state(client, member)
    assert after["bonuses"] == 400 + Decimal(str(applied["bonuses_reward"]))
    assert after["spent"] == Decimal(5000)


async def test_confirm_refuses_when_the_reserved_bonuses_were_taken_away(
    client: httpx.AsyncClient, demo_data: demo.DemoInfo
) -> None:
    before = await ledger_state(client, MEMBER)
    applied = await ok(
        client,
        "apply",
        order_id="SETTLE-2",
        identifier=MEMBER,
        charge_bonuses=True,
        cart_items=cart(("tv", "2000", 1)),
    )
    used = Decimal(str(applied["bonuses_used"]))
    assert used == 600
    await adjust(client, MEMBER, -700)  # 400 were left: the balance is now -300
    refused = await call(client, "confirm", order_id="SETTLE-2")
    assert refused.status_code == 400
    assert refused.json() == {"status": "error", "success": False, "payload": {"message": REFUSED}}
    assert (await details(client, "SETTLE-2"))["status"] == "created"
    assert (await ledger_state(client, MEMBER))["bonuses"] == before["bonuses"] - used - 700
    await adjust(client, MEMBER, 300)  # covered again
    await ok(client, "confirm", order_id="SETTLE-2")
    assert (await ledger_spends(client, MEMBER))["SETTLE-2"] == used
    reward = Decimal(str(applied["bonuses_reward"]))
    assert (await ledger_state(client, MEMBER))["bonuses"] == reward


async def test_confirm_refuses_stickers_another_order_already_used(
    client: httpx.AsyncClient, demo_data: demo.DemoInfo
) -> None:
    six = cart(("coffee", "150", 6))
    await ok(client, "apply", order_id="ST-0", identifier=MEMBER, cart_items=six)
    await ok(client, "confirm", order_id="ST-0")
    two = cart(("coffee", "150", 2))
    first = await ok(client, "apply", order_id="ST-1", identifier=MEMBER, cart_items=two)
    second = await ok(client, "apply", order_id="ST-2", identifier=MEMBER, cart_items=two)
    assert first["used_stickers"] == second["used_stickers"] == {"coffee": 6}
    await ok(client, "confirm", order_id="ST-1")
    refused = await call(client, "confirm", order_id="ST-2")
    assert refused.status_code == 400
    assert refused.json()["payload"]["message"] == REFUSED
    assert (await ledger_state(client, MEMBER))["stickers"] == {"coffee": 2}
    shown = await details(client, "ST-2")
    assert shown["status"] == "created" and shown["used_stickers"] == {"coffee": 6}


async def test_concurrent_apply_and_confirm_with_adjustments_settle_what_was_shown(
    client: httpx.AsyncClient, demo_data: demo.DemoInfo
) -> None:
    """Ten apply+confirm pairs of one member race, an operator's adjustment between each
    pair's two calls: every order's ledger spend is exactly the bonuses_used it shows."""
    member = await join(client, "79995550002")
    await adjust(client, member, 300)

    async def pair(i: int) -> httpx.Response:
        await ok(
            client,
            "apply",
            order_id=f"PAIR-{i}",
            identifier=member,
            charge_bonuses=True,
            cart_items=cart(("tv", "2000", 1)),
        )
        await adjust(client, member, 400 if i % 3 else -250)
        return await call(client, "confirm", order_id=f"PAIR-{i}")

    answers = await asyncio.gather(*(pair(i) for i in range(10)))
    spends = await ledger_spends(client, member)
    for i, answer in enumerate(answers):
        shown = await details(client, f"PAIR-{i}")
        assert spends.get(f"PAIR-{i}", Decimal(0)) == Decimal(str(shown["bonuses_used"])), i
        if answer.status_code == 200:
            assert shown["status"] == "fulfilled"
        else:
            assert answer.status_code == 400, answer.text
            assert answer.json()["payload"]["message"] == REFUSED
            assert shown["status"] == "created"
