"""The loyalty face's side services over HTTP, on SQLite and PostgreSQL: one-time codes by a
real SMTP server, the till QR, referral programs and the CDP order sync."""

import asyncio
import re
from collections.abc import AsyncIterator
from dataclasses import replace
from decimal import Decimal
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from kassa.app import demo
from kassa.config import Settings
from kassa.store.db import Database
from kassa.store.loyalty_tables import loyalty_codes
from tests.api.test_loyalty import ADMIN, AUTH, MEMBER, ORGANISER, ledger_state, ok
from tests.api.test_mail import Inbox, inbox  # noqa: F401 - the SMTP server fixture
from tests.conftest import FakeClock, create_app

pytestmark = pytest.mark.usefixtures("demo_data")
STRANGER = "79995550000"


@pytest.fixture
async def mailed(
    db: Database,
    settings: Settings,
    clock: FakeClock,
    inbox: tuple[Inbox, Any],  # noqa: F811
) -> AsyncIterator[tuple[httpx.AsyncClient, Inbox]]:
    """A client of an app that mails one-time codes to `sms+<phone>@gateway.test`."""
    handler, smtp = inbox
    mailing = replace(
        settings, otp_sender="email", otp_email="sms+{identifier}@gateway.test", smtp=smtp
    )
    app = create_app(mailing, db=db, clock=clock)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://kassa.test") as http:
        yield http, handler


def _code_in(handler: Inbox, phone: str) -> str:
    assert handler.recipients[-1] == [f"sms+{phone}@gateway.test"]
    found = re.search(r"Your code: (\d{5})", handler.messages[-1].get_payload())
    assert found, handler.messages[-1].get_payload()
    return found.group(1)


async def _send(
    http: httpx.AsyncClient, phone: str, event: str = "charge_bonuses"
) -> httpx.Response:
    return await http.post("/loyalty/otp/send", json={**AUTH, "identifier": phone, "event": event})


async def _check(
    http: httpx.AsyncClient, phone: str, code: str, event: str = "charge_bonuses"
) -> httpx.Response:
    query = {**AUTH, "identifier": phone, "event": event, "code": code}
    return await http.get("/loyalty/otp/check", params=query)


def _wrong(code: str) -> str:
    return f"{(int(code) + 1) % 100000:05d}"


async def test_an_sms_code_is_mailed_checked_once_and_stored_only_as_a_hash(
    mailed: tuple[httpx.AsyncClient, Inbox], db: Database
) -> None:
    http, handler = mailed
    sent = await _send(http, STRANGER)  # any phone, member or not
    assert sent.status_code == 200, sent.text
    assert sent.json() == {"status": "success", "success": True}
    code = _code_in(handler, STRANGER)
    async with db.engine.connect() as conn:
        stored = (await conn.execute(select(loyalty_codes))).one()
    assert code not in str(tuple(stored)), "the code is kept only as a salted hash"

    other_event = await _check(http, STRANGER, code, event="verify_phone")
    assert other_event.status_code == 400
    first = await _check(http, STRANGER, code)
    assert first.status_code == 200, first.text
    assert first.json()["success"] is True
    again = await _check(http, STRANGER, code)
    assert again.status_code == 400
    assert again.json() == {
        "status": "error",
        "success": False,
        "payload": {"message": "Code is not correct"},
    }


async def test_five_wrong_guesses_burn_the_code(
    mailed: tuple[httpx.AsyncClient, Inbox],
) -> None:
    http, handler = mailed
    assert (await _send(http, MEMBER)).status_code == 200
    code = _code_in(handler, MEMBER)
    for _ in range(5):
        assert (await _check(http, MEMBER, _wrong(code))).status_code == 400
    assert (await _check(http, MEMBER, code)).status_code == 400


async def test_guesses_at_once_cannot_beat_the_attempt_limit(
    mailed: tuple[httpx.AsyncClient, Inbox],
) -> None:
    http, handler = mailed
    assert (await _send(http, MEMBER)).status_code == 200
    code = _code_in(handler, MEMBER)
    answers = await asyncio.gather(*(_check(http, MEMBER, _wrong(code)) for _ in range(12)))
    assert {a.status_code for a in answers} == {400}
    assert (await _check(http, MEMBER, code)).status_code == 400


async def test_a_code_expires_and_a_new_one_replaces_the_old(
    mailed: tuple[httpx.AsyncClient, Inbox], clock: FakeClock
) -> None:
    http, handler = mailed
    assert (await _send(http, MEMBER)).status_code == 200
    first = _code_in(handler, MEMBER)
    too_soon = await _send(http, MEMBER)
    assert too_soon.status_code == 400
    assert "sent recently" in too_soon.json()["payload"]["message"]
    clock.advance(seconds=31)
    assert (await _send(http, MEMBER)).status_code == 200
    second = _code_in(handler, MEMBER)
    if first != second:
        assert (await _check(http, MEMBER, first)).status_code == 400
    clock.advance(minutes=11)
    assert (await _check(http, MEMBER, second)).status_code == 400


