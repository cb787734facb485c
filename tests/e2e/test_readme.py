"""The README's examples are executable documentation: every block it marks
`<!-- readme: run -->` is run in order, as a newcomer would paste it, against a real
`kassa serve` on a fresh demo SQLite database (a free port instead of 8000), and every answer
it states after a block (`<!-- readme: answers -->`) is what the server answered. The
convention is in tests/e2e/readme.py; unmarked blocks are never run."""

from decimal import Decimal
from pathlib import Path

from tests.e2e.conftest import KassaServer
from tests.e2e.readme import examples, mismatches, run

README = Path(__file__).resolve().parents[2] / "README.md"


def test_every_marked_example_answers_what_the_readme_says(
    sqlite: KassaServer, tmp_path: Path
) -> None:
    found = examples(README.read_text(encoding="utf-8"))
    assert len(found) >= 5, "the README's curl examples lost their `readme: run` markers"
    problems = []
    for example in found:
        answers = run(example, sqlite.base_url, tmp_path)
        if example.answers is None:
            continue
        where = f"README line {example.line}"
        if len(answers) != len(example.answers):
            problems.append(
                f"{where}: the README states {len(example.answers)} answers, "
                f"its curls gave {len(answers)}: {answers!r}"
            )
            continue
        for n, (expected, actual) in enumerate(zip(example.answers, answers, strict=True)):
            problems += [f"{where}, answer {n + 1}{m}" for m in mismatches(expected, actual)]
    assert not problems, "\n".join(problems)
    sqlite.assert_alive_and_quiet()


SAMPLE = """
Prose.

<!-- readme: run -->
```sh
curl -s http://127.0.0.1:8000/health
```

What it says:

<!-- readme: answers -->
```json
[{"status": "ok"}]
```

<!-- readme: run -->

Prose between a marker and its block unmarks it.

```sh
curl -s http://127.0.0.1:8000/not-run
```

```sh
curl -s http://127.0.0.1:8000/not-run-either
```

<!-- readme: run -->
```sh
echo no answers stated
```
"""


def test_only_marked_blocks_are_examples_with_the_answers_right_after_them() -> None:
    found = examples(SAMPLE)
    assert [e.script for e in found] == [
        "curl -s http://127.0.0.1:8000/health",
        "echo no answers stated",
    ]
    assert found[0].answers == [{"status": "ok"}]
    assert found[1].answers is None


def test_answers_match_as_a_subset_with_exact_numbers() -> None:
    answer = {"id": "x", "payload": {"bonuses": Decimal("1300.0"), "items": [1, 2]}, "ok": True}
    assert mismatches({"payload": {"bonuses": Decimal("1300.00")}}, answer) == []
    assert mismatches(None, "anything") == []
    assert mismatches({"payload": {"items": [1, 2]}, "ok": True}, answer) == []
    assert mismatches({"payload": {"bonuses": 1000}}, answer) == [
        ".payload.bonuses: the README says 1000, the server Decimal('1300.0')"
    ]
    assert mismatches({"payload": {"items": [1]}}, answer)  # lists match item by item
    assert mismatches({"missing": 1}, answer) == [".missing: missing from the answer"]
    assert mismatches({"ok": 1}, answer)  # true is not 1
    assert mismatches("", "") == [] and mismatches("", "body")
