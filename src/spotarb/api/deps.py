"""Request dependencies: the service of this app, and the admin check."""

from __future__ import annotations

import hmac
from typing import Annotated

from fastapi import Depends, HTTPException, Request

from spotarb.serving.service import Service


async def get_service(request: Request) -> Service:
    # async: FastAPI runs sync dependencies in the thread pool, which costs more than this.
    service: Service = request.app.state.service
    return service


ServiceDep = Annotated[Service, Depends(get_service)]


async def require_admin(request: Request, service: ServiceDep) -> None:
    """``Authorization: Bearer $SPOTARB_ADMIN_TOKEN``; admin endpoints are off without a token."""
    token = service.settings.admin_token
    if token is None or not token.get_secret_value():
        raise HTTPException(403, "admin endpoints are disabled: set SPOTARB_ADMIN_TOKEN")
    header = request.headers.get("authorization", "")
    scheme, _, given = header.partition(" ")
    expected = token.get_secret_value().encode()
    if scheme.lower() != "bearer" or not hmac.compare_digest(given.strip().encode(), expected):
        raise HTTPException(
            401, "missing or wrong admin token", headers={"WWW-Authenticate": "Bearer"}
        )
