"""The PyPI `ticketscloud` client (0.6.4, unmodified) against a real `kassa serve`.

It runs the client's own README example (`client.api.resources...`, with `fields-schema`),
pointed at Kassa through `api_root`. The client pins requests==2.5.1 and ujson==1.33, which
no longer import on Python 3.11 and clash with the test tools' requests, so it cannot be a
declared test dependency: install it next to today's packages with
`pip install icalendar ujson requests-cache && pip install --no-deps ticketscloud==0.6.4`.
Without it, this module is skipped.
"""

from decimal import Decimal
from typing import Any

import httpx
import pytest

from kassa.app import demo
from tests.e2e.conftest import KassaServer

ticketscloud = pytest.importorskip(
    "ticketscloud",
    reason="the PyPI ticketscloud client is absent: its pinned dependencies do not install "
    "on Python 3.11; run `pip install icalendar ujson requests-cache && "
    "pip install --no-deps ticketscloud==0.6.4`",
)


@pytest.fixture(params=["sqlite", "pg"])
def server(request: pytest.FixtureRequest) -> KassaServer:
    found: KassaServer = request.getfixturevalue(request.param)
    return found


def _client(server: KassaServer, key: str) -> Any:
    return ticketscloud.TCClient(access_token=key, api_root=server.base_url, api_version="v1")


def test_the_clients_readme_example_with_fields_schema(server: KassaServer) -> None:
    client = _client(server, demo.PARTNER_KEY)

    # "Get events list", then one event, parsed by the client (iCalendar, Decimal prices).
    events = client.api.resources.events()
    event = next(e for e in events if e["id"] == demo.EVENT_ID)
    assert isinstance(event["sets"][0]["price"], Decimal)
    assert client.api.resources.events[demo.EVENT_ID]()["id"] == demo.EVENT_ID
    # "... list with scheme": the client sends `fields-schema` as a query parameter.
    cut = client.api.resources.events(**{"fields-schema": "id,title{text},sets{id,price,rules}"})
    assert {"id", "title", "sets"} == set(cut[0]) and set(cut[0]["title"]) == {"text"}
    assert all(set(s) == {"id", "price", "rules", "price_org"} for s in cut[0]["sets"])

    # "Create a new order" and "Update a order", then read it back with a schema.
    order = client.api.resources.orders.post(event=demo.EVENT_ID, random={demo.STALLS_SET_ID: 2})
    client.api.resources.orders[order["id"]].patch(customer={"email": "tc@example.com"})
    shown = client.api.resources.orders[order["id"]](
        **{"fields-schema": "id,tickets{id,serial,seat{row,number}},event{title{text}},org"}
    )
    assert shown == {
        "id": order["id"],
        "tickets": [
            {"id": t, "serial": shown["tickets"][0]["serial"], "seat": {}} for t in order["tickets"]
        ],
        "event": {"title": {"text": event["title"]["text"]}},
        "org": demo.ORG_ID,
    }
    listed = client.api.resources.orders(**{"fields-schema": "id,status", "status": "executed"})
    assert {"id": order["id"], "status": "executed"} in listed

    # A malformed schema reaches the client as its own exception, with Kassa's 400.
    with pytest.raises(ticketscloud.TCException, match="400"):
        client.api.resources.orders(**{"fields-schema": "id,,{"})


def test_the_readme_deals_call_when_kassa_serves_deals(server: KassaServer) -> None:
    """The README's own `fields-schema` line lists deals, a resource Kassa may not serve yet."""
    paths = httpx.get(f"{server.base_url}/openapi.json", timeout=10).json()["paths"]
    if "/v1/resources/deals" not in paths:
        pytest.skip("this build of Kassa serves no /v1/resources/deals")
    client = _client(server, demo.PARTNER_KEY)

    deals = client.api.resources.deals(
        **{"fields-schema": "id,event{id},term{extra}", "status": "accepted"}
    )

    for deal in deals:
        assert set(deal) <= {"id", "event", "term"}
        assert set(deal.get("event") or {}) <= {"id"}
        assert set(deal.get("term") or {}) <= {"extra"}
