"""A plain, obviously-correct Python version of the fleet rules (slow on purpose).

Loops over rows, one instance decision at a time, and brute force for capacity
targets: the property tests check :mod:`spotarb.placement.fleet` against it on
random catalogs. Only for small inputs.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterable
from dataclasses import dataclass, field

from spotarb.core.geo import region_matches
from spotarb.core.gpus import is_gpu
from spotarb.core.models import SpotPrice
from spotarb.placement.fleet_model import FleetRequirements
from spotarb.placement.reference import _active, _passes, expected_cost
from spotarb.placement.snapshot import band_of, quantize_one


@dataclass
class ReferenceFleet:
    #: (row, count) in the strategy's visit order; empty when infeasible.
    allocations: list[tuple[SpotPrice, int]] = field(default_factory=list)
    total_price: float = 0.0
    total_cost: float = 0.0
    feasible: bool = False
    #: The largest feasible fleet (in the target's unit) when infeasible.
    largest: int = 0
    region_preference: str = "not-requested"


def _tie(row: SpotPrice) -> tuple[float, str, str, str, str]:
    return (row.price_per_hour, row.provider, row.region, row.availability_zone, row.instance_type)


def units_of(row: SpotPrice, freq: FleetRequirements) -> int:
    if freq.target_vcpu is not None:
        return math.floor(row.vcpu)
    if freq.target_gpus is not None:
        return row.gpu_count if is_gpu(row.gpu_type) else 0
    return 1


def cost_of(row: SpotPrice, freq: FleetRequirements) -> float:
    if freq.strategy == "expected-cost":
        return expected_cost(row, freq.workload)
    return row.price_per_hour


def _visit_key(row: SpotPrice, freq: FleetRequirements) -> tuple[object, ...]:
    strategy = freq.strategy
    if freq.count is None:
        per_unit = quantize_one(cost_of(row, freq) / units_of(row, freq))
        if strategy == "price-capacity-optimized":
            return (band_of(row.interruption_rate), per_unit, _tie(row))
        return (per_unit, _tie(row))
    if strategy == "expected-cost":
        return (quantize_one(cost_of(row, freq)), _tie(row))
    if strategy == "price-capacity-optimized":
        return (band_of(row.interruption_rate), _tie(row))
    return (_tie(row),)


def _cap(row: SpotPrice, freq: FleetRequirements) -> int:
    return freq.pool_cap(units_of(row, freq))


def _room(row: SpotPrice, have: dict[object, int], freq: FleetRequirements) -> bool:
    if have.get(("pool", row.key), 0) >= _cap(row, freq):
        return False
    region = ("region", row.provider, row.region)
    if freq.max_per_region is not None and have.get(region, 0) >= freq.max_per_region:
        return False
    provider = ("provider", row.provider)
    return not (
        freq.max_per_provider is not None and have.get(provider, 0) >= freq.max_per_provider
    )


def _add(row: SpotPrice, have: dict[object, int]) -> None:
    for key in (
        ("pool", row.key),
        ("region", row.provider, row.region),
        ("provider", row.provider),
    ):
        have[key] = have.get(key, 0) + 1


def _greedy(rows: list[SpotPrice], freq: FleetRequirements, target: int) -> dict[int, int]:
    """Each pool in turn takes instances one by one while they fit and units are short."""
    have: dict[object, int] = {}
    out: dict[int, int] = {}
    covered = 0
    for i, row in enumerate(rows):
        while covered < target and _room(row, have, freq):
            _add(row, have)
            out[i] = out.get(i, 0) + 1
            covered += units_of(row, freq)
    return out


def _rounds(rows: list[SpotPrice], freq: FleetRequirements, target: int) -> dict[int, int]:
    """Rounds over the pools, one instance per pool with room per round."""
    have: dict[object, int] = {}
    out: dict[int, int] = {}
    covered = 0
    while covered < target:
        placed = False
        for i, row in enumerate(rows):
            if covered >= target:
                break
            if _room(row, have, freq):
                _add(row, have)
                out[i] = out.get(i, 0) + 1
                covered += units_of(row, freq)
                placed = True
        if not placed:
            break
    return out


def _brute(rows: list[SpotPrice], freq: FleetRequirements, target: int) -> dict[int, int]:
    """Every combination of counts within the pool caps: the cheapest that covers the target."""
    best: tuple[float, dict[int, int]] | None = None
    ranges = [range(_cap(row, freq) + 1) for row in rows]
    for counts in itertools.product(*ranges):
        if sum(n * units_of(r, freq) for n, r in zip(counts, rows, strict=True)) < target:
            continue
        total = quantize_one(
            math.fsum(n * cost_of(r, freq) for n, r in zip(counts, rows, strict=True))
        )
        if best is None or total < best[0]:
            best = (total, {i: n for i, n in enumerate(counts) if n})
    return {} if best is None else best[1]


def _plan(rows: list[SpotPrice], freq: FleetRequirements) -> dict[int, int]:
    target = freq.target
    if freq.count is None and freq.strategy in ("lowest-price", "expected-cost"):
        return _brute(rows, freq, target)
    if freq.strategy == "diversified":
        return _rounds(rows, freq, target)
    return _greedy(rows, freq, target)


def _covered(rows: list[SpotPrice], alloc: dict[int, int], freq: FleetRequirements) -> int:
    return sum(n * units_of(rows[i], freq) for i, n in alloc.items())


def _key(
    rows: list[SpotPrice], alloc: dict[int, int], freq: FleetRequirements
) -> tuple[float, ...]:
    total = quantize_one(math.fsum(n * cost_of(rows[i], freq) for i, n in alloc.items()))
    if freq.strategy == "price-capacity-optimized":
        return (float(max(band_of(rows[i].interruption_rate) for i in alloc)), total)
    return (total,)


def _largest(rows: list[SpotPrice], freq: FleetRequirements) -> int:
    if freq.same_region or freq.same_zone:
        return max(
            (_covered(g, _greedy(g, freq, 10**9), freq) for g in _groups(rows, freq).values()),
            default=0,
        )
    return _covered(rows, _greedy(rows, freq, 10**9), freq)


def _groups(
    rows: list[SpotPrice], freq: FleetRequirements
) -> dict[tuple[str, ...], list[SpotPrice]]:
    groups: dict[tuple[str, ...], list[SpotPrice]] = {}
    for row in rows:
        key = (row.provider, row.region) + ((row.availability_zone,) if freq.same_zone else ())
        groups.setdefault(key, []).append(row)
    return dict(sorted(groups.items()))


def _solve(
    rows: list[SpotPrice], freq: FleetRequirements
) -> tuple[list[SpotPrice], dict[int, int]] | None:
    if not (freq.same_region or freq.same_zone):
        alloc = _plan(rows, freq)
        return (rows, alloc) if _covered(rows, alloc, freq) >= freq.target else None
    best: tuple[tuple[float, ...], list[SpotPrice], dict[int, int]] | None = None
    for group in _groups(rows, freq).values():
        alloc = _plan(group, freq)
        if _covered(group, alloc, freq) < freq.target:
            continue
        key = _key(group, alloc, freq)
        if best is None or key < best[0]:
            best = (key, group, alloc)
    return None if best is None else (best[1], best[2])


def reference_fleet(prices: Iterable[SpotPrice], freq: FleetRequirements) -> ReferenceFleet:
    """The fleet for Linux ``prices`` (unique keys assumed); the engine must agree."""
    result = ReferenceFleet()
    req = freq.workload
    rows = [row for row in prices if row.os == "linux"]
    for name in _active(req):
        rows = [row for row in rows if _passes(name, row, req)]
    rows = [row for row in rows if units_of(row, freq) >= 1]
    rows.sort(key=lambda row: _visit_key(row, freq))
    solved = None
    if req.preferred_regions:
        result.region_preference = "fallback"
        preferred = [row for row in rows if region_matches(req.preferred_regions, row.region)]
        if preferred:
            solved = _solve(preferred, freq)
            if solved is not None:
                result.region_preference = "applied"
    if solved is None:
        solved = _solve(rows, freq)
    if solved is None:
        result.largest = _largest(rows, freq)
        return result
    group, alloc = solved
    result.feasible = True
    result.allocations = [(group[i], alloc[i]) for i in sorted(alloc)]
    result.total_price = math.fsum(row.price_per_hour * n for row, n in result.allocations)
    result.total_cost = math.fsum(cost_of(row, freq) * n for row, n in result.allocations)
    return result
