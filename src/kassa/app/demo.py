"""Demo data: an organiser, a seller, events on sale with two sets each, promo codes, keys.

The ids and the organiser's key are the ones the Ticketscloud docs use in their examples, so
the documented curl lines work against a fresh Kassa unchanged. These keys are public: never
seed demo data into a database that faces the internet.
"""

import functools
from dataclasses import asdict, dataclass, replace
from datetime import datetime, timedelta
from decimal import Decimal

from kassa.app import cancellation, catalog, delivery, loyalty, operators, promocodes, tenants
from kassa.app.orders import Holds, OrderChange, apply_change, place_order
from kassa.core.cancellation import Reason
from kassa.core.catalog import EventStatus
from kassa.core.delivery import Client, MenuItem, Wanted
from kassa.core.loyalty import program_from
from kassa.core.orders import Flow, OrderStatus, ReservationRequest
from kassa.core.pricing import FeePolicy
from kassa.core.promocodes import DiscountKind
from kassa.core.tenancy import Principal
from kassa.store.db import Database

ORG_ID = "56810047f06c5a6ac62f4e1d"
ORG_KEY = "047bdb8bcee44d3693371920aaf9135c"
PARTNER_ID = "5681004af06c5a6ac62f4e2a"
PARTNER_KEY = "0123456789abcdef0123456789abcdef"
VENUE_ID = "56a6252ef06c5a059a938020"
EVENT_ID = "56a6253df06c5a059a93802e"
STALLS_SET_ID = "56a6254bf06c5a059b93800c"
STALLS_RULE_ID = "56a6254bf06c5a059b93800b"
BALCONY_SET_ID = "56a6254bf06c5a059b93800d"
BALCONY_RULE_ID = "56a6254bf06c5a059b93800e"
# The v2 examples (seed 002): their event, sets and promo codes.
V2_EVENT_ID = "5b23b53b9c9b19000c6c4180"
V2_STALLS_SET_ID = "5d6648306b23e8a5f90ef047"
V2_BALCONY_SET_ID = "5d664830e4c685ae48bd2d3d"
PROMO100_ID = "5d664d392a4191909a568b40"
PROMO5_ID = "5d66b9f9a80b147cadf87583"
# The loyalty demo: a shop with a program, two members (the second referred by the first).
SHOP_ID = "5f1e0c2d9b8a47e6a3c4d5e6f7a8b9c0"
SHOP_SECRET = "d3m0s3cr3t0123456789abcdef012345"  # noqa: S105 - public demo secret
MEMBER = "79990000001"  # has 1000 bonuses
REFERRED_MEMBER = "79990000002"  # joined with MEMBER's referral code
CERTIFICATE = "GIFT-1000"
# The delivery demo: the aggregator's credentials and a restaurant with a menu and stock.
DELIVERY_CLIENT_ID = "demo-eats"
DELIVERY_CLIENT_SECRET = "demo-eats-secret-0123456789abcdef"  # noqa: S105 - public demo secret
RESTAURANT_ID = "demo-kitchen-1"
# The console's demo operators (public: demo only). The kitchen one sees its restaurant only.
OPERATOR_EMAIL = "admin@demo.kassa"
KITCHEN_EMAIL = "kitchen@demo.kassa"
OPERATOR_PASSWORD = "kassa-demo"  # noqa: S105 - public demo password
# Its argon2id hash, made once (`PasswordHasher().hash("kassa-demo")`): seeding hashes nothing.
OPERATOR_PASSWORD_HASH = "".join(  # the public demo password's hash, not a secret
    (
        "$argon2id$v=19$m=65536,t=3,p=4$4xR3zf3+VqhmN2MZDu8K7A$",
        "RQJSp6VZOHUybGGo7zw3E7/DbJM2Z2+0vHsbNTHf8BY",
    )
)


def operator_password_hash() -> str:
    """The demo password's hash at the process's cost: the one above at the default cost
    (seeding hashes nothing), else hashed once per process (a test run's cheaper setting)."""
    if not operators.needs_rehash(OPERATOR_PASSWORD_HASH):
        return OPERATOR_PASSWORD_HASH
    return _operator_password_hash_at(operators.current_hash_memory_kib())


@functools.cache
def _operator_password_hash_at(memory_kib: int) -> str:
    return operators.hash_password(OPERATOR_PASSWORD)


