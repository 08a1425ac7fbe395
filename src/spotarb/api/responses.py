"""Response models: what the OpenAPI document says each operation returns.

Routes encode their own JSON bytes (``spotarb.api.encode``), so these models only
document the bodies; ``tests/service/test_schemathesis.py`` checks every response
against them. Nested items are objects whose fields ``docs/service.md`` lists.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict

Obj = dict[str, Any]


class _Body(BaseModel):
    model_config = ConfigDict(extra="allow")


class PlacementBody(_Body):
    provider: str
    region: str
    availabilityZone: str
    instanceType: str
    pricePerHour: float
    score: float
    strategy: str
    vcpu: float
    memoryGB: float
    scoreBreakdown: Obj
    alternatives: list[Obj]
    dataVersion: int | None
    staleRowsExcluded: int


class NoMatchBody(_Body):
    detail: str
    blockingFilter: str | None
    removedBy: dict[str, int]
    dataVersion: int | None
    staleRowsExcluded: int


class PricesBody(_Body):
    dataVersion: int
    total: int
    count: int
    prices: list[Obj]
    nextCursor: str | None


class HistoryBody(_Body):
    key: dict[str, str]
    since: str | None
    until: str | None
    count: int
    truncated: bool
    history: list[Obj]


class BestOptionsBody(_Body):
    dataVersion: int | None
    computedAt: str
    staleRowsExcluded: int
    options: list[Obj]


class ArbitrageBody(_Body):
    dataVersion: int | None
    computedAt: str
    staleRowsExcluded: int
    classes: list[Obj]


class FeedsBody(_Body):
    feeds: list[Obj]


class TriggerBody(_Body):
    feed: str
    status: str


class ReadyBody(_Body):
    status: str
    rows: int
    dataVersion: int


class FleetAllocationBody(_Body):
    """Some instances in one pool."""

    provider: str
    region: str
    availabilityZone: str
    instanceType: str
    count: int
    pricePerHour: float
    onDemandPricePerHour: float | None
    interruptionRate: float | None
    vcpu: float
    memoryGB: float
    gpuCount: int
    gpuType: str | None
    expectedCost: float | None


class SummaryBody(_Body):
    """How the candidates were narrowed down."""

    candidatesConsidered: int
    removedBy: dict[str, int]
    matched: int
    candidates: int
    regionPreference: str
    excludedUnknownInterruption: int
    bandwidthUnknown: int
    dataVersion: int | None
    oldestCollectedAt: str | None
    newestCollectedAt: str | None


class FleetBody(_Body):
    """A planned fleet: allocations per pool, the totals (per hour), the data it used."""

    strategy: str
    allocations: list[FleetAllocationBody]
    instances: int
    vcpus: float
    gpus: int
    unit: str
    target: int
    maxPerPool: int | None
    totalPricePerHour: float
    totalOnDemandPerHour: float | None
    savingsPercent: float | None
    expectedInterruptionsPerHour: float | None
    expectedCost: float | None
    pools: int
    regions: int
    providers: int
    summary: SummaryBody
    notes: list[str]
    dataVersion: int
    computedAt: str
    allowStale: bool
    staleRowsExcluded: int


class FleetInfeasibleBody(_Body):
    """Pools match, but the caps stop the target: the binding one and the largest fleet."""

    detail: str
    bindingConstraint: str
    largestFleet: int
    unit: str
    removedBy: dict[str, int]
    dataVersion: int
    staleRowsExcluded: int


class ClusterBody(_Body):
    """This replica: its role, the elected collector, its data version and backends."""

    instanceId: str
    role: str
    isLeader: bool
    leaderId: str | None
    dataVersion: int
    store: str
    cache: str
