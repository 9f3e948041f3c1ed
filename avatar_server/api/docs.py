"""The interactive API documentation (``/docs``), served entirely by the server itself.

FastAPI's default page loads Swagger UI from a public CDN without integrity checks: a server
meant to run on a closed network showed a blank page there, and anywhere else it ran code the
operator does not control next to the page holding the user's token. The Swagger UI assets
come from the ``swagger-ui-bundle-v2`` package (Apache-2.0), and the page starts them from a
script file of ours rather than an inline script, so the page's Content-Security-Policy can
forbid every inline script (see ``api.security_headers``).
"""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.responses import HTMLResponse, Response
from fastapi.staticfiles import StaticFiles
from swagger_ui_bundle import swagger_ui_path

DOCS_PATH = "/docs"
ASSETS_PATH = f"{DOCS_PATH}/assets"

_PAGE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title} API</title>
<link rel="stylesheet" href="{assets}/swagger-ui.css">
<link rel="icon" href="{assets}/favicon-32x32.png">
</head>
<body>
<div id="swagger-ui"></div>
<script src="{assets}/swagger-ui-bundle.js"></script>
<script src="{docs}/start.js"></script>
</body>
</html>
"""

_START = """window.ui = SwaggerUIBundle({{
  url: {openapi_url!r},
  dom_id: "#swagger-ui",
  deepLinking: true,
  presets: [SwaggerUIBundle.presets.apis],
  layout: "BaseLayout",
}});
"""


def install_docs(app: FastAPI) -> None:
    """Serve ``/docs`` and its assets (the app is created with ``docs_url=None``)."""
    page = _PAGE.format(title=app.title, assets=ASSETS_PATH, docs=DOCS_PATH)
    start = _START.format(openapi_url=app.openapi_url or "/openapi.json")
    app.mount(ASSETS_PATH, StaticFiles(directory=swagger_ui_path), name="docs-assets")

    @app.get(DOCS_PATH, include_in_schema=False)
    async def docs() -> HTMLResponse:
        return HTMLResponse(page)

    @app.get(f"{DOCS_PATH}/start.js", include_in_schema=False)
    async def docs_start() -> Response:
        return Response(start, media_type="text/javascript")
