"""The console speaks in words, the same ones on every face's pages: one label per status
(v1 `canceled`, v2 and loyalty `cancelled`, delivery `CANCELLED` all read "Cancelled"),
reasons and ticket states as words, actors and webhook recipients by name, Kassa's id on every
order page; the loyalty page lists members and checkouts; the site has an icon."""

import re

import httpx

from kassa.app import demo, loyalty, operators
from kassa.core.loyalty_program import program_from
from kassa.store.db import Database
from tests.api.test_console import ORGANISER, reserve, sign_in
from tests.conftest import FakeClock

STATUS_CELL = re.compile(r'<span class="status s-(\w+)"[^>]*>([^<]*)</span>')
ORDER_LINK = re.compile(r'href="/console/orders/(\w+)/([0-9a-f]{24})"')
RAW_ID = re.compile(r"\b[0-9a-f]{24}\b")


def badge(html: str) -> str:
    found = re.search(r'id="order-status"[^>]*>([^<]*)<', html)
    assert found is not None, html[:2000]
    return found.group(1)


async def cancel_one_of_each_face(client: httpx.AsyncClient, seller: dict[str, str]) -> None:
    """The demo history has a cancelled v1 ticket order; cancel its delivery and loyalty
    orders by their faces' own ids, and a v2 order through v2 (`cancelled`)."""
    for ref in ("190330-00000001", "DEMO-1"):
        done = await client.post(
            f"/api/v1/orders/{ref}/cancellation", headers=ORGANISER, json={"reason": "other"}
        )
        assert done.status_code == 200, done.text
    v2 = await client.post(
        "/v2/resources/orders",
        headers=seller,
        json={"event": demo.V2_EVENT_ID, "random": {demo.V2_STALLS_SET_ID: 1}},
    )
    order_id = v2.json()["data"]["id"]
    gone = await client.patch(
        f"/v2/resources/orders/{order_id}", headers=seller, json={"status": "cancelled"}
    )
    assert gone.json()["data"]["status"] == "cancelled", gone.text


async def test_every_face_says_cancelled_in_the_same_word(
    client: httpx.AsyncClient, db: Database, clock: FakeClock
) -> None:
    await demo.seed_if_empty(db, clock())
    await cancel_one_of_each_face(client, {"Authorization": f"key {demo.PARTNER_KEY}"})
    await sign_in(client)
    listing = await client.get("/console/orders", params={"stage": "cancelled"})
    cells = STATUS_CELL.findall(listing.text)
    assert len(cells) == 4, listing.text
    assert {words for _, words in cells} == {"Cancelled"}
    assert {tone for tone, _ in cells} == {"cancelled"}
    links = ORDER_LINK.findall(listing.text)
    assert {face for face, _ in links} == {"tickets", "delivery", "loyalty"}
    for face, order_id in links:
        page = await client.get(f"/console/orders/{face}/{order_id}")
        assert page.status_code == 200, page.text
        assert badge(page.text) == "Cancelled"
        assert f'<code id="kassa-id">{order_id}</code>' in page.text
    # The filters speak the same words, their values stay the codes the URL carries.
    assert '<option value="cancelled" selected>Cancelled</option>' in listing.text
    assert '<option value="delivery" >Delivery</option>' in listing.text


async def test_the_flash_and_the_badge_agree_and_tickets_read_reserved_then_sold(
    client: httpx.AsyncClient, demo_data: demo.DemoInfo
) -> None:
    _, csrf = await sign_in(client)
    order = await reserve(client, 2)
    page = (await client.get(f"/console/orders/tickets/{order['id']}")).text
    assert badge(page) == "Reserved"
    assert page.count('<td class="state">Reserved</td>') == 2
    assert ">active<" not in page and ">executed<" not in page
    confirmed = await client.post(
        f"/console/orders/tickets/{order['id']}/confirm", data={"csrf": csrf}
    )
    assert confirmed.status_code == 303
    page = (await client.get(f"/console/orders/tickets/{order['id']}")).text
    assert badge(page) == "Paid"
    assert page.count('<td class="state">Sold</td>') == 2

    other = await reserve(client, 1)
    done = await client.post(
        f"/console/orders/tickets/{other['id']}/cancellation",
        data={"csrf": csrf, "reason": "customer_request"},
        follow_redirects=True,
    )
    assert '<p class="flash ok" role="status">Order cancelled.</p>' in done.text
    assert badge(done.text) == "Cancelled"
    assert "Cancelled" in done.text.split('id="timeline"')[1]


async def test_reasons_are_offered_as_words(
    client: httpx.AsyncClient, demo_data: demo.DemoInfo
) -> None:
    await sign_in(client)
    order = await reserve(client, 1)
    preview = await client.get(
        f"/console/orders/tickets/{order['id']}/cancellation", params={"whole": "1"}
    )
    options = re.findall(r'<option value="([^"]+)"[^>]*>([^<]+)</option>', preview.text)
    assert ("event_cancelled", "The event is cancelled") in options
    assert options and all("_" not in text and text[0].isupper() for _, text in options)
    assert "Status: Reserved → <strong" in preview.text


