"""``POST /v1/fleets``: per-instance requirements + a fleet size → instances spread over pools."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response

from spotarb.api import encode
from spotarb.api.responses import FleetBody, FleetInfeasibleBody, NoMatchBody
from spotarb.api.schemas import FleetRequest, JSONBytes, error_body
from spotarb.core.errors import ValidationError
from spotarb.serving.fleets import NoCurrentFleet
from spotarb.serving.service import Service

router = APIRouter(prefix="/v1", tags=["fleet"])

_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {"description": "The fleet: allocations per pool, totals, and what each filter removed."},
    404: {
        "model": FleetInfeasibleBody | NoMatchBody,
        "description": "No feasible fleet: `blockingFilter` (nothing matched) or "
        "`bindingConstraint` and `largestFleet` (the caps stop it).",
    },
    400: {"description": "The body is not valid JSON."},
    413: {"description": "The body is larger than `max_body_bytes`."},
    422: {"description": "Invalid request; `detail[].loc` names the field."},
}


@router.post("/fleets", response_class=JSONBytes, response_model=FleetBody, responses=_RESPONSES)
def create_fleet(body: FleetRequest, request: Request) -> Response:
    """Spread a fleet over pools across clouds (runs in the thread pool: up to milliseconds)."""
    service: Service = request.app.state.service
    try:
        freq = body.fleet()
    except ValidationError as exc:
        field = encode.fleet_camel(exc.field)
        return JSONBytes(encode.dumps(error_body(field, f"{field}: {exc.reason}")), status_code=422)
    try:
        answer = service.plan_fleet(freq, allow_stale=body.allowStale)
    except NoCurrentFleet as exc:
        return JSONBytes(encode.dumps(encode.no_fleet(exc)), status_code=404)
    return JSONBytes(encode.dumps(encode.fleet(answer)))