LOYALTY_PROMO = "SALE10"
DEMO_PROGRAM = {
    "earn_percent": "5",
    "spend_cap_percent": "30",
    "bonus_expiry_days": 365,
    "levels": [
        {"name": "Base", "min_spent": "0", "discount_percent": "0"},
        {"name": "Gold", "min_spent": "10000", "discount_percent": "5"},
    ],
    "referral": {"referee_discount_percent": "10", "referrer_reward": "300"},
    "stickers": [
        {"product_id": "coffee", "per_unit": 1, "needed": 6, "reward_product_id": "coffee"}
    ],
    "coupons": [{"min_order_total": "3000", "kind": "fix", "value": "300", "valid_days": 30}],
}


@dataclass(frozen=True)
class DemoInfo:
    org_id: str = ORG_ID
    organiser_api_key: str = ORG_KEY
    partner_id: str = PARTNER_ID
    partner_api_key: str = PARTNER_KEY
    event_id: str = EVENT_ID
    set_ids: tuple[str, ...] = (STALLS_SET_ID, BALCONY_SET_ID)
    v2_event_id: str = V2_EVENT_ID
    v2_set_ids: tuple[str, ...] = (V2_STALLS_SET_ID, V2_BALCONY_SET_ID)
    promocodes: tuple[str, ...] = ("PROMO100", "promo5%")
    shop_id: str = SHOP_ID
    shop_secret: str = SHOP_SECRET
    members: tuple[str, ...] = (MEMBER, REFERRED_MEMBER)
    certificate: str = CERTIFICATE
    loyalty_promo_code: str = LOYALTY_PROMO
    delivery_client_id: str = DELIVERY_CLIENT_ID
    delivery_client_secret: str = DELIVERY_CLIENT_SECRET
    restaurant_id: str = RESTAURANT_ID

    def as_dict(self, base_url: str) -> dict[str, object]:
        reserve = (
            f"curl -s -X POST {base_url}/v1/resources/orders "
            f"-H 'Authorization: key {self.organiser_api_key}' "
            f"-H 'Content-Type: application/json' "
            f'-d \'{{"event": "{self.event_id}", "random": {{"{self.set_ids[0]}": 1}}}}\''
        )
        cancel = (
            f"curl -s -X PATCH {base_url}/v1/resources/orders/<order id> "
            f"-H 'Authorization: key {self.organiser_api_key}' "
            f"-H 'Content-Type: application/json' -d '{{\"status\": \"canceled\"}}'"
        )
        reserve_v2 = (
            f"curl -s -X POST {base_url}/v2/resources/orders "
            f"-H 'Authorization: key {self.partner_api_key}' "
            f"-H 'Content-Type: application/json' "
            f'-d \'{{"event": "{self.v2_event_id}", "random": {{"{self.v2_set_ids[0]}": 1}}}}\''
        )
        promo = (
            f"curl -s -X PATCH {base_url}/v2/resources/orders/<order id> "
            f"-H 'Authorization: key {self.partner_api_key}' "
            f"-H 'Content-Type: application/json' -d '{{\"promocodes\": [\"PROMO100\"]}}'"
        )
        return {
            **asdict(self),
            "console": {
                "url": f"{base_url}/console/",
                "admin": {"email": OPERATOR_EMAIL, "password": OPERATOR_PASSWORD},
                "kitchen": {"email": KITCHEN_EMAIL, "password": OPERATOR_PASSWORD},
            },
            "base_url": base_url,
            "curl": {
                "reserve": reserve,
                "cancel": cancel,
                "reserve_v2": reserve_v2,
                "promocode_v2": promo,
            },
        }


async def seed_if_empty(db: Database, now: datetime) -> bool:
    """Create the demo tenant and catalogue unless the database already has an organisation."""
    async with db.unit_of_work(write=False) as uow:
        if await uow.tenants.has_organisations():
            return False
    await seed(db, now)
    await seed_activity(db, now)
    return True


async def tenancy(db: Database) -> str:
    """What `kassa serve` tells about keys: "demo" (the demo organiser is there), "own"
    (organisations, none of them the demo's) or "empty"."""
    async with db.unit_of_work(write=False) as uow:
        if await uow.tenants.organisation_name(ORG_ID) is not None:
            return "demo"
        return "own" if await uow.tenants.has_organisations() else "empty"


