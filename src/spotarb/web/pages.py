"""The dashboard's routes: five server-rendered pages over the service's current state."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Final

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from spotarb.core.limits import MAX_NAME
from spotarb.core.version import __version__
from spotarb.web import charts, fleetform, overview
from spotarb.web.deps import ServiceDep
from spotarb.web.format import FILTERS
from spotarb.web.placeform import (
    LABELS,
    STRATEGY_HELP,
    filter_label,
    read_form,
    run_placement,
)

HERE: Final = Path(__file__).resolve().parent
STATIC_DIR: Final = HERE / "static"
TEMPLATES_DIR: Final = HERE / "templates"

#: Everything the pages load comes from this server: no CDN, no inline script.
CSP: Final = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)

templates = Jinja2Templates(directory=TEMPLATES_DIR)
templates.env.filters.update(FILTERS)
templates.env.globals["version"] = __version__

router = APIRouter(include_in_schema=False)

Text = Annotated[str, Query(max_length=MAX_NAME)]


def _page(request: Request, name: str, **context: Any) -> HTMLResponse:
    service = request.app.state.service
    root = str(request.scope.get("root_path", "")).rstrip("/")

    def path_for(route: str, **params: Any) -> str:
        """A server-relative link (works behind a proxy that changes host or scheme)."""
        return root + str(request.app.url_path_for(route, **params))

    response = templates.TemplateResponse(
        request,
        name,
        {
            "state": service.state,
            "page": name.removesuffix(".html"),
            "path_for": path_for,
            **context,
        },
    )
    response.headers["Content-Security-Policy"] = CSP
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "same-origin"
    return response


AllowStale = Annotated[bool, Query()]


@router.get("/", response_class=HTMLResponse)
def overview_page(
    request: Request, service: ServiceDep, allowStale: AllowStale = False
) -> HTMLResponse:
    """Feed health and the best option per common shape on each cloud."""
    return _page(
        request,
        "overview.html",
        feeds=overview.feed_health(service),
        best=overview.best_option_rows(service, allow_stale=allowStale),
        providers=("aws", "azure", "gcp"),
    )


@router.get("/place", response_class=HTMLResponse)
def place_page(request: Request, service: ServiceDep) -> HTMLResponse:
    """The placement form; the query string is the request, so results can be shared."""
    query = {key: request.query_params.getlist(key) for key in request.query_params}
    form = run_placement(service, read_form(query))
    return _page(
        request,
        "place.html",
        form=form,
        labels=LABELS,
        strategy_help=STRATEGY_HELP,
        filter_label=filter_label,
    )


@router.get("/fleet", response_class=HTMLResponse)
def fleet_page(request: Request, service: ServiceDep) -> HTMLResponse:
    """The fleet form: the plan per pool, its totals and a chart; the URL is the query."""
    query = {key: request.query_params.getlist(key) for key in request.query_params}
    form = fleetform.run_fleet(service, fleetform.read_form(query))
    return _page(
        request,
        "fleet.html",
        form=form,
        labels=fleetform.LABELS,
        strategy_help=fleetform.STRATEGY_HELP,
        filter_label=fleetform.filter_label,
    )


@router.get("/history", response_class=HTMLResponse)
def history_page(
    request: Request,
    service: ServiceDep,
    provider: Text = "",
    region: Text = "",
    instanceType: Text = "",
    range: Annotated[str, Query(max_length=8)] = charts.DEFAULT_RANGE,
) -> HTMLResponse:
    """A provider/region/instance type's spot price over time, one line per zone."""
    view = charts.history_view(
        service, provider.strip(), region.strip(), instanceType.strip(), range
    )
    suggestions = [r.best for r in overview.best_option_rows(service).rows if r.best][:8]
    return _page(request, "history.html", view=view, suggestions=suggestions)


@router.get("/compare", response_class=HTMLResponse)
def compare_page(
    request: Request,
    service: ServiceDep,
    capacity: Annotated[str, Query(alias="class", max_length=64)] = "",
    metric: Annotated[str, Query(max_length=32)] = "",
    allowStale: AllowStale = False,
) -> HTMLResponse:
    """The cheapest $/hour (or $/vCPU-hour, $/GPU-hour) per cloud and region."""
    view = charts.compare_view(service, capacity.strip(), metric.strip(), allow_stale=allowStale)
    return _page(request, "compare.html", view=view)
