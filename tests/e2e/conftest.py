"""Real `kassa serve` processes for the race tests, on PostgreSQL and on SQLite.

Each test module gets one server of its own: a fresh PostgreSQL database (dropped at the end)
or a fresh SQLite file. The server runs in a process group of its own, so teardown stops the
uvicorn supervisor and every worker it spawned. Its stderr goes to a file; when a test fails,
the part of that file written during the test is added to the failure report.
"""

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Generator, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

import asyncpg
import httpx
import pytest

from tests.conftest import (
    copy_sqlite,
    create_migrated_pg_database,
    drop_pg_database_later,
    run_sync,
)

# The invariants live in helpers.py: let pytest explain their failures too.
pytest.register_assert_rewrite("tests.e2e.helpers")

STARTUP_TIMEOUT_S = 60.0
SHUTDOWN_TIMEOUT_S = 15.0
# The default budget, spelled out: two workers take at most 2 x (15 + 0) = 30 of PostgreSQL's
# default 100 connections, leaving room for the rest of the suite (README, "Connection
# budget"); still far more transactions in flight than any lock here needs to be contended.
SERVER_POOL_SIZE = "15"
# What a clean run never writes to the server's stderr.
BAD_LOG_LINES = ("Traceback", "ERROR", "CRITICAL", "database is locked", "unhandled error")

SERVERS = pytest.StashKey[list["KassaServer"]]()


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass
class KassaServer:
    """One `kassa serve` process group and where its output goes."""

    label: str
    base_url: str
    database_url: str
    workers: int
    process: subprocess.Popen[bytes]
    stderr_path: Path
    stdout_path: Path
    mark: int = 0
    _files: list[IO[bytes]] = field(default_factory=list)

    def stderr(self, since: int = 0) -> str:
        with self.stderr_path.open("rb") as log:
            log.seek(since)
            return log.read().decode("utf-8", "replace")

    def set_mark(self) -> None:
        """Remember where the log stands: `stderr_since_mark` is what came after."""
        self.mark = self.stderr_path.stat().st_size

    def stderr_since_mark(self) -> str:
        return self.stderr(self.mark)

    def assert_alive_and_quiet(self) -> None:
        """The server still runs and logged no error, traceback or lock failure meanwhile."""
        assert self.process.poll() is None, f"kassa serve exited with {self.process.returncode}"
        log = self.stderr_since_mark()
        bad = [line for line in log.splitlines() if any(b in line for b in BAD_LOG_LINES)]
        assert not bad, "the server logged errors:\n" + "\n".join(bad[:20])


def start_server(
    label: str,
    database_url: str,
    workers: int,
    log_dir: Path,
    extra_env: dict[str, str] | None = None,
) -> KassaServer:
    """`python -m kassa.cli serve` on a free port; returns once /health answers 200."""
    port = free_port()
    env = {
        **os.environ,
        "KASSA_DATABASE_URL": database_url,
        "KASSA_DB_POOL_SIZE": SERVER_POOL_SIZE,
        "KASSA_LOG_LEVEL": "info",
        "KASSA_ACCESS_LOG": "0",
        "PYTHONUNBUFFERED": "1",
        **(extra_env or {}),
    }
    stdout_path = log_dir / f"{label}.stdout.log"
    stderr_path = log_dir / f"{label}.stderr.log"
    stdout = stdout_path.open("wb")
    stderr = stderr_path.open("wb")
    command = [sys.executable, "-m", "kassa.cli", "serve", "--host", "127.0.0.1"]
    command += ["--port", str(port), "--workers", str(workers)]
    process = subprocess.Popen(
        command,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=stdout,
        stderr=stderr,
        start_new_session=True,  # its own process group: teardown reaches the workers too
    )
    server = KassaServer(
        label,
        f"http://127.0.0.1:{port}",
        database_url,
        workers,
        process,
        stderr_path,
        stdout_path,
        _files=[stdout, stderr],
    )
    try:
        _wait_for_health(server)
    except BaseException:
        stop_server(server)
        print(f"--- {label}: kassa serve stderr ---\n{server.stderr()}", file=sys.stderr)
        raise
    return server


def start_worker(database_url: str, log: Path, **settings: str) -> subprocess.Popen[bytes]:
    """A real `kassa worker` on the database, in its own session (so a test can SIGKILL its
    whole group), its output appended to `log`; `settings` are KASSA_* variables by their
    lower-case suffix, e.g. worker_lease_seconds="2"."""
    env = {
        **os.environ,
        "KASSA_DATABASE_URL": database_url,
        "KASSA_WORKER_INTERVAL_SECONDS": "0.2",
        "PYTHONUNBUFFERED": "1",
        **{f"KASSA_{name.upper()}": value for name, value in settings.items()},
    }
    with log.open("ab") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "kassa.cli", "worker"],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )


