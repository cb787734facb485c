"""One engine behind every way in: for each entry point that cancels an order (ticketing v1
and v2, refund approvals, expiry, the loyalty and delivery faces, Kassa's cancellation API, the
console), Kassa's preview is taken first, the order is cancelled through that entry point, and
the one timeline entry the cancel leaves must carry the very plan the preview showed: same
version, same keys, same release / promo-code / loyalty / refund sections. Ticket, delivery
and loyalty orders, whole and partial where the entry point allows, on SQLite and PostgreSQL.
"""

import itertools
from collections.abc import Awaitable, Callable
from decimal import Decimal
from typing import Any

import httpx
import pytest

from kassa.app import demo, worker
from kassa.app.cancellation import expire_due
from kassa.store.db import Database
from tests.api.test_console import sign_in
from tests.api.test_delivery import order_body, send, token
from tests.api.test_loyalty import call, cart, ok
from tests.conftest import FakeClock

ORGANISER = {"Authorization": f"key {demo.ORG_KEY}"}
SELLER = {"Authorization": f"key {demo.PARTNER_KEY}"}
V1_ORDERS = "/v1/resources/orders"
V2_ORDERS = "/v2/resources/orders"
REFUNDS = "/v2/resources/refund_requests"
MEMBER_PHONE = "+7 999 000-00-01"  # demo.MEMBER's phone, as a ticket buyer writes it
# What a face adds to the plan in its timeline entry, beside the plan itself.
EXTRAS = {
    "tickets": set(),
    "delivery": {"eatsId", "attributes"},
    "loyalty": {"id", "shop", "order_id", "identifier", "to_pay"},
}
# The plan's sections that must read the same in the preview and in the timeline (the reason
# and comment are the caller's; `to_status` is checked on its own, an expiry ends `expired`).
SAME = (
    "order",
    "face",
    "version",
    "from_status",
    "partial",
    "release",
    "promocodes_given_back",
    "loyalty",
    "refund",
    "notify",
)
_eats = itertools.count(10_000_000)

Act = Callable[[dict[str, Any]], Awaitable[None]]


def cancellation_url(order_id: str) -> str:
    return f"/api/v1/orders/{order_id}/cancellation"


async def preview(client: httpx.AsyncClient, order_id: str, **params: str) -> dict[str, Any]:
    """Kassa's preview of the whole order, or of `tickets=a,b` / `items=id:qty,...`."""
    response = await client.get(cancellation_url(order_id), headers=ORGANISER, params=params)
    assert response.status_code == 200, response.text
    plan: dict[str, Any] = response.json()
    return plan


async def cancel_entries(client: httpx.AsyncClient, order_id: str) -> list[dict[str, Any]]:
    """The order's timeline entries that record a cancel (their details carry a plan)."""
    response = await client.get(f"/api/v1/orders/{order_id}/timeline", headers=ORGANISER)
    assert response.status_code == 200, response.text
    return [
        e
        for e in response.json()["timeline"]
        if {"face", "version", "release"} <= set(e["details"] or {})
    ]


def assert_same_plan(
    plan: dict[str, Any], details: dict[str, Any], *, to_status: str | None = None
) -> None:
    """The timeline entry's details are the preview's plan (plus the face's own extras)."""
    assert set(plan) <= set(details), sorted(set(plan) - set(details))
    assert set(details) - set(plan) <= EXTRAS[plan["face"]], sorted(set(details) - set(plan))
    for section in ("release", "loyalty", "refund"):
        assert set(details[section]) == set(plan[section]), section
    for key in SAME:
        assert details[key] == plan[key], (key, plan[key], details[key])
    assert details["to_status"] == (to_status or plan["to_status"])


async def through(
    client: httpx.AsyncClient,
    order_id: str,
    act: Act,
    *,
    to_status: str | None = None,
    **params: str,
) -> dict[str, Any]:
    """Preview, cancel by `act`, and check the one new cancel entry carries that plan."""
    plan = await preview(client, order_id, **params)
    before = await cancel_entries(client, order_id)
    await act(plan)
    after = await cancel_entries(client, order_id)
    assert len(after) == len(before) + 1, [e["action"] for e in after]
    assert_same_plan(plan, after[-1]["details"], to_status=to_status)
    return plan


