"""``POST /v1/placements``: requirements → the best place to run, with alternatives."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from spotarb.api.deps import ServiceDep
from spotarb.api.schemas import JSONBytes, PlacementRequest, error_body
from spotarb.core.errors import ValidationError
from spotarb.placement import WorkloadRequirements
from spotarb.placement.requirements import CAMEL_REQUIREMENTS
from spotarb.serving.service import Service

router = APIRouter(prefix="/v1", tags=["placement"])

_SNAKE_TO_CAMEL = {snake: camel for camel, snake in CAMEL_REQUIREMENTS.items() if camel != "minCpu"}

_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {"description": "The best place, its score breakdown, alternatives and data age."},
    404: {"description": "Nothing matches; `detail` says which filter removed the last rows."},
    400: {"description": "The body is not valid JSON."},
    413: {"description": "The body is larger than `max_body_bytes`."},
    422: {"description": "Invalid requirements; `detail[].loc` names the field."},
}


def placement_answer(body: PlacementRequest, service: Service) -> tuple[int, bytes]:
    """The status and JSON body for validated requirements (cached until the data changes).

    The engine runs on the caller's thread: a query takes well under a millisecond on a
    100k-row snapshot, less than handing it to a thread pool costs. Raises
    :class:`~spotarb.core.errors.ValidationError` for requirements the engine refuses.
    """
    req = WorkloadRequirements.from_mapping(
        body.model_dump(exclude={"allowStale"}, exclude_none=True)
    )
    hit = service.cached_placement(req, allow_stale=body.allowStale)
    if hit is not None:
        return hit
    return service.compute_placement(req, allow_stale=body.allowStale)


@router.post("/placements", response_class=JSONBytes, responses=_RESPONSES)
async def create_placement(body: PlacementRequest, service: ServiceDep) -> Any:
    """Where should this workload run right now? (Cached until the data changes.)"""
    try:
        status, payload = placement_answer(body, service)
    except ValidationError as exc:
        field = _SNAKE_TO_CAMEL.get(exc.field, exc.field)
        return JSONResponse(error_body(field, f"{field}: {exc.reason}"), status_code=422)
    return JSONBytes(payload, status_code=status)
