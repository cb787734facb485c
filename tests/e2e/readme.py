"""README.md as executable documentation: the example blocks it marks, run in order against a
real server, and the answers it states after them, checked field by field.

The convention (README, "Development"):
- a ```sh block whose fence is preceded (blank lines aside) by the line
  `<!-- readme: run -->` is an example: bash runs it, in README order, each block in a shell
  of its own, with `http://127.0.0.1:8000` replaced by the test server's address;
- every `curl` it runs (also inside `$(...)` and pipes) has its answer recorded, in order;
- the ```json block that follows it, preceded by `<!-- readme: answers -->`, lists what those
  answers say, one entry per `curl`. An object or list entry is matched as a subset: keys left
  out are not checked (so ids, tokens and times are simply not written), lists match item by
  item; numbers compare as exact decimals; `null` skips an answer; a string is the body's text.
Every other block (install commands, the production recipe, a program's JSON) is never run.
"""

import json
import os
import re
import subprocess
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

README_URL = "http://127.0.0.1:8000"
MARKER = re.compile(r"<!--\s*readme:\s*(\w+)\s*-->")
FENCE = re.compile(r"^```(\S*)")

# Every `curl` of an example goes through this function: it saves each answer to a numbered
# file (a counter in a file, as `$(...)` and pipes run in subshells) and passes it on.
PRELUDE = r"""set -euo pipefail
curl() {
  local n
  n=$(( $(cat "$ANSWERS/count") + 1 ))
  echo "$n" > "$ANSWERS/count"
  command curl --max-time 30 "$@" | tee "$ANSWERS/$n"
}
"""


@dataclass(frozen=True)
class Example:
    """One marked block of the README, and the answers the README says it gets."""

    line: int  # where its fence opens, 1-based
    script: str
    answers: list[Any] | None  # None: the README states nothing after it


@dataclass(frozen=True)
class _Block:
    line: int
    lang: str
    marker: str | None
    body: str


def _blocks(text: str) -> list[_Block]:
    lines = text.splitlines()
    found: list[_Block] = []
    marker: str | None = None
    i = 0
    while i < len(lines):
        line = lines[i]
        fence = FENCE.match(line)
        if fence:
            start, body = i, []
            i += 1
            while i < len(lines) and not lines[i].startswith("```"):
                body.append(lines[i])
                i += 1
            found.append(_Block(start + 1, fence.group(1), marker, "\n".join(body)))
            marker = None
        elif mark := MARKER.fullmatch(line.strip()):
            marker = mark.group(1)
        elif line.strip():
            marker = None  # a marker counts only right above its block
        i += 1
    return found


def examples(text: str) -> list[Example]:
    """The README's marked examples, in order, each with its stated answers."""
    blocks = _blocks(text)
    found = []
    for n, block in enumerate(blocks):
        if block.marker != "run":
            continue
        assert block.lang == "sh", f"README line {block.line}: only ```sh blocks are run"
        after = blocks[n + 1] if n + 1 < len(blocks) else None
        answers = None
        if after is not None and after.marker == "answers":
            assert after.lang == "json", f"README line {after.line}: answers are ```json"
            answers = json.loads(after.body, parse_float=Decimal)
            assert isinstance(answers, list), f"README line {after.line}: answers are a list"
        found.append(Example(block.line, block.body, answers))
    return found


def run(example: Example, base_url: str, workdir: Path) -> list[Any]:
    """Run one example against the server at `base_url`; the answers of its `curl`s, JSON
    parsed (exact decimals) where they are JSON, else their text."""
    answers = workdir / f"answers-{example.line}"
    answers.mkdir()
    (answers / "count").write_text("0")
    script = PRELUDE + example.script.replace(README_URL, base_url) + "\n"
    done = subprocess.run(
        ["bash", "-c", script],
        env={**os.environ, "ANSWERS": str(answers)},
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert done.returncode == 0, (
        f"the README's example at line {example.line} failed ({done.returncode}):\n"
        f"{done.stderr[-3000:]}"
    )
    count = int((answers / "count").read_text())
    return [_parsed((answers / str(n)).read_text()) for n in range(1, count + 1)]


def _parsed(body: str) -> Any:
    try:
        return json.loads(body, parse_float=Decimal)
    except ValueError:
        return body


def mismatches(expected: Any, actual: Any, where: str = "") -> list[str]:
    """Where `actual` does not say what `expected` states (a subset match, see above)."""
    if expected is None:
        return []
    if isinstance(expected, dict):
        if not isinstance(actual, dict):
            return [f"{where or '.'}: the README shows an object, the server answered {actual!r}"]
        found = []
        for key, value in expected.items():
            if key not in actual:
                found.append(f"{where}.{key}: missing from the answer")
            else:
                found += mismatches(value, actual[key], f"{where}.{key}")
        return found
    if isinstance(expected, list):
        if not isinstance(actual, list) or len(actual) != len(expected):
            return [
                f"{where or '.'}: the README shows {expected!r}, the server answered {actual!r}"
            ]
        return [
            m for n, e in enumerate(expected) for m in mismatches(e, actual[n], f"{where}[{n}]")
        ]
    if _number(expected) and _number(actual):
        same = Decimal(expected) == Decimal(actual)
    else:
        same = type(expected) is type(actual) and expected == actual
    return [] if same else [f"{where or '.'}: the README says {expected!r}, the server {actual!r}"]


def _number(value: Any) -> bool:
    return isinstance(value, int | Decimal) and not isinstance(value, bool)
