"""The web dashboard: server-rendered pages at ``/`` over the running service.

``create_app`` calls :func:`mount` when this package is installed: it adds the
pages (overview, placement form, fleet form, price history, compare) and the static files.
The pages read the service's objects directly (state, store, placement cache);
they never call the JSON API over HTTP.
"""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from spotarb.web.pages import STATIC_DIR, router

__all__ = ["STATIC_DIR", "mount", "router"]


def mount(app: FastAPI) -> None:
    """Add the dashboard pages at ``/`` and their assets at ``/static``."""
    app.include_router(router)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
