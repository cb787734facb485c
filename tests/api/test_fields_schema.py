"""v1 `?fields-schema=` over HTTP (spec ticketing.md 1.11), on SQLite and PostgreSQL."""

from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import pytest

from kassa.app import demo
from kassa.faces.ticketing import fields_shapes as shapes
from kassa.faces.ticketing.fields_schema import Obj
from tests.api.helpers import ORDERS, SIMPLE_EVENTS, Tenant, create_order, order_url

EVENT = demo.EVENT_ID
STALLS = demo.STALLS_SET_ID
SPEC_EXAMPLE = "id,tickets{id,serial},event{title{text}}"


async def _get(client: httpx.AsyncClient, url: str, headers: dict[str, str], schema: str) -> Any:
    response = await client.get(url, headers=headers, params={"fields-schema": schema})
    assert response.status_code == 200, response.text
    return response.json()


async def test_the_spec_example_expands_tickets_and_event(
    client: httpx.AsyncClient, seller: dict[str, str]
) -> None:
    order = await create_order(client, seller, EVENT, random={STALLS: 2})
    tickets = {
        t["id"]: t
        for t in (await client.get(order_url(order["id"]) + "/tickets", headers=seller)).json()
    }

    shown = await _get(client, order_url(order["id"]), seller, SPEC_EXAMPLE)

    assert shown == {
        "id": order["id"],
        "tickets": [{"id": t, "serial": tickets[t]["serial"]} for t in order["tickets"]],
        "event": {"title": {"text": "Demo concert"}},
    }


async def test_percent_encoded_braces_in_the_url_work_too(
    client: httpx.AsyncClient, seller: dict[str, str]
) -> None:
    order = await create_order(client, seller, EVENT, random={STALLS: 1})
    url = (
        order_url(order["id"])
        + "?fields-schema=id,tickets%7Bid,serial%7D,event%7Btitle%7Btext%7D%7D"
    )

    encoded = await client.get(url, headers=seller)

    assert encoded.status_code == 200
    assert encoded.json() == await _get(client, order_url(order["id"]), seller, SPEC_EXAMPLE)


async def test_org_alone_answers_just_org(
    client: httpx.AsyncClient, seller: dict[str, str]
) -> None:
    order = await create_order(client, seller, EVENT, random={STALLS: 1})

    assert await _get(client, order_url(order["id"]), seller, "org") == {"org": demo.ORG_ID}


async def test_a_ticket_without_a_seat_shows_an_empty_seat(
    client: httpx.AsyncClient, seller: dict[str, str]
) -> None:
    order = await create_order(client, seller, EVENT, random={STALLS: 1})

    shown = await _get(
        client, order_url(order["id"]), seller, "tickets{id,serial,number,seat{row,number}}"
    )

    (ticket,) = shown["tickets"]
    assert set(ticket) == {"id", "serial", "number", "seat"}
    assert ticket["seat"] == {}
    assert ticket["id"] == order["tickets"][0]


async def test_lists_cut_each_element_and_expand_each_event_once(
    client: httpx.AsyncClient, seller: dict[str, str]
) -> None:
    first = await create_order(client, seller, EVENT, random={STALLS: 1})
    second = await create_order(client, seller, EVENT, random={STALLS: 2})

    shown = await _get(client, ORDERS, seller, "id,event{id,status},tickets{set{name}}")

    by_id = {o["id"]: o for o in shown}
    assert set(by_id) >= {first["id"], second["id"]}
    for order in shown:
        assert order["event"] == {"id": EVENT, "status": "public"}
    assert [t["set"] for t in by_id[second["id"]]["tickets"]] == [{"name": "Партер"}] * 2


async def test_post_and_patch_answers_follow_the_schema(
    client: httpx.AsyncClient, seller: dict[str, str]
) -> None:
    created = await client.post(
        ORDERS,
        headers=seller,
        params={"fields-schema": "id,status"},
        json={"event": EVENT, "random": {STALLS: 1}},
    )
    assert created.status_code == 201
    assert set(created.json()) == {"id", "status"}

    changed = await client.patch(
        order_url(created.json()["id"]),
        headers=seller,
        params={"fields-schema": "status,customer{email}"},
        json={"customer": {"email": "a@example.com"}},
    )
    assert changed.status_code == 200
    assert changed.json() == {"status": "executed", "customer": {"email": "a@example.com"}}


async def test_catalogue_resources_take_the_schema(
    client: httpx.AsyncClient, organiser: dict[str, str], seller: dict[str, str]
) -> None:
    events = await _get(client, "/v1/resources/events", seller, "id,sets{id,price}")
    assert {"id": EVENT, "sets": events[0]["sets"]} in events
    assert all(set(s) == {"id", "price"} for e in events for s in e["sets"])
    simple = await _get(client, SIMPLE_EVENTS, seller, "id,venue{name,city{name}}")
    assert all(set(e) == {"id", "venue"} for e in simple)
    one = await _get(client, f"/v1/resources/events/{EVENT}", seller, "title{text},org{id}")
    assert one["org"] == {"id": demo.ORG_ID} and set(one["title"]) == {"text"}
    sets = await _get(client, f"/v1/resources/events/{EVENT}/sets", seller, "id,rules{price}")
    assert sets and all(set(s) == {"id", "rules"} for s in sets)
    tickets = await _get(
        client, f"/v1/resources/events/{EVENT}/tickets", seller, "status,seat{row},set{id}"
    )
    assert tickets and all(t["seat"] == {} and set(t["set"]) == {"id"} for t in tickets)
    assert {t["set"]["id"] for t in tickets} >= {STALLS}