# -- orders of each kind --------------------------------------------------------------------


async def v1_order(client: httpx.AsyncClient, count: int = 2) -> dict[str, Any]:
    response = await client.post(
        V1_ORDERS,
        headers=ORGANISER,
        json={"event": demo.EVENT_ID, "random": {demo.STALLS_SET_ID: count}},
    )
    assert response.status_code == 201, response.text
    order: dict[str, Any] = response.json()
    return order


async def v2_order(
    client: httpx.AsyncClient,
    count: int = 2,
    *,
    promo: str | None = "PROMO100",
    member: bool = False,
    done: bool = False,
) -> dict[str, Any]:
    body: dict[str, Any] = {"event": demo.V2_EVENT_ID, "random": {demo.V2_STALLS_SET_ID: count}}
    if promo:
        body["promocodes"] = [promo]
    if member:
        body["settings"] = {"customer": {"phone": MEMBER_PHONE, "name": "Member"}}
    response = await client.post(V2_ORDERS, headers=SELLER, json=body)
    assert response.status_code == 200, response.text
    order: dict[str, Any] = response.json()["data"]
    if done:
        paid = await client.patch(
            f"{V2_ORDERS}/{order['id']}", headers=SELLER, json={"status": "done"}
        )
        assert paid.status_code == 200, paid.text
        order = paid.json()["data"]
    return order


def ticket_ids(order: dict[str, Any]) -> list[str]:
    return [t["id"] if isinstance(t, dict) else t for t in order["tickets"]]


async def link_event(client: httpx.AsyncClient) -> None:
    """Attach the v2 event to the demo loyalty shop: a member's done order earns bonuses."""
    linked = await client.put(
        f"/api/v1/loyalty/shops/{demo.SHOP_ID}/events/{demo.V2_EVENT_ID}", headers=ORGANISER
    )
    assert linked.status_code == 200, linked.text


async def delivery_order(client: httpx.AsyncClient, auth: dict[str, str], **dishes: int) -> str:
    eats_id = f"190330-{next(_eats):08d}"
    created = await send(client, "POST", "/order", auth, order_body(eats_id, **dishes))
    assert created.status_code == 200, created.text
    order_id: str = created.json()["orderId"]
    return order_id


async def eats_id_of(client: httpx.AsyncClient, auth: dict[str, str], order_id: str) -> str:
    read = await client.get(f"/order/{order_id}", headers=auth)
    assert read.status_code == 200, read.text
    eats_id: str = read.json()["eatsId"]
    return eats_id


async def loyalty_order(
    client: httpx.AsyncClient,
    db: Database,
    shop_order: str,
    items: list[dict[str, Any]],
    *,
    confirm: bool = True,
    **extra: Any,
) -> str:
    """A checkout of demo.MEMBER (applied, and confirmed unless told); Kassa's id of it."""
    await ok(
        client, "apply", order_id=shop_order, identifier=demo.MEMBER, cart_items=items, **extra
    )
    if confirm:
        await ok(client, "confirm", order_id=shop_order)
    async with db.unit_of_work(write=False) as uow:
        found = await uow.loyalty.order(demo.SHOP_ID, shop_order)
    assert found is not None
    return found.id


SPENDING = {"charge_bonuses": True, "certificates": [demo.CERTIFICATE]}
BIG_CART = (("latte", "250", 4), ("cake", "400.50", 2), ("coffee", "150", 6))


def expect(response: httpx.Response, status: int) -> None:
    assert response.status_code == status, response.text


# -- ticketing v1 and v2 --------------------------------------------------------------------


async def test_v1_patch_canceled_applies_the_engines_plan(
    client: httpx.AsyncClient, demo_data: demo.DemoInfo
) -> None:
    order = await v1_order(client)

    async def act(plan: dict[str, Any]) -> None:
        patched = await client.patch(
            f"{V1_ORDERS}/{order['id']}", headers=ORGANISER, json={"status": "canceled"}
        )
        expect(patched, 200)
        assert patched.json()["status"] == "canceled"

    plan = await through(client, order["id"], act)
    assert sorted(plan["release"]["tickets"]) == sorted(ticket_ids(order))


