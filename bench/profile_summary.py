"""Share of py-spy samples per library, from collapsed stacks (`py-spy record -f raw`).

    python bench/profile_summary.py /tmp/kassa-profile.*.txt

Each sample counts for the innermost frame that belongs to a known library, so "sqlalchemy"
is time spent in SQLAlchemy itself (not in the driver it calls).
"""

import sys
from collections import Counter

LIBRARIES = ("sqlalchemy", "asyncpg", "aiosqlite", "kassa", "pydantic", "fastapi", "starlette")


def library(frames: list[str]) -> str:
    for frame in reversed(frames):
        for name in LIBRARIES:
            if f"({name}/" in frame:
                return name
        if "(uvicorn/" in frame or "httptools" in frame:
            return "uvicorn"
    return "other"


def main(paths: list[str]) -> None:
    shares: Counter[str] = Counter()
    total = 0
    for path in paths:
        with open(path) as lines:
            for line in lines:
                stack, _, count = line.rstrip().rpartition(" ")
                shares[library(stack.split(";"))] += int(count)
                total += int(count)
    for name, count in shares.most_common():
        print(f"{100 * count / max(total, 1):5.1f} % {name}")


if __name__ == "__main__":
    main(sys.argv[1:])
