"""The container recipe runs the README's production commands, word for word, and each of them
is one the CLI accepts. (This machine cannot build images: the files are checked as text.)"""

import re
import shlex
from pathlib import Path
from typing import Any

import pytest
import yaml

from kassa.cli import _parser

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text()


def production_commands() -> list[list[str]]:
    """The `kassa ...` lines of the shell blocks in the README's production section."""
    section = README.split("## Running it in production", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```sh\n(.*?)```", section, re.S)
    return [
        shlex.split(line) for block in blocks for line in block.splitlines() if line[:6] == "kassa "
    ]


def compose() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load((ROOT / "compose.yaml").read_text())
    return loaded


def dockerfile_instruction(name: str) -> str:
    found = re.findall(rf"^{name} (.+)$", (ROOT / "Dockerfile").read_text(), re.M)
    assert len(found) >= 1, name
    return str(found[-1])


def test_compose_runs_the_readme_commands_in_the_readme_order() -> None:
    services = compose()["services"]
    run = [services[name]["command"] for name in ("migrate", "api", "worker")]
    readme = [c for c in production_commands() if c[1] in ("migrate", "serve", "worker")]
    assert run == readme
    assert services["api"]["depends_on"]["migrate"]["condition"] == (
        "service_completed_successfully"
    )
    assert services["worker"]["depends_on"]["migrate"]["condition"] == (
        "service_completed_successfully"
    )
    assert services["db"]["image"].startswith("postgres:")
    assert "@db:5432/" in services["api"]["environment"]["KASSA_DATABASE_URL"]


def test_the_image_serves_with_the_readme_command_as_a_non_root_user() -> None:
    assert dockerfile_instruction("FROM") == "python:3.11-slim"
    assert dockerfile_instruction("USER") not in ("root", "0")
    cmd = yaml.safe_load(dockerfile_instruction("CMD"))  # a JSON list
    assert cmd == compose()["services"]["api"]["command"]
    assert cmd in production_commands()


@pytest.mark.parametrize("command", production_commands(), ids=lambda c: " ".join(c[1:3]))
def test_every_readme_command_is_one_the_cli_accepts(command: list[str]) -> None:
    args = _parser().parse_args(command[1:])
    assert callable(args.run)
