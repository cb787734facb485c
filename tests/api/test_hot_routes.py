"""The lean way of the v1 reserve and cancel (`kassa.web.hot`) answers as the whole stack does.

Every request here is sent twice against one database: to an app with the lean way and to
one without it (`KASSA_LEAN_ROUTES=0`). The answers must match: the status, the headers
(but the date and the request id) and the body, where ids and times may differ only in value,
never in shape. The lean way's own counter proves which requests it took, so a lean way that
quietly sent everything the whole way could not pass. SQLite and PostgreSQL.
"""

from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import replace
from typing import Any

import httpx
import pytest

from kassa.app import demo
from kassa.config import Settings
from kassa.store.db import Database
from kassa.web.metrics import REGISTRY
from tests.api.helpers import Tenant
from tests.api.test_delivery import order_body, send, token
from tests.conftest import FakeClock, create_app

ORDERS = "/v1/resources/orders"
RESERVE = {"event": demo.EVENT_ID, "random": {demo.STALLS_SET_ID: 1}}
Send = Callable[[httpx.AsyncClient], Awaitable[httpx.Response]]


@pytest.fixture
async def both(
    db: Database, settings: Settings, clock: FakeClock, demo_data: demo.DemoInfo
) -> AsyncIterator[tuple[httpx.AsyncClient, httpx.AsyncClient]]:
    clients = []
    for lean in (True, False):
        app = create_app(replace(settings, lean_routes=lean), db=db, clock=clock)
        clients.append(
            httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://kassa.test")
        )
    async with clients[0] as lean_way, clients[1] as whole_way:
        yield lean_way, whole_way


def _taken(method: str, route: str) -> float:
    found = REGISTRY.get_sample_value(
        "kassa_http_lean_requests_total", {"method": method, "route": route}
    )
    return found or 0.0


