"""The framework's floor: a FastAPI app with one constant route and no middleware.

``service_load.py --floor`` serves it with the same uvicorn (uvloop, httptools) and
drives ``GET /healthz`` with the same clients: no spotarb route can be cheaper than
this on the machine at hand, so it puts the service's figures in scale.
"""

from __future__ import annotations

from fastapi import FastAPI, Response

app = FastAPI(openapi_url=None, docs_url=None, redoc_url=None)


@app.get("/healthz")
async def healthz() -> Response:
    return Response(b'{"status":"ok"}', media_type="application/json")
