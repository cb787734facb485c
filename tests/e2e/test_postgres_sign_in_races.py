"""Console sign-in against `kassa serve --workers 2` on PostgreSQL: a burst of wrong passwords
sent at once, across both processes, gets at most five password checks and locks the account."""

import asyncio
import re
from collections.abc import Iterator

import httpx
import pytest

from kassa.app import demo, operators
from kassa.config import Settings
from tests.e2e.conftest import KassaServer, serve_pg
from tests.e2e.helpers import client

pytestmark = pytest.mark.race

CSRF = re.compile(r'name="csrf" value="([^"]+)"')
CHECKED = "sign-in: wrong password for operator"
GUESSES = 32


@pytest.fixture(scope="module")
def pg_server(
    postgres_admin_url: str, postgres_template: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[KassaServer]:
    """The demo server at production's cost of a password check (the suite's is lower): a
    check takes as long here as in production, so the burst is in flight while they run."""
    production = {"KASSA_PASSWORD_HASH_MEMORY_KIB": str(Settings().password_hash_memory_kib)}
    yield from serve_pg(postgres_admin_url, postgres_template, tmp_path_factory, production)


async def _ready(http: httpx.AsyncClient) -> str:
    """The sign-in form's CSRF token (its cookie stays in the client)."""
    form = await http.get("/console/login")
    form.raise_for_status()
    found = CSRF.search(form.text)
    assert found is not None
    return found.group(1)


async def sign_in_burst(base_url: str, email: str, passwords: list[str]) -> list[httpx.Response]:
    """Every sign-in at once, each from a browser (connection, CSRF cookie) of its own: the
    forms are fetched first, and only when all are ready does any password go out."""
    barrier = asyncio.Barrier(len(passwords))

    async def one(password: str) -> httpx.Response:
        async with client(base_url, {}) as http:
            try:
                token = await _ready(http)
            except BaseException:
                await barrier.abort()
                raise
            await barrier.wait()
            fields = {"email": email, "password": password, "csrf": token, "next": ""}
            return await http.post("/console/login", data=fields)

    return list(await asyncio.gather(*(one(p) for p in passwords)))


async def test_thirty_two_wrong_passwords_at_once_get_five_checks(pg: KassaServer) -> None:
    guesses = [f"guess-{n:02}" for n in range(GUESSES)]

    answers = await sign_in_burst(pg.base_url, demo.OPERATOR_EMAIL, guesses)

    assert [a.status_code for a in answers] == [401] * GUESSES
    assert all(operators.WRONG_SIGN_IN in a.text for a in answers)
    checked = pg.stderr_since_mark().count(CHECKED)
    assert 1 <= checked <= operators.LOCK_AFTER, f"{checked} of {GUESSES} passwords checked"
    [right] = await sign_in_burst(pg.base_url, demo.OPERATOR_EMAIL, ["kassa-demo"])
    assert right.status_code == 401
    [other] = await sign_in_burst(pg.base_url, demo.KITCHEN_EMAIL, ["kassa-demo"])
    assert other.status_code == 303  # only the guessed account is locked
    pg.assert_alive_and_quiet()
