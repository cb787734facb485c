"""The directory where several server processes keep their metrics (prometheus-client's
multiprocess mode), set up before any of them starts.

Kept apart from `kassa.web.metrics` on purpose: prometheus-client picks its storage when it
is first imported, so the variable must be set before that import, in the process that
starts the others.
"""

import os
import shutil
import tempfile
from collections.abc import Iterator, MutableMapping
from contextlib import contextmanager
from pathlib import Path

ENV = "PROMETHEUS_MULTIPROC_DIR"


@contextmanager
def metrics_directory(
    workers: int, env: MutableMapping[str, str] | None = None
) -> Iterator[str | None]:
    """With several workers (or PROMETHEUS_MULTIPROC_DIR already set): an empty directory
    named in PROMETHEUS_MULTIPROC_DIR while the block runs. Files of an earlier run are
    removed first (their counters would be added to this run's); a directory made here is
    removed afterwards. With one worker and no variable: nothing (the process counts alone).
    """
    env = os.environ if env is None else env
    given = env.get(ENV)
    if workers <= 1 and not given:
        yield None
        return
    path = Path(given) if given else Path(tempfile.mkdtemp(prefix="kassa-metrics-"))
    path.mkdir(parents=True, exist_ok=True)
    for stale in path.glob("*.db"):
        stale.unlink()
    env[ENV] = str(path)
    try:
        yield str(path)
    finally:
        if not given:
            shutil.rmtree(path, ignore_errors=True)
            env.pop(ENV, None)