async def test_v1_delete_applies_the_engines_plan(
    client: httpx.AsyncClient, demo_data: demo.DemoInfo
) -> None:
    order = await v1_order(client, 3)

    async def act(plan: dict[str, Any]) -> None:
        expect(await client.delete(f"{V1_ORDERS}/{order['id']}", headers=ORGANISER), 200)

    plan = await through(client, order["id"], act)
    assert plan["to_status"] == "canceled" and len(plan["release"]["tickets"]) == 3


async def test_v2_patch_cancelled_applies_the_engines_plan(
    client: httpx.AsyncClient, demo_data: demo.DemoInfo
) -> None:
    order = await v2_order(client, 2, promo="PROMO100")

    async def act(plan: dict[str, Any]) -> None:
        patched = await client.patch(
            f"{V2_ORDERS}/{order['id']}", headers=SELLER, json={"status": "cancelled"}
        )
        expect(patched, 200)
        assert patched.json()["data"]["status"] == "cancelled"

    plan = await through(client, order["id"], act)
    assert plan["promocodes_given_back"] == [demo.PROMO100_ID]


async def test_v2_refund_approvals_part_then_whole_apply_the_engines_plan(
    client: httpx.AsyncClient, demo_data: demo.DemoInfo
) -> None:
    await link_event(client)
    order = await v2_order(client, 3, promo="promo5%", member=True, done=True)
    tickets = ticket_ids(order)

    async def refund(wanted: list[str], **params: str) -> dict[str, Any]:
        asked_for = await preview(client, order["id"], tickets=",".join(wanted))
        asked = await client.post(
            REFUNDS,
            headers=SELLER,
            json={"order": order["id"], "culprit": "user", "tickets": wanted},
        )
        expect(asked, 200)
        refund_id = asked.json()["data"]["id"]

        async def approve(_: dict[str, Any]) -> None:
            approved = await client.patch(
                f"{REFUNDS}/{refund_id}", headers=ORGANISER, json={"status": "approved"}
            )
            expect(approved, 200)

        plan = await through(client, order["id"], approve, **params)
        assert plan == asked_for  # asking for a refund does not change the plan
        return plan

    part = await refund(tickets[:1], tickets=tickets[0])
    assert part["partial"] is True and part["release"]["tickets"] == tickets[:1]
    assert Decimal(part["loyalty"]["bonuses_revoked"]) > 0
    assert part["loyalty"]["member"] == demo.MEMBER
    whole = await refund(tickets[1:])  # every ticket left: previewed as the whole order
    assert sorted(whole["release"]["tickets"]) == sorted(tickets[1:])
    assert whole["promocodes_given_back"] == [demo.PROMO5_ID]


# -- expiry ---------------------------------------------------------------------------------


async def test_expiry_by_the_sweeper_the_worker_and_a_read_applies_the_engines_plan(
    client: httpx.AsyncClient, db: Database, clock: FakeClock, demo_data: demo.DemoInfo
) -> None:
    async def sweep(order_id: str) -> None:
        assert await expire_due(db, clock()) == 1

    async def run_worker(order_id: str) -> None:
        async with httpx.AsyncClient() as outside:
            assert await worker.run_once(db, outside, clock) >= 1

    async def read(order_id: str) -> None:
        shown = await client.get(f"{V1_ORDERS}/{order_id}", headers=ORGANISER)
        expect(shown, 200)
        assert shown.json()["status"] == "expired"

    async def expires_through(order: dict[str, Any], trigger: Callable[[str], Any]) -> None:
        async def act(_: dict[str, Any]) -> None:
            clock.advance(days=2)  # past the reservation and the payment hold
            await trigger(order["id"])

        plan = await through(client, order["id"], act, to_status="expired")
        assert plan["to_status"] == "canceled"  # what a cancel now would do; it expires instead
        entry = (await cancel_entries(client, order["id"]))[-1]
        assert entry["details"]["reason"] == "expired" and entry["actor"] == "system"

    # Each order is placed once the one before is expired: the sweeper takes every due order.
    await expires_through(await v2_order(client, 2, promo="PROMO100"), sweep)
    await expires_through(await v2_order(client, 1, promo="promo5%"), run_worker)
    await expires_through(await v1_order(client, 2), read)


