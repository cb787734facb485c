"""The delivery face, its admin API, webhooks and timelines answer as /openapi.json documents,
also where schemathesis cannot reach (an order's own id), on SQLite and PostgreSQL; and the
documented examples work against the demo."""

from typing import Any, get_args

import httpx
import jsonschema_rs
import pytest

from kassa.app import demo
from kassa.app.outbox import drain
from kassa.core.delivery import Status
from kassa.faces import delivery_models as wire
from kassa.faces.delivery_admin import MENU_EXAMPLES
from kassa.faces.webhooks_api import ENDPOINT_EXAMPLES
from kassa.store.db import Database
from tests.api.helpers import Receiver
from tests.api.test_delivery import ORGANISER, R, send, token
from tests.conftest import FakeClock


@pytest.fixture
async def document(client: httpx.AsyncClient) -> dict[str, Any]:
    return (await client.get("/openapi.json")).json()


def conforms(document: dict[str, Any], method: str, path: str, answer: httpx.Response) -> Any:
    """The answer's status is documented for the operation and its body matches the schema."""
    documented = document["paths"][path][method.lower()]["responses"]
    assert str(answer.status_code) in documented, (answer.status_code, answer.text)
    content = documented[str(answer.status_code)].get("content")
    if not content:
        assert answer.content == b"", answer.content
        return None
    schema = {**content["application/json"]["schema"], "components": document["components"]}
    body = answer.json()
    errors = [e.message for e in jsonschema_rs.validator_for(schema).iter_errors(body)]
    assert not errors, (path, errors, body)
    return body


async def test_the_documented_statuses_are_the_core_ones() -> None:
    assert set(get_args(wire.DeliveryStatus)) == {s.value for s in Status}


async def test_an_order_of_each_kind_reads_back_as_documented(
    client: httpx.AsyncClient, demo_data: demo.DemoInfo, document: dict[str, Any]
) -> None:
    auth = await token(client)
    for example in wire.ORDER_EXAMPLES.values():
        created = conforms(
            document, "POST", "/order", await send(client, "POST", "/order", auth, example)
        )
        order_id = created["orderId"]
        read = await client.get(f"/order/{order_id}", headers=auth)
        body = conforms(document, "GET", "/order/{order_id}", read)
        assert body["deliveryInfo"] == example["deliveryInfo"]
        changed = await send(client, "PUT", f"/order/{order_id}", auth, example)
        conforms(document, "PUT", "/order/{order_id}", changed)
        courier = wire.COURIER_EXAMPLES["assigned"]
        moved = await send(client, "PUT", f"/order/{order_id}/courier", auth, courier)
        conforms(document, "PUT", "/order/{order_id}/courier", moved)
        status = await client.get(f"/order/{order_id}/status", headers=auth)
        conforms(document, "GET", "/order/{order_id}/status", status)
    steps = f"/api/v1/delivery/orders/{order_id}/status"
    step = await client.post(steps, headers=ORGANISER, json={"status": "ACCEPTED_BY_RESTAURANT"})
    conforms(document, "POST", "/api/v1/delivery/orders/{order_id}/status", step)
    listed = await client.get("/api/v1/delivery/orders", headers=ORGANISER)
    assert len(conforms(document, "GET", "/api/v1/delivery/orders", listed)) >= 3
    cancel = wire.STATUS_EXAMPLES["cancelled"]
    pushed = await send(client, "PUT", f"/order/{order_id}/status", auth, cancel)
    assert pushed.status_code == 204
    conforms(document, "PUT", "/order/{order_id}/status", pushed)
    status = await client.get(f"/order/{order_id}/status", headers=auth)
    assert conforms(document, "GET", "/order/{order_id}/status", status)["reason"] == (
        "client.does_not_want_to_wait"
    )
    again = {"eatsId": wire.ORDER_EXAMPLES["pickup"]["eatsId"]}
    deleted = await send(client, "DELETE", f"/order/{order_id}", auth, again)
    conforms(document, "DELETE", "/order/{order_id}", deleted)
    timeline = await client.get(f"/api/v1/orders/{order_id}/timeline", headers=ORGANISER)
    conforms(document, "GET", "/api/v1/orders/{order_id}/timeline", timeline)


async def test_the_catalogue_reads_as_documented(
    client: httpx.AsyncClient, demo_data: demo.DemoInfo, document: dict[str, Any]
) -> None:
    auth = await token(client)
    conforms(document, "GET", "/restaurants", await client.get("/restaurants", headers=auth))
    for part in ("composition", "availability", "promos"):
        answer = await client.get(f"/menu/{R}/{part}", headers=auth)
        conforms(document, "GET", f"/menu/{{restaurant_id}}/{part}", answer)
    menu = f"/api/v1/delivery/restaurants/{R}/menu"
    path = "/api/v1/delivery/restaurants/{restaurant_id}/menu"
    conforms(document, "GET", path, await client.get(menu, headers=ORGANISER))
    example = MENU_EXAMPLES["price and stock"]["value"]
    conforms(document, "PUT", path, await client.put(menu, headers=ORGANISER, json=example))


