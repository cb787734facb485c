"""The ticketing face's OpenAPI document tells the truth: the answer models describe what the
face sends (also the keys only some answers carry), and the face sends what the spec says."""

from typing import Any

import httpx
from pydantic import BaseModel

from kassa.app import demo
from kassa.faces.ticketing import wire_models, wire_models_v2

V2_ORDERS = "/v2/resources/orders"
CUSTOMER = {"name": "Ivan Ivanov", "email": "hello@world.ru", "phone": "+79991234576"}


def conforms(model: type[BaseModel], body: Any) -> None:
    """`body` is an instance of the model's document schema (unknown keys are refused)."""
    model.model_validate(body)


async def _done_v2_order(client: httpx.AsyncClient, seller: dict[str, str]) -> dict[str, Any]:
    """A v2 order with a promo code, a customer and vendor data, paid."""
    created = await client.post(
        V2_ORDERS,
        headers=seller,
        json={
            "event": demo.V2_EVENT_ID,
            "random": {demo.V2_STALLS_SET_ID: 1},
            "promocodes": ["PROMO100", "NO-SUCH-CODE"],
            "settings": {"customer": CUSTOMER, "subscribe_agree": True},
            "vendor_data": {"order_id": "A-1", "raw": {"call": True, "n": 3}},
        },
    )
    assert created.status_code == 200, created.text
    conforms(wire_models_v2.OrderEnvelopeV2, created.json())
    assert created.json()["errors"][0]["code"] == "promocode_not_found"
    order_id = created.json()["data"]["id"]
    done = await client.patch(f"{V2_ORDERS}/{order_id}", headers=seller, json={"status": "done"})
    assert done.status_code == 200, done.text
    body: dict[str, Any] = done.json()
    return body


async def test_the_answer_models_describe_every_key_a_v2_order_can_carry(
    client: httpx.AsyncClient, seller: dict[str, str]
) -> None:
    body = await _done_v2_order(client, seller)
    conforms(wire_models_v2.OrderEnvelopeV2, body)
    assert {"done_at", "code"} <= set(body["data"])
    listed = await client.get(V2_ORDERS, headers=seller)
    conforms(wire_models_v2.OrderListV2, listed.json())


async def test_the_answer_models_describe_a_discounted_v1_order(
    client: httpx.AsyncClient, seller: dict[str, str]
) -> None:
    order_id = (await _done_v2_order(client, seller))["data"]["id"]
    v1 = await client.get(f"/v1/resources/orders/{order_id}", headers=seller)
    conforms(wire_models.OrderV1, v1.json())
    assert {"discount", "sets"} <= set(v1.json()["values"])
    tickets = await client.get(f"/v1/resources/orders/{order_id}/tickets", headers=seller)
    for ticket in tickets.json():
        conforms(wire_models.OrderTicketV1, ticket)


async def test_v1_names_a_customer_set_through_v2_in_v1_keys(
    client: httpx.AsyncClient, seller: dict[str, str]
) -> None:
    order_id = (await _done_v2_order(client, seller))["data"]["id"]
    v1 = (await client.get(f"/v1/resources/orders/{order_id}", headers=seller)).json()
    assert v1["customer"] == {
        "lang": "ru",
        "email": "hello@world.ru",
        "first_name": "Ivan",
        "last_name": "Ivanov",
        "mobile": "+79991234576",
    }


async def test_v1_lists_the_promo_codes_applied_to_the_order(
    client: httpx.AsyncClient, seller: dict[str, str]
) -> None:
    order_id = (await _done_v2_order(client, seller))["data"]["id"]
    v1 = (await client.get(f"/v1/resources/orders/{order_id}", headers=seller)).json()
    assert v1["promocodes"] == [demo.PROMO100_ID]


async def test_the_export_answers_and_documents_200_without_a_body(
    client: httpx.AsyncClient, seller: dict[str, str]
) -> None:
    answer = await client.post(
        f"{V2_ORDERS}/export", headers=seller, json={"email": "reports@example.com"}
    )
    assert answer.status_code == 200
    assert answer.content == b"" and "content-type" not in answer.headers
    assert answer.headers["X-Partner"] == demo.PARTNER_ID
    document = (await client.get("/openapi.json")).json()
    documented = document["paths"][f"{V2_ORDERS}/export"]["post"]["responses"]["200"]
    assert "content" not in documented
    assert documented["headers"]["X-Partner"]["required"] is True
