"""``POST /v1/placements``: requirements → the best place to run, with alternatives."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse

from spotarb.api.deps import ServiceDep
from spotarb.api.schemas import JSONBytes, PlacementRequest, error_body
from spotarb.errors import ValidationError
from spotarb.placement import WorkloadRequirements
from spotarb.placement.requirements import CAMEL_REQUIREMENTS

router = APIRouter(prefix="/v1", tags=["placement"])

_SNAKE_TO_CAMEL = {snake: camel for camel, snake in CAMEL_REQUIREMENTS.items() if camel != "minCpu"}

_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {"description": "The best place, its score breakdown, alternatives and data age."},
    404: {"description": "Nothing matches; `detail` says which filter removed the last rows."},
    400: {"description": "The body is not valid JSON."},
    413: {"description": "The body is larger than `max_body_bytes`."},
    422: {"description": "Invalid requirements; `detail[].loc` names the field."},
}


@router.post("/placements", response_class=JSONBytes, responses=_RESPONSES)
async def create_placement(body: PlacementRequest, service: ServiceDep) -> Any:
    """Where should this workload run right now? (Cached until the data changes.)

    A cached answer is returned on the event loop; a miss runs the engine in the
    thread pool (numpy releases the GIL for much of it).
    """
    data = body.model_dump(exclude={"allowStale"}, exclude_none=True)
    try:
        req = WorkloadRequirements.from_mapping(data)
    except ValidationError as exc:
        field = _SNAKE_TO_CAMEL.get(exc.field, exc.field)
        return JSONResponse(error_body(field, f"{field}: {exc.reason}"), status_code=422)
    hit = service.cached_placement(req, allow_stale=body.allowStale)
    if hit is not None:
        return JSONBytes(hit[1], status_code=hit[0])
    status, payload = await run_in_threadpool(
        service.compute_placement, req, allow_stale=body.allowStale
    )
    return JSONBytes(payload, status_code=status)
