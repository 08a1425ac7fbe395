"""``POST /v1/fleets``: per-instance requirements + a fleet size → instances spread over pools."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from spotarb.api.deps import ServiceDep
from spotarb.api.schemas import FleetRequest, error_body
from spotarb.core.errors import NoPlacementError, ValidationError
from spotarb.placement import FleetInfeasibleError, FleetRequirements
from spotarb.placement.engine import NoMatchError
from spotarb.placement.fleet_model import CAMEL_FLEET
from spotarb.placement.requirements import CAMEL_REQUIREMENTS
from spotarb.serving.service import Service

router = APIRouter(prefix="/v1", tags=["fleet"])

#: snake_case field (and engine filter) names → the request's camelCase names.
CAMEL = (
    {snake: camel for camel, snake in CAMEL_REQUIREMENTS.items() if camel != "minCpu"}
    | {snake: camel for camel, snake in CAMEL_FLEET.items()}
    | {"gpu": "gpuType"}
)

_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {"description": "The fleet: allocations per pool, totals, and what each filter removed."},
    404: {
        "description": "No feasible fleet: `blockingFilter` (nothing matched) or "
        "`bindingConstraint` and `largestFleet` (the caps stop it)."
    },
    400: {"description": "The body is not valid JSON."},
    413: {"description": "The body is larger than `max_body_bytes`."},
    422: {"description": "Invalid request; `detail[].loc` names the field."},
}


def camel(name: str) -> str:
    return CAMEL.get(name, name)


def _stale(service: Service, allow_stale: bool) -> dict[str, Any]:
    state = service.state
    return {
        "dataVersion": state.version,
        "allowStale": allow_stale,
        "staleRowsExcluded": 0 if allow_stale else state.stale_rows,
    }


def not_found(exc: NoPlacementError, service: Service, allow_stale: bool) -> dict[str, Any]:
    """The 404 body: the reason, the filter or cap that stops it, and the data it used."""
    meta = _stale(service, allow_stale)
    detail = str(exc)
    if meta["staleRowsExcluded"]:
        detail += (
            f" ({meta['staleRowsExcluded']} older prices were excluded as stale; "
            "send allowStale=true to use them)"
        )
    body: dict[str, Any] = {"detail": detail}
    if isinstance(exc, FleetInfeasibleError):
        body |= {
            "bindingConstraint": exc.binding,
            "largestFleet": exc.largest,
            "unit": exc.unit,
            "removedBy": {camel(k): v for k, v in exc.removed_by.items()},
        }
    elif isinstance(exc, NoMatchError):
        body |= {
            "blockingFilter": camel(exc.blocking_filter) if exc.blocking_filter else None,
            "removedBy": {camel(k): v for k, v in exc.removed_by.items()},
        }
    return body | meta


@router.post("/fleets", responses=_RESPONSES)
def create_fleet(body: FleetRequest, service: ServiceDep) -> Any:
    """Spread a fleet over pools across clouds (runs in the thread pool: up to milliseconds)."""
    try:
        freq = FleetRequirements.from_mapping(
            body.model_dump(exclude={"allowStale", "alternatives"}, exclude_none=True)
        )
        plan = service.plan_fleet(freq, allow_stale=body.allowStale)
    except ValidationError as exc:
        field = camel(exc.field)
        return JSONResponse(error_body(field, f"{field}: {exc.reason}"), status_code=422)
    except NoPlacementError as exc:
        return JSONResponse(not_found(exc, service, body.allowStale), status_code=404)
    payload = plan.to_camel() | _stale(service, body.allowStale)
    payload["computedAt"] = datetime.now(UTC).isoformat()
    return JSONResponse(payload)
