"""Request models of the HTTP edge (camelCase, bounded) and the JSON bytes response."""

from __future__ import annotations

from typing import Annotated, Any, Final, Literal

from fastapi import Response
from pydantic import BaseModel, ConfigDict, Field

from spotarb.placement import FleetRequirements, WorkloadRequirements
from spotarb.placement.fleet_model import (
    MAX_INSTANCES,
    MAX_TARGET_GPUS,
    MAX_TARGET_VCPU,
    FleetStrategy,
)
from spotarb.placement.requirements import (
    CAMEL_REQUIREMENTS,
    DEFAULT_ARCH,
    MAX_ALTERNATIVES,
    MAX_PATTERN,
    Strategy,
)

MAX_LIST: Final = 64
MAX_NAME: Final = 128
Name = Field(min_length=1, max_length=MAX_NAME)
Pattern = Annotated[str, Field(min_length=1, max_length=MAX_PATTERN)]


class PlacementRequest(BaseModel):
    """A workload's requirements (camelCase names) and how to rank places.

    FastAPI validates the body against this model before the route runs (bounds,
    types, unknown fields); :meth:`requirements` then hands the values to the engine's
    own model, which checks the rest (GPU names, strategy needs).
    """

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False, populate_by_name=False)

    minCPU: float = Field(default=0, ge=0, le=100000)
    minMemoryGB: float = Field(default=0, ge=0, le=1e7)
    gpuCount: int | None = Field(default=None, ge=0, le=1024)
    gpuType: str | None = Field(default=None, min_length=1, max_length=MAX_NAME)
    gpuTypes: list[Annotated[str, Field(min_length=1, max_length=MAX_NAME)]] = Field(
        default_factory=list, max_length=MAX_LIST, description="Any of these GPU models."
    )
    minGPUMemoryGB: float | None = Field(
        default=None, gt=0, le=1e5, description="Minimum memory per GPU, GiB."
    )
    regions: list[Pattern] = Field(
        default_factory=list,
        max_length=MAX_LIST,
        description="Only these regions: names, globs (`europe-*`) or groups (`geo:eu`).",
    )
    preferredRegions: list[Pattern] = Field(
        default_factory=list,
        max_length=MAX_LIST,
        description="Prefer these regions (same patterns); others are used when none serves.",
    )
    excludeRegions: list[Pattern] = Field(
        default_factory=list, max_length=MAX_LIST, description="Never these regions."
    )
    includeFamilies: list[Pattern] = Field(
        default_factory=list,
        max_length=MAX_LIST,
        description="Only instance types or families matching these globs (`m5`, `c6i*`).",
    )
    excludeFamilies: list[Pattern] = Field(
        default_factory=list,
        max_length=MAX_LIST,
        description="Never instance types or families matching these globs (`t2*`, `*.metal`).",
    )
    excludeBurstable: bool = Field(
        default=False, description="Leave out AWS t*, Azure B-series and GCP shared-core types."
    )
    providers: list[Literal["aws", "azure", "gcp"]] = Field(default_factory=list, max_length=3)
    maxPricePerHour: float | None = Field(default=None, gt=0, le=1e6)
    maxInterruptionRate: float | None = Field(default=None, ge=0, le=1)
    networkBandwidthGbps: float | None = Field(default=None, ge=0, le=1e5)
    arch: str = Field(
        default=DEFAULT_ARCH,
        min_length=1,
        max_length=16,
        description="`x86_64` (default), `arm64`, or `any`.",
    )
    strategy: Strategy = "balanced"
    alternatives: int = Field(default=3, ge=0, le=MAX_ALTERNATIVES)
    jobHours: float | None = Field(default=None, gt=0, le=1e6)
    checkpointHours: float | None = Field(default=None, gt=0, le=1e6)
    restartOverheadHours: float = Field(default=0.1, ge=0, le=1e4)
    allowStale: bool = Field(
        default=False, description="Use prices older than their feed's max age too."
    )

    def requirements(self) -> WorkloadRequirements:
        """The engine's requirements (unset fields keep the engine's defaults)."""
        values = self.__dict__
        return WorkloadRequirements(
            **{snake: values[name] for name, snake in _FIELDS if values[name] is not None}
        )


#: Request field → requirement field (every field but ``allowStale``).
_FIELDS: Final = tuple(
    (name, CAMEL_REQUIREMENTS.get(name, name))
    for name in PlacementRequest.model_fields
    if name != "allowStale"
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

    def fleet(self) -> FleetRequirements:
        """The planner's request: every placement field is a per-instance requirement."""
        return FleetRequirements.from_mapping(
            self.model_dump(exclude={"allowStale", "alternatives"}, exclude_none=True)
        )


class JSONBytes(Response):
    """A response whose body is already JSON bytes."""

    media_type = "application/json"


def error_body(field: str, message: str, location: str = "body") -> dict[str, Any]:
    return {"detail": [{"loc": [location, field], "msg": message, "type": "value_error"}]}
