"""``GET /v1/cluster``: this replica's role, the elected collector, what it serves from."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request

from spotarb.api.deps import ServiceDep
from spotarb.api.responses import ClusterBody
from spotarb.serving.cluster import Cluster

router = APIRouter(tags=["health"])


@router.get("/v1/cluster", response_model=ClusterBody)
def cluster(request: Request, service: ServiceDep) -> dict[str, Any]:
    """Instance id, role, whether it collects, who does, its data version, its backends."""
    member: Cluster = request.app.state.cluster
    info = member.info(service.state.version)
    return {
        "instanceId": info.instance_id,
        "role": info.role,
        "isLeader": info.is_leader,
        "leaderId": info.leader_id,
        "dataVersion": info.data_version,
        "store": info.store,
        "cache": info.cache,
    }
