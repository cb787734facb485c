"""v1 partners, deals, users (`whoami`) and venues: shapes as the 2016 doc, scoped to the
caller (a seller: itself, its organiser, its deals and keys, the venues it sells at)."""

from typing import Any

import httpx

from kassa.app import demo
from kassa.core.accounts import deal_id

DEAL_KEYS = {
    "created_at",
    "event",
    "id",
    "obj",
    "reversed_deal",
    "status",
    "subj",
    "term",
    "updated_at",
}
PARTNER_KEYS = {
    "channels",
    "contact",
    "created_at",
    "desc",
    "director",
    "id",
    "legal",
    "name",
    "removed",
    "roles",
    "tags",
    "updated_at",
}
USER_KEYS = {
    "created_at",
    "email",
    "first_name",
    "id",
    "last_name",
    "partners",
    "tags",
    "updated_at",
    "crm",
}
VENUE_KEYS = {
    "address",
    "city",
    "country",
    "created_at",
    "description",
    "id",
    "name",
    "point",
    "removed",
    "updated_at",
}


async def test_partners_as_the_doc_shows_them(
    client: httpx.AsyncClient, seller: dict[str, str], organiser: dict[str, str]
) -> None:
    mine = await client.get("/v1/resources/partners", headers=seller)
    assert mine.status_code == 200 and mine.headers["X-Partner"] == demo.PARTNER_ID
    listed = {p["id"]: p for p in mine.json()}
    assert set(listed) == {demo.ORG_ID, demo.PARTNER_ID}
    for partner in listed.values():
        assert set(partner) == PARTNER_KEYS
    assert listed[demo.ORG_ID]["roles"] == ["org"]
    assert listed[demo.PARTNER_ID]["roles"] == ["agent"]
    assert listed[demo.PARTNER_ID]["name"] == "Demo Seller"
    assert listed[demo.PARTNER_ID]["legal"] is None and listed[demo.ORG_ID]["removed"] is False
    one = await client.get(f"/v1/resources/partners/{demo.ORG_ID}", headers=seller)
    assert one.json() == listed[demo.ORG_ID]
    only = await client.get(
        "/v1/resources/partners", headers=organiser, params={"ids": demo.ORG_ID}
    )
    assert [p["id"] for p in only.json()] == [demo.ORG_ID]


async def test_a_seller_reads_no_other_seller(
    client: httpx.AsyncClient, seller: dict[str, str], organiser: dict[str, str], db: Any
) -> None:
    from kassa.app import tenants

    other = await tenants.create_partner(db, demo.ORG_ID, "Second seller", demo_now())
    assert (
        await client.get(f"/v1/resources/partners/{other}", headers=organiser)
    ).status_code == 200
    response = await client.get(f"/v1/resources/partners/{other}", headers=seller)
    assert response.status_code == 403 and response.json()["code"] == "action_forbidden"
    ids = [p["id"] for p in (await client.get("/v1/resources/partners", headers=seller)).json()]
    assert other not in ids


def demo_now() -> Any:
    from datetime import UTC, datetime

    return datetime.now(UTC)


async def test_deals_one_per_public_event_and_seller(
    client: httpx.AsyncClient, seller: dict[str, str], organiser: dict[str, str]
) -> None:
    response = await client.get("/v1/resources/deals", headers=seller)
    assert response.status_code == 200
    deals = response.json()
    assert {d["event"] for d in deals} >= {demo.EVENT_ID, demo.V2_EVENT_ID}
    for deal in deals:
        assert set(deal) == DEAL_KEYS
        assert deal["obj"] == demo.ORG_ID and deal["subj"] == demo.PARTNER_ID
        assert deal["status"] == "accepted" and deal["reversed_deal"] is None
        assert deal["id"] == deal_id(deal["event"], demo.PARTNER_ID)
        assert set(deal["term"]) == {"core", "extra", "org", "pfc"}
        assert deal["term"]["org"] == "100.00%" and deal["term"]["pfc"] is True
    one = await client.get(f"/v1/resources/deals/{deals[0]['id']}", headers=organiser)
    assert one.status_code == 200 and one.json() == deals[0]
    mine = await client.get(
        "/v1/resources/deals", headers=organiser, params={"partner": demo.PARTNER_ID}
    )
    assert mine.json() == deals
    none = await client.get("/v1/resources/deals", headers=seller, params={"status": "rejected"})
    assert none.json() == []
    missing = await client.get(f"/v1/resources/deals/{'0' * 24}", headers=seller)
    assert missing.status_code == 404 and set(missing.json()) >= {"error", "reason", "code"}


