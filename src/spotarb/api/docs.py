"""``/docs`` (Swagger UI) served from the package: it works offline.

FastAPI's own page loads its scripts from a CDN, so it is blank without the internet.
The assets come from the ``fastapi-offline`` distribution (Swagger UI 5, Apache-2.0),
served under ``/docs/static``. ``/redoc`` is off: Redoc fetches its logo from a CDN
whatever its options.
"""

from __future__ import annotations

from pathlib import Path
from typing import Final

import fastapi_offline
from fastapi import FastAPI
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

ASSETS: Final = Path(fastapi_offline.__file__).resolve().parent / "static"
STATIC: Final = "/docs/static"


def mount(app: FastAPI) -> None:
    """Serve ``/docs`` (the app is built with ``docs_url=redoc_url=None``)."""
    app.mount(STATIC, StaticFiles(directory=ASSETS), name="docs-static")
    schema = app.openapi_url or "/openapi.json"

    @app.get("/docs", include_in_schema=False)
    async def swagger_ui() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url=schema,
            title=f"{app.title} – API",
            swagger_js_url=f"{STATIC}/swagger-ui-bundle.js",
            swagger_css_url=f"{STATIC}/swagger-ui.css",
            swagger_favicon_url=f"{STATIC}/favicon.png",
            # No badge fetched from validator.swagger.io.
            swagger_ui_parameters={"validatorUrl": None},
        )
