"""Issue 16, deviations 3 and 4: what a partner's existing integration tripped on.

v2 `settings` sent back as answered; the promo-code check's documented error; v1's
`charset=UTF-8` and `payment.redirect_url`; v2's `cancelled` spelling in messages; 415 and 406 in
each face's own error format. SQLite and PostgreSQL (the `client` fixture).
"""

from typing import Any

import httpx
import pytest

from kassa.app import demo
from tests.api.helpers import assert_face_error

V2_EVENT = demo.V2_EVENT_ID
V2_STALLS = demo.V2_STALLS_SET_ID
V1_ORDERS = "/v1/resources/orders"
V2_ORDERS = "/v2/resources/orders"
CHECK = "/v2/services/promocodes/check"
SHOP = {"shop_id": demo.SHOP_ID, "shop_secret": demo.SHOP_SECRET}


async def _v2_order(client: httpx.AsyncClient, seller: dict[str, str], **body: Any) -> Any:
    response = await client.post(
        V2_ORDERS, headers=seller, json={"event": V2_EVENT, "random": {V2_STALLS: 1}, **body}
    )
    assert response.status_code == 200, response.text
    return response.json()["data"]


async def test_v2_settings_sent_back_as_answered(
    client: httpx.AsyncClient, seller: dict[str, str]
) -> None:
    data = await _v2_order(client, seller)
    settings = data["settings"]
    assert settings["invitation"] is False
    response = await client.patch(
        f"{V2_ORDERS}/{data['id']}", headers=seller, json={"settings": settings}
    )
    assert response.status_code == 200, response.text
    assert response.json()["data"]["settings"] == settings


async def test_v2_every_settings_field_is_kept_and_returned(
    client: httpx.AsyncClient, seller: dict[str, str]
) -> None:
    settings = {
        "customer": {"email": "a@example.com", "lang": "en", "name": "Ann", "phone": "+7999"},
        "invitation": False,
        "send_tickets": True,
        "courier": True,
        "subscribe_agree": True,
    }
    data = await _v2_order(client, seller, settings=settings)
    assert data["settings"] == settings
    change = {"courier": False, "invitation": True, "subscribe_agree": False}
    response = await client.patch(
        f"{V2_ORDERS}/{data['id']}", headers=seller, json={"settings": change}
    )
    assert response.status_code == 200, response.text
    assert response.json()["data"]["settings"] == {**settings, **change}
    read = await client.get(f"{V2_ORDERS}/{data['id']}", headers=seller)
    assert read.json()["data"]["settings"] == {**settings, **change}


async def test_v2_settings_still_refuses_unknown_fields(
    client: httpx.AsyncClient, seller: dict[str, str]
) -> None:
    response = await client.post(
        V2_ORDERS,
        headers=seller,
        json={"event": V2_EVENT, "random": {V2_STALLS: 1}, "settings": {"nope": True}},
    )
    assert_face_error(response, "v2", 400)


async def test_promocode_check_error_is_exactly_the_documented_pair(
    client: httpx.AsyncClient, seller: dict[str, str]
) -> None:
    response = await client.post(CHECK, headers=seller, json={"event": V2_EVENT, "code": "NOPE"})
    assert response.status_code == 400
    assert response.json() == {"error": "HTTPBadRequest", "reason": "Promocode not found"}
    invalid = await client.post(CHECK, headers=seller, json={"event": V2_EVENT})
    assert invalid.status_code == 400
    assert set(invalid.json()) == {"error", "reason"}


async def test_v1_answers_carry_the_seed_charset(
    client: httpx.AsyncClient, organiser: dict[str, str]
) -> None:
    found = await client.get(V1_ORDERS, headers=organiser)
    assert found.headers["content-type"] == "application/json; charset=UTF-8"
    missing = await client.get(f"{V1_ORDERS}/{'0' * 24}", headers=organiser)
    assert missing.status_code == 404
    assert missing.headers["content-type"] == "application/json; charset=UTF-8"
    v2 = await client.get(V2_ORDERS, headers=organiser)
    assert v2.headers["content-type"] == "application/json"


async def test_v1_payment_has_redirect_url(
    client: httpx.AsyncClient, seller: dict[str, str]
) -> None:
    payment = {"system": "api/BASE", "redirect_url": "https://pay.example/1"}
    response = await client.post(
        V1_ORDERS,
        headers=seller,
        json={"event": demo.EVENT_ID, "random": {demo.BALCONY_SET_ID: 1}, "payment": payment},
    )
    assert response.status_code == 201, response.text
    assert response.json()["payment"] == {"failure_url": None, "success_url": None, **payment}
    plain = await client.post(
        V1_ORDERS, headers=seller, json={"event": demo.EVENT_ID, "random": {demo.BALCONY_SET_ID: 1}}
    )
    assert plain.json()["payment"]["redirect_url"] is None


async def test_v2_messages_spell_cancelled(
    client: httpx.AsyncClient, seller: dict[str, str]
) -> None:
    data = await _v2_order(client, seller)
    url = f"{V2_ORDERS}/{data['id']}"
    assert (
        await client.patch(url, headers=seller, json={"status": "cancelled"})
    ).status_code == 200
    response = await client.patch(url, headers=seller, json={"status": "done"})
    assert response.status_code == 400
    [message] = response.json()["errors"]
    assert "cancelled" in message and "canceled" not in message.replace("cancelled", "")


