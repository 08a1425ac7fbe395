"""A plain, obviously-correct Python version of the fleet rules (slow on purpose).

Loops over rows, one instance decision at a time, and brute force for capacity
targets (the cheapest plan, and the largest fleet when none reaches the target,
over every combination of counts within the pool, region and provider caps): the
property tests check :mod:`spotarb.placement.fleet` against it on random
catalogs. Only for small inputs.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field, replace

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
    #: The largest feasible fleet (in the target's unit) and what binds, when infeasible.
    largest: int = 0
    binding: str = ""
    #: Capacity targets: whether another plan costs the same (on the 1e-9 grid).
    tied: bool = False
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


def _reachable(
    rows: list[SpotPrice], freq: FleetRequirements, out: dict[int, int], more: int
) -> bool:
    """Whether some plan within the caps holds ``out`` plus one instance of ``rows[more]``
    and reaches the target."""
    need = dict(out)
    need[more] = need.get(more, 0) + 1
    return any(
        _units(rows, counts, freq) >= freq.target and all(counts[i] >= n for i, n in need.items())
        for counts in _combinations(rows, freq, freq.max_per_region, freq.max_per_provider)
    )


def _greedy(
    rows: list[SpotPrice], freq: FleetRequirements, target: int, check: bool = False
) -> dict[int, int]:
    """Each pool in turn takes instances one by one while they fit and units are short
    (with ``check``: and while the target stays reachable)."""
    have: dict[object, int] = {}
    out: dict[int, int] = {}
    covered = 0
    for i, row in enumerate(rows):
        while (
            covered < target
            and _room(row, have, freq)
            and (not check or _reachable(rows, freq, out, i))
        ):
            _add(row, have)
            out[i] = out.get(i, 0) + 1
            covered += units_of(row, freq)
    return out


def _rounds(
    rows: list[SpotPrice], freq: FleetRequirements, target: int, check: bool = False
) -> dict[int, int]:
    """Rounds over the pools, one instance per pool with room per round (with
    ``check``: only while the target stays reachable)."""
    have: dict[object, int] = {}
    out: dict[int, int] = {}
    covered = 0
    while covered < target:
        placed = False
        for i, row in enumerate(rows):
            if covered >= target:
                break
            if _room(row, have, freq) and (not check or _reachable(rows, freq, out, i)):
                _add(row, have)
                out[i] = out.get(i, 0) + 1
                covered += units_of(row, freq)
                placed = True
        if not placed:
            break
    return out


def _within(
    rows: list[SpotPrice], counts: tuple[int, ...], region: int | None, provider: int | None
) -> bool:
    """Whether no region holds more than ``region`` instances, no provider ``provider``."""
    per_region: dict[tuple[str, str], int] = {}
    per_provider: dict[str, int] = {}
    for n, row in zip(counts, rows, strict=True):
        per_region[(row.provider, row.region)] = per_region.get((row.provider, row.region), 0) + n
        per_provider[row.provider] = per_provider.get(row.provider, 0) + n
    return (region is None or max(per_region.values(), default=0) <= region) and (
        provider is None or max(per_provider.values(), default=0) <= provider
    )


def _combinations(
    rows: list[SpotPrice], freq: FleetRequirements, region: int | None, provider: int | None
) -> Iterator[tuple[int, ...]]:
    """Every combination of counts within the pool caps and these region/provider caps."""
    ranges = [range(_cap(row, freq) + 1) for row in rows]
    for counts in itertools.product(*ranges):
        if _within(rows, counts, region, provider):
            yield counts


def _units(rows: list[SpotPrice], counts: tuple[int, ...], freq: FleetRequirements) -> int:
    return sum(n * units_of(r, freq) for n, r in zip(counts, rows, strict=True))


def _brute(
    rows: list[SpotPrice], freq: FleetRequirements, target: int
) -> tuple[dict[int, int], bool]:
    """Every combination of counts within the caps: the cheapest that covers the target,
    and whether another one costs the same."""
    best: tuple[float, dict[int, int]] | None = None
    tied = False
    for counts in _combinations(rows, freq, freq.max_per_region, freq.max_per_provider):
        if _units(rows, counts, freq) < target:
            continue
        total = quantize_one(
            math.fsum(n * cost_of(r, freq) for n, r in zip(counts, rows, strict=True))
        )
        if best is None or total < best[0] - 1.0:
            best, tied = (total, {i: n for i, n in enumerate(counts) if n}), False
        elif abs(total - best[0]) <= 1.0:
            tied = True
    return ({}, False) if best is None else (best[1], tied)


def _plan(rows: list[SpotPrice], freq: FleetRequirements) -> dict[int, int]:
    target = freq.target
    if freq.count is None and freq.strategy in ("lowest-price", "expected-cost"):
        return _brute(rows, freq, target)[0]
    fill = _rounds if freq.strategy == "diversified" else _greedy
    alloc = fill(rows, freq, target)
    if _covered(rows, alloc, freq) < target and freq.count is None:
        # Mixed sizes under instance caps: the plain fill may spend a region's or a
        # provider's instances on small ones. Whenever it reaches the target it took
        # no such step, so checking only when it falls short gives the same plans.
        alloc = fill(rows, freq, target, check=True)
    return alloc


def _covered(rows: list[SpotPrice], alloc: dict[int, int], freq: FleetRequirements) -> int:
    return sum(n * units_of(rows[i], freq) for i, n in alloc.items())


def _key(
    rows: list[SpotPrice], alloc: dict[int, int], freq: FleetRequirements
) -> tuple[float, ...]:
    total = quantize_one(math.fsum(n * cost_of(rows[i], freq) for i, n in alloc.items()))
    if freq.strategy == "price-capacity-optimized":
        return (float(max(band_of(rows[i].interruption_rate) for i in alloc)), total)
    return (total,)


def _most(
    rows: list[SpotPrice], freq: FleetRequirements, region: int | None, provider: int | None
) -> int:
    """The most units any combination within the caps holds (a count: the most instances)."""
    if freq.count is not None:  # one unit each: every instance that fits, in any order
        capped = replace(freq, max_per_region=region, max_per_provider=provider)
        return _covered(rows, _greedy(rows, capped, 10**9), capped)
    return max(
        (_units(rows, c, freq) for c in _combinations(rows, freq, region, provider)), default=0
    )


def _largest(rows: list[SpotPrice], freq: FleetRequirements) -> tuple[str, int]:
    """(binding constraint, largest feasible fleet): caps added one at a time, in order."""
    region, provider = freq.max_per_region, freq.max_per_provider
    steps = [("maxPerPool", _most(rows, freq, None, None))]
    if region is not None:
        steps.append(("maxPerRegion", _most(rows, freq, region, None)))
    if provider is not None:
        steps.append(("maxPerProvider", _most(rows, freq, region, provider)))
    if freq.same_region or freq.same_zone:
        most = max(
            (_most(g, freq, region, provider) for g in _groups(rows, freq).values()), default=0
        )
        steps.append(("sameZone" if freq.same_zone else "sameRegion", most))
    binding = next((name for name, value in steps if value < freq.target), "")
    return binding, steps[-1][1]


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
        result.binding, result.largest = _largest(rows, freq)
        return result
    group, alloc = solved
    if freq.count is None and freq.strategy in ("lowest-price", "expected-cost"):
        result.tied = _brute(group, freq, freq.target)[1]
    result.feasible = True
    result.allocations = [(group[i], alloc[i]) for i in sorted(alloc)]
    result.total_price = math.fsum(row.price_per_hour * n for row, n in result.allocations)
    result.total_cost = math.fsum(cost_of(row, freq) * n for row, n in result.allocations)
    return result
