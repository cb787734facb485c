"""Two complete tenants for the isolation tests: each an organisation with organiser and seller
keys, a venue, an event with a set and a windowed price rule, a promo code, ticket orders (an
open one, a done one with a refund request), a loyalty shop with a member, a certificate, a
promo code and a confirmed checkout, a restaurant earning in that shop with a menu and an
aggregator client with a delivery order, a webhook endpoint with a delivery, and console
operators of every role plus two narrowed ones. Built with the app commands the demo uses."""

import secrets
from dataclasses import dataclass, fields, replace
from datetime import datetime, timedelta
from decimal import Decimal

import httpx

from kassa.app import catalog, delivery, demo, loyalty, operators, promocodes, refunds, webhooks
from kassa.app.orders import Holds, OrderChange, apply_change, place_order
from kassa.app.outbox import drain
from kassa.core.delivery import Client, MenuItem, Wanted
from kassa.core.loyalty_program import program_from
from kassa.core.orders import Flow, OrderStatus, ReservationRequest
from kassa.core.promocodes import DiscountKind
from kassa.core.tenancy import Principal
from kassa.store.db import Database
from tests.api.helpers import make_tenant

PASSWORD = demo.OPERATOR_PASSWORD
PROGRAM = {"earn_percent": "5", "spend_cap_percent": "30", "bonus_expiry_days": 365}
ROLES = ("admin", "operator", "viewer")


@dataclass(frozen=True)
class Side:
    """One tenant's ids and credentials; `{a.order}` in a request template names A's."""

    tag: str
    org: str
    partner: str
    organiser: dict[str, str]
    seller: dict[str, str]
    venue: str
    event: str
    set: str
    rule: str
    promo: str
    promo_code: str
    order: str  # an open ticket order, made by the seller
    ticket: str  # one of its tickets
    done_order: str
    done_ticket: str
    refund: str
    shop: str
    shop_secret: str
    member: str
    referral_code: str
    certificate: str
    shop_promo: str
    loyalty_order: str  # the shop's own order id
    loyalty_kassa_id: str  # Kassa's id of that order
    client_id: str
    client_secret: str
    restaurant: str
    delivery_order: str
    eats_id: str
    endpoint: str
    webhook_delivery: str
    operator_ids: dict[str, str]

    def email(self, role: str) -> str:
        return f"{role}@{self.tag}.test"

    @property
    def shop_auth(self) -> dict[str, str]:
        return {"shop_id": self.shop, "shop_secret": self.shop_secret}

    def values(self) -> set[str]:
        """Every id and code of the side."""
        found = {v for v in vars(self).values() if isinstance(v, str)}
        return found | set(self.operator_ids.values())

    def missing(self, *others: "Side") -> "Side":
        """The same shape with ids nobody has (none of `others`' either): what a request
        naming a missing object names."""
        taken = self.values().union(*(o.values() for o in others))
        unknown: dict[str, object] = {}
        for f in fields(self):
            value = getattr(self, f.name)
            if isinstance(value, str) and f.name not in ("tag", "shop_secret", "client_secret"):
                unknown[f.name] = _unknown_like(value, taken)
        unknown["operator_ids"] = {k: _unknown_like(v, taken) for k, v in self.operator_ids.items()}
        return replace(self, **unknown)  # type: ignore[arg-type]


def _unknown_like(value: str, taken: set[str]) -> str:
    """Another value of the same shape, not in `taken`: its first character kept, then digit
    for digit and hex letter for hex letter (an id, a phone, an eatsId stay valid)."""
    for _ in range(100):
        made = value[:1] + "".join(
            secrets.choice("0123456789")
            if c.isdigit()
            else secrets.choice("abcdef")
            if c in "abcdef"
            else c
            for c in value[1:]
        )
        if made not in taken:
            return made
    return value + "0"  # nothing in it to vary (a code of capitals): one character more