async def test_promocodes_expand_their_sets(
    client: httpx.AsyncClient, organiser: dict[str, str]
) -> None:
    url = f"/v1/resources/events/{EVENT}/promocodes"
    created = await client.post(
        url,
        headers=organiser,
        params={"fields-schema": "code,sets{id}"},
        json={"code": "FIELDS", "discount": {"fix": "10.00"}, "sets": [STALLS]},
    )
    assert created.status_code == 201, created.text
    assert created.json() == {"code": "FIELDS", "sets": [{"id": STALLS}]}
    listed = await _get(client, url, organiser, "code,event{id}")
    assert {"code": "FIELDS", "event": {"id": EVENT}} in listed


@pytest.mark.parametrize(
    ("schema", "reason"),
    [
        ("id,,{", "empty field name"),
        ("tickets{id", "unclosed"),
        ("id}", "unmatched"),
        ("", "empty field name"),
        ("status{x}", "is not an object"),
        ("bogus", "unknown field 'bogus'"),
        ("event{bogus}", "unknown field 'event.bogus'"),
    ],
)
async def test_a_bad_schema_is_a_400_listing_the_reason(
    client: httpx.AsyncClient, seller: dict[str, str], schema: str, reason: str
) -> None:
    order = await create_order(client, seller, EVENT, random={STALLS: 1})

    response = await client.get(
        order_url(order["id"]), headers=seller, params={"fields-schema": schema}
    )

    assert response.status_code == 400
    body = response.json()
    assert list(body) == ["errors"]
    (message,) = body["errors"]
    assert message.startswith("fields-schema: ") and reason in message


async def test_a_bad_schema_on_post_places_no_order(
    client: httpx.AsyncClient, seller: dict[str, str]
) -> None:
    before = len((await client.get(ORDERS, headers=seller)).json())

    response = await client.post(
        ORDERS,
        headers=seller,
        params={"fields-schema": "id,,{"},
        json={"event": EVENT, "random": {STALLS: 1}},
    )

    assert response.status_code == 400
    assert len((await client.get(ORDERS, headers=seller)).json()) == before


async def test_expansion_stays_inside_the_callers_organisation(
    client: httpx.AsyncClient,
    seller: dict[str, str],
    new_tenant: Callable[..., Awaitable[Tenant]],
) -> None:
    other = await new_tenant()
    mine = await create_order(client, seller, EVENT, random={STALLS: 1})
    theirs = await create_order(client, other.seller, other.event_id, random={other.set_id: 1})

    foreign = await client.get(
        order_url(theirs["id"]), headers=seller, params={"fields-schema": "event{title}"}
    )
    listed = await _get(client, ORDERS, other.seller, "id,event{id,title{text}}")

    assert foreign.status_code == 404
    assert {o["event"]["id"] for o in listed} == {other.event_id}
    assert mine["id"] not in {o["id"] for o in listed}


@pytest.mark.parametrize(
    ("url", "shape"),
    [
        (ORDERS, shapes.ORDER),
        (f"{ORDERS}/{{order}}/tickets", shapes.ORDER_TICKET),
        ("/v1/resources/events", shapes.EVENT),
        (f"/v1/resources/events/{EVENT}/sets", shapes.SET),
        (f"/v1/resources/events/{EVENT}/tickets", shapes.EVENT_TICKET),
        (f"/v1/resources/events/{EVENT}/promocodes", shapes.PROMOCODE),
    ],
)
async def test_every_key_a_resource_answers_is_known_to_its_shape(
    client: httpx.AsyncClient, organiser: dict[str, str], url: str, shape: Obj
) -> None:
    order = await create_order(client, organiser, EVENT, random={STALLS: 1})
    await client.post(
        f"/v1/resources/events/{EVENT}/promocodes",
        headers=organiser,
        json={"code": "SHAPE", "discount": {"percentage": "5"}},
    )

    found = (await client.get(url.format(order=order["id"]), headers=organiser)).json()

    assert found
    assert shape.keys is not None
    for item in found:
        assert set(item) <= set(shape.keys), set(item) - set(shape.keys)


async def test_the_parameter_is_documented_in_openapi(client: httpx.AsyncClient) -> None:
    spec = (await client.get("/openapi.json")).json()
    for path, method in [
        ("/v1/resources/orders", "get"),
        ("/v1/resources/orders", "post"),
        ("/v1/resources/orders/{order_id}", "get"),
        ("/v1/resources/orders/{order_id}", "patch"),
        ("/v1/resources/orders/{order_id}/tickets", "get"),
        ("/v1/resources/events", "get"),
        ("/v1/resources/events/{event_id}", "get"),
        ("/v1/resources/events/{event_id}/sets", "get"),
        ("/v1/resources/events/{event_id}/tickets", "get"),
        ("/v1/resources/events/{event_id}/promocodes", "get"),
    ]:
        params = {p["name"]: p for p in spec["paths"][path][method].get("parameters", [])}
        assert "fields-schema" in params, (path, method)
        assert params["fields-schema"]["in"] == "query"
        assert params["fields-schema"]["description"]
        assert params["fields-schema"]["examples"]