async def test_users_are_the_api_keys_and_whoami_the_callers(
    client: httpx.AsyncClient, seller: dict[str, str], organiser: dict[str, str]
) -> None:
    me = await client.get("/v1/services/whoami", headers=seller)
    assert me.status_code == 200
    user = me.json()
    assert set(user) == USER_KEYS
    assert user["partners"] == [demo.PARTNER_ID] and user["first_name"] == "demo seller"
    assert user["crm"] == {
        "counters": {"orders": 0, "tickets": 0},
        "values": {"avg": "0.00", "sum": "0.00"},
    }
    listed = await client.get("/v1/resources/users", headers=seller)
    assert listed.json() == [user] and listed.headers["TOTAL"] == "1"
    assert (await client.get(f"/v1/resources/users/{user['id']}", headers=seller)).json() == user
    everyone = await client.get("/v1/resources/users", headers=organiser, params={"sort": "email"})
    assert everyone.headers["TOTAL"] == "2"
    org_user = (await client.get("/v1/services/whoami", headers=organiser)).json()
    assert (
        await client.get(f"/v1/resources/users/{org_user['id']}", headers=seller)
    ).status_code == 403
    found = await client.get("/v1/resources/users", headers=organiser, params={"suggest": "SELL"})
    assert [u["id"] for u in found.json()] == [user["id"]]
    paged = await client.get(
        "/v1/resources/users", headers=organiser, params={"page-size": 1, "page": 2}
    )
    assert len(paged.json()) == 1 and paged.headers["TOTAL"] == "2"


async def test_crm_counts_what_the_partner_sold(
    client: httpx.AsyncClient, seller: dict[str, str]
) -> None:
    order = (
        await client.post(
            "/v2/resources/orders",
            headers=seller,
            json={"event": demo.V2_EVENT_ID, "random": {demo.V2_STALLS_SET_ID: 2}},
        )
    ).json()["data"]
    await client.patch(
        f"/v2/resources/orders/{order['id']}", headers=seller, json={"status": "done"}
    )
    crm = (await client.get("/v1/services/whoami", headers=seller)).json()["crm"]
    full = order["values"]["full"]
    assert crm["counters"] == {"orders": 1, "tickets": 2}
    assert crm["values"] == {"avg": full, "sum": full}


async def test_venues_an_organiser_and_a_seller_see(
    client: httpx.AsyncClient, seller: dict[str, str], organiser: dict[str, str]
) -> None:
    hall = (
        await client.post(
            "/v1/resources/venues",
            headers=organiser,
            json={"name": "Hall", "address": "Tverskaya 1", "city": "Moscow", "country": "ru"},
        )
    ).json()
    store = (
        await client.post("/v1/resources/venues", headers=organiser, json={"name": "Store"})
    ).json()
    await client.patch(
        f"/v1/resources/events/{demo.EVENT_ID}", headers=organiser, json={"venue": hall["id"]}
    )
    all_of_them = (await client.get("/v1/resources/venues", headers=organiser)).json()
    assert {v["id"] for v in all_of_them} >= {hall["id"], store["id"]}
    seen = await client.get("/v1/resources/venues", headers=seller)
    assert seen.status_code == 200
    assert hall["id"] in {v["id"] for v in seen.json()}
    assert store["id"] not in {v["id"] for v in seen.json()}
    one = (await client.get(f"/v1/resources/venues/{hall['id']}", headers=seller)).json()
    assert set(one) == VENUE_KEYS
    assert one == {
        "address": "Tverskaya 1",
        "city": "Moscow",
        "country": "RU",
        "created_at": None,
        "description": None,
        "id": hall["id"],
        "name": "Hall",
        "point": None,
        "removed": False,
        "updated_at": None,
    }
    hidden = await client.get(f"/v1/resources/venues/{store['id']}", headers=seller)
    assert hidden.status_code == 403
    other_org = await client.get("/v1/resources/venues", headers=seller, params={"org": "0" * 24})
    assert other_org.json() == []
    assert (
        await client.get("/v1/resources/venues", headers=seller, params={"removed": "maybe"})
    ).status_code == 400


async def test_another_organisations_accounts_are_not_found(
    client: httpx.AsyncClient, seller: dict[str, str], organiser: dict[str, str], new_tenant: Any
) -> None:
    hall = (
        await client.post("/v1/resources/venues", headers=organiser, json={"name": "Hall"})
    ).json()
    me = (await client.get("/v1/services/whoami", headers=seller)).json()
    deal = (await client.get("/v1/resources/deals", headers=seller)).json()[0]
    other = await new_tenant()
    for headers in (other.organiser, other.seller):
        for path, code in (
            (f"/v1/resources/partners/{demo.ORG_ID}", "partner_not_found"),
            (f"/v1/resources/partners/{demo.PARTNER_ID}", "partner_not_found"),
            (f"/v1/resources/deals/{deal['id']}", "deal_not_found"),
            (f"/v1/resources/users/{me['id']}", "user_not_found"),
            (f"/v1/resources/venues/{hall['id']}", "venue_not_found"),
        ):
            response = await client.get(path, headers=headers)
            assert response.status_code == 404, (path, response.text)
            assert response.json()["code"] == code
        for path in ("/v1/resources/partners", "/v1/resources/deals", "/v1/resources/users"):
            ids = {x["id"] for x in (await client.get(path, headers=headers)).json()}
            assert not ids & {demo.ORG_ID, demo.PARTNER_ID, deal["id"], me["id"]}
        venues = (await client.get("/v1/resources/venues", headers=headers)).json()
        assert hall["id"] not in {v["id"] for v in venues}
    for path in ("/v1/resources/partners", "/v1/services/whoami", "/v1/resources/venues"):
        assert (await client.get(path)).status_code == 401