def _wait_for_health(server: KassaServer) -> None:
    deadline = time.monotonic() + STARTUP_TIMEOUT_S
    with httpx.Client(base_url=server.base_url, timeout=2.0) as client:
        while time.monotonic() < deadline:
            if server.process.poll() is not None:
                raise RuntimeError(f"kassa serve exited with {server.process.returncode}")
            try:
                if client.get("/health").status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.1)
    raise TimeoutError(f"kassa serve did not answer /health within {STARTUP_TIMEOUT_S}s")


def stop_server(server: KassaServer) -> None:
    """SIGTERM to the whole process group, SIGKILL if it lingers."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(server.process.pid, signal.SIGTERM)
    try:
        server.process.wait(timeout=SHUTDOWN_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        os.killpg(server.process.pid, signal.SIGKILL)
        server.process.wait(timeout=SHUTDOWN_TIMEOUT_S)
    # The supervisor may be gone while a worker still is: clear the group either way.
    with contextlib.suppress(ProcessLookupError):
        os.killpg(server.process.pid, signal.SIGKILL)
    for handle in server._files:
        handle.close()


async def _execute(url: str, sql: str) -> None:
    conn = await asyncpg.connect(url)
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


@pytest.fixture(scope="module")
def pg_server(
    postgres_admin_url: str, postgres_template: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[KassaServer]:
    """`kassa serve --workers 2` on a new PostgreSQL database, seeded with the demo data.

    The database is ANALYZEd once the server has seeded it, as autovacuum soon does on a live
    server; `fresh_pg_server` covers the never-analysed case.
    """
    yield from serve_pg(postgres_admin_url, postgres_template, tmp_path_factory)


def serve_pg(
    postgres_admin_url: str,
    postgres_template: str,
    tmp_path_factory: pytest.TempPathFactory,
    extra_env: dict[str, str] | None = None,
) -> Iterator[KassaServer]:
    """`pg_server`'s server, with `extra_env` on top of the suite's environment."""
    url = run_sync(create_migrated_pg_database(postgres_admin_url, postgres_template))
    try:
        server = start_server("pg", url, 2, tmp_path_factory.mktemp("kassa-pg"), extra_env)
        try:
            run_sync(_execute(url, "ANALYZE"))
            yield server
        finally:
            stop_server(server)
    finally:
        drop_pg_database_later(postgres_admin_url, url)


@pytest.fixture(scope="module")
def fresh_pg_server(
    postgres_admin_url: str, postgres_template: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[KassaServer]:
    """`kassa serve --workers 2` as a brand-new deployment: no planner statistics at all.

    Autovacuum is switched off for `tickets` before the server seeds it, so it cannot ANALYZE
    the table halfway through a test: the database stays as it is in the first minute of a new
    deployment, every time.
    """
    url = run_sync(create_migrated_pg_database(postgres_admin_url, postgres_template))
    try:
        run_sync(_execute(url, "ALTER TABLE tickets SET (autovacuum_enabled = false)"))
        server = start_server("fresh-pg", url, 2, tmp_path_factory.mktemp("kassa-fresh-pg"))
        try:
            yield server
        finally:
            stop_server(server)
    finally:
        drop_pg_database_later(postgres_admin_url, url)


@pytest.fixture(scope="module")
def sqlite_server(
    tmp_path_factory: pytest.TempPathFactory, sqlite_template: Path
) -> Iterator[KassaServer]:
    """`kassa serve --workers 1` on a new SQLite file, seeded with the demo data."""
    log_dir = tmp_path_factory.mktemp("kassa-sqlite")
    url = copy_sqlite(sqlite_template, log_dir / "kassa.db")
    server = start_server("sqlite", url, 1, log_dir)
    try:
        yield server
    finally:
        stop_server(server)


def _attach(request: pytest.FixtureRequest, server: KassaServer) -> KassaServer:
    request.node.stash.setdefault(SERVERS, []).append(server)
    server.set_mark()
    return server


@pytest.fixture
def pg(request: pytest.FixtureRequest, pg_server: KassaServer) -> KassaServer:
    """The module's PostgreSQL server; its log of this test is shown if the test fails."""
    return _attach(request, pg_server)


@pytest.fixture
def fresh_pg(request: pytest.FixtureRequest, fresh_pg_server: KassaServer) -> KassaServer:
    """The module's never-ANALYZEd PostgreSQL server."""
    return _attach(request, fresh_pg_server)


@pytest.fixture
def sqlite(request: pytest.FixtureRequest, sqlite_server: KassaServer) -> KassaServer:
    """The module's SQLite server; its log of this test is shown if the test fails."""
    return _attach(request, sqlite_server)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    report = yield
    if report.failed:
        for server in item.stash.get(SERVERS, []):
            text = server.stderr_since_mark() or "(nothing)"
            report.sections.append((f"kassa serve stderr ({server.label}, this test)", text))
    return report
