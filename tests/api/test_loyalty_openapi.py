"""The loyalty checkout face's OpenAPI document tells the truth: every documented example works
against the demo shop, and each answer is exactly what its documented model says."""

from decimal import Decimal
from typing import Any, get_args

import httpx
import orjson
import pytest
from pydantic import BaseModel, TypeAdapter

from kassa.app import demo
from kassa.core.loyalty import Entry
from kassa.faces import loyalty_admin_models as am
from kassa.faces import loyalty_models as m
from kassa.store.db import Database
from tests.conftest import create_app

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
    _payload(await _post(client, f"{c}/confirm", "confirm"), m.CheckoutDoneAnswer)
    changed = _payload(await _post(client, f"{c}/change", "change"), m.ChangeAnswer)
    assert Decimal(str(changed["order_total_change"])) < 0
    query = {**AUTH, "order_id": "A-2"}
    details = _payload(await client.get(f"{c}/details", params=query), m.CheckoutDetailsAnswer)
    assert details["status"] == "fulfilled"
    member = {**AUTH, "identifier": demo.MEMBER}
    _payload(await client.get(f"{c}/history", params=member), m.MemberHistoryAnswer)
    _payload(await _post(client, f"{c}/cancel", "cancel"), m.CheckoutDoneAnswer)
    history = _payload(await client.get(f"{c}/history", params=member), m.MemberHistoryAnswer)
    assert {o["id"]: o["status"] for o in history["orders"]} == {
        "A-2": "fulfilled",
        "A-1": "cancelled",
    }
    _payload(await _post(client, "/loyalty/members/join", "join"), m.MemberJoinAnswer)
    for path, model in (
        ("/loyalty/members/status", m.MemberStatusAnswer),
        ("/loyalty/bonuses/balance", m.BonusBalanceAnswer),
    ):
        _payload(await client.get(path, params=member), model)
        _payload(await _post(client, path, "member"), model)


async def test_details_before_any_change_has_no_order_total_change(
    client: httpx.AsyncClient, demo_data: demo.DemoInfo
) -> None:
    await _post(client, "/loyalty/checkout/apply", "apply")
    query = {**AUTH, "order_id": "A-1"}
    details = _payload(
        await client.get("/loyalty/checkout/details", params=query), m.CheckoutDetailsAnswer
    )
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


ADMIN = f"/api/v1/loyalty/shops/{demo.SHOP_ID}"
ORGANISER = {"Authorization": f"key {demo.ORG_KEY}"}


def _answer(response: httpx.Response, status: int, model: Any) -> Any:
    assert response.status_code == status, response.text
    return TypeAdapter(model).validate_json(response.content)


def _example_of(model: type[BaseModel]) -> Any:
    return model.model_json_schema()["examples"][0]


async def test_the_admin_api_answers_as_documented_with_amounts_as_strings(
    client: httpx.AsyncClient, demo_data: demo.DemoInfo
) -> None:
    post, put = client.post, client.put
    body = _example_of(am.LoyaltyShopCreate)
    _answer(
        await post("/api/v1/loyalty/shops", json=body, headers=ORGANISER),
        201,
        am.LoyaltyShopCreated,
    )
    _answer(await client.get("/api/v1/loyalty/shops", headers=ORGANISER), 200, list[am.LoyaltyShop])
    program = _example_of(am.ProgramIn)
    _answer(await put(f"{ADMIN}/program", json=program, headers=ORGANISER), 200, am.LoyaltyShop)
    promo = _example_of(am.ShopPromoCreate)
    found = await post(f"{ADMIN}/promo_codes", json=promo, headers=ORGANISER)
    assert _answer(found, 201, am.ShopPromoCode).value == "5.00"
    certificate = _example_of(am.ShopCertificateCreate)
    found = await post(f"{ADMIN}/certificates", json=certificate, headers=ORGANISER)
    assert _answer(found, 201, am.ShopCertificate).amount == "500.00"
    adjustment = _example_of(am.BonusAdjustment)
    found = await post(f"{ADMIN}/members/{demo.MEMBER}/adjust", json=adjustment, headers=ORGANISER)
    assert _answer(found, 200, am.BonusesAdjusted).bonuses_balance == "1100.00"
    found = await client.get(f"{ADMIN}/members/{demo.MEMBER}", headers=ORGANISER)
    assert [e.amount for e in _answer(found, 200, am.LoyaltyMember).ledger] == ["1000.00", "100.00"]
    event = f"{ADMIN}/events/{demo.EVENT_ID}"
    _answer(await put(event, headers=ORGANISER), 200, am.ShopEventLinked)
    _answer(await client.delete(event, headers=ORGANISER), 200, am.ShopEventUnlinked)


def test_the_documented_ledger_entries_are_the_ledger_s() -> None:
    assert set(get_args(am.EntryKind)) == {e.value for e in Entry}


def test_every_operation_names_each_of_its_tags_once() -> None:
    """A tag repeated on one operation (a router included in a router of the same tag) stops
    Swagger UI rendering every operation after it."""
    document = create_app(db=Database("sqlite://")).openapi()
    repeated = [
        (method, path, op["tags"])
        for path, item in document["paths"].items()
        for method, op in item.items()
        if len(op.get("tags", [])) != len(set(op.get("tags", [])))
    ]
    assert repeated == []
