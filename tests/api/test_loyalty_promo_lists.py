"""REES46 promo-code lists over HTTP, on SQLite and PostgreSQL: upload, hand out (concurrently
too), list, delete, purge, and a list code through checkout: reserved, used, given back."""

import asyncio
from decimal import Decimal
from typing import Any

import httpx
import pytest

from tests.api.test_loyalty import ADMIN, AUTH, MEMBER, ORGANISER, ok

pytestmark = pytest.mark.usefixtures("demo_data")


async def _list(client: httpx.AsyncClient, list_id: str, **extra: Any) -> dict[str, Any]:
    body = {"id": list_id, "name": f"List {list_id}", "kind": "fix", "value": "100", **extra}
    answer = await client.post(f"{ADMIN}/promo_code_lists", json=body, headers=ORGANISER)
    assert answer.status_code == 201, answer.text
    created: dict[str, Any] = answer.json()
    return created


async def _upload(client: httpx.AsyncClient, list_id: Any, codes: list[str]) -> httpx.Response:
    return await client.post("/promo_codes", json={**AUTH, "id": list_id, "codes": codes})


async def _fetch(client: httpx.AsyncClient, list_id: str, **query: str) -> httpx.Response:
    return await client.get("/promo_codes/fetch", params={**AUTH, "id": list_id, **query})


async def _lists(client: httpx.AsyncClient, **query: str) -> list[dict[str, Any]]:
    answer = await client.get("/promo_codes", params={**AUTH, **query})
    assert answer.status_code == 200, answer.text
    assert answer.json()["success"] is True
    found: list[dict[str, Any]] = answer.json()["payload"]
    return found


async def test_codes_are_uploaded_once_and_handed_out_first_in_first_out(
    client: httpx.AsyncClient,
) -> None:
    created = await _list(client, "SUMMER")
    assert created["issue_order"] == "fifo" and created["value"] == 100
    first = await _upload(client, "SUMMER", ["s-1", "S-2", "S-3"])
    assert first.status_code == 200, first.text
    assert first.json()["payload"] == {"added_count": 3}
    again = await _upload(client, "SUMMER", ["S-3", "S-4", "SALE10"])  # S-3 there already
    assert again.json()["payload"] == {"added_count": 2}
    assert await _lists(client) == [{"id": "SUMMER", "name": "List SUMMER", "available": 5}]
    handed = [(await _fetch(client, "SUMMER")).json() for _ in range(3)]
    assert handed == [{"code": "S-1"}, {"code": "S-2"}, {"code": "S-3"}]
    assert (await _lists(client))[0]["available"] == 2

    await _list(client, "LIFO", issue_order="lifo")
    await _upload(client, "LIFO", ["L-1", "L-2"])
    assert (await _fetch(client, "LIFO")).json() == {"code": "L-2"}
    assert [x["id"] for x in await _lists(client, active="1", exclude="SUMMER")] == ["LIFO"]
    assert [x["id"] for x in await _lists(client, include="SUMMER", limit="1")] == ["SUMMER"]


async def test_an_empty_list_is_404_and_a_device_keeps_its_code(
    client: httpx.AsyncClient,
) -> None:
    await _list(client, "7")
    await _upload(client, 7, ["D-1", "D-2"])
    device = {"shop_id": AUTH["shop_id"], "id": "7", "did": "device-1"}
    one = await client.get("/promo_codes/fetch", params=device)
    assert one.status_code == 200, one.text
    assert (await client.get("/promo_codes/fetch", params=device)).json() == one.json()
    other = await client.get("/promo_codes/fetch", params={**device, "did": "device-2"})
    assert other.json()["code"] != one.json()["code"]
    empty = await _fetch(client, "7")
    assert empty.status_code == 404
    assert empty.json()["payload"]["message"] == "No free promo code in the list"
    anonymous = await client.get(
        "/promo_codes/fetch", params={"shop_id": AUTH["shop_id"], "id": "7"}
    )
    assert anonymous.status_code == 400
    unknown = await client.get(
        "/promo_codes/fetch", params={"shop_id": "nope", "id": "7", "did": "x"}
    )
    assert unknown.status_code == 401
    assert unknown.json()["payload"]["message"] == "Shop not found"


