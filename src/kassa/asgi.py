"""The ASGI entry point uvicorn imports in each worker process: settings from the environment."""

import gc

from kassa.app import operators
from kassa.config import Settings
from kassa.server import create_app

settings = Settings.from_env()
operators.use_password_hash_memory(settings.password_hash_memory_kib)
app = create_app(settings)

# Everything made so far (modules, the route table, the settings, the app) lives as long as
# the process. Left in the collector's care, every full collection walks those ~230,000
# objects again: 110-200 ms pauses in the middle of requests under load (BENCHMARKS.md, the
# fourth pass). Frozen, they are never collected, and a full pass walks what requests made.
# Young objects are collected every 10,000 net allocations instead of 700: a request makes a
# few thousand, most freed by reference counting, and at 32 requests in flight the default
# walked the same live request objects over and over (GC time per worker in a reserve run:
# about 1 s in 15 s at 700, 0.25 s at 10,000).
gc.collect()
gc.freeze()
gc.set_threshold(10_000, 10, 10)
