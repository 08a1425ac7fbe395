"""A fleet request and its answer: how many instances, under which caps, and the plan."""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import Any, Final, Literal, get_args

from spotarb.core.errors import NoPlacementError, ValidationError
from spotarb.placement.decision import PlacementSummary
from spotarb.placement.requirements import WorkloadRequirements

FleetStrategy = Literal["lowest-price", "expected-cost", "price-capacity-optimized", "diversified"]
FLEET_STRATEGIES: Final[tuple[str, ...]] = get_args(FleetStrategy)
MAX_INSTANCES: Final = 10_000
MAX_TARGET_VCPU: Final = 20_000
MAX_TARGET_GPUS: Final = 4_096
#: Pools per fleet by default: ``maxPerPool`` defaults to a quarter of the fleet.
DEFAULT_POOL_SHARE: Final = 4

#: The fleet's own camelCase names → fields (the rest are per-instance requirements).
CAMEL_FLEET: Final[dict[str, str]] = {
    "count": "count",
    "targetVCPU": "target_vcpu",
    "targetGPUs": "target_gpus",
    "maxPerPool": "max_per_pool",
    "maxPerRegion": "max_per_region",
    "maxPerProvider": "max_per_provider",
    "sameRegion": "same_region",
    "sameZone": "same_zone",
    "strategy": "strategy",
}


def _finite(value: float | None) -> float | None:
    """JSON has no infinity: a certain interruption (rate 1) gives an unbounded cost → null."""
    return value if value is None or math.isfinite(value) else None


def _whole(name: str, value: object, high: int) -> int:
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValidationError(name, value, "must be a whole number")
    if not 1 <= value <= high:
        raise ValidationError(name, value, f"must be between 1 and {high}")
    return value


@dataclass(frozen=True, slots=True)
class FleetRequirements:
    """Per-instance requirements (every placement field and filter) plus the fleet's shape.

    Exactly one of ``count`` (instances), ``target_vcpu`` or ``target_gpus`` (capacity
    units, instance sizes may be mixed) is set. Caps count instances.
    """

    workload: WorkloadRequirements
    count: int | None = None
    target_vcpu: int | None = None
    target_gpus: int | None = None
    max_per_pool: int | None = None
    max_per_region: int | None = None
    max_per_provider: int | None = None
    same_region: bool = False
    same_zone: bool = False
    strategy: FleetStrategy = "lowest-price"

    def __post_init__(self) -> None:
        put = object.__setattr__
        given = [
            (name, value)
            for name, value in (
                ("count", self.count),
                ("target_vcpu", self.target_vcpu),
                ("target_gpus", self.target_gpus),
            )
            if value is not None
        ]
        if len(given) != 1:
            raise ValidationError(
                given[1][0] if given else "count",
                given[1][1] if given else None,
                "give exactly one of count, targetVCPU or targetGPUs",
            )
        name, value = given[0]
        high = {"count": MAX_INSTANCES, "target_vcpu": MAX_TARGET_VCPU}.get(name, MAX_TARGET_GPUS)
        put(self, name, _whole(name, value, high))
        for cap in ("max_per_pool", "max_per_region", "max_per_provider"):
            if getattr(self, cap) is not None:
                put(self, cap, _whole(cap, getattr(self, cap), MAX_INSTANCES))
        for flag in ("same_region", "same_zone"):
            if not isinstance(getattr(self, flag), bool):
                raise ValidationError(flag, getattr(self, flag), "must be true or false")
        if self.strategy not in FLEET_STRATEGIES:
            raise ValidationError(
                "strategy", self.strategy, f"must be one of {', '.join(FLEET_STRATEGIES)}"
            )
        if self.strategy == "expected-cost" and self.workload.job_hours is None:
            raise ValidationError("job_hours", None, "is required by the expected-cost strategy")

    @property
    def unit(self) -> str:
        """What the target counts: ``instances``, ``vCPU`` or ``GPUs``."""
        if self.target_vcpu is not None:
            return "vCPU"
        return "GPUs" if self.target_gpus is not None else "instances"

    @property
    def target(self) -> int:
        value = self.count or self.target_vcpu or self.target_gpus
        assert value is not None
        return value

    def pool_cap(self, units: int) -> int:
        """Instances one pool may hold: ``max_per_pool``, else a quarter of the target.

        For a capacity target the default is the instances of that pool's size that
        reach a quarter of the target: ``ceil(target / (4 · units))``.
        """
        if self.max_per_pool is not None:
            return self.max_per_pool
        return max(1, math.ceil(self.target / (DEFAULT_POOL_SHARE * units)))

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any]) -> FleetRequirements:
        """camelCase (or snake_case) keys: the fleet's own plus any placement requirement."""
        own = {f.name for f in fields(cls)} - {"workload"}
        fleet: dict[str, Any] = {}
        rest: dict[str, Any] = {}
        for key, value in data.items():
            name = CAMEL_FLEET.get(key, key)
            if name in own:
                if value is not None:
                    fleet[name] = value
            else:
                rest[key] = value
        strategy = fleet.get("strategy", "lowest-price")
        rest["strategy"] = "expected-cost" if strategy == "expected-cost" else "lowest-price"
        return cls(workload=WorkloadRequirements.from_mapping(rest), **fleet)