async def seed_activity(db: Database, now: datetime) -> None:
    """A little history for a first look at the console: a sold ticket order, a cancelled one,
    a delivery order waiting for the kitchen and a loyalty checkout. Made through the same
    commands the APIs use; only `kassa serve`/`kassa demo` on an empty database call this."""
    seller = Principal(ORG_ID, PARTNER_ID)
    holds = Holds(reserve=timedelta(minutes=10), payment=timedelta(hours=12))
    buyer = OrderChange(customer={"name": "Anna Demo", "email": "anna@example.com"})
    sold = await place_order(
        db, seller, EVENT_ID, ReservationRequest(random={STALLS_SET_ID: 2}), now, holds, buyer
    )
    for status in (OrderStatus.IN_PROGRESS, OrderStatus.DONE):
        await apply_change(
            db, seller, sold.id, OrderChange(status=status), now, holds, Flow.PAYMENT_STEP
        )
    dropped = await place_order(
        db, seller, EVENT_ID, ReservationRequest(random={BALCONY_SET_ID: 1}), now, holds, buyer
    )
    await cancellation.cancel(
        db, seller, dropped.id, now, reason=Reason("customer_request", "changed plans (demo)")
    )
    client = Client(DELIVERY_CLIENT_ID, ORG_ID, "")
    await delivery.create_order(
        db,
        client,
        {
            "discriminator": "yandex",
            "platform": "YE",
            "eatsId": "190330-00000001",
            "restaurantId": RESTAURANT_ID,
            "deliveryInfo": {"clientName": "Boris Demo", "phoneNumber": "+79990000003"},
            "paymentInfo": {"itemsCost": 0, "paymentType": "CARD"},
            "items": [
                {"id": "borscht", "quantity": 1, "price": 0},
                {"id": "kompot", "quantity": 2, "price": 0},
            ],
            "persons": 1,
            "comment": "demo order",
            "promos": [],
        },
        [Wanted("borscht", Decimal(1)), Wanted("kompot", Decimal(2))],
        now,
    )
    shop = await loyalty.authenticate(db, SHOP_ID, SHOP_SECRET)
    checkout = loyalty.request_from(
        {
            "identifier": REFERRED_MEMBER,
            "cart_items": [
                {
                    "product_id": "latte",
                    "price": "250",
                    "quantity": "2",
                    "discountable": True,
                    "bonusable": True,
                    "rewardable": True,
                }
            ],
        }
    )
    await loyalty.apply(db, shop, replace(checkout, order_id="DEMO-1"), now)
    await loyalty.confirm(db, shop, "DEMO-1", now)


async def seed(db: Database, now: datetime) -> DemoInfo:
    await tenants.create_organisation(db, "Demo Organiser", FeePolicy(), now, org_id=ORG_ID)
    await tenants.create_partner(db, ORG_ID, "Demo Seller", now, partner_id=PARTNER_ID)
    await tenants.issue_key(db, ORG_ID, now, label="demo organiser", key=ORG_KEY)
    await tenants.issue_key(
        db, ORG_ID, now, partner_id=PARTNER_ID, label="demo seller", key=PARTNER_KEY
    )
    organiser = Principal(ORG_ID)
    await catalog.create_venue(
        db,
        organiser,
        now,
        name="Demo Hall",
        timezone="Europe/Moscow",
        address="Tverskaya 1",
        city="Moscow",
        country="RU",
        venue_id=VENUE_ID,
    )
    starts = (now + timedelta(days=30)).replace(hour=19, minute=0, second=0, microsecond=0)
    await catalog.create_event(
        db,
        organiser,
        now,
        title="Demo concert",
        description="Kassa's demo event",
        starts_at=starts,
        ends_at=starts + timedelta(hours=3),
        timezone="Europe/Moscow",
        status=EventStatus.PUBLIC,
        venue_id=VENUE_ID,
        age_rating=12,
        event_id=EVENT_ID,
    )
    await catalog.create_set(
        db,
        organiser,
        EVENT_ID,
        now,
        name="Партер",
        price=Decimal("100.00"),
        capacity=200,
        position=0,
        set_id=STALLS_SET_ID,
        rule_id=STALLS_RULE_ID,
    )
    await catalog.create_set(
        db,
        organiser,
        EVENT_ID,
        now,
        name="Балкон",
        price=Decimal("500.00"),
        capacity=100,
        position=1,
        set_id=BALCONY_SET_ID,
        rule_id=BALCONY_RULE_ID,
    )
    await _seed_v2(db, organiser, now, starts)
    await _seed_loyalty(db, now)
    await _seed_delivery(db, now)
    await operators.create_operator(
        db,
        org_id=ORG_ID,
        email=OPERATOR_EMAIL,
        password_hash=operator_password_hash(),
        role="admin",
        name="Demo admin",
        now=now,
    )
    await operators.create_operator(
        db,
        org_id=ORG_ID,
        email=KITCHEN_EMAIL,
        password_hash=operator_password_hash(),
        role="operator",
        name="Demo kitchen",
        restaurant_id=RESTAURANT_ID,
        now=now,
    )
    return DemoInfo()


