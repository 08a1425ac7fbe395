"""A plain, obviously-correct Python implementation of the placement rules.

Slow on purpose (a loop over rows, a full sort): the property tests check the
vectorized engine against it on random catalogs and requirements.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field

from spotarb.core.geo import region_matches
from spotarb.core.gpus import is_gpu
from spotarb.core.models import SpotPrice
from spotarb.placement.families import family_matches, is_burstable
from spotarb.placement.requirements import WorkloadRequirements
from spotarb.placement.snapshot import band_of, hazard, quantize_one


@dataclass
class ReferenceResult:
    #: (row, score, sort key) best first; empty when nothing matched.
    ranked: list[tuple[SpotPrice, float]] = field(default_factory=list)
    removed_by: dict[str, int] = field(default_factory=dict)
    region_preference: str = "not-requested"
    blocking_filter: str | None = None
    excluded_unknown_interruption: int = 0


def weighted_score(row: SpotPrice, req: WorkloadRequirements) -> float:
    price_score = max(0.0, 100.0 - 10.0 * row.price_per_hour)
    return _total(price_score, row, req)


def balanced_score(row: SpotPrice, req: WorkloadRequirements, cheapest: float) -> float:
    price_score = 100.0 * (cheapest / row.price_per_hour)
    return _total(price_score, row, req)


def _total(price_score: float, row: SpotPrice, req: WorkloadRequirements) -> float:
    rate = 0.1 if row.interruption_rate is None else row.interruption_rate
    availability = 100.0 * (1.0 - rate)
    efficiency = (
        50.0
        * (min(1.0, req.min_cpu / row.vcpu) + min(1.0, req.min_memory_gb / row.memory_gb))
        / 2.0
    )
    return 0.5 * price_score + 0.3 * availability + 0.2 * efficiency


def expected_cost(row: SpotPrice, req: WorkloadRequirements) -> float:
    assert req.job_hours is not None
    job = req.job_hours
    checkpoint = req.checkpoint_hours if req.checkpoint_hours is not None else job
    wall = job * (
        1.0 + hazard(row.interruption_rate) * (checkpoint / 2.0 + req.restart_overhead_hours)
    )
    return row.price_per_hour * wall


def _passes(name: str, row: SpotPrice, req: WorkloadRequirements) -> bool:
    if name == "providers":
        return row.provider in req.providers
    if name == "regions":
        return region_matches(req.regions, row.region)
    if name == "exclude_regions":
        return not region_matches(req.exclude_regions, row.region)
    if name == "arch":
        return row.arch == req.arch
    if name == "not_older_than":
        assert req.not_older_than is not None
        return row.collected_at >= req.not_older_than
    if name == "min_cpu":
        return row.vcpu >= req.min_cpu
    if name == "min_memory_gb":
        return row.memory_gb >= req.min_memory_gb
    if name == "gpu":
        if req.gpu_type is not None:
            return row.gpu_type == req.gpu_type and row.gpu_count >= max(1, req.gpu_count or 0)
        if req.gpu_types:
            return row.gpu_type in req.gpu_types and row.gpu_count >= max(1, req.gpu_count or 0)
        return is_gpu(row.gpu_type) and row.gpu_count >= (req.gpu_count or 0)
    if name == "min_gpu_memory_gb":
        memory = row.gpu_memory_gb
        return memory is not None and memory >= (req.min_gpu_memory_gb or 0.0)
    if name == "include_families":
        return family_matches(req.include_families, row.instance_type)
    if name == "exclude_families":
        return not family_matches(req.exclude_families, row.instance_type)
    if name == "exclude_burstable":
        return not is_burstable(row.instance_type)
    if name == "network_bandwidth_gbps":
        bandwidth = row.network_bandwidth_gbps
        return bandwidth is None or bandwidth >= (req.network_bandwidth_gbps or 0.0)
    if name == "max_price_per_hour":
        return row.price_per_hour <= (req.max_price_per_hour or math.inf)
    if name == "max_interruption_rate":
        rate = row.interruption_rate
        return rate is not None and rate <= (req.max_interruption_rate or 0.0)
    raise AssertionError(name)


def _active(req: WorkloadRequirements) -> list[str]:
    names = []
    if req.providers:
        names.append("providers")
    if req.regions:
        names.append("regions")
    if req.exclude_regions:
        names.append("exclude_regions")
    if req.arch != "any":
        names.append("arch")
    if req.not_older_than is not None:
        names.append("not_older_than")
    if req.min_cpu > 0:
        names.append("min_cpu")
    if req.min_memory_gb > 0:
        names.append("min_memory_gb")
    if req.gpu_type is not None or req.gpu_types or (req.gpu_count or 0) > 0:
        names.append("gpu")
    if req.min_gpu_memory_gb is not None:
        names.append("min_gpu_memory_gb")
    if req.include_families:
        names.append("include_families")
    if req.exclude_families:
        names.append("exclude_families")
    if req.exclude_burstable:
        names.append("exclude_burstable")
    if req.network_bandwidth_gbps:
        names.append("network_bandwidth_gbps")
    if req.max_price_per_hour is not None:
        names.append("max_price_per_hour")
    if req.max_interruption_rate is not None:
        names.append("max_interruption_rate")
    return names


def reference_place(prices: Iterable[SpotPrice], req: WorkloadRequirements) -> ReferenceResult:
    """Rank Linux ``prices`` (unique keys assumed) under ``req``; the engine must agree."""
    result = ReferenceResult()
    candidates = [row for row in prices if row.os == "linux"]
    if not candidates:
        return result
    for name in _active(req):
        if name == "max_interruption_rate":
            result.excluded_unknown_interruption = sum(
                1 for row in candidates if row.interruption_rate is None
            )
        kept = [row for row in candidates if _passes(name, row, req)]
        result.removed_by[name] = len(candidates) - len(kept)
        if not kept:
            result.blocking_filter = name
            return result
        candidates = kept
    if req.preferred_regions:
        preferred = [row for row in candidates if region_matches(req.preferred_regions, row.region)]
        if preferred:
            result.region_preference = "applied"
            result.removed_by["preferred_regions"] = len(candidates) - len(preferred)
            candidates = preferred
        else:
            result.region_preference = "fallback"
    cheapest = min(row.price_per_hour for row in candidates)

    def tie(row: SpotPrice) -> tuple[float, str, str, str, str]:
        return (
            row.price_per_hour,
            row.provider,
            row.region,
            row.availability_zone,
            row.instance_type,
        )

    def key(row: SpotPrice) -> tuple[float, ...]:
        strategy = req.strategy
        if strategy == "weighted":
            primary: tuple[float, ...] = (quantize_one(-weighted_score(row, req)),)
        elif strategy == "balanced":
            primary = (quantize_one(-balanced_score(row, req, cheapest)),)
        elif strategy == "lowest-price":
            primary = (quantize_one(row.price_per_hour),)
        elif strategy == "capacity-optimized":
            rate = row.interruption_rate
            primary = (math.inf if rate is None else quantize_one(rate),)
        elif strategy == "price-capacity-optimized":
            primary = (float(band_of(row.interruption_rate)),)
        else:
            primary = (quantize_one(expected_cost(row, req)),)
        return primary

    ordered = sorted(candidates, key=lambda row: (key(row), tie(row)))
    for row in ordered[: req.alternatives + 1]:
        score = (
            weighted_score(row, req)
            if req.strategy == "weighted"
            else balanced_score(row, req, cheapest)
        )
        result.ranked.append((row, score))
    return result
