"""``GET /v1/best-options`` and ``GET /v1/arbitrage``: precomputed after each write."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query

from spotarb.api.deps import ServiceDep
from spotarb.api.schemas import JSONBytes
from spotarb.core.errors import ConfigError

router = APIRouter(prefix="/v1", tags=["insights"])


@router.get("/best-options", response_class=JSONBytes)
async def get_best_options(
    service: ServiceDep,
    shape: Annotated[
        str | None, Query(max_length=128, description="e.g. cpu:8 or gpu:a100:4")
    ] = None,
) -> Any:
    """The best place per common shape, overall and on each cloud (fresh prices only)."""
    state = service.state
    if shape is None:
        return JSONBytes(state.best_options)
    try:
        name = service.shape_name(shape)
    except ConfigError as exc:
        raise HTTPException(
            422, [{"loc": ["query", "shape"], "msg": str(exc), "type": "value_error"}]
        ) from None
    body = state.best_by_shape.get(name)
    if body is None:
        raise HTTPException(
            404, f"shape {name} is not precomputed; configured: {', '.join(state.best_by_shape)}"
        )
    return JSONBytes(body)


@router.get("/arbitrage", response_class=JSONBytes)
async def get_arbitrage(service: ServiceDep) -> Any:
    """Per capacity class: the cheapest offer on each cloud and the spread to the next cloud."""
    return JSONBytes(service.state.arbitrage)