async def test_the_older_path_takes_phone(mailed: tuple[httpx.AsyncClient, Inbox]) -> None:
    http, handler = mailed
    sent = await http.post("/otp/send", json={**AUTH, "phone": MEMBER, "event": "login"})
    assert sent.status_code == 200, sent.text
    code = _code_in(handler, MEMBER)
    query = {**AUTH, "phone": MEMBER, "event": "login", "code": code}
    assert (await http.get("/otp/check", params=query)).status_code == 200


async def test_bad_input_and_a_down_smtp_server_answer_in_the_face_format(
    client: httpx.AsyncClient, settings: Settings, db: Database, clock: FakeClock
) -> None:
    bad_event = await _send(client, MEMBER, event="Charge Bonuses!")
    assert bad_event.status_code == 400
    assert bad_event.json()["payload"]["message"] == "Event is not valid"
    bad_phone = await _send(client, "12345")
    assert bad_phone.json()["payload"]["message"] == "Identifier is not valid"
    wrong_secret = await client.post(
        "/otp/send", json={**AUTH, "shop_secret": "x" * 32, "phone": MEMBER, "event": "a"}
    )
    assert wrong_secret.status_code == 403
    assert wrong_secret.json()["success"] is False

    down = replace(
        settings,
        otp_sender="email",
        smtp=replace(settings.smtp, host="127.0.0.1", port=9, timeout=2),
    )
    app = create_app(down, db=db, clock=clock)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://kassa.test"
    ) as http:
        answer = await _send(http, MEMBER)
    assert answer.status_code == 503
    assert answer.json()["payload"]["message"] == "The code could not be sent, try again later"


async def test_the_till_qr_is_accepted_once(client: httpx.AsyncClient) -> None:
    got = await client.post("/loyalty/qr/get", json={**AUTH, "identifier": MEMBER})
    assert got.status_code == 200, got.text
    code = got.json()["payload"]["code"]
    assert re.fullmatch(rf"{MEMBER}-\d{{6}}", code)
    wrong = f"{MEMBER}-{(int(code[-6:]) + 1) % 1000000:06d}"
    refused = await client.post("/loyalty/qr/check", json={**AUTH, "code": wrong})
    assert refused.status_code == 400
    assert refused.json() == {"status": "error", "success": False}
    accepted = await client.post("/loyalty/qr/check", json={**AUTH, "code": code})
    assert accepted.status_code == 200, accepted.text
    again = await client.post("/loyalty/qr/check", json={**AUTH, "code": code})
    assert again.status_code == 400
    garbage = await client.post("/loyalty/qr/check", json={**AUTH, "code": "IDENT:::SECRET"})
    assert garbage.status_code == 400

    stranger = await client.post("/loyalty/qr/get", json={**AUTH, "identifier": STRANGER})
    assert stranger.status_code == 404
    assert stranger.json()["payload"]["message"] == "Loyalty program member is not found"


async def test_referral_join_gives_the_members_code(client: httpx.AsyncClient) -> None:
    status = await ok_get(client, "/loyalty/members/status", identifier=MEMBER)
    joined = await client.post(
        "/loyalty/referral/join", json={**AUTH, "identifier": MEMBER, "id": 1}
    )
    assert joined.status_code == 200, joined.text
    assert joined.json()["payload"] == {"message": "Success", "code": status["referral_code"]}
    again = await client.post(
        "/loyalty/referral/join", json={**AUTH, "identifier": MEMBER, "id": "1"}
    )
    assert again.json()["payload"]["code"] == status["referral_code"]
    unknown = await client.post(
        "/loyalty/referral/join", json={**AUTH, "identifier": MEMBER, "id": 339}
    )
    assert unknown.status_code == 400
    assert unknown.json()["payload"]["message"] == "Referral program is not found"
    codes = await ok_get(client, "/loyalty/referral/code", identifier=MEMBER)
    assert codes["codes"] == [
        {
            "referral_program_id": 1,
            "code": status["referral_code"],
            "description": codes["codes"][0]["description"],
        }
    ]
    stranger = await client.post(
        "/loyalty/referral/join", json={**AUTH, "identifier": STRANGER, "id": 1}
    )
    assert stranger.status_code == 404


async def ok_get(client: httpx.AsyncClient, path: str, **query: str) -> dict[str, Any]:
    answer = await client.get(path, params={**AUTH, **query})
    assert answer.status_code == 200, answer.text
    payload: dict[str, Any] = answer.json()["payload"]
    return payload


ORDER = {
    "id": "A-1001",
    "status": "Paid",
    "channel": "website",
    "date": 1764460800,
    "value": {"total": 1500},
    "items": [
        {"id": "SKU-1", "price": 500, "quantity": 2},
        {"id": "SKU-2", "price": 500, "quantity": 1},
    ],
    "phone": MEMBER,
    "comment": "leave at the door",
}


