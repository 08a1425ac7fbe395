"""``GET /v1/feeds`` (schedule and health of each feed) and the admin trigger."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Path, Request
from fastapi.responses import JSONResponse

from spotarb.api import encode
from spotarb.api.deps import ServiceDep, require_admin
from spotarb.api.responses import FeedsBody, TriggerBody
from spotarb.api.schemas import JSONBytes

router = APIRouter(prefix="/v1/feeds", tags=["feeds"])


@router.get("", response_class=JSONBytes, response_model=FeedsBody)
def list_feeds(service: ServiceDep) -> Any:
    """Every feed: configured or why not, schedule, last run and success, rows, data age."""
    return JSONBytes(encode.dumps({"feeds": [encode.feed(r) for r in service.feed_reports()]}))


@router.post(
    "/{name}/collect",
    dependencies=[Depends(require_admin)],
    status_code=202,
    response_model=TriggerBody,
    responses={
        401: {"description": "Missing or wrong admin token."},
        403: {"description": "Admin endpoints are disabled (no SPOTARB_ADMIN_TOKEN)."},
        404: {"description": "No such feed, or the feed is not enabled."},
        409: {
            "description": "The feed is already running, another replica collects, "
            "or collection is off (serve --no-collect)."
        },
        413: {"description": "The body is larger than `max_body_bytes`."},
    },
)
def trigger_collect(
    request: Request, service: ServiceDep, name: Annotated[str, Path(max_length=32)]
) -> JSONResponse:
    """Start a run of one feed now (admin: ``Authorization: Bearer $SPOTARB_ADMIN_TOKEN``)."""
    if name not in service.feed_names:
        raise HTTPException(404, f"no enabled feed named {name!r}")
    elsewhere = request.app.state.cluster.collector_elsewhere()
    if elsewhere is not None:
        raise HTTPException(409, f"this replica does not collect: {elsewhere}")
    if not service.scheduler.runs_feeds:
        raise HTTPException(409, "collection is off (serve --no-collect): no feed runs")
    if not service.scheduler.trigger(name):
        raise HTTPException(409, f"feed {name} is already running")
    return JSONResponse({"feed": name, "status": "started"}, status_code=202)
