"""The web dashboard: server-rendered pages at ``/`` over the running service.

``spotarb.api.create_app`` calls :func:`mount`: it adds the pages (overview,
placement form, fleet form, price history, compare) and the static files. The pages render
the service's domain objects directly (state, placements, fleets, best options,
feed reports) and the store's history; they never call the JSON API or import
:mod:`spotarb.api`.
"""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from spotarb.web.pages import STATIC_DIR, router

__all__ = ["STATIC_DIR", "mount", "router"]


def mount(app: FastAPI) -> None:
    """Add the dashboard pages at ``/`` and their assets at ``/static``."""
    app.router.routes.extend(router.routes)  # flat, as spotarb.api.create_app adds its own
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