# -- the loyalty face -----------------------------------------------------------------------


async def test_loyalty_face_cancel_applies_the_engines_plan(
    client: httpx.AsyncClient, db: Database, demo_data: demo.DemoInfo
) -> None:
    for shop_order, confirm in (("ONE-APPLIED", False), ("ONE-CONFIRMED", True)):
        order_id = await loyalty_order(
            client, db, shop_order, cart(*BIG_CART), confirm=confirm, **SPENDING
        )

        async def act(plan: dict[str, Any], shop_order: str = shop_order) -> None:
            cancelled = await call(client, "cancel", order_id=shop_order)
            expect(cancelled, 200)

        plan = await through(client, order_id, act)
        assert Decimal(plan["loyalty"]["bonuses_returned"]) > 0
        assert Decimal(plan["loyalty"]["certificates_returned"]) > 0


async def test_loyalty_face_smaller_cart_is_the_engines_partial_cancel(
    client: httpx.AsyncClient, db: Database, demo_data: demo.DemoInfo
) -> None:
    order_id = await loyalty_order(client, db, "ONE-CHANGE", cart(*BIG_CART), **SPENDING)

    async def shrink(plan: dict[str, Any]) -> None:
        changed = await call(
            client,
            "change",
            order_id="ONE-CHANGE",
            cart_items=cart(("latte", "250", 2), ("cake", "400.50", 2), ("coffee", "150", 6)),
        )
        expect(changed, 200)
        assert Decimal(str(changed.json()["payload"]["order_total_change"])) < 0

    plan = await through(client, order_id, shrink, items="latte:2")
    assert plan["partial"] is True and Decimal(plan["refund"]["amount"]) > 0

    async def shrink_two(plan: dict[str, Any]) -> None:
        changed = await call(
            client,
            "change",
            order_id="ONE-CHANGE",
            cart_items=cart(("latte", "250", 1), ("cake", "400.50", 2), ("coffee", "150", 3)),
        )
        expect(changed, 200)

    await through(client, order_id, shrink_two, items="latte:1,coffee:3")


# -- the delivery face ----------------------------------------------------------------------


async def test_delivery_face_delete_and_cancelled_push_apply_the_engines_plan(
    client: httpx.AsyncClient, demo_data: demo.DemoInfo
) -> None:
    auth = await token(client)
    deleted = await delivery_order(client, auth, borscht=2, kompot=1)
    eats_id = await eats_id_of(client, auth, deleted)

    async def delete(_: dict[str, Any]) -> None:
        gone = await send(
            client, "DELETE", f"/order/{deleted}", auth, {"eatsId": eats_id, "comment": "refusal"}
        )
        expect(gone, 200)

    plan = await through(client, deleted, delete)
    assert plan["release"]["items"] and plan["to_status"] == "CANCELLED"

    pushed = await delivery_order(client, auth, pelmeni=1, borscht=1)
    moved = await client.post(
        f"/api/v1/delivery/orders/{pushed}/status",
        headers=ORGANISER,
        json={"status": "ACCEPTED_BY_RESTAURANT"},
    )
    expect(moved, 200)
    body = {"status": "CANCELLED", "reason": "client.does_not_want_to_wait", "attributes": ["x"]}

    async def push(_: dict[str, Any]) -> None:
        expect(await send(client, "PUT", f"/order/{pushed}/status", auth, body), 204)

    await through(client, pushed, push)
    entry = (await cancel_entries(client, pushed))[-1]
    assert entry["details"]["attributes"] == ["x"]

    # The aggregator retries: a cancelled order cancelled again is a no-op, no second entry.
    for order_id, again in (
        (deleted, send(client, "DELETE", f"/order/{deleted}", auth, {"eatsId": eats_id})),
        (pushed, send(client, "PUT", f"/order/{pushed}/status", auth, body)),
    ):
        count = len(await cancel_entries(client, order_id))
        answer = await again
        assert answer.status_code in (200, 204), answer.text
        assert len(await cancel_entries(client, order_id)) == count
    repeated = await send(client, "DELETE", f"/order/{deleted}", auth, {"eatsId": eats_id})
    expect(repeated, 200)


