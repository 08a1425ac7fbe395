"""The pages' one dependency: the service of the app they are mounted on."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from spotarb.serving.service import Service


async def get_service(request: Request) -> Service:
    service: Service = request.app.state.service
    return service


ServiceDep = Annotated[Service, Depends(get_service)]
