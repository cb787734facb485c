"""Demo data: an organiser, a seller, an event on sale with two sets, and their keys.

The ids and the organiser's key are the ones the Ticketscloud docs use in their examples, so
the documented curl lines work against a fresh Kassa unchanged. These keys are public: never
seed demo data into a database that faces the internet.
"""

from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from kassa.app import catalog, tenants
from kassa.core.catalog import EventStatus
from kassa.core.pricing import FeePolicy
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


@dataclass(frozen=True)
class DemoInfo:
    org_id: str = ORG_ID
    organiser_api_key: str = ORG_KEY
    partner_id: str = PARTNER_ID
    partner_api_key: str = PARTNER_KEY
    event_id: str = EVENT_ID
    set_ids: tuple[str, ...] = (STALLS_SET_ID, BALCONY_SET_ID)

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
        return {
            **asdict(self),
            "base_url": base_url,
            "curl": {"reserve": reserve, "cancel": cancel},
        }


async def seed_if_empty(db: Database, now: datetime) -> bool:
    """Create the demo tenant and catalogue unless the database already has an organisation."""
    async with db.unit_of_work(write=False) as uow:
        if await uow.tenants.has_organisations():
            return False
    await seed(db, now)
    return True


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
    return DemoInfo()