async def _sync(client: httpx.AsyncClient, *orders: Any) -> dict[str, Any]:
    answer = await client.post("/sync/orders", json={**AUTH, "orders": list(orders)})
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["status"] == "success" and body["success"] is True
    payload: dict[str, Any] = body["payload"]
    return payload


async def _cdp(client: httpx.AsyncClient, order_id: str) -> dict[str, Any]:
    answer = await client.get(f"{ADMIN}/cdp_orders/{order_id}", headers=ORGANISER)
    assert answer.status_code == 200, answer.text
    found: dict[str, Any] = answer.json()
    return found


async def test_sync_creates_updates_and_cancels_a_cdp_order_without_loyalty_effects(
    client: httpx.AsyncClient,
) -> None:
    # A real checkout first: the member spends bonuses on it.
    before = await ledger_state(client, MEMBER)
    await ok(
        client,
        "apply",
        identifier=MEMBER,
        order_id="A-1001",
        cart_items=[{"product_id": "SKU-1", "price": Decimal("500"), "quantity": 2}],
        charge_bonuses=True,
    )
    await ok(client, "confirm", order_id="A-1001")
    after_checkout = await ledger_state(client, MEMBER)
    assert after_checkout != before

    assert await _sync(client, ORDER) == {"accepted": 1, "rejected": []}
    kept = await _cdp(client, "A-1001")
    assert kept["state"] == "placed" and kept["total"] == 1500
    assert kept["customer"] == {"phone": MEMBER}
    assert kept["fields"] == {"comment": "leave at the door"}

    # A partial return: a line with status `refunded` leaves the stored order.
    returned = {
        **ORDER,
        "status": "Delivered",
        "value": {"total": 1000},
        "items": [ORDER["items"][0], {**ORDER["items"][1], "status": "refunded"}],
    }
    await _sync(client, returned)
    kept = await _cdp(client, "A-1001")
    assert kept["state"] == "fulfilled" and [i["id"] for i in kept["items"]] == ["SKU-1"]

    # A full cancel is {id, status}: everything else stays, loyalty is untouched.
    await _sync(client, {"id": "A-1001", "status": "Cancelled"})
    kept = await _cdp(client, "A-1001")
    assert kept["state"] == "cancelled" and kept["status"] == "Cancelled"
    assert kept["total"] == 1000 and kept["channel"] == "website"
    assert [h["status"] for h in kept["history"]] == ["Paid", "Delivered", "Cancelled"]
    assert await ledger_state(client, MEMBER) == after_checkout
    details = await ok_get(client, "/loyalty/checkout/details", order_id="A-1001")
    assert details["status"] == "fulfilled"


async def test_sync_keeps_good_orders_and_reports_bad_ones(client: httpx.AsyncClient) -> None:
    result = await _sync(
        client,
        ORDER,
        {**ORDER, "id": "A-2", "phone": None},  # anonymous
        {**ORDER, "id": "A-3", "items": [ORDER["items"][0], ORDER["items"][0]]},
        {**ORDER, "id": "A-4", "date": 10**12},
        {**ORDER, "id": "A-5", "value": {"total": "NaN"}},
        {"id": "A-6", "status": "Cancelled"},  # unknown order, not a full order
        "not an order",
    )
    assert result["accepted"] == 1
    assert [(r["index"], r["id"]) for r in result["rejected"]] == [
        (1, "A-2"),
        (2, "A-3"),
        (3, "A-4"),
        (4, "A-5"),
        (5, "A-6"),
        (6, None),
    ]
    assert all(r["message"] for r in result["rejected"])
    missing = await client.get(f"{ADMIN}/cdp_orders/A-2", headers=ORGANISER)
    assert missing.status_code == 404
    empty = await client.post("/sync/orders", json={**AUTH, "orders": []})
    assert empty.status_code == 400
    assert empty.json()["payload"]["message"] == "orders is required"
    unknown_shop = await client.post("/sync/orders", json={"shop_id": "x", "orders": [ORDER]})
    assert unknown_shop.status_code == 401
    assert unknown_shop.json()["success"] is False


async def test_another_organisations_key_cannot_read_the_shops_cdp_orders(
    client: httpx.AsyncClient, new_tenant: Any
) -> None:
    await _sync(client, ORDER)
    other = await new_tenant()
    answer = await client.get(f"{ADMIN}/cdp_orders/A-1001", headers=other.organiser)
    assert answer.status_code == 404


def test_settings_refuse_an_unknown_sender() -> None:
    with pytest.raises(ValueError, match="KASSA_OTP_SENDER"):
        Settings.from_env({"KASSA_OTP_SENDER": "pigeon"})
    assert Settings.from_env({}).otp_sender == "log"
    assert demo.SHOP_ID