async def _seed_delivery(db: Database, now: datetime) -> None:
    await delivery.create_client(
        db, ORG_ID, now, client_id=DELIVERY_CLIENT_ID, secret=DELIVERY_CLIENT_SECRET
    )
    await delivery.add_restaurant(
        db,
        ORG_ID,
        "Demo Kitchen",
        "Tverskaya 1, Moscow",
        now,
        restaurant_id=RESTAURANT_ID,
        shop_id=SHOP_ID,
    )
    menu = [
        ("borscht", "Борщ", "Супы", "350.00", "20"),
        ("pelmeni", "Пельмени", "Горячее", "420.00", "15"),
        ("bliny", "Блины", "Десерты", "280.00", "0"),
        ("kompot", "Компот", "Напитки", "120.00", None),
    ]
    await delivery.put_menu(
        db,
        ORG_ID,
        RESTAURANT_ID,
        [
            MenuItem(i, RESTAURANT_ID, name, cat, Decimal(price), Decimal(stock) if stock else None)
            for i, name, cat, price, stock in menu
        ],
    )


async def _seed_loyalty(db: Database, now: datetime) -> None:
    shop, _ = await loyalty.create_shop(
        db,
        ORG_ID,
        "Demo Coffee",
        program_from(DEMO_PROGRAM),
        now,
        shop_id=SHOP_ID,
        secret=SHOP_SECRET,
    )
    first = await loyalty.join(db, shop, MEMBER, now)
    await loyalty.adjust_bonuses(db, shop, MEMBER, Decimal(1000), "demo: starting bonuses", now)
    await loyalty.join(db, shop, REFERRED_MEMBER, now, referral_code=first.referral_code)
    await loyalty.add_promo_code(db, shop, LOYALTY_PROMO, "percent", Decimal(10), now)
    await loyalty.issue_certificate(db, shop, Decimal(1000), now, code=CERTIFICATE)


async def _seed_v2(db: Database, organiser: Principal, now: datetime, starts: datetime) -> None:
    """The event of the v2 examples: sets at 1000.00 and 500.00, PROMO100 and promo5%."""
    await catalog.create_event(
        db,
        organiser,
        now,
        title="Demo concert (v2 examples)",
        description="The event the v2 documentation's examples use",
        starts_at=starts + timedelta(days=1),
        ends_at=starts + timedelta(days=1, hours=3),
        timezone="Europe/Moscow",
        status=EventStatus.PUBLIC,
        venue_id=VENUE_ID,
        age_rating=12,
        event_id=V2_EVENT_ID,
    )
    for set_id, name, price, capacity, position in (
        (V2_STALLS_SET_ID, "Партер", "1000.00", 200, 0),
        (V2_BALCONY_SET_ID, "Балкон", "500.00", 100, 1),
    ):
        await catalog.create_set(
            db,
            organiser,
            V2_EVENT_ID,
            now,
            name=name,
            price=Decimal(price),
            capacity=capacity,
            position=position,
            set_id=set_id,
            serial="BKC" if position == 0 else None,
        )
    await promocodes.create_promocode(
        db,
        organiser,
        V2_EVENT_ID,
        now,
        code="promo100",  # as the examples' refs show it; any case matches
        kind=DiscountKind.FIX,
        value=Decimal("100.00"),
        promo_id=PROMO100_ID,
    )
    await promocodes.create_promocode(
        db,
        organiser,
        V2_EVENT_ID,
        now,
        code="promo5%",
        kind=DiscountKind.PERCENTAGE,
        value=Decimal("5"),
        promo_id=PROMO5_ID,
    )
