"""``POST /v1/placements``: requirements → the best place to run, with alternatives."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response

from spotarb.api import encode
from spotarb.api.responses import NoMatchBody, PlacementBody
from spotarb.api.schemas import JSONBytes, PlacementRequest, error_body
from spotarb.core.errors import ValidationError
from spotarb.serving.placing import NoCurrentMatch
from spotarb.serving.service import Service

router = APIRouter(prefix="/v1", tags=["placement"])

_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {"description": "The best place, its score breakdown, alternatives and data age."},
    404: {
        "model": NoMatchBody,
        "description": "Nothing matches; `detail` says which filter removed the last rows.",
    },
    400: {"description": "The body is not valid JSON."},
    413: {"description": "The body is larger than `max_body_bytes`."},
    415: {"description": "The body is not JSON (`Content-Type` must be `application/json`)."},
    422: {"description": "Invalid requirements; `detail[].loc` names the field."},
}


@router.post(
    "/placements", response_class=JSONBytes, response_model=PlacementBody, responses=_RESPONSES
)
async def create_placement(body: PlacementRequest, request: Request) -> Response:
    """Where should this workload run right now? (Cached until the data changes.)

    The answer (status and JSON bytes) is cached under the data it ran on (the store's
    data version and the fresh row count, which name the snapshot in any process that
    shares the cache) and the validated request (every field, defaults filled in). The
    cache is asked once, before anything else is built; refused requirements (422) are
    never cached.
    """
    service: Service = request.app.state.service
    state = service.state
    key = f"place:{state.version}:{len(state.fresh)}:{body.model_dump_json()}"
    cached = service.cache.get(key)
    if cached is not None:
        head, _, payload = cached.partition(b"\n")
        return JSONBytes(payload, status_code=int(head))
    try:
        req = body.requirements()
    except ValidationError as exc:
        field = encode.camel(exc.field)
        return JSONBytes(encode.dumps(error_body(field, f"{field}: {exc.reason}")), status_code=422)
    try:
        answer = service.place(req, allow_stale=body.allowStale, state=state)
    except NoCurrentMatch as exc:
        status, payload = 404, encode.dumps(encode.no_match(exc))
    else:
        status, payload = 200, encode.dumps(encode.placement(answer))
    service.cache.set(key, b"%d\n%s" % (status, payload), ttl=service.settings.placement_cache_ttl)
    return JSONBytes(payload, status_code=status)