# One request per face; the body is what the face reads, so only the media type is wrong.
FACES = [
    ("v1", "POST", V1_ORDERS, {"event": demo.EVENT_ID, "random": {demo.BALCONY_SET_ID: 1}}),
    ("v2", "POST", V2_ORDERS, {"event": V2_EVENT, "random": {V2_STALLS: 1}}),
    ("check", "POST", CHECK, {"event": V2_EVENT, "code": "PROMO100"}),
    ("loyalty", "POST", "/loyalty/checkout/details", {**SHOP, "order_id": "X"}),
    ("delivery", "POST", "/order", {"eatsId": "1"}),
    ("v1", "GET", "/api/v1/orders", None),
]


def _assert_error(response: httpx.Response, face: str, status: int) -> None:
    if face == "check":  # the promo-code check's own documented pair
        assert response.status_code == status, response.text
        assert set(response.json()) == {"error", "reason"}, response.text
        return
    assert_face_error(response, face, status)


def _headers(face: str, organiser: dict[str, str]) -> dict[str, str]:
    return {} if face in ("loyalty", "delivery") else dict(organiser)


@pytest.mark.parametrize(("face", "method", "path", "body"), FACES)
async def test_a_non_json_body_is_415(
    client: httpx.AsyncClient,
    organiser: dict[str, str],
    face: str,
    method: str,
    path: str,
    body: dict[str, Any] | None,
) -> None:
    if body is None:
        method = "POST"
    headers = {**_headers(face, organiser), "Content-Type": "text/plain"}
    response = await client.request(method, path, headers=headers, content=b"hello")
    _assert_error(response, face, 415)
    if face == "v1":
        assert response.json()["code"] == "unsupported_media_type"


@pytest.mark.parametrize(("face", "method", "path", "body"), FACES)
async def test_accept_xml_is_406(
    client: httpx.AsyncClient,
    organiser: dict[str, str],
    face: str,
    method: str,
    path: str,
    body: dict[str, Any] | None,
) -> None:
    headers = {**_headers(face, organiser), "Accept": "application/xml"}
    response = await client.request(method, path, headers=headers, json=body)
    _assert_error(response, face, 406)
    if face == "v1":
        assert response.json()["code"] == "not_acceptable"


@pytest.mark.parametrize(
    "accept",
    [
        None,
        "*/*",
        "application/*",
        "application/json",
        "application/json;q=0.9,*/*;q=0.8",
        "text/html, application/json;q=0.9",
        "application/json; charset=utf-8",
    ],
)
async def test_accept_satisfied_by_json(
    client: httpx.AsyncClient, organiser: dict[str, str], accept: str | None
) -> None:
    headers = dict(organiser)
    if accept is not None:
        headers["Accept"] = accept
    assert (await client.get(V1_ORDERS, headers=headers)).status_code == 200
    assert (await client.get(V2_ORDERS, headers=headers)).status_code == 200


async def test_accept_with_q_zero_json_is_406(
    client: httpx.AsyncClient, organiser: dict[str, str]
) -> None:
    headers = {**organiser, "Accept": "application/json;q=0, text/csv"}
    assert_face_error(await client.get(V2_ORDERS, headers=headers), "v2", 406)


async def test_delivery_takes_its_vendor_types_and_form_token(
    client: httpx.AsyncClient, demo_data: demo.DemoInfo
) -> None:
    form = (
        f"client_id={demo.DELIVERY_CLIENT_ID}&client_secret={demo.DELIVERY_CLIENT_SECRET}"
        "&grant_type=client_credentials&scope=read write"
    )
    token = await client.post(
        "/security/oauth/token",
        content=form,
        headers={"Content-Type": "application/x-www-form-urlencoded", "Accept": "*/*"},
    )
    assert token.status_code == 200, token.text
    auth = {"Authorization": f"Bearer {token.json()['access_token']}"}
    as_json = await client.post(
        "/security/oauth/token", content=b"{}", headers={"Content-Type": "application/json"}
    )
    assert_face_error(as_json, "delivery", 415)
    vendor = "application/vnd.eats.order.v2+json"
    response = await client.get(
        f"/menu/{demo.RESTAURANT_ID}/composition", headers={**auth, "Accept": vendor}
    )
    assert response.status_code == 200, response.text
    malformed = await client.post(
        "/order", content=b"{", headers={**auth, "Content-Type": vendor, "Accept": vendor}
    )
    # The vendor type passes negotiation: the face itself reads (and here refuses) the body.
    assert_face_error(malformed, "delivery", 400)


async def test_mosbilet_answer_may_be_asked_as_html(
    client: httpx.AsyncClient, seller: dict[str, str]
) -> None:
    response = await client.put(
        "/v2/services/orders/mosbilet/user_data",
        headers={**seller, "Accept": "text/html"},
        json={"order": "0" * 24, "user_data": []},
    )
    assert response.status_code != 406