async def build_side(db: Database, now: datetime, tag: str, member: str, eats_id: str) -> Side:
    """A whole tenant; `member` is its loyalty member's phone, `eats_id` its delivery order's."""
    base = await make_tenant(db, now, name=f"Org {tag.upper()}", capacity=20)
    organiser = Principal(base.org_id)
    seller = Principal(base.org_id, base.partner_id)
    venue = await catalog.create_venue(db, organiser, now, name=f"Hall {tag}", timezone="UTC")
    rule = await catalog.add_rule(
        db,
        organiser,
        base.event_id,
        base.set_id,
        now,
        price=Decimal("80.00"),
        starts_at=now + timedelta(days=1),
        ends_at=now + timedelta(days=2),
    )
    code = f"{tag.upper()}-PROMO"
    promo = await promocodes.create_promocode(
        db, organiser, base.event_id, now, code=code, kind=DiscountKind.FIX, value=Decimal(10)
    )
    holds = Holds()
    reserve = ReservationRequest(random={base.set_id: 2})
    open_order = await place_order(db, seller, base.event_id, reserve, now, holds)
    done = await place_order(db, seller, base.event_id, reserve, now, holds)
    for status in (OrderStatus.IN_PROGRESS, OrderStatus.DONE):
        await apply_change(
            db, seller, done.id, OrderChange(status=status), now, holds, Flow.PAYMENT_STEP
        )
    done_tickets = [line.ticket_id for line in done.active_lines]
    refund = await refunds.request_refund(
        db, seller, done.id, done_tickets[:1], now, culprit="user"
    )
    shop, secret = await loyalty.create_shop(
        db, base.org_id, f"Shop {tag}", program_from(PROGRAM), now
    )
    joined = await loyalty.join(db, shop, member, now)
    await loyalty.adjust_bonuses(db, shop, member, Decimal(1000), "starting bonuses", now)
    await loyalty.add_promo_code(db, shop, f"{tag.upper()}-SALE", "percent", Decimal(10), now)
    cert = await loyalty.issue_certificate(db, shop, Decimal(500), now, code=f"GIFT-{tag}")
    checkout = loyalty.request_from(
        {
            "identifier": member,
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
    loyalty_order = f"{tag.upper()}-1"
    await loyalty.apply(db, shop, replace(checkout, order_id=loyalty_order), now)
    await loyalty.confirm(db, shop, loyalty_order, now)
    async with db.unit_of_work(write=False) as uow:
        found = await uow.loyalty.order(shop.id, loyalty_order)
    assert found is not None
    client_id, client_secret = await delivery.create_client(db, base.org_id, now)
    restaurant = f"kitchen-{tag}"
    await delivery.add_restaurant(
        db, base.org_id, f"Kitchen {tag}", "", now, restaurant_id=restaurant, shop_id=shop.id
    )
    await delivery.put_menu(
        db,
        base.org_id,
        restaurant,
        [MenuItem("borscht", restaurant, "Borscht", "Soups", Decimal(350), Decimal(20))],
    )
    delivery_id = await delivery.create_order(
        db,
        Client(client_id, base.org_id, ""),
        delivery_body(eats_id, restaurant, member),
        [Wanted("borscht", Decimal(2))],
        now,
    )
    endpoint = await webhooks.add_endpoint(db, organiser, "http://127.0.0.1:9/hook", ["*"], now)
    async with httpx.AsyncClient(timeout=2) as http:
        await drain(db, http, now)  # the endpoint gets delivery rows (its URL refuses them)
    sent = await webhooks.deliveries(db, organiser, None)
    operator_ids = await _operators(db, base.org_id, tag, restaurant, shop.id, now)
    return Side(
        tag=tag,
        org=base.org_id,
        partner=base.partner_id,
        organiser=base.organiser,
        seller=base.seller,
        venue=venue.id,
        event=base.event_id,
        set=base.set_id,
        rule=rule.id,
        promo=promo.id,
        promo_code=code,
        order=open_order.id,
        ticket=open_order.active_lines[0].ticket_id,
        done_order=done.id,
        done_ticket=done_tickets[1],
        refund=refund.id,
        shop=shop.id,
        shop_secret=secret,
        member=member,
        referral_code=joined.referral_code,
        certificate=cert.code,
        shop_promo=f"{tag.upper()}-SALE",
        loyalty_order=loyalty_order,
        loyalty_kassa_id=found.id,
        client_id=client_id,
        client_secret=client_secret,
        restaurant=restaurant,
        delivery_order=delivery_id,
        eats_id=eats_id,
        endpoint=endpoint.id,
        webhook_delivery=str(sent[0].id),
        operator_ids=operator_ids,
    )


def delivery_body(eats_id: str, restaurant: str, phone: str, **items: int) -> dict[str, object]:
    """An aggregator's order as the delivery face receives it."""
    lines = items or {"borscht": 2}
    return {
        "discriminator": "yandex",
        "platform": "YE",
        "eatsId": eats_id,
        "restaurantId": restaurant,
        "deliveryInfo": {"clientName": "Ivan", "phoneNumber": f"+{phone}"},
        "paymentInfo": {"itemsCost": 700, "paymentType": "CARD"},
        "items": [
            {"id": item, "name": item, "quantity": count, "price": 350}
            for item, count in lines.items()
        ],
        "persons": 1,
        "comment": "",
        "promos": [],
    }


async def _operators(
    db: Database, org: str, tag: str, restaurant: str, shop: str, now: datetime
) -> dict[str, str]:
    """An operator of each role, a cook narrowed to the restaurant and a till to the shop."""
    made = {}
    accounts = [(role, role, None, None) for role in ROLES]
    accounts += [("kitchen", "operator", restaurant, None), ("till", "operator", None, shop)]
    for name, role, restaurant_id, shop_id in accounts:
        operator = await operators.create_operator(
            db,
            org_id=org,
            email=f"{name}@{tag}.test",
            password_hash=demo.operator_password_hash(),  # made once: no argon2 work per test
            role=role,
            restaurant_id=restaurant_id,
            shop_id=shop_id,
            now=now,
        )
        made[name] = operator.id
    return made
