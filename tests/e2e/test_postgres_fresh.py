"""The last-tickets race on a brand-new PostgreSQL deployment (no planner statistics yet)."""

import pytest

from tests.e2e.conftest import KassaServer
from tests.e2e.helpers import buyers_race_for_the_last_tickets

pytestmark = pytest.mark.race


async def test_a_hundred_buyers_for_the_last_ten_on_a_new_deployment(
    fresh_pg: KassaServer,
) -> None:
    await buyers_race_for_the_last_tickets(fresh_pg.base_url, buyers=100, left=10)
    fresh_pg.assert_alive_and_quiet()
