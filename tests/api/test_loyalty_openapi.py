"""The loyalty checkout face's OpenAPI document tells the truth: every documented example works
against the demo shop, and each answer is exactly what its documented model says."""

from decimal import Decimal
from typing import Any

import httpx
import orjson
import pytest
from pydantic import BaseModel

from kassa.app import demo
from kassa.faces import loyalty_models as m
from kassa.server import create_app
from kassa.store.db import Database

AUTH = {"shop_id": demo.SHOP_ID, "shop_secret": demo.SHOP_SECRET}


def _payload(response: httpx.Response, model: type[BaseModel]) -> dict[str, Any]:
    assert response.status_code == 200, response.text
    answer = orjson.loads(response.content)
    model.model_validate_json(response.content)  # extra="forbid": no undocumented field
    payload: dict[str, Any] = answer["payload"]
    return payload


async def _post(client: httpx.AsyncClient, path: str, name: str) -> httpx.Response:
    """The operation's examples in turn; the last answer."""
    for body in m.EXAMPLES[name].values():
        response = await client.post(path, json=body)
        assert response.status_code == 200, response.text
    return response


async def test_every_documented_example_works_and_is_answered_as_documented(
    client: httpx.AsyncClient, demo_data: demo.DemoInfo
) -> None:
    c = "/loyalty/checkout"
    estimate = _payload(await _post(client, f"{c}/estimate", "estimate"), m.CheckoutAnswer)
    assert estimate["promo_codes"] == [demo.LOYALTY_PROMO] and estimate["certificates"]
    applied = _payload(await _post(client, f"{c}/apply", "apply"), m.CheckoutAnswer)
    assert applied["order_id"] == "A-2"
    _payload(await _post(client, f"{c}/confirm", "confirm"), m.DoneAnswer)
    changed = _payload(await _post(client, f"{c}/change", "change"), m.ChangeAnswer)
    assert Decimal(str(changed["order_total_change"])) < 0
    query = {**AUTH, "order_id": "A-2"}
    details = _payload(await client.get(f"{c}/details", params=query), m.DetailsAnswer)
    assert details["status"] == "fulfilled"
    member = {**AUTH, "identifier": demo.MEMBER}
    _payload(await client.get(f"{c}/history", params=member), m.HistoryAnswer)
    _payload(await _post(client, f"{c}/cancel", "cancel"), m.DoneAnswer)
    history = _payload(await client.get(f"{c}/history", params=member), m.HistoryAnswer)
    assert {o["id"]: o["status"] for o in history["orders"]} == {
        "A-2": "fulfilled",
        "A-1": "cancelled",
    }
    _payload(await _post(client, "/loyalty/members/join", "join"), m.JoinAnswer)
    for path, model in (
        ("/loyalty/members/status", m.StatusAnswer),
        ("/loyalty/bonuses/balance", m.BalanceAnswer),
    ):
        _payload(await client.get(path, params=member), model)
        _payload(await _post(client, path, "member"), model)


async def test_details_before_any_change_has_no_order_total_change(
    client: httpx.AsyncClient, demo_data: demo.DemoInfo
) -> None:
    await _post(client, "/loyalty/checkout/apply", "apply")
    query = {**AUTH, "order_id": "A-1"}
    details = _payload(await client.get("/loyalty/checkout/details", params=query), m.DetailsAnswer)
    assert "order_total_change" not in details and details["status"] == "created"


def test_status_and_balance_have_one_operation_per_method() -> None:
    document = create_app(db=Database("sqlite://")).openapi()
    ids = [
        op["operationId"]
        for path in ("/loyalty/members/status", "/loyalty/bonuses/balance")
        for op in document["paths"][path].values()
    ]
    assert ids == [
        "loyalty_member_status_get",
        "loyalty_member_status_post",
        "loyalty_bonuses_balance_get",
        "loyalty_bonuses_balance_post",
    ]


@pytest.mark.parametrize("order_id", [{"a": 1}, ["A-1"], True, "x" * 65])
async def test_an_order_id_that_is_no_id_is_bad_input(
    client: httpx.AsyncClient, demo_data: demo.DemoInfo, order_id: Any
) -> None:
    response = await client.post("/loyalty/checkout/confirm", json={**AUTH, "order_id": order_id})
    assert response.status_code == 400, response.text
    assert response.json()["status"] == "error"