async def test_actors_and_webhook_recipients_are_named(
    client: httpx.AsyncClient, db: Database, clock: FakeClock
) -> None:
    await demo.seed_if_empty(db, clock())
    await sign_in(client)
    seller = {"Authorization": f"key {demo.PARTNER_KEY}"}
    sold = await client.post(
        "/v1/resources/orders",
        headers=seller,
        json={"event": demo.EVENT_ID, "random": {demo.STALLS_SET_ID: 1}},
    )
    order_id = sold.json()["id"]
    page = (await client.get(f"/console/orders/tickets/{order_id}")).text
    assert f'<span class="actor" title="{demo.PARTNER_ID}">by Demo Seller</span>' in page
    preview = await client.get(
        f"/console/orders/tickets/{order_id}/cancellation", params={"whole": "1"}
    )
    assert 'Told by webhook: <span class="notify">Demo Organiser, Demo Seller</span>' in (
        preview.text
    )

    listing = await client.get("/console/orders", params={"q": "DEMO-1"})
    (_, loyalty_id), *_ = ORDER_LINK.findall(listing.text)
    page = (await client.get(f"/console/orders/loyalty/{loyalty_id}")).text
    assert "by Demo Coffee (shop)</span>" in page
    assert 'Told by webhook: <span class="notify">Demo Organiser</span>' in page
    # The shop's order id, Kassa's id and a count of products, not an amount.
    assert "<dt>Shop's order id</dt><dd>DEMO-1</dd>" in page
    assert '<dd id="products-count">2</dd>' in page
    assert "Products total" not in page

    listing = await client.get("/console/orders", params={"q": "190330-00000001"})
    (_, delivery_id), *_ = ORDER_LINK.findall(listing.text)
    page = (await client.get(f"/console/orders/delivery/{delivery_id}")).text
    assert "by The aggregator</span>" in page
    assert 'Told by webhook: <span class="notify">Demo Organiser</span>' in page
    for html in (page, preview.text):
        shown = re.sub(r'(title|href|value|id|action|hx-get)="[^"]*"', "", html)
        shown = re.sub(r'<code id="kassa-id">[0-9a-f]{24}</code>', "", shown)
        assert not RAW_ID.findall(shown.split("<h2>Timeline</h2>")[-1])


async def test_the_site_has_an_icon(client: httpx.AsyncClient) -> None:
    icon = await client.get("/favicon.ico")
    assert icon.status_code == 200
    assert icon.headers["content-type"] == "image/x-icon"
    assert icon.content[:4] == b"\x00\x00\x01\x00"
    svg = await client.get("/console/static/favicon.svg")
    assert svg.status_code == 200 and b"<svg" in svg.content
    login = await client.get("/console/login")
    assert '<link rel="icon" href="/console/static/favicon.svg"' in login.text


async def test_the_loyalty_page_lists_members_and_checkouts_of_the_operators_shop(
    client: httpx.AsyncClient, db: Database, clock: FakeClock
) -> None:
    await demo.seed_if_empty(db, clock())
    shop = await loyalty.authenticate(db, demo.SHOP_ID, demo.SHOP_SECRET)
    for n in range(30):
        await loyalty.join(db, shop, f"7999100{n:04d}", clock())
    other, _ = await loyalty.create_shop(
        db, demo.ORG_ID, "Other Coffee", program_from({"earn_percent": "5"}), clock()
    )
    await loyalty.join(db, other, "79995550000", clock())
    await sign_in(client)

    first = (await client.get("/console/loyalty", params={"shop": demo.SHOP_ID})).text
    members = first.split('id="members"')[1].split("</table>")[0]
    assert members.count("<tr><td>") == 25
    assert "79995550000" not in first
    assert "members=2" in first  # the next page of members
    second = (await client.get("/console/loyalty", params={"members": "2"})).text
    rest = second.split('id="members"')[1].split("</table>")[0]
    assert rest.count("<tr><td>") == 32 - 25
    assert f'>{demo.MEMBER}</a></td><td class="num">1300.00</td>' in rest
    checkouts = first.split('id="checkouts"')[1].split("</table>")[0]
    assert ">DEMO-1</a>" in checkouts and ">Paid</span>" in checkouts
    assert f">{demo.REFERRED_MEMBER}</a>" in checkouts

    # An operator narrowed to the other shop sees only it, whatever the URL asks for.
    await operators.create_operator(
        db,
        org_id=demo.ORG_ID,
        email="till@demo.kassa",
        password="till-pass-1",
        role="operator",
        shop_id=other.id,
        now=clock(),
    )
    client.cookies.clear()
    await sign_in(client, "till@demo.kassa", "till-pass-1")
    narrowed = (await client.get("/console/loyalty", params={"shop": demo.SHOP_ID})).text
    assert "79995550000" in narrowed
    assert f">{demo.MEMBER}<" not in narrowed and "DEMO-1" not in narrowed
    assert "No checkouts yet." in narrowed


async def test_events_and_ledgers_read_as_words(
    client: httpx.AsyncClient, demo_data: demo.DemoInfo
) -> None:
    await sign_in(client)
    events = (await client.get("/console/events")).text
    assert ">On sale</span>" in events and ">public<" not in events
    assert '<option value="public">On sale</option>' in events
    event = (await client.get(f"/console/events/{demo.EVENT_ID}")).text
    assert '<option value="public" selected>On sale</option>' in event
    member = (await client.get("/console/loyalty", params={"phone": demo.MEMBER})).text
    ledger = member.split('id="ledger"')[1].split("</table>")[0]
    assert "<td>Bonuses</td><td>Adjusted</td>" in ledger
    assert ">bonus<" not in ledger and ">adjust<" not in ledger
