"""Request models of the HTTP edge (camelCase, bounded) and the JSON response helper."""

from __future__ import annotations

from typing import Any, Final, Literal

from fastapi import Response
from pydantic import BaseModel, ConfigDict, Field

from spotarb.placement.fleet_model import (
    MAX_INSTANCES,
    MAX_TARGET_GPUS,
    MAX_TARGET_VCPU,
    FleetStrategy,
)
from spotarb.placement.requirements import MAX_ALTERNATIVES, Strategy

MAX_LIST: Final = 64
MAX_NAME: Final = 128
Name = Field(min_length=1, max_length=MAX_NAME)


class PlacementRequest(BaseModel):
    """A workload's requirements (the seed's camelCase names) and how to rank places."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False, populate_by_name=False)

    minCPU: float = Field(default=0, ge=0, le=100000)
    minMemoryGB: float = Field(default=0, ge=0, le=1e7)
    gpuCount: int | None = Field(default=None, ge=0, le=1024)
    gpuType: str | None = Field(default=None, min_length=1, max_length=MAX_NAME)
    preferredRegions: list[str] = Field(default_factory=list, max_length=MAX_LIST)
    excludeRegions: list[str] = Field(default_factory=list, max_length=MAX_LIST)
    providers: list[Literal["aws", "azure", "gcp"]] = Field(default_factory=list, max_length=3)
    maxPricePerHour: float | None = Field(default=None, gt=0, le=1e6)
    maxInterruptionRate: float | None = Field(default=None, ge=0, le=1)
    networkBandwidthGbps: float | None = Field(default=None, ge=0, le=1e5)
    arch: str | None = Field(default=None, min_length=1, max_length=16)
    strategy: Strategy = "balanced"
    alternatives: int = Field(default=3, ge=0, le=MAX_ALTERNATIVES)
    jobHours: float | None = Field(default=None, gt=0, le=1e6)
    checkpointHours: float | None = Field(default=None, gt=0, le=1e6)
    restartOverheadHours: float = Field(default=0.1, ge=0, le=1e4)
    allowStale: bool = Field(
        default=False, description="Use prices older than their feed's max age too."
    )


class FleetRequest(PlacementRequest):
    """A fleet: every placement requirement (per instance) plus its size, caps and strategy.

    Exactly one of ``count``, ``targetVCPU``, ``targetGPUs``. ``alternatives`` is ignored.
    """

    count: int | None = Field(default=None, ge=1, le=MAX_INSTANCES)
    targetVCPU: int | None = Field(default=None, ge=1, le=MAX_TARGET_VCPU)
    targetGPUs: int | None = Field(default=None, ge=1, le=MAX_TARGET_GPUS)
    maxPerPool: int | None = Field(default=None, ge=1, le=MAX_INSTANCES)
    maxPerRegion: int | None = Field(default=None, ge=1, le=MAX_INSTANCES)
    maxPerProvider: int | None = Field(default=None, ge=1, le=MAX_INSTANCES)
    sameRegion: bool = False
    sameZone: bool = False
    strategy: FleetStrategy = "lowest-price"  # type: ignore[assignment]


class JSONBytes(Response):
    """A response whose body is already JSON bytes (from the cache)."""

    media_type = "application/json"


def error_body(field: str, message: str, location: str = "body") -> dict[str, Any]:
    return {"detail": [{"loc": [location, field], "msg": message, "type": "value_error"}]}
