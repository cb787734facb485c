"""The ASGI entry point uvicorn imports in each worker process: settings from the environment."""

from kassa.app import operators
from kassa.config import Settings
from kassa.server import create_app

settings = Settings.from_env()
operators.use_password_hash_memory(settings.password_hash_memory_kib)
app = create_app(settings)
