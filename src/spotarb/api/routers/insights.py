"""``GET /v1/best-options`` and ``GET /v1/arbitrage``: computed once per data state."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query, Request

from spotarb.api import encode
from spotarb.api.responses import ArbitrageBody, BestOptionsBody
from spotarb.api.schemas import JSONBytes
from spotarb.core.errors import ConfigError
from spotarb.core.limits import MAX_NAME
from spotarb.serving.insights import ShapeNotPrecomputed
from spotarb.serving.service import Service

router = APIRouter(prefix="/v1", tags=["insights"])

AllowStale = Annotated[bool, Query(description="Use prices older than their feed's max age too.")]


@router.get("/best-options", response_class=JSONBytes, response_model=BestOptionsBody)
async def get_best_options(
    request: Request,
    shape: Annotated[
        str | None,
        Query(min_length=1, max_length=MAX_NAME, description="e.g. cpu:8 or gpu:a100:4"),
    ] = None,
    allowStale: AllowStale = False,
) -> Any:
    """The best place per common shape, overall and on each cloud (fresh prices only)."""
    service: Service = request.app.state.service
    try:
        name = None if shape is None else service.shape_name(shape)
    except ConfigError as exc:
        raise HTTPException(
            422, [{"loc": ["query", "shape"], "msg": str(exc), "type": "value_error"}]
        ) from None
    try:
        body = service.memo(
            f"api:best-options:{int(allowStale)}:{name}",
            lambda _: encode.dumps(
                encode.best_options(service.best_options(name, allow_stale=allowStale))
            ),
        )
    except ShapeNotPrecomputed as exc:
        raise HTTPException(404, str(exc)) from None
    return JSONBytes(body)


@router.get("/arbitrage", response_class=JSONBytes, response_model=ArbitrageBody)
async def get_arbitrage(request: Request, allowStale: AllowStale = False) -> Any:
    """Per capacity class: the cheapest offer on each cloud and the spread to the next cloud."""
    service: Service = request.app.state.service
    body = service.memo(
        f"api:arbitrage:{int(allowStale)}",
        lambda _: encode.dumps(encode.arbitrage(service.arbitrage(allow_stale=allowStale))),
    )
    return JSONBytes(body)