async def test_the_stop_list_is_whole_portions_with_its_modifiers(
    client: httpx.AsyncClient, demo_data: demo.DemoInfo
) -> None:
    """Yandex requires `modifiers` beside `items`, and an integer stock."""
    menu = {"items": [{"id": "pelmeni", "name": "Пельмени", "price": "420", "stock": "2.5"}]}
    put = await client.put(f"/api/v1/delivery/restaurants/{R}/menu", headers=ORGANISER, json=menu)
    assert put.status_code == 200, put.text
    answer = await client.get(f"/menu/{R}/availability", headers=await token(client))
    assert answer.json()["modifiers"] == []
    assert {"itemId": "pelmeni", "stock": 2} in answer.json()["items"]
    assert '"stock":2,' in answer.text or '"stock":2}' in answer.text


@pytest.mark.parametrize(
    "kept",
    [
        {"paymentInfo": "CARD"},
        {"deliveryInfo": "Ivan, +79990000001"},
        {"deliveryInfo": {"clientName": 5}},
        {"paymentInfo": {"itemsCost": "820"}},
        {"persons": "two"},
        {"promos": {"type": "GIFT"}},
    ],
)
async def test_parts_kept_as_sent_must_have_their_types(
    client: httpx.AsyncClient, demo_data: demo.DemoInfo, kept: dict[str, Any]
) -> None:
    """They come back in GET /order (a string paymentInfo made it answer 500) and feed the
    loyalty earning on DELIVERED (a string deliveryInfo made that 500): 400 at the door."""
    auth = await token(client)
    body = {**wire.ORDER_EXAMPLES["yandex"], **kept}
    created = await send(client, "POST", "/order", auth, body)
    assert created.status_code == 400, created.text
    assert created.json()[0]["code"] == 100
    fine = await send(client, "POST", "/order", auth, wire.ORDER_EXAMPLES["yandex"])
    order_id = fine.json()["orderId"]
    changed = await send(client, "PUT", f"/order/{order_id}", auth, body)
    assert changed.status_code == 400, changed.text
    assert (await client.get(f"/order/{order_id}", headers=auth)).status_code == 200


async def test_a_courier_body_of_the_wrong_shape_is_refused(
    client: httpx.AsyncClient, demo_data: demo.DemoInfo
) -> None:
    auth = await token(client)
    order_id = (await send(client, "POST", "/order", auth, wire.ORDER_EXAMPLES["yandex"])).json()[
        "orderId"
    ]
    wrong = await send(client, "PUT", f"/order/{order_id}/courier", auth, {"courier": "Pyotr"})
    assert wrong.status_code == 400 and wrong.json()[0]["code"] == 100


async def test_webhook_endpoints_answer_as_documented(
    client: httpx.AsyncClient,
    demo_data: demo.DemoInfo,
    document: dict[str, Any],
    db: Database,
    clock: FakeClock,
) -> None:
    base = "/api/v1/webhooks"
    async with Receiver(status=200) as receiver:
        example = {**ENDPOINT_EXAMPLES["orders and delivery"]["value"], "url": receiver.url}
        added = await client.post(f"{base}/endpoints", headers=ORGANISER, json=example)
        endpoint = conforms(document, "POST", f"{base}/endpoints", added)
        listed = await client.get(f"{base}/endpoints", headers=ORGANISER)
        conforms(document, "GET", f"{base}/endpoints", listed)
        auth = await token(client)
        await send(client, "POST", "/order", auth, wire.ORDER_EXAMPLES["yandex"])
        async with httpx.AsyncClient(trust_env=False) as http:
            await drain(db, http, clock())
    deliveries = await client.get(f"{base}/deliveries", headers=ORGANISER)
    found = conforms(document, "GET", f"{base}/deliveries", deliveries)
    assert found and found[0]["state"] == "delivered"
    replayed = await client.post(f"{base}/deliveries/{found[0]['id']}/replay", headers=ORGANISER)
    conforms(document, "POST", f"{base}/deliveries/{{delivery_id}}/replay", replayed)
    pending = await client.get(f"{base}/deliveries", headers=ORGANISER)
    conforms(document, "GET", f"{base}/deliveries", pending)
    removed = await client.delete(f"{base}/endpoints/{endpoint['id']}", headers=ORGANISER)
    assert conforms(document, "DELETE", f"{base}/endpoints/{{endpoint_id}}", removed) == {}