def _shape(value: Any) -> Any:
    """The JSON document with every scalar replaced by its type: what may differ between two
    orders placed the same way is their ids, numbers and times, never their shape."""
    if isinstance(value, dict):
        return {key: _shape(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_shape(item) for item in value]
    return type(value).__name__


def _headers(response: httpx.Response) -> dict[str, str]:
    return {
        name: value
        for name, value in response.headers.items()
        if name not in ("date", "x-request-id", "content-length")
    }


async def _same(
    both: tuple[httpx.AsyncClient, httpx.AsyncClient],
    send: Send,
    *,
    lean: bool,
    route: tuple[str, str] = ("POST", ORDERS),
    exact: bool = True,
) -> httpx.Response:
    """`send` both ways: the same answer, and the lean app took it only when `lean`."""
    before = _taken(*route)
    ours = await send(both[0])
    assert _taken(*route) - before == (1 if lean else 0), ours.text
    theirs = await send(both[1])
    assert _taken(*route) - before == (1 if lean else 0)  # the other app has no lean way
    assert ours.status_code == theirs.status_code, (ours.text, theirs.text)
    assert _headers(ours) == _headers(theirs)
    if exact:
        assert ours.content == theirs.content
    else:
        assert _shape(ours.json()) == _shape(theirs.json())
    return ours


async def test_a_reserve_is_answered_the_same_either_way(
    both: tuple[httpx.AsyncClient, httpx.AsyncClient], seller: dict[str, str]
) -> None:
    answer = await _same(
        both, lambda h: h.post(ORDERS, headers=seller, json=RESERVE), lean=True, exact=False
    )
    assert answer.status_code == 201
    assert answer.headers["content-type"] == "application/json; charset=UTF-8"
    assert answer.headers["x-partner"]
    placed = answer.json()
    assert len(placed["tickets"]) == 1
    # The lean way's order is a whole order like any other: read back through the full stack.
    read = await both[1].get(f"{ORDERS}/{placed['id']}", headers=seller)
    assert read.status_code == 200 and read.json()["id"] == placed["id"]


SOLD_OUT = {"event": demo.EVENT_ID, "random": {demo.BALCONY_SET_ID: 1}}


@pytest.mark.parametrize(
    ("name", "body"),
    [
        ("unknown event", {"event": "0" * 24, "random": {demo.STALLS_SET_ID: 1}}),
        ("unknown set", {"event": demo.EVENT_ID, "random": {"0" * 24: 1}}),
        ("a sold-out set", SOLD_OUT),
    ],
)
async def test_a_command_refused_is_answered_the_same_either_way(
    both: tuple[httpx.AsyncClient, httpx.AsyncClient],
    seller: dict[str, str],
    name: str,
    body: dict[str, Any],
) -> None:
    # Every balcony ticket taken first (a random reserve takes what is left, up to the count).
    drained = await both[1].post(
        ORDERS, headers=seller, json={"event": demo.EVENT_ID, "random": {demo.BALCONY_SET_ID: 500}}
    )
    assert drained.status_code == 201, drained.text
    answer = await _same(both, lambda h: h.post(ORDERS, headers=seller, json=body), lean=True)
    assert 400 <= answer.status_code < 500, name
    assert answer.json()["code"], answer.text


_PASSED_ON: list[tuple[str, dict[str, str], bytes]] = [
    # (what, extra headers, body): each goes the whole way on the lean app too.
    ("a body the model refuses", {}, b'{"event": 1}'),
    ("no body", {}, b""),
    ("JSON null", {}, b"null"),
    ("malformed JSON", {}, b'{"event": '),
    ("a float", {}, b'{"event": "x", "random": {"y": 1.5}}'),
    ("a NUL in the body", {}, b'{"event": "a\\u0000b", "random": {}}'),
    ("not JSON", {"Content-Type": "text/plain"}, b"hello"),
    ("an answer JSON cannot satisfy", {"Accept": "text/html"}, b"{}"),
]


@pytest.mark.parametrize(("what", "extra", "body"), _PASSED_ON, ids=[p[0] for p in _PASSED_ON])
async def test_what_the_lean_way_cannot_take_goes_the_whole_way(
    both: tuple[httpx.AsyncClient, httpx.AsyncClient],
    seller: dict[str, str],
    what: str,
    extra: dict[str, str],
    body: bytes,
) -> None:
    headers = {**seller, "Content-Type": "application/json", **extra}
    answer = await _same(both, lambda h: h.post(ORDERS, headers=headers, content=body), lean=False)
    assert answer.status_code >= 400, what


async def test_an_idempotency_key_goes_the_whole_way(
    both: tuple[httpx.AsyncClient, httpx.AsyncClient], seller: dict[str, str]
) -> None:
    keys = iter(["hot-1", "hot-2"])  # one each: the same key again would be a replay
    answer = await _same(
        both,
        lambda h: h.post(ORDERS, headers={**seller, "Idempotency-Key": next(keys)}, json=RESERVE),
        lean=False,
        exact=False,
    )
    assert answer.status_code == 201


@pytest.mark.parametrize(
    "authorization", [None, "key " + "0" * 32, "key nonsense", "Bearer abc"], ids=str
)
async def test_a_bad_key_goes_the_whole_way(
    both: tuple[httpx.AsyncClient, httpx.AsyncClient], authorization: str | None
) -> None:
    headers = {"Authorization": authorization} if authorization else {}
    answer = await _same(both, lambda h: h.post(ORDERS, headers=headers, json=RESERVE), lean=False)
    assert answer.status_code == 401


async def test_a_query_string_goes_the_whole_way(
    both: tuple[httpx.AsyncClient, httpx.AsyncClient], seller: dict[str, str]
) -> None:
    path = f"{ORDERS}?fields-schema=id,tickets{{id}}"
    answer = await _same(
        both, lambda h: h.post(path, headers=seller, json=RESERVE), lean=False, exact=False
    )
    assert answer.status_code == 201 and set(answer.json()) == {"id", "tickets"}


async def test_a_body_over_the_limit_goes_the_whole_way(
    both: tuple[httpx.AsyncClient, httpx.AsyncClient], seller: dict[str, str], settings: Settings
) -> None:
    big = b'{"event": "' + b"x" * settings.max_body_bytes + b'"}'
    answer = await _same(both, lambda h: h.post(ORDERS, headers=seller, content=big), lean=False)
    assert answer.status_code == 413


async def test_a_cancel_is_answered_the_same_either_way(
    both: tuple[httpx.AsyncClient, httpx.AsyncClient],
    seller: dict[str, str],
    new_tenant: Callable[..., Awaitable[Tenant]],
) -> None:
    placed = []
    for client in both:
        made = await client.post(ORDERS, headers=seller, json=RESERVE)
        assert made.status_code == 201, made.text
        placed.append(made.json()["id"])
    route = ("DELETE", f"{ORDERS}/{{order_id}}")
    before = _taken(*route)
    answers = [
        await client.delete(f"{ORDERS}/{order_id}", headers=seller)
        for client, order_id in zip(both, placed, strict=True)
    ]
    assert _taken(*route) - before == 1
    assert [a.status_code for a in answers] == [200, 200]
    assert answers[0].content == answers[1].content == b"{}"
    assert _headers(answers[0]) == _headers(answers[1])
    # Cancelled either way: a second cancel (400), an unknown order and another tenant's
    # caller (404) are each refused the same (the engine's error through the app's handler).
    other = await new_tenant()
    for order_id, headers in [
        (placed[1], seller),
        ("0" * 24, seller),
        ("not-an-id", seller),
        (placed[0], other.seller),
    ]:
        refused = await _same(
            both,
            lambda h, path=f"{ORDERS}/{order_id}", headers=headers: h.delete(path, headers=headers),
            lean=True,
            route=route,
        )
        assert refused.status_code in (400, 404), refused.text
    # A cancel with a body or a query string goes the whole way.
    for whole_way in (
        lambda h: h.request("DELETE", f"{ORDERS}/{placed[0]}", headers=seller, content=b"{}"),
        lambda h: h.delete(f"{ORDERS}/{placed[0]}?x=1", headers=seller),
    ):
        await _same(both, whole_way, lean=False, route=route)


async def _flow(
    both: tuple[httpx.AsyncClient, httpx.AsyncClient],
    steps: list[
        tuple[tuple[str, str], Callable[[httpx.AsyncClient, str], Awaitable[httpx.Response]]]
    ],
) -> list[httpx.Response]:
    """The same steps on each app with ids of its own (`n`: "0" for the lean app, "1" for the
    other); every step answered alike, and each one taken the lean way on the lean app."""
    answers: list[list[httpx.Response]] = [[], []]
    for route, step in steps:
        before = _taken(*route)
        for n, client in enumerate(both):
            answers[n].append(await step(client, str(n)))
            assert _taken(*route) - before == 1, (route, answers[n][-1].text)
    for ours, theirs in zip(*answers, strict=True):
        assert ours.status_code == theirs.status_code, (ours.text, theirs.text)
        assert _headers(ours) == _headers(theirs)
        assert _shape(ours.json() if ours.content else None) == _shape(
            theirs.json() if theirs.content else None
        )
    return answers[0]


SHOP = {"shop_id": demo.SHOP_ID, "shop_secret": demo.SHOP_SECRET}
CART = [
    {"product_id": "coffee", "price": 250, "quantity": 1},
    {"product_id": "cake", "price": "180.50", "quantity": 2},
]


async def test_the_loyalty_checkout_is_answered_the_same_either_way(
    both: tuple[httpx.AsyncClient, httpx.AsyncClient],
) -> None:
    for n, client in enumerate(both):
        joined = await client.post(
            "/loyalty/members/join", json={**SHOP, "identifier": f"7999300000{n}"}
        )
        assert joined.status_code in (200, 201), joined.text

    def checkout(name: str, **extra: Any) -> Any:
        async def step(h: httpx.AsyncClient, n: str) -> httpx.Response:
            named = {key: value.format(n=n) for key, value in extra.items()}
            body = {**SHOP, "identifier": f"7999300000{n}", "cart_items": CART, **named}
            return await h.post(f"/loyalty/checkout/{name}", json=body)

        return (("POST", f"/loyalty/checkout/{name}"), step)

    def on_order(name: str) -> Any:
        async def step(h: httpx.AsyncClient, n: str) -> httpx.Response:
            return await h.post(f"/loyalty/checkout/{name}", json={**SHOP, "order_id": f"H-{n}"})

        return (("POST", f"/loyalty/checkout/{name}"), step)

    async def wrong_secret(h: httpx.AsyncClient, n: str) -> httpx.Response:
        body = {**SHOP, "shop_secret": "0" * 32, "order_id": f"H-{n}"}
        return await h.post("/loyalty/checkout/confirm", json=body)

    answers = await _flow(
        both,
        [
            checkout("estimate"),
            checkout("apply", order_id="H-{n}"),
            on_order("confirm"),
            on_order("cancel"),
            on_order("cancel"),  # again: the face's own refusal, through its handler
            (("POST", "/loyalty/checkout/confirm"), wrong_secret),
        ],
    )
    assert [a.status_code for a in answers][:4] == [200, 200, 200, 200]
    assert answers[0].json()["success"] is True
    assert answers[-1].status_code >= 400 and answers[-1].json()["success"] is False


async def test_the_aggregators_order_calls_are_answered_the_same_either_way(
    both: tuple[httpx.AsyncClient, httpx.AsyncClient],
) -> None:
    auth = await token(both[1])
    ids: dict[str, str] = {}

    def create(eats: str) -> Any:
        async def step(h: httpx.AsyncClient, n: str) -> httpx.Response:
            made = await send(h, "POST", "/order", auth, order_body(f"261130-{eats}{n}", kompot=2))
            assert made.status_code == 200, made.text
            ids[f"{eats}-{n}"] = made.json()["orderId"]
            return made

        return (("POST", "/order"), step)

    async def delivered(h: httpx.AsyncClient, n: str) -> httpx.Response:
        path = f"/order/{ids['1000000-' + n]}/status"
        return await h.put(path, headers=auth, json={"status": "DELIVERED"})

    async def cancel(h: httpx.AsyncClient, n: str) -> httpx.Response:
        body = {"eatsId": f"261130-2000000{n}", "comment": "hot"}
        return await h.request("DELETE", f"/order/{ids['2000000-' + n]}", headers=auth, json=body)

    async def cancel_unknown(h: httpx.AsyncClient, n: str) -> httpx.Response:
        body = {"eatsId": "261130-99999999", "comment": "hot"}
        return await h.request("DELETE", "/order/0000000000000000", headers=auth, json=body)

    answers = await _flow(
        both,
        [
            create("1000000"),
            create("2000000"),
            (("PUT", "/order/{order_id}/status"), delivered),
            (("DELETE", "/order/{order_id}"), cancel),
            (("DELETE", "/order/{order_id}"), cancel_unknown),
        ],
    )
    assert [a.status_code for a in answers][:4] == [200, 200, 204, 200]
    assert answers[-1].status_code == 404 and answers[-1].json()[0]["code"]


async def test_the_v2_patch_is_answered_the_same_either_way(
    both: tuple[httpx.AsyncClient, httpx.AsyncClient],
    organiser: dict[str, str],
    seller: dict[str, str],
) -> None:
    made = await both[1].post(
        f"/v1/resources/events/{demo.V2_EVENT_ID}/promocodes",
        headers=organiser,
        json={"code": "HOT10", "discount": {"percentage": "10"}},
    )
    assert made.status_code in (200, 201), made.text
    ids = {}
    for n, client in enumerate(both):
        placed = await client.post(
            "/v2/resources/orders",
            headers=seller,
            json={"event": demo.V2_EVENT_ID, "random": {demo.V2_STALLS_SET_ID: 1}},
        )
        assert placed.status_code == 200, placed.text
        ids[str(n)] = placed.json()["data"]["id"]
    patch = {
        "settings": {"customer": {"name": "Ivan", "email": "ivan@example.com"}},
        "vendor_data": {"order_id": "shop-1"},
        "promocodes": ["HOT10"],
    }
    route = ("PATCH", "/v2/resources/orders/{order_id}")

    async def change(h: httpx.AsyncClient, n: str) -> httpx.Response:
        return await h.patch(f"/v2/resources/orders/{ids[n]}", headers=seller, json=patch)

    async def unknown_status(h: httpx.AsyncClient, n: str) -> httpx.Response:
        body = {"status": "done"}
        return await h.patch(f"/v2/resources/orders/{'0' * 24}", headers=seller, json=body)

    answers = await _flow(both, [(route, change), (route, unknown_status)])
    assert answers[0].status_code == 200
    assert answers[0].json()["data"]["promocodes"], answers[0].text
    assert answers[1].status_code == 404
    # A body the model refuses goes the whole way (FastAPI's validation, in v2's words).
    refused = await _same(
        both,
        lambda h: h.patch(f"/v2/resources/orders/{ids['0']}", headers=seller, json={"x": 1}),
        lean=False,
        route=route,
    )
    assert refused.status_code == 400


async def test_kassas_cancellation_preview_and_apply_are_answered_the_same_either_way(
    both: tuple[httpx.AsyncClient, httpx.AsyncClient], seller: dict[str, str]
) -> None:
    ids = {}
    for n, client in enumerate(both):
        placed = await client.post(ORDERS, headers=seller, json=RESERVE)
        assert placed.status_code == 201, placed.text
        ids[str(n)] = placed.json()["id"]
    path = "/api/v1/orders/{order_id}/cancellation"
    versions: dict[str, str] = {}

    async def preview(h: httpx.AsyncClient, n: str) -> httpx.Response:
        answer = await h.get(path.format(order_id=ids[n]), headers=seller)
        versions[n] = answer.json()["version"]
        return answer

    async def apply(h: httpx.AsyncClient, n: str) -> httpx.Response:
        body = {"reason": "customer_request", "version": versions[n]}
        return await h.post(path.format(order_id=ids[n]), headers=seller, json=body)

    answers = await _flow(
        both,
        [
            (("GET", path), preview),
            (("POST", path), apply),
            (("POST", path), apply),  # again: the engine's refusal, through the app's handler
        ],
    )
    assert [a.status_code for a in answers][:2] == [200, 200]
    assert answers[1].json()["to_status"] == "canceled"
    assert answers[2].status_code >= 400
    # A reason the model refuses and a partial preview's query go the whole way.
    target = path.format(order_id=ids["0"])
    await _same(
        both,
        lambda h: h.post(target, headers=seller, json={"reason": ""}),
        lean=False,
        route=("POST", path),
        exact=False,
    )
    await _same(
        both,
        lambda h: h.get(target + "?tickets=x", headers=seller),
        lean=False,
        route=("GET", path),
        exact=False,
    )
