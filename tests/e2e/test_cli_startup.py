"""Mistakes in configuration and surroundings, made for real: each `kassa` command runs as a
subprocess and must answer ONE line on stderr that says what is wrong and what to do, with a
non-zero exit, and no traceback. And the start-up banner says where everything is."""

import os
import socket
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest

from kassa.config import VARIABLES
from tests.e2e.conftest import KassaServer, free_port, start_server, stop_server

TIMEOUT_S = 120


def kassa(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "kassa.cli", *args],
        env={**os.environ, "KASSA_DEMO": "1", **(env or {})},
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=TIMEOUT_S,
        check=False,
    )


def one_line(done: subprocess.CompletedProcess[str], *words: str) -> str:
    """The command failed with exactly one line on stderr, holding every one of `words`."""
    lines = done.stderr.strip().splitlines()
    assert done.returncode != 0, done
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith("kassa: "), lines[0]
    for word in words:
        assert word in lines[0], lines[0]
    assert "Kassa on http" not in done.stdout
    return lines[0]


def serve(
    database_url: str, *more: str, env: dict[str, str] | None = None
) -> tuple[list[str], dict[str, str]]:
    port = str(free_port())
    return ["serve", "--port", port, *more], {"KASSA_DATABASE_URL": database_url, **(env or {})}


@pytest.mark.parametrize(
    ("url", "words"),
    [
        ("mysql://kassa:secret@db.example/kassa", ("not mysql", "postgresql://")),
        ("notaurl", ("not a database URL", "sqlite:///")),
    ],
)
def test_a_database_url_kassa_cannot_use_is_one_line(url: str, words: tuple[str, ...]) -> None:
    args, env = serve(url)
    line = one_line(kassa(*args, env=env), "KASSA_DATABASE_URL", *words)
    assert "secret" not in line


def test_a_bad_setting_is_one_line_naming_it_and_its_default(tmp_path: Path) -> None:
    """Every other kind of bad value: tests/unit/test_config.py (the same path to stderr)."""
    args, env = serve(f"sqlite:///{tmp_path / 'kassa.db'}", env={"KASSA_HOLD_MINUTES": "ten"})
    one_line(kassa(*args, env=env), "KASSA_HOLD_MINUTES='ten'", "a number", "default 10")
    assert not (tmp_path / "kassa.db").exists()


def test_postgresql_that_does_not_answer_is_one_line() -> None:
    args, env = serve(f"postgresql://postgres@127.0.0.1:{free_port()}/kassa")
    one_line(kassa(*args, env=env), "cannot reach PostgreSQL", "connection refused", "start it")


def test_a_database_that_does_not_exist_is_one_line(postgres_admin_url: str) -> None:
    url = postgres_admin_url.rsplit("/", 1)[0] + "/kassa_no_such_database"
    args, env = serve(url)
    one_line(kassa(*args, env=env), '"kassa_no_such_database" does not exist', "createdb")


def test_an_sqlite_file_in_a_missing_folder_is_one_line(tmp_path: Path) -> None:
    args, env = serve(f"sqlite:///{tmp_path / 'nowhere' / 'kassa.db'}")
    one_line(kassa(*args, env=env), f"folder {tmp_path / 'nowhere'} does not exist")


@pytest.mark.parametrize(
    "command",
    [("keys", "create", "--org"), ("loyalty", "shop-create", "--name", "Shop", "--org")],
    ids=["keys", "shop"],
)
def test_an_unknown_organisation_is_one_line(command: tuple[str, ...], tmp_path: Path) -> None:
    env = {"KASSA_DATABASE_URL": f"sqlite:///{tmp_path / 'kassa.db'}"}
    done = kassa(*command, "no-such-org", env=env)
    one_line(done, "no-such-org", "kassa orgs create")
    assert "alembic" not in done.stderr


def test_a_port_in_use_is_one_line_before_any_banner(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = str(taken.getsockname()[1])
        env = {"KASSA_DATABASE_URL": f"sqlite:///{tmp_path / 'kassa.db'}"}
        done = kassa("serve", "--port", port, env=env)
    one_line(done, f"port {port}", "already in use", "--port")
    assert done.stdout == ""


def test_a_second_server_on_the_same_sqlite_file_is_refused(sqlite: KassaServer) -> None:
    args, env = serve(sqlite.database_url)
    one_line(kassa(*args, env=env), "another kassa serve", "already serves", "PostgreSQL")
    sqlite.assert_alive_and_quiet()


def test_the_banner_says_where_the_console_docs_and_database_are(sqlite: KassaServer) -> None:
    out = sqlite.stdout_path.read_text()
    assert "Demo data created" in out
    for line in (
        f"Kassa on {sqlite.base_url}",
        f"console   {sqlite.base_url}/console/",
        f"API docs  {sqlite.base_url}/docs",
        f"database  {sqlite.database_url}",
        "keys      `kassa demo` prints the demo's API keys",
    ):
        assert line in out, out


def test_without_demo_on_an_empty_database_the_banner_says_to_create_an_organisation(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KASSA_DEMO", "0")
    server = start_server("no-demo", f"sqlite:///{tmp_path / 'kassa.db'}", 1, tmp_path)
    try:
        deadline = time.monotonic() + TIMEOUT_S
        while "keys" not in server.stdout_path.read_text() and time.monotonic() < deadline:
            time.sleep(0.1)
        out = server.stdout_path.read_text()
    finally:
        stop_server(server)
    assert "Demo data" not in out
    assert "kassa orgs create --name NAME" in out, out
    assert "alembic" not in server.stderr()


@pytest.mark.parametrize("command", [(), ("serve",)])
def test_help_lists_every_setting_with_its_default(command: tuple[str, ...]) -> None:
    done = kassa(*command, "--help")
    assert done.returncode == 0, done.stderr
    missing = [v.name for v in VARIABLES if f"{v.name}={v.default}" not in done.stdout]
    assert missing == []


def test_the_cli_keeps_fonttools_and_alembic_quiet(
    caplog: pytest.LogCaptureFixture, tmp_path: Path
) -> None:
    """What `kassa worker` logs while it renders a PDF ticket (in-process: the same setup)."""
    from kassa.cli import _configure_logging
    from kassa.notify.pdf import TicketDoc, render_tickets
    from kassa.store.migrate import upgrade

    _configure_logging("info")
    caplog.set_level("INFO")
    ticket = TicketDoc(
        "Концерт", datetime(2030, 1, 1, 19, tzinfo=UTC), "Europe/Moscow", "Зал", "Партер",
        "1-1", "1000.00", "AB12CD34", 1, "1234567890123", 7,
    )  # fmt: skip
    assert render_tickets([ticket]).startswith(b"%PDF")
    upgrade(f"sqlite:///{tmp_path / 'kassa.db'}")
    assert [r.name for r in caplog.records if r.name.startswith(("fontTools", "alembic"))] == []
