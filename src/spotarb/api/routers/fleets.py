"""``POST /v1/fleets``: per-instance requirements + a fleet size → instances spread over pools."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response

from spotarb.api import encode
from spotarb.api.responses import FleetBody, FleetInfeasibleBody, NoMatchBody
from spotarb.api.schemas import FleetRequest, JSONBytes, error_body
from spotarb.core.errors import ValidationError
from spotarb.placement.fleet_model import CAMEL_FLEET
from spotarb.serving.fleets import NoCurrentFleet, PlannedFleet
from spotarb.serving.service import Service

router = APIRouter(prefix="/v1", tags=["fleet"])

#: The fleet's own snake_case fields → the request's camelCase names.
_FLEET_CAMEL = {snake: camel for camel, snake in CAMEL_FLEET.items()}

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


def camel(name: str) -> str:
    return _FLEET_CAMEL.get(name) or encode.camel(name)


def fleet_body(answer: PlannedFleet) -> dict[str, Any]:
    out = answer.plan.to_camel()
    out["dataVersion"] = answer.data_version
    out["computedAt"] = answer.computed_at.isoformat()
    out["allowStale"] = answer.allow_stale
    out["staleRowsExcluded"] = answer.stale_rows_excluded
    return out


def no_fleet_body(exc: NoCurrentFleet) -> dict[str, Any]:
    """The 404 body: the reason, the filter or cap that stops it, and the data it used."""
    detail = str(exc)
    if exc.stale_could_help:
        detail += (
            f" ({exc.stale_rows_excluded} older prices were excluded as stale; "
            "send allowStale=true to use them)"
        )
    body: dict[str, Any] = {"detail": detail}
    infeasible, no_match = exc.infeasible, exc.no_match
    if infeasible is not None:
        body |= {
            "bindingConstraint": infeasible.binding,
            "largestFleet": infeasible.largest,
            "unit": infeasible.unit,
            "removedBy": {camel(k): v for k, v in infeasible.removed_by.items()},
        }
    elif no_match is not None:
        blocking = no_match.blocking_filter
        body |= {
            "blockingFilter": camel(blocking) if blocking else None,
            "removedBy": {camel(k): v for k, v in no_match.removed_by.items()},
        }
    body["dataVersion"] = exc.data_version
    body["staleRowsExcluded"] = exc.stale_rows_excluded
    return body


@router.post("/fleets", response_class=JSONBytes, response_model=FleetBody, responses=_RESPONSES)
def create_fleet(body: FleetRequest, request: Request) -> Response:
    """Spread a fleet over pools across clouds (runs in the thread pool: up to milliseconds)."""
    service: Service = request.app.state.service
    try:
        freq = body.fleet()
    except ValidationError as exc:
        field = camel(exc.field)
        return JSONBytes(encode.dumps(error_body(field, f"{field}: {exc.reason}")), status_code=422)
    try:
        answer = service.plan_fleet(freq, allow_stale=body.allowStale)
    except NoCurrentFleet as exc:
        return JSONBytes(encode.dumps(no_fleet_body(exc)), status_code=404)
    return JSONBytes(encode.dumps(fleet_body(answer)))