async def test_concurrent_fetches_never_hand_out_one_code_twice(client: httpx.AsyncClient) -> None:
    await _list(client, "RUSH")
    await _upload(client, "RUSH", [f"R-{i}" for i in range(20)])
    answers = await asyncio.gather(*(_fetch(client, "RUSH") for _ in range(30)))
    statuses = sorted(a.status_code for a in answers)
    codes = [a.json()["code"] for a in answers if a.status_code == 200]
    assert sorted(codes) == sorted(f"R-{i}" for i in range(20)), (statuses, answers[-1].text)
    assert statuses == [200] * 20 + [404] * 10


async def test_a_list_code_is_reserved_used_and_given_back_by_checkout(
    client: httpx.AsyncClient,
) -> None:
    await _list(client, "GIFT", value="150")
    await _upload(client, "GIFT", ["G-1"])
    cart = [{"product_id": "latte", "price": Decimal("500"), "quantity": 1}]
    applied = await ok(
        client, "apply", identifier=MEMBER, order_id="P-1", cart_items=cart, promo_codes=["g-1"]
    )
    assert applied["order_to_pay"] == 350, applied
    # Held by P-1: another order cannot take it meanwhile.
    other = await ok(client, "estimate", order_id="P-2", cart_items=cart, promo_codes=["G-1"])
    assert other["order_to_pay"] == 500
    assert [f["code"] for f in other["promo_codes_failed"]] == ["G-1"], other
    # An order holds it: it cannot be deleted or purged.
    kept = await client.request(
        "DELETE",
        "/promo_codes/delete",
        json={**AUTH, "promo_code_list_id": "GIFT", "codes": ["G-1", "NOPE"]},
    )
    assert kept.json()["payload"] == {"deleted_count": 0, "not_found_count": 2}
    await ok(client, "confirm", order_id="P-1")
    await ok(client, "cancel", order_id="P-1")
    again = await ok(client, "estimate", order_id="P-3", cart_items=cart, promo_codes=["G-1"])
    assert again["order_to_pay"] == 350, "the cancel gave the code back"


async def test_delete_and_purge(client: httpx.AsyncClient) -> None:
    await _list(client, "OLD")
    await _upload(client, "OLD", ["O-1", "O-2", "O-3", "O-4"])
    handed = (await _fetch(client, "OLD")).json()["code"]
    deleted = await client.request(
        "DELETE",
        "/promo_codes/delete",
        json={**AUTH, "promo_code_list_id": "OLD", "codes": ["O-2", "O-9"]},
    )
    assert deleted.status_code == 200, deleted.text
    assert deleted.json()["payload"] == {"deleted_count": 1, "not_found_count": 1}
    purged = await client.request("DELETE", "/promo_codes/purge", json={**AUTH, "id": "OLD"})
    assert purged.status_code == 200 and purged.json()["status"] == "success"
    assert (await _lists(client))[0]["available"] == 0
    cart = [{"product_id": "latte", "price": Decimal("500"), "quantity": 1}]
    still = await ok(client, "estimate", order_id="P-9", cart_items=cart, promo_codes=[handed])
    assert still["order_to_pay"] == 400, "a handed-out code survives the purge"
    unknown = await client.request("DELETE", "/promo_codes/purge", json={**AUTH, "id": "NONE"})
    assert unknown.status_code == 404


async def test_bad_input_and_other_tenants(client: httpx.AsyncClient, new_tenant: Any) -> None:
    await _list(client, "X")
    duplicate = await client.post(
        f"{ADMIN}/promo_code_lists",
        json={"id": "X", "name": "again", "kind": "fix", "value": "1"},
        headers=ORGANISER,
    )
    assert duplicate.status_code == 400
    bad = await client.post(
        f"{ADMIN}/promo_code_lists",
        json={"name": "p", "kind": "percent", "value": "101"},
        headers=ORGANISER,
    )
    assert bad.status_code == 400
    assert (await _upload(client, "X", [])).status_code == 400
    assert (await _upload(client, "X", ["x" * 65])).status_code == 400
    assert (await _upload(client, "NONE", ["A"])).status_code == 404
    wrong_secret = await client.get("/promo_codes", params={**AUTH, "shop_secret": "0" * 32})
    assert wrong_secret.status_code == 403
    assert wrong_secret.json()["payload"]["message"] == "API secret is not correct"
    other = await new_tenant()
    foreign = await client.post(
        f"{ADMIN}/promo_code_lists",
        json={"name": "mine", "kind": "fix", "value": "1"},
        headers=other.organiser,
    )
    assert foreign.status_code == 404
