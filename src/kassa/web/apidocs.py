"""The interactive API docs at /docs: Swagger UI served by Kassa itself, so the page works with
no internet. The assets are vendored from the npm registry (`make vendor`, swagger-ui-dist,
Apache-2.0: LICENSE and NOTICE beside them)."""

from pathlib import Path

from fastapi import FastAPI
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.staticfiles import StaticFiles
from starlette.responses import HTMLResponse

ASSETS = Path(__file__).resolve().parent / "static" / "swagger-ui"
DOCS_PATH = "/docs"
ASSETS_PATH = DOCS_PATH + "/assets"


def install(app: FastAPI) -> None:
    """Serve Swagger UI at /docs from the vendored assets. The app must be created with
    `docs_url=None, redoc_url=None`, so FastAPI's CDN-loading pages do not shadow it."""
    app.mount(ASSETS_PATH, StaticFiles(directory=ASSETS), name="apidocs-assets")

    @app.get(DOCS_PATH, include_in_schema=False)
    async def docs() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url=app.openapi_url or "/openapi.json",
            title=f"{app.title} API",
            swagger_js_url=f"{ASSETS_PATH}/swagger-ui-bundle.js",
            swagger_css_url=f"{ASSETS_PATH}/swagger-ui.css",
            swagger_favicon_url=f"{ASSETS_PATH}/favicon-32x32.png",
            # No badge asking validator.swagger.io about the document.
            swagger_ui_parameters={"validatorUrl": None},
        )
