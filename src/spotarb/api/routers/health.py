"""``/healthz`` (alive), ``/readyz`` (store reachable, data present), ``/metrics``."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST

from spotarb.api.deps import ServiceDep
from spotarb.api.responses import ReadyBody
from spotarb.core.errors import SpotArbError

router = APIRouter(tags=["health"])


@router.get("/healthz")
async def healthz() -> dict[str, str]:
    """The process is up."""
    return {"status": "ok"}


@router.get(
    "/readyz",
    response_model=ReadyBody,
    responses={503: {"description": "Store unreachable or no data."}},
)
def readyz(service: ServiceDep) -> Any:
    """Ready when the store answers and there are prices to serve."""
    try:
        version = service.store.data_version()
    except SpotArbError as exc:
        return JSONResponse({"status": "unavailable", "reason": str(exc)}, status_code=503)
    rows = service.state.row_count
    if rows == 0:
        return JSONResponse(
            {
                "status": "no-data",
                "reason": "the store holds no prices yet",
                "dataVersion": version,
            },
            status_code=503,
        )
    return {"status": "ready", "rows": rows, "dataVersion": version}


@router.get("/metrics", response_class=Response)
def metrics(service: ServiceDep) -> Response:
    """Prometheus text format."""
    return Response(service.metrics.render(), media_type=CONTENT_TYPE_LATEST)
