"""`PUT /v2/services/orders/mosbilet/user_data`: visitors' names, 202, `executed` orders only."""

from typing import Any

import httpx

from kassa.app import demo
from kassa.app import visitors as visitors_app
from kassa.core.tenancy import Principal
from kassa.store.db import Database

PATH = "/v2/services/orders/mosbilet/user_data"
ORDERS = "/v2/resources/orders"
EVENT = demo.V2_EVENT_ID
STALLS = demo.V2_STALLS_SET_ID


async def placed(client: httpx.AsyncClient, seller: dict[str, str], count: int = 2) -> Any:
    response = await client.post(
        ORDERS, headers=seller, json={"event": EVENT, "random": {STALLS: count}}
    )
    return response.json()["data"]


async def test_the_docs_example_answers_202_with_an_empty_body(
    client: httpx.AsyncClient, seller: dict[str, str], db: Database
) -> None:
    order = await placed(client, seller)
    ticket = order["tickets"][1]["id"]
    body = {
        "order": order["id"],
        "user_data": [
            {
                "ticket_id": ticket,
                "user_id": "6911f28e46066e24b2175984",
                "name": "Иванов",
                "surname": "Иван",
                "middle_name": "Иванович",
            }
        ],
    }
    response = await client.put(PATH, headers=seller, json=body)
    assert response.status_code == 202, response.text
    assert response.content == b""
    assert response.headers["content-type"].startswith("text/html")
    seller_principal = Principal(demo.ORG_ID, demo.PARTNER_ID)
    kept = await visitors_app.visitors_of(db, seller_principal, order["id"])
    assert [(v.ticket_id, v.name, v.surname, v.middle_name) for v in kept] == [
        (ticket, "Иванов", "Иван", "Иванович")
    ]


async def test_a_second_put_replaces_and_unnamed_entries_fill_the_other_tickets(
    client: httpx.AsyncClient, seller: dict[str, str], organiser: dict[str, str], db: Database
) -> None:
    order = await placed(client, seller, 3)
    ids = [t["id"] for t in order["tickets"]]
    first = {"user_id": "u1", "name": "A", "surname": "B"}
    await client.put(PATH, headers=seller, json={"order": order["id"], "user_data": [first] * 3})
    entries = [
        {"user_id": "u2", "name": "C", "surname": "D"},
        {"user_id": "u3", "name": "E", "surname": "F", "ticket_id": ids[0]},
    ]
    response = await client.put(
        PATH, headers=organiser, json={"order": order["id"], "user_data": entries}
    )
    assert response.status_code == 202, response.text
    kept = await visitors_app.visitors_of(db, Principal(demo.ORG_ID), order["id"])
    assert [(v.user_id, v.ticket_id, v.middle_name) for v in kept] == [
        ("u2", ids[1], None),
        ("u3", ids[0], None),
    ]


async def test_only_an_executed_order_takes_names(
    client: httpx.AsyncClient, seller: dict[str, str]
) -> None:
    order = await placed(client, seller)
    await client.patch(f"{ORDERS}/{order['id']}", headers=seller, json={"status": "done"})
    entry = {"user_id": "u1", "name": "A", "surname": "B"}
    response = await client.put(
        PATH, headers=seller, json={"order": order["id"], "user_data": [entry]}
    )
    assert response.status_code == 400
    assert response.json() == {"errors": ["Incorrect status done for this operation"]}


async def test_bad_input_is_400_in_the_v2_error_format(
    client: httpx.AsyncClient, seller: dict[str, str]
) -> None:
    order = await placed(client, seller, 1)
    entry = {"user_id": "u1", "name": "A", "surname": "B"}
    bad: list[Any] = [
        {"order": order["id"], "user_data": [{"name": "A", "surname": "B"}]},  # no user_id
        {"order": order["id"], "user_data": [{"user_id": "u1", "surname": "B"}]},  # no name
        {"order": order["id"], "user_data": [{"user_id": "u1", "name": "A"}]},  # no surname
        {"order": order["id"], "user_data": []},
        {"order": order["id"]},
        {"user_data": [entry]},
        {"order": "0" * 24, "user_data": [entry]},  # nobody's order
        {"order": order["id"], "user_data": [{**entry, "ticket_id": "0" * 24}]},  # not its ticket
        {"order": order["id"], "user_data": [entry, entry]},  # more visitors than tickets
        {"order": order["id"], "user_data": [{**entry, "age": 3}]},
        [entry],
    ]
    for body in bad:
        response = await client.put(PATH, headers=seller, json=body)
        assert response.status_code == 400, (body, response.text)
        errors = response.json()["errors"]
        assert isinstance(errors, list) and errors and all(isinstance(e, str) for e in errors)
    response = await client.put(
        PATH, headers=seller, json={"order": "0" * 24, "user_data": [entry]}
    )
    assert response.json() == {"errors": [f"Order {'0' * 24} not found"]}
    assert (
        await client.put(PATH, json={"order": order["id"], "user_data": [entry]})
    ).status_code == 401


async def test_another_organisations_order_is_unknown(
    client: httpx.AsyncClient, seller: dict[str, str], new_tenant: Any
) -> None:
    order = await placed(client, seller, 1)
    other = await new_tenant()
    entry = {"user_id": "u1", "name": "A", "surname": "B"}
    for headers in (other.organiser, other.seller):
        response = await client.put(
            PATH, headers=headers, json={"order": order["id"], "user_data": [entry]}
        )
        assert response.status_code == 400
        assert response.json() == {"errors": [f"Order {order['id']} not found"]}
