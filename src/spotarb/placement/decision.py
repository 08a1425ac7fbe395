"""The answer of the placement engine: where to run, why, and the runners-up."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


@dataclass(frozen=True, slots=True)
class ScoreBreakdown:
    """The three sub-scores; ``score = 0.5·price + 0.3·availability + 0.2·efficiency``."""

    price: float
    availability: float
    efficiency: float

    def to_camel(self) -> dict[str, Any]:
        return {
            "priceScore": self.price,
            "availabilityScore": self.availability,
            "efficiencyScore": self.efficiency,
        }


@dataclass(frozen=True, slots=True)
class PlacementSummary:
    """How the candidates were narrowed down (reported once, on the top decision).

    ``removed_by`` maps each filter, in the order applied, to the number of rows it
    removed that earlier filters had kept.
    """

    candidates_considered: int
    removed_by: dict[str, int]
    matched: int
    candidates: int
    #: "not-requested", "applied" or "fallback" (no preferred region could serve).
    region_preference: str
    excluded_unknown_interruption: int = 0
    bandwidth_unknown: int = 0
    data_version: int | None = None
    oldest_collected_at: datetime | None = None
    newest_collected_at: datetime | None = None

    def to_camel(self) -> dict[str, Any]:
        def iso(value: datetime | None) -> str | None:
            return value.isoformat() if value is not None else None

        return {
            "candidatesConsidered": self.candidates_considered,
            "removedBy": dict(self.removed_by),
            "matched": self.matched,
            "candidates": self.candidates,
            "regionPreference": self.region_preference,
            "excludedUnknownInterruption": self.excluded_unknown_interruption,
            "bandwidthUnknown": self.bandwidth_unknown,
            "dataVersion": self.data_version,
            "oldestCollectedAt": iso(self.oldest_collected_at),
            "newestCollectedAt": iso(self.newest_collected_at),
        }


@dataclass(frozen=True, slots=True)
class PlacementDecision:
    """One place to run: where, at what price and score, plus the evidence behind it."""

    provider: str
    region: str
    availability_zone: str
    instance_type: str
    price_per_hour: float
    score: float
    rank: int
    strategy: str
    vcpu: float
    memory_gb: float
    gpu_count: int
    gpu_type: str | None
    gpu_memory_gb: float | None
    arch: str
    network_bandwidth_gbps: float | None
    #: A bandwidth was required and this row's bandwidth is unknown (it passed unchecked).
    bandwidth_unverified: bool
    interruption_rate: float | None
    interruption_source: str | None
    on_demand_price_per_hour: float | None
    savings_pct: float | None
    observed_at: datetime
    collected_at: datetime
    #: Seconds between ``collected_at`` and the time of the query.
    data_age_seconds: float
    breakdown: ScoreBreakdown
    #: Expected wall-clock hours and cost of the job (when ``job_hours`` was given).
    expected_hours: float | None = None
    expected_cost: float | None = None
    alternatives: tuple[PlacementDecision, ...] = ()
    summary: PlacementSummary | None = None
    notes: tuple[str, ...] = field(default=())

    def to_camel(self) -> dict[str, Any]:
        """The decision in the API's camelCase names (JSON-ready)."""
        out: dict[str, Any] = {
            "provider": self.provider,
            "region": self.region,
            "availabilityZone": self.availability_zone,
            "instanceType": self.instance_type,
            "pricePerHour": self.price_per_hour,
            "score": self.score,
            "rank": self.rank,
            "strategy": self.strategy,
            "vcpu": self.vcpu,
            "memoryGB": self.memory_gb,
            "gpuCount": self.gpu_count,
            "gpuType": self.gpu_type,
            "gpuMemoryGB": self.gpu_memory_gb,
            "arch": self.arch,
            "networkBandwidthGbps": self.network_bandwidth_gbps,
            "bandwidthUnverified": self.bandwidth_unverified,
            "interruptionRate": self.interruption_rate,
            "interruptionSource": self.interruption_source,
            "onDemandPricePerHour": self.on_demand_price_per_hour,
            "savingsPct": self.savings_pct,
            "observedAt": self.observed_at.isoformat(),
            "collectedAt": self.collected_at.isoformat(),
            "dataAgeSeconds": self.data_age_seconds,
            "scoreBreakdown": self.breakdown.to_camel(),
            "expectedHours": self.expected_hours,
            "expectedCost": self.expected_cost,
            "alternatives": [alt.to_camel() for alt in self.alternatives],
        }
        if self.summary is not None:
            out["summary"] = self.summary.to_camel()
        if self.notes:
            out["notes"] = list(self.notes)
        return out

    def to_json(self, indent: int | None = 2) -> str:
        return json.dumps(self.to_camel(), indent=indent)
