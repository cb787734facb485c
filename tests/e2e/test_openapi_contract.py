"""Schemathesis over every face, against a real `kassa serve` on SQLite and on PostgreSQL.

The document under test is the one the server itself publishes at `/openapi.json` (loaded from
the app at collection time, then checked to be what the servers serve). Every operation gets
its documented examples and a bounded number of generated requests, authenticated as its face
expects (the demo organiser's key, the demo aggregator's bearer token, the demo shop's
credentials), so generation reaches past the credential check. Every answer must be:
no 5xx, a documented status code, a documented content type and headers, and a body that
matches the documented schema.
"""

import os
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, settings
from schemathesis import checks

from kassa.app import demo
from kassa.store.db import Database
from tests.conftest import create_app
from tests.e2e.conftest import KassaServer

# Bounded so the suite stays fast: examples per operation and database, on top of the
# document's own examples.
MAX_EXAMPLES = int(os.environ.get("KASSA_SCHEMATHESIS_EXAMPLES", "3"))
CHECKS = [
    checks.not_a_server_error,
    checks.status_code_conformance,
    checks.content_type_conformance,
    checks.response_headers_conformance,
    checks.response_schema_conformance,
]

DOCUMENT = create_app(db=Database("sqlite://")).openapi()
schema = schemathesis.openapi.from_dict(DOCUMENT)
# `KASSA_SCHEMATHESIS_PATHS=<regex>` narrows a run to some paths while working on a face.
if os.environ.get("KASSA_SCHEMATHESIS_PATHS"):
    schema = schema.include(path_regex=os.environ["KASSA_SCHEMATHESIS_PATHS"])

DELIVERY = ("/order", "/menu/", "/restaurants", "/security/")


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def live(request: pytest.FixtureRequest) -> Iterator[tuple[KassaServer, str]]:
    """A demo server of each database and the demo aggregator's bearer token on it."""
    server: KassaServer = request.getfixturevalue(
        "sqlite_server" if request.param == "sqlite" else "pg_server"
    )
    answer = httpx.post(
        server.base_url + "/security/oauth/token",
        data={
            "client_id": demo.DELIVERY_CLIENT_ID,
            "client_secret": demo.DELIVERY_CLIENT_SECRET,
            "grant_type": "client_credentials",
            "scope": "read write",
        },
    )
    assert answer.status_code == 200, answer.text
    yield server, answer.json()["access_token"]


def _authorise(case: Any, token: str) -> dict[str, str]:
    """The credentials of the case's face: headers to send, query/body filled in place."""
    path: str = case.path
    if path.startswith("/loyalty/"):
        shop = {"shop_id": demo.SHOP_ID, "shop_secret": demo.SHOP_SECRET}
        if case.method.upper() == "GET":
            case.query = {**(case.query or {}), **shop}
        elif isinstance(case.body, dict):
            case.body = {**case.body, **shop}
        return {}
    if path.startswith(DELIVERY):
        return {} if path.startswith("/security/") else {"Authorization": f"Bearer {token}"}
    return {"Authorization": f"key {demo.ORG_KEY}"}


def test_the_servers_publish_this_document(live: tuple[KassaServer, str]) -> None:
    server, _ = live
    served = httpx.get(server.base_url + "/openapi.json").json()
    assert served == DOCUMENT


@schema.parametrize()
@settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    derandomize=True,
    database=None,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=list(HealthCheck),
)
def test_every_answer_is_as_documented(case: Any, live: tuple[KassaServer, str]) -> None:
    server, token = live
    headers = _authorise(case, token)
    case.call_and_validate(base_url=server.base_url, headers=headers, checks=CHECKS)
