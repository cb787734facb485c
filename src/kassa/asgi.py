"""The ASGI entry point uvicorn imports in each worker process: settings from the environment."""

from kassa.server import create_app

app = create_app()
