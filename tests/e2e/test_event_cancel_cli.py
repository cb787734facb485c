"""`kassa events cancel` for real, on SQLite: a mistake is one line, `--no-wait` prints the
job, a second start is the running job, and with a `kassa worker` running the command draws
its progress bar to 100 % and exits 0."""

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

from kassa.app import demo
from tests.e2e.test_cli_startup import TIMEOUT_S, kassa, one_line

EVENT = demo.V2_EVENT_ID


def env_of(tmp_path: Path) -> dict[str, str]:
    return {"KASSA_DATABASE_URL": f"sqlite:///{tmp_path / 'kassa.db'}"}


def test_the_cli_cancels_an_event_with_a_progress_bar(tmp_path: Path) -> None:
    env = env_of(tmp_path)
    assert kassa("demo", env=env).returncode == 0
    info = json.loads(kassa("demo", env=env).stdout)
    org = info["org_id"]
    one_line(
        kassa("events", "cancel", "f" * 24, "--org", org, "--reason", "x", env=env),
        "not found",
        "event_not_found",
    )
    first = kassa("events", "cancel", EVENT, "--org", org, "--reason", "Rain", "--no-wait", env=env)
    assert first.returncode == 0, first.stderr
    job = json.loads(first.stdout)
    assert job["new"] is True and job["status"] == "pending"
    again = kassa("events", "cancel", EVENT, "--org", org, "--reason", "Rain", "--no-wait", env=env)
    assert json.loads(again.stdout)["id"] == job["id"] and json.loads(again.stdout)["new"] is False
    worker = subprocess.Popen(
        [sys.executable, "-m", "kassa.cli", "worker"],
        env={**os.environ, **env, "KASSA_WORKER_INTERVAL_SECONDS": "0.2"},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        followed = kassa("events", "cancellation", EVENT, "--org", org, "--wait", env=env)
    finally:
        os.killpg(worker.pid, signal.SIGTERM)
        worker.wait(TIMEOUT_S)
    assert followed.returncode == 0, followed.stderr
    assert "cancelled (100%)" in followed.stderr and "[" + "#" * 30 + "]" in followed.stderr
    assert json.loads(followed.stdout)["status"] == "done"