# -- Kassa's cancellation API ---------------------------------------------------------------


def kassa_cancel(client: httpx.AsyncClient, order_id: str, reason: str, **part: Any) -> Act:
    async def act(plan: dict[str, Any]) -> None:
        body = {"reason": reason, "comment": "by the api", "version": plan["version"], **part}
        expect(await client.post(cancellation_url(order_id), headers=ORGANISER, json=body), 200)

    return act


async def test_kassa_api_cancels_tickets_whole_and_partial_by_the_engines_plan(
    client: httpx.AsyncClient, demo_data: demo.DemoInfo
) -> None:
    await link_event(client)
    held = await v2_order(client, 3, promo="PROMO100")
    first = ticket_ids(held)[0]
    api = kassa_cancel(client, held["id"], "customer_request", tickets=[first])
    await through(client, held["id"], api, tickets=first)
    await through(client, held["id"], kassa_cancel(client, held["id"], "other"))

    sold = await v2_order(client, 3, member=True, done=True)
    one = ticket_ids(sold)[1]
    api = kassa_cancel(client, sold["id"], "event_changed", tickets=[one])
    plan = await through(client, sold["id"], api, tickets=one)
    assert Decimal(plan["refund"]["amount"]) > 0
    assert Decimal(plan["loyalty"]["bonuses_revoked"]) > 0
    plan = await through(client, sold["id"], kassa_cancel(client, sold["id"], "event_cancelled"))
    assert plan["to_status"] == "done" and len(plan["release"]["tickets"]) == 2


async def test_kassa_api_cancels_delivery_whole_and_partial_by_the_engines_plan(
    client: httpx.AsyncClient, demo_data: demo.DemoInfo
) -> None:
    auth = await token(client)
    order_id = await delivery_order(client, auth, borscht=3, pelmeni=2, kompot=1)
    items = [{"id": "borscht", "quantity": 2}, {"id": "pelmeni", "quantity": 1}]
    api = kassa_cancel(client, order_id, "out_of_stock", items=items)
    await through(client, order_id, api, items="borscht:2,pelmeni:1")
    await through(client, order_id, kassa_cancel(client, order_id, "place.missing_dish"))


async def test_kassa_api_cancels_loyalty_whole_and_partial_by_the_engines_plan(
    client: httpx.AsyncClient, db: Database, demo_data: demo.DemoInfo
) -> None:
    order_id = await loyalty_order(client, db, "ONE-API", cart(*BIG_CART), **SPENDING)
    items = [{"id": "latte", "quantity": 3}, {"id": "coffee", "quantity": 2}]
    api = kassa_cancel(client, order_id, "customer_request", items=items)
    await through(client, order_id, api, items="latte:3,coffee:2")
    plan = await through(client, order_id, kassa_cancel(client, order_id, "out_of_stock"))
    assert plan["to_status"] == "cancelled"


# -- the console ----------------------------------------------------------------------------


def console_post(client: httpx.AsyncClient, path: str, csrf: str, reason: str, **form: Any) -> Act:
    async def act(plan: dict[str, Any]) -> None:
        data = {"csrf": csrf, "version": plan["version"], "reason": reason, **form}
        answer = await client.post(path, data=data)
        assert answer.status_code == 303, answer.text
        assert "ok=" in answer.headers["location"], answer.headers["location"]

    return act


