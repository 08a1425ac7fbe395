"""The framework's floor: a FastAPI app with constant answers and no middleware.

``service_load.py --floor`` serves it with the same uvicorn (uvloop, httptools) and
drives it with the same clients: ``GET /healthz`` returns a constant, and
``POST /v1/placements`` validates the body as spotarb's ``PlacementRequest`` and
returns a constant body the size of a typical placement answer. No spotarb route can
be cheaper than these on the machine at hand, so they put the service's figures in
scale.
"""

from __future__ import annotations

from fastapi import FastAPI, Response

from spotarb.api.schemas import PlacementRequest

app = FastAPI(openapi_url=None, docs_url=None, redoc_url=None)

#: About the size of a placement answer with 3 alternatives.
_ANSWER = b'{"padding":"' + b"x" * 3000 + b'"}'


@app.get("/healthz")
async def healthz() -> Response:
    return Response(b'{"status":"ok"}', media_type="application/json")


@app.post("/v1/placements")
async def placement(body: PlacementRequest) -> Response:
    return Response(_ANSWER, media_type="application/json")
