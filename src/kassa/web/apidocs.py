"""The interactive API docs at /docs: Swagger UI served by Kassa itself, so the page works with
no internet. The assets are vendored from the npm registry (`make vendor`, swagger-ui-dist,
Apache-2.0: LICENSE and NOTICE beside them).

The page offers one document per face (its selector, top right): ticketing, loyalty checkout,
delivery, and Kassa's own API (cancellation, policies, waiting list, webhooks, the loyalty and
delivery admin). Each is the part of `/openapi.json` (which stays whole, for tools) that its
tags name, with the schemas it uses. One page of all ~140 operations at once stops Swagger UI
5.35 rendering in Chromium (it hangs past 135 operations), and a face's users read their
face's document anyway."""

import html
import json
import re
from pathlib import Path
from typing import Any

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles
from starlette.responses import HTMLResponse, Response

ASSETS = Path(__file__).resolve().parent / "static" / "swagger-ui"
DOCS_PATH = "/docs"
ASSETS_PATH = DOCS_PATH + "/assets"
FACE_DOCS = "/openapi/{face}.json"
# A face's document, by the first tag of each operation: (name in the selector, tag prefixes).
FACES: dict[str, tuple[str, tuple[str, ...]]] = {
    "ticketing": ("Ticketing (Ticketscloud v1 and v2)", ("ticketing",)),
    "loyalty": ("Loyalty checkout (REES46)", ("loyalty checkout",)),
    "delivery": ("Delivery (Yandex Eats partner API)", ("delivery (",)),
    "kassa": ("Kassa API (cancellation, policies, waiting list, webhooks, admin)", ()),
}
_REF = re.compile(r'"#/components/schemas/([^"]+)"')


def face_of(tags: list[str]) -> str:
    first = tags[0] if tags else ""
    for face, (_, prefixes) in FACES.items():
        if prefixes and first.startswith(prefixes):
            return face
    return "kassa"


def face_document(document: dict[str, Any], face: str) -> dict[str, Any]:
    """The part of the whole document that one face's operations make up."""
    paths: dict[str, Any] = {}
    for path, item in document.get("paths", {}).items():
        ops = {m: op for m, op in item.items() if face_of(op.get("tags", [])) == face}
        if ops:
            paths[path] = ops
    components = dict(document.get("components", {}))
    schemas = components.get("schemas", {})
    used: set[str] = set()
    todo = set(_REF.findall(json.dumps(paths)))
    while todo:
        name = todo.pop()
        if name in used or name not in schemas:
            continue
        used.add(name)
        todo |= set(_REF.findall(json.dumps(schemas[name])))
    components["schemas"] = {k: v for k, v in schemas.items() if k in used}
    title = f"{document.get('info', {}).get('title', 'Kassa')}: {FACES[face][0]}"
    return {
        **document,
        "info": {**document.get("info", {}), "title": title},
        "paths": paths,
        "components": components,
    }


def install(app: FastAPI) -> None:
    """Serve Swagger UI at /docs from the vendored assets, and each face's document. The app
    must be created with `docs_url=None, redoc_url=None`, so FastAPI's CDN-loading pages do
    not shadow it."""
    app.mount(ASSETS_PATH, StaticFiles(directory=ASSETS), name="apidocs-assets")
    cache: dict[str, bytes] = {}

    @app.get(FACE_DOCS, include_in_schema=False)
    async def face_openapi(face: str) -> Response:
        if face not in FACES:
            return Response(status_code=404)
        if face not in cache:
            cache[face] = json.dumps(face_document(app.openapi(), face)).encode()
        return Response(cache[face], media_type="application/json")

    @app.get(DOCS_PATH, include_in_schema=False)
    async def docs() -> HTMLResponse:
        return HTMLResponse(_page(f"{app.title} API"))


def _page(title: str) -> str:
    """Swagger UI with its standalone layout, whose top bar selects a face's document."""
    urls = [{"url": FACE_DOCS.format(face=face), "name": name} for face, (name, _) in FACES.items()]
    config = {
        "urls": urls,
        "dom_id": "#swagger-ui",
        "layout": "StandaloneLayout",
        "deepLinking": True,
        "showExtensions": True,
        "showCommonExtensions": True,
        "validatorUrl": None,  # no badge asking validator.swagger.io about the document
    }
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<title>{html.escape(title)}</title>
<link rel="stylesheet" href="{ASSETS_PATH}/swagger-ui.css">
<link rel="icon" href="{ASSETS_PATH}/favicon-32x32.png">
</head><body><div id="swagger-ui"></div>
<script src="{ASSETS_PATH}/swagger-ui-bundle.js"></script>
<script src="{ASSETS_PATH}/swagger-ui-standalone-preset.js"></script>
<script>
window.ui = SwaggerUIBundle(Object.assign({json.dumps(config)}, {{
  presets: [SwaggerUIBundle.presets.apis, SwaggerUIStandalonePreset],
  plugins: [SwaggerUIBundle.plugins.DownloadUrl],
}}));
</script></body></html>"""
