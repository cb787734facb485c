"""`kassa check` against a real PostgreSQL database and a real SMTP server (aiosmtpd on
loopback): one line per check, exit status 1 while anything fails, 0 once all pass."""

from collections.abc import Iterator
from email.message import EmailMessage
from pathlib import Path

import aiosmtplib
import pytest
from aiosmtpd.controller import Controller

from kassa.notify.smtp import SmtpSettings, send
from kassa.store.migrate import head
from tests.api.test_mail import Inbox
from tests.conftest import create_pg_database, drop_pg_database, run_sync
from tests.e2e.conftest import free_port
from tests.e2e.test_cli_startup import kassa


@pytest.fixture
def smtp_port() -> Iterator[int]:
    port = free_port()
    controller = Controller(Inbox(), hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield port
    finally:
        controller.stop()


@pytest.fixture
def new_pg_database(postgres_admin_url: str) -> Iterator[str]:
    url = run_sync(create_pg_database(postgres_admin_url))
    yield url
    run_sync(drop_pg_database(postgres_admin_url, url))


def lines(out: str) -> dict[str, str]:
    """{check name: its line}, each line being `ok    name: ...` or `FAIL  name: ...`."""
    found = {}
    for line in out.strip().splitlines():
        status, rest = line.split(maxsplit=1)
        assert status in ("ok", "FAIL"), line
        found[rest.split(":", 1)[0]] = line
    return found


def test_check_says_what_is_missing_then_passes_once_it_is_there(
    new_pg_database: str, smtp_port: int
) -> None:
    down = free_port()
    env = {"KASSA_DATABASE_URL": new_pg_database, "KASSA_SMTP_HOST": "127.0.0.1"}

    first = kassa("check", env={**env, "KASSA_SMTP_PORT": str(down)})
    assert first.returncode == 1, first
    said = lines(first.stdout)
    assert said["configuration"].startswith("ok ")
    assert said["database"].startswith("FAIL")
    assert "never been migrated" in said["database"] and "kassa migrate" in said["database"]
    assert said["smtp"].startswith("FAIL")
    assert f"127.0.0.1:{down}" in said["smtp"] and "KASSA_SMTP_HOST" in said["smtp"]
    assert first.stderr == ""

    migrated = kassa("migrate", env=env)
    assert migrated.returncode == 0, migrated.stderr
    assert "alembic" not in migrated.stderr

    second = kassa("check", env={**env, "KASSA_SMTP_PORT": str(smtp_port)})
    assert second.returncode == 0, second
    said = lines(second.stdout)
    assert all(line.startswith("ok ") for line in said.values()), said
    assert f"migrations at head {head()}" in said["database"]
    assert "PostgreSQL" in said["database"]
    assert f"127.0.0.1:{smtp_port} answers" in said["smtp"]


def test_check_reports_a_bad_setting_as_its_line(tmp_path: Path) -> None:
    done = kassa(
        "check",
        env={"KASSA_DATABASE_URL": f"sqlite:///{tmp_path / 'k.db'}", "KASSA_SMTP_PORT": "smtp"},
    )
    assert done.returncode == 1
    assert done.stdout.startswith("FAIL  configuration: KASSA_SMTP_PORT='smtp'")
    assert not (tmp_path / "k.db").exists()


async def test_mail_to_an_unreachable_server_names_the_settings_that_chose_it() -> None:
    settings = SmtpSettings(host="127.0.0.1", port=free_port())
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = "a@kassa.test", "b@kassa.test", "x"
    with pytest.raises(aiosmtplib.SMTPConnectError) as raised:
        await send(settings, message)
    assert str(raised.value) == (
        f"cannot reach the SMTP server at 127.0.0.1:{settings.port} (connection refused): "
        "check KASSA_SMTP_HOST / KASSA_SMTP_PORT"
    )