@dataclass(frozen=True, slots=True)
class FleetAllocation:
    """Some instances in one pool (provider + region + zone + instance type)."""

    provider: str
    region: str
    availability_zone: str
    instance_type: str
    count: int
    price_per_hour: float
    on_demand_price_per_hour: float | None
    interruption_rate: float | None
    vcpu: float
    memory_gb: float
    gpu_count: int
    gpu_type: str | None
    #: Expected cost of this allocation's instances over the job (when job hours are given).
    expected_cost: float | None = None

    def to_camel(self) -> dict[str, Any]:
        return {
            "provider": self.provider,
            "region": self.region,
            "availabilityZone": self.availability_zone,
            "instanceType": self.instance_type,
            "count": self.count,
            "pricePerHour": self.price_per_hour,
            "onDemandPricePerHour": self.on_demand_price_per_hour,
            "interruptionRate": self.interruption_rate,
            "vcpu": self.vcpu,
            "memoryGB": self.memory_gb,
            "gpuCount": self.gpu_count,
            "gpuType": self.gpu_type,
            "expectedCost": _finite(self.expected_cost),
        }


@dataclass(frozen=True, slots=True)
class FleetPlan:
    """A fleet: where each instance runs, and the totals (per hour unless said otherwise)."""

    strategy: str
    allocations: tuple[FleetAllocation, ...]
    instances: int
    vcpus: float
    gpus: int
    #: What was asked: ``unit`` (instances, vCPU, GPUs) and ``target``.
    unit: str
    target: int
    max_per_pool: int | None
    total_price_per_hour: float
    #: Σ count · on-demand price; None when an allocation's on-demand price is unknown.
    total_on_demand_per_hour: float | None
    savings_percent: float | None
    #: Σ count · λ (the engine's hourly hazard; a monthly rate of 0.1 when unknown).
    expected_interruptions_per_hour: float
    expected_cost: float | None
    pools: int
    regions: int
    providers: int
    summary: PlacementSummary
    notes: tuple[str, ...] = ()

    def to_camel(self) -> dict[str, Any]:
        return {
            "strategy": self.strategy,
            "allocations": [a.to_camel() for a in self.allocations],
            "instances": self.instances,
            "vcpus": self.vcpus,
            "gpus": self.gpus,
            "unit": self.unit,
            "target": self.target,
            "maxPerPool": self.max_per_pool,
            "totalPricePerHour": self.total_price_per_hour,
            "totalOnDemandPerHour": self.total_on_demand_per_hour,
            "savingsPercent": self.savings_percent,
            "expectedInterruptionsPerHour": _finite(self.expected_interruptions_per_hour),
            "expectedCost": _finite(self.expected_cost),
            "pools": self.pools,
            "regions": self.regions,
            "providers": self.providers,
            "summary": self.summary.to_camel(),
            "notes": list(self.notes),
        }

    def to_json(self, indent: int | None = 2) -> str:
        return json.dumps(self.to_camel(), indent=indent)


class FleetInfeasibleError(NoPlacementError):
    """Instances match, but no plan reaches the target under the caps.

    ``binding`` names the constraint that stops it (``maxPerPool``, ``maxPerRegion``,
    ``maxPerProvider``, ``sameRegion`` or ``sameZone``) and ``largest`` is the largest
    fleet (in ``unit``) that is feasible.
    """

    def __init__(
        self, message: str, *, binding: str, largest: int, unit: str, removed_by: dict[str, int]
    ) -> None:
        super().__init__(message)
        self.binding = binding
        self.largest = largest
        self.unit = unit
        self.removed_by = removed_by