async def test_console_cancels_tickets_whole_and_partial_by_the_engines_plan(
    client: httpx.AsyncClient, demo_data: demo.DemoInfo
) -> None:
    await link_event(client)
    _, csrf = await sign_in(client)
    held = await v2_order(client, 3, promo="PROMO100")
    path = f"/console/orders/tickets/{held['id']}/cancellation"
    two = ticket_ids(held)[:2]
    act = console_post(client, path, csrf, "customer_request", tickets=two)
    await through(client, held["id"], act, tickets=",".join(two))
    await through(client, held["id"], console_post(client, path, csrf, "duplicate_order"))

    sold = await v2_order(client, 2, promo=None, member=True, done=True)
    path = f"/console/orders/tickets/{sold['id']}/cancellation"
    one = ticket_ids(sold)[0]
    act = console_post(client, path, csrf, "event_changed", tickets=[one])
    plan = await through(client, sold["id"], act, tickets=one)
    assert Decimal(plan["loyalty"]["bonuses_revoked"]) > 0
    await through(client, sold["id"], console_post(client, path, csrf, "event_cancelled"))


async def test_console_cancels_delivery_whole_and_partial_by_the_engines_plan(
    client: httpx.AsyncClient, demo_data: demo.DemoInfo
) -> None:
    auth = await token(client)
    _, csrf = await sign_in(client)
    order_id = await delivery_order(client, auth, borscht=3, kompot=2)
    partial = f"/console/orders/delivery/{order_id}/partial"
    act = console_post(client, partial, csrf, "place.missing_dish", **{"qty-borscht": "2"})
    await through(client, order_id, act, items="borscht:2")
    whole = f"/console/orders/delivery/{order_id}/cancel"
    await through(client, order_id, console_post(client, whole, csrf, "place.closed_early"))


async def test_console_cancels_loyalty_whole_and_partial_by_the_engines_plan(
    client: httpx.AsyncClient, db: Database, demo_data: demo.DemoInfo
) -> None:
    _, csrf = await sign_in(client)
    order_id = await loyalty_order(client, db, "ONE-CONSOLE", cart(*BIG_CART), **SPENDING)
    partial = f"/console/orders/loyalty/{order_id}/partial"
    act = console_post(client, partial, csrf, "customer_request", **{"qty-cake": "1"})
    await through(client, order_id, act, items="cake:1")
    whole = f"/console/orders/loyalty/{order_id}/cancel"
    await through(client, order_id, console_post(client, whole, csrf, "other"))


# -- a preview gone stale -------------------------------------------------------------------


@pytest.mark.parametrize("face", ["tickets", "delivery", "loyalty"])
async def test_a_stale_version_is_refused_with_409_by_the_api_and_the_console(
    client: httpx.AsyncClient, db: Database, demo_data: demo.DemoInfo, face: str
) -> None:
    _, csrf = await sign_in(client)
    if face == "tickets":
        order = await v2_order(client, 3)
        order_id = order["id"]
        part = {"tickets": ticket_ids(order)[:1]}
        form: dict[str, Any] = {"tickets": ticket_ids(order)[1]}
        console = f"/console/orders/tickets/{order_id}/cancellation"
    elif face == "delivery":
        order_id = await delivery_order(client, await token(client), borscht=3)
        part = {"items": [{"id": "borscht", "quantity": 1}]}
        form = {}
        console = f"/console/orders/delivery/{order_id}/cancel"
    else:
        order_id = await loyalty_order(client, db, "ONE-STALE", cart(*BIG_CART), **SPENDING)
        part = {"items": [{"id": "latte", "quantity": 1}]}
        form = {}
        console = f"/console/orders/loyalty/{order_id}/cancel"
    old = await preview(client, order_id)
    changed = await client.post(
        cancellation_url(order_id), headers=ORGANISER, json={"reason": "other", **part}
    )
    expect(changed, 200)
    count = len(await cancel_entries(client, order_id))
    stale = await client.post(
        cancellation_url(order_id),
        headers=ORGANISER,
        json={"reason": "other", "version": old["version"]},
    )
    expect(stale, 409)
    assert stale.json()["code"] == "order_changed"
    refused = await client.post(
        console, data={"csrf": csrf, "version": old["version"], "reason": "other", **form}
    )
    expect(refused, 409)
    assert len(await cancel_entries(client, order_id)) == count
    assert (await preview(client, order_id))["version"] != old["version"]
