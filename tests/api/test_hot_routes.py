"""The lean way of the v1 reserve and cancel (`kassa.web.hot`) answers as the whole stack does.

Every request here is sent twice against one database: to an app with the lean way and to
one without it (`create_app(lean=False)`). The answers must match: the status, the headers
(but the date and the request id) and the body, where ids and times may differ only in value,
never in shape. The lean way's own counter proves which requests it took, so a lean way that
quietly sent everything the whole way could not pass. SQLite and PostgreSQL.
"""

from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import httpx
import pytest

from kassa.app import demo
from kassa.config import Settings
from kassa.store.db import Database
from kassa.web.metrics import REGISTRY
from tests.api.helpers import Tenant
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
        app = create_app(settings, db=db, clock=clock, lean=lean)
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
    for send in (
        lambda h: h.request("DELETE", f"{ORDERS}/{placed[0]}", headers=seller, content=b"{}"),
        lambda h: h.delete(f"{ORDERS}/{placed[0]}?x=1", headers=seller),
    ):
        await _same(both, send, lean=False, route=route)
