"""Fleet placement: N instances (or a vCPU/GPU target) spread over pools across clouds.

A pool is one snapshot row: provider + region + zone + instance type. The
per-instance requirements go through the engine's filters (:func:`eligible`),
then the strategy orders the pools and the allocation kernels
(:mod:`~spotarb.placement.fleet_alloc`) fill them under the caps. The exact
rules are in ``docs/placement.md`` (Fleets); :mod:`.fleet_reference` is a plain
Python version of them that the property tests hold this one to.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from spotarb.core.models import SpotPrice
from spotarb.placement import strategies
from spotarb.placement.decision import PlacementSummary
from spotarb.placement.engine import NoMatchError, eligible, region_pattern_mask
from spotarb.placement.fleet_alloc import (
    Counts,
    GroupCap,
    cover_dp,
    greedy_fill,
    largest_fill,
    reachable_fill,
    round_robin,
)
from spotarb.placement.fleet_cover import CappedCover, CoverPlan
from spotarb.placement.fleet_model import (
    FleetAllocation,
    FleetInfeasibleError,
    FleetPlan,
    FleetRequirements,
)
from spotarb.placement.snapshot import (
    BAND_EDGES,
    UNKNOWN_BAND,
    BoolArray,
    FloatArray,
    IntArray,
    PriceSnapshot,
    quantize,
    quantize_one,
)

NO_FLEET = "No feasible fleet"
#: Strategies that minimise the total exactly for a capacity target.
EXACT = ("lowest-price", "expected-cost")
#: Pools looked at first; doubled until the plan is complete (greedy answers are prefix-stable).
_FIRST_PREFIX = 1024


@dataclass(frozen=True, slots=True)
class _Pools:
    """Eligible pools in the strategy's visit order, with aligned per-pool arrays."""

    pos: IntArray
    cost: FloatArray  # per instance: $/h, or expected $ of the job for expected-cost
    units: Counts  # 1 per instance, or its vCPUs / GPUs
    caps: Counts  # instances the pool may hold
    band: Counts  # interruption band (price-capacity-optimized only; else 0)

    def take(self, sel: IntArray | slice) -> _Pools:
        return _Pools(
            self.pos[sel], self.cost[sel], self.units[sel], self.caps[sel], self.band[sel]
        )


#: A plan: the pools it was made on, instances per pool and, when it is not proven the
#: cheapest (see :data:`~spotarb.placement.fleet_cover.STATE_BUDGET`), its gap.
_Solved = tuple[_Pools, Counts, float | None]


def _units(snap: PriceSnapshot, freq: FleetRequirements, pos: IntArray) -> Counts:
    """Units each pool adds: 1 per instance, or its whole vCPUs, or its GPUs."""
    if freq.target_vcpu is not None:
        return np.floor(snap.vcpu[pos]).astype(np.int64)
    if freq.target_gpus is not None:
        return np.where(snap.is_gpu[pos], snap.gpu_count[pos], 0).astype(np.int64)
    return np.ones(pos.size, dtype=np.int64)


def _bands(snap: PriceSnapshot, pos: IntArray) -> Counts:
    rate = snap.rate[pos]
    known = snap.rate_known[pos]
    edges = np.searchsorted(np.array(BAND_EDGES), np.where(known, rate, 0.0), side="left")
    return np.where(known, edges, UNKNOWN_BAND).astype(np.int64)


def _cost(snap: PriceSnapshot, freq: FleetRequirements, pos: IntArray) -> FloatArray:
    """Per-instance cost: $/h, or the job's expected $ for expected-cost."""
    price = snap.price[pos]
    if freq.strategy != "expected-cost":
        return price
    result: FloatArray = price * strategies.expected_hours(snap, pos, freq.workload)
    return result


def _arrays(
    snap: PriceSnapshot, freq: FleetRequirements, pos: IntArray, cost: FloatArray | None = None
) -> _Pools:
    units = _units(snap, freq, pos)
    if freq.count is not None or freq.max_per_pool is not None:
        caps = np.full(pos.size, freq.pool_cap(1), dtype=np.int64)
    else:  # a quarter of the target per pool, in that pool's units
        caps = np.maximum(1, -(-freq.target // (4 * units))).astype(np.int64)
    if cost is None:
        cost = _cost(snap, freq, pos)
    # Only price-capacity-optimized reads bands (they cost a search per pool).
    if freq.strategy == "price-capacity-optimized":
        band = _bands(snap, pos)
    else:
        band = np.zeros(pos.size, dtype=np.int64)
    return _Pools(pos, cost, units, caps, band)


class _Visit:
    """The eligible pools in the strategy's visit order, materialized a prefix at a time.

    Count fleets under ``lowest-price``/``diversified`` walk the snapshot's price order,
    ``price-capacity-optimized`` its band view; ``expected-cost`` scans price order
    and keeps the rows whose cost is below any later row's lower bound (price · job
    hours); capacity targets sort every eligible pool by cost per unit.
    """

    def __init__(self, snap: PriceSnapshot, freq: FleetRequirements, mask: BoolArray) -> None:
        self.snap = snap
        self.freq = freq
        self.by_price: IntArray = np.flatnonzero(mask)
        self.size = int(self.by_price.size)
        self.ordered: IntArray | None = None
        self.cost: FloatArray | None = None
        strategy = freq.strategy
        if freq.count is None:
            pos = self.by_price
            cost = _cost(snap, freq, pos)
            keys: tuple[Any, ...] = (pos, quantize(cost / _units(snap, freq, pos)))
            if strategy == "price-capacity-optimized":
                keys = (*keys, _bands(snap, pos))
            order = np.lexsort(keys)
            self.ordered, self.cost = pos[order], cost[order]
        elif strategy == "price-capacity-optimized":
            self.ordered = snap.by_band[mask[snap.by_band]]
        elif strategy != "expected-cost":
            self.ordered = self.by_price

    def head(self, n: int) -> _Pools:
        """The first ``n`` pools in visit order."""
        snap, freq = self.snap, self.freq
        if self.ordered is not None:
            cost = None if self.cost is None else self.cost[:n]
            return _arrays(snap, freq, self.ordered[:n], cost)
        job = freq.workload.job_hours
        assert job is not None
        scan = min(self.size, max(4 * n, _FIRST_PREFIX))
        while True:
            cand = self.by_price[:scan]
            cost = _cost(snap, freq, cand)
            key = quantize(cost)
            order = np.lexsort((cand, key))
            if scan < self.size:
                # Every later row costs at least its price × job hours.
                limit = quantize_one(float(snap.price[self.by_price[scan]]) * job)
                order = order[key[order] < limit - 2.0]
            if order.size >= n or scan >= self.size:
                take = order[:n]
                return _arrays(snap, freq, cand[take], cost[take])
            scan = min(self.size, scan * 4)

    def all(self) -> _Pools:
        return self.head(self.size)


def _region_codes(snap: PriceSnapshot, pos: IntArray) -> Counts:
    provider = snap.provider_code[pos].astype(np.int64)
    result: Counts = provider * max(1, len(snap.regions)) + snap.region_code[pos]
    return result


def _region_cap(snap: PriceSnapshot, freq: FleetRequirements, pos: IntArray) -> GroupCap | None:
    """``maxPerRegion`` as (region code per pool, capacity per code), if given."""
    if freq.max_per_region is None:
        return None
    size = max(1, len(snap.providers)) * max(1, len(snap.regions))
    return _region_codes(snap, pos), np.full(size, freq.max_per_region, np.int64)


def _provider_cap(snap: PriceSnapshot, freq: FleetRequirements, pos: IntArray) -> GroupCap | None:
    """``maxPerProvider`` as (provider code per pool, capacity per code), if given."""
    if freq.max_per_provider is None:
        return None
    size = max(1, len(snap.providers))
    return snap.provider_code[pos].astype(np.int64), np.full(size, freq.max_per_provider, np.int64)


def _caps(snap: PriceSnapshot, freq: FleetRequirements, pos: IntArray) -> list[GroupCap]:
    """Region and provider caps as (group code per pool, capacity per code)."""
    caps = (_region_cap(snap, freq, pos), _provider_cap(snap, freq, pos))
    return [cap for cap in caps if cap is not None]


def _one_group_cap(freq: FleetRequirements, n: int) -> GroupCap | None:
    """Inside one region or zone the region and provider caps are one cap on the fleet."""
    caps = [c for c in (freq.max_per_region, freq.max_per_provider) if c is not None]
    if not caps:
        return None
    return np.zeros(n, dtype=np.int64), np.array([min(caps)], dtype=np.int64)


def _cover(
    snap: PriceSnapshot,
    freq: FleetRequirements,
    pools: _Pools,
    region: GroupCap | None,
    provider: GroupCap | None,
) -> CoverPlan | None:
    """The exact cheapest capacity cover of ``pools`` under the caps; None if none.

    An instance certain to be interrupted has an unbounded expected cost: the cover
    leaves those out when it can, else every plan is unbounded and it goes by price.
    """
    finite = np.isfinite(pools.cost)
    if not finite.all():
        bounded = _Pools(pools.pos, np.where(finite, pools.cost, 0.0), pools.units,
                         np.where(finite, pools.caps, 0), pools.band)  # fmt: skip
        found = _cover(snap, freq, bounded, region, provider)
        if found is not None:
            return found
        pools = _Pools(pools.pos, snap.price[pools.pos], pools.units, pools.caps, pools.band)
    if region is None and provider is None:
        alloc = cover_dp(pools.cost, pools.units, pools.caps, freq.target)
        return None if alloc is None else CoverPlan(alloc)
    return CappedCover(pools.cost, pools.units, pools.caps, freq.target, region, provider).solve()


def _fill_pools(freq: FleetRequirements, pools: _Pools, groups: list[GroupCap]) -> Counts:
    """Counts per pool (visit order) by the strategy's kernel; may fall short of the target."""
    kernel = round_robin if freq.strategy == "diversified" else greedy_fill
    return kernel(pools.caps, pools.units, freq.target, groups)


def _fill_reachable(
    freq: FleetRequirements, pools: _Pools, groups: list[GroupCap]
) -> Counts | None:
    """The strategy's fill keeping the target reachable, when the plain fill fell short.

    Only a capacity target under instance caps can need it (one unit per instance
    always reaches the most instances there are).
    """
    if freq.count is not None or not groups:
        return None
    rounds = freq.strategy == "diversified"
    alloc = reachable_fill(pools.caps, pools.units, freq.target, groups, rounds)
    return alloc if int(np.dot(alloc, pools.units)) >= freq.target else None


def _fill(snap: PriceSnapshot, freq: FleetRequirements, visit: _Visit) -> _Solved | None:
    """The plan over every eligible pool, or None if the target cannot be reached."""
    target = freq.target
    if freq.count is None and freq.strategy in EXACT:
        pools = visit.all()
        pos = pools.pos
        region, provider = _region_cap(snap, freq, pos), _provider_cap(snap, freq, pos)
        cover = _cover(snap, freq, pools, region, provider)
        return None if cover is None else (pools, cover.alloc, cover.gap)
    size = min(visit.size, _FIRST_PREFIX)
    while True:
        pools = visit.head(size)
        alloc = _fill_pools(freq, pools, _caps(snap, freq, pools.pos))
        covered = int(np.dot(alloc, pools.units))
        # A prefix answer is the full answer once it is complete (the diversified
        # rounds only if the first round completed it).
        complete = covered >= target and (
            freq.strategy != "diversified" or int(alloc.max(initial=0)) <= 1
        )
        if complete or size >= visit.size:
            if covered < target:
                found = _fill_reachable(freq, pools, _caps(snap, freq, pools.pos))
                return None if found is None else (pools, found, None)
            return pools, alloc, None
        size = min(visit.size, size * 8)


def _sum(values: FloatArray) -> float:
    return math.fsum(values.tolist())


def _key(freq: FleetRequirements, pools: _Pools, alloc: Counts) -> tuple[float, ...]:
    """What a plan minimises (compared across regions/zones for sameRegion/sameZone)."""
    used = alloc > 0
    total = quantize_one(_sum(alloc[used] * pools.cost[used]))
    if freq.strategy == "price-capacity-optimized":
        return (float(pools.band[used].max()), total)
    return (total,)


def _group_codes(snap: PriceSnapshot, freq: FleetRequirements, pos: IntArray) -> Counts:
    if freq.same_zone:
        return snap.zone_code[pos].astype(np.int64, copy=False)
    return _region_codes(snap, pos)


def _largest(snap: PriceSnapshot, freq: FleetRequirements, pools: _Pools) -> tuple[str, int, str]:
    """(binding constraint, largest feasible fleet, why) when the target is out of reach."""
    steps: list[tuple[str, int, str]] = []
    pool_max = int(np.dot(pools.caps, pools.units))
    steps.append(
        (
            "maxPerPool",
            pool_max,
            f"{pools.pos.size} eligible pools hold only {pool_max} {freq.unit} at "
            + (
                f"maxPerPool {freq.pool_cap(1)}"
                + (" (the default, a quarter of the target)" if freq.max_per_pool is None else "")
                if freq.count is not None or freq.max_per_pool is not None
                else "the default maxPerPool (a quarter of the target per pool)"
            ),
        )
    )
    groups: list[GroupCap] = []
    region = _region_cap(snap, freq, pools.pos)
    if region is not None:
        groups.append(region)
        value = int(np.dot(largest_fill(pools.caps, pools.units, groups), pools.units))
        regions = np.unique(region[0]).size
        steps.append(
            (
                "maxPerRegion",
                value,
                f"maxPerRegion {freq.max_per_region} over {regions} regions allows {value}",
            )
        )
    provider = _provider_cap(snap, freq, pools.pos)
    if provider is not None:
        groups.append(provider)
        value = int(np.dot(largest_fill(pools.caps, pools.units, groups), pools.units))
        providers = np.unique(provider[0]).size
        steps.append(
            (
                "maxPerProvider",
                value,
                f"maxPerProvider {freq.max_per_provider} over {providers} providers allows {value}",
            )
        )
    if freq.same_region or freq.same_zone:
        name = "sameZone" if freq.same_zone else "sameRegion"
        where = "zone" if freq.same_zone else "region"
        codes = np.unique(_group_codes(snap, freq, pools.pos), return_inverse=True)[1]
        cap = _one_group_cap(freq, pools.pos.size)
        inside: list[GroupCap] = []
        if cap is not None:
            inside.append((codes, np.full(int(codes.max()) + 1, int(cap[1][0]), dtype=np.int64)))
        alloc = largest_fill(pools.caps, pools.units, inside)
        value = int(np.bincount(codes, weights=alloc * pools.units).max())
        steps.append((name, value, f"the largest fleet in one {where} is {value} {freq.unit}"))
    largest = steps[-1][1]
    for name, value, why in steps:
        if value < freq.target:
            return name, largest, why
    raise AssertionError("a feasible fleet was reported infeasible")  # pragma: no cover


def _solve(
    snap: PriceSnapshot, freq: FleetRequirements, visit: _Visit, removed: dict[str, int]
) -> _Solved:
    """The plan on these pools, or FleetInfeasibleError naming what binds."""
    best: _Solved | None = None
    if visit.size:
        if freq.same_region or freq.same_zone:
            best = _best_group(snap, freq, visit.all())
        else:
            best = _fill(snap, freq, visit)
    if best is not None:
        return best
    binding, largest, why = _largest(snap, freq, visit.all())
    raise FleetInfeasibleError(
        f"{NO_FLEET} of {freq.target} {freq.unit}: {why} ({binding} is binding); "
        f"the largest feasible fleet is {largest} {freq.unit}",
        binding=binding,
        largest=largest,
        unit=freq.unit,
        removed_by=removed,
    )


def _plan_group(snap: PriceSnapshot, freq: FleetRequirements, pools: _Pools) -> CoverPlan | None:
    """The plan inside one region/zone, where the region/provider caps cap the fleet."""
    cap = _one_group_cap(freq, pools.pos.size)
    if freq.count is None and freq.strategy in EXACT:
        return _cover(snap, freq, pools, None, cap)
    groups = [] if cap is None else [cap]
    alloc = _fill_pools(freq, pools, groups)
    if int(np.dot(alloc, pools.units)) < freq.target:
        found = _fill_reachable(freq, pools, groups)
        if found is None:
            return None
        alloc = found
    return CoverPlan(alloc)


def _best_group(snap: PriceSnapshot, freq: FleetRequirements, pools: _Pools) -> _Solved | None:
    """The best plan inside one region/zone: lowest key, ties to the first group by name.

    Groups are tried in order of a lower bound of their key (target × cheapest cost
    per unit, band first for p-c-o) and the search stops once no bound can win.
    """
    inner = min(
        (c for c in (freq.max_per_region, freq.max_per_provider) if c is not None),
        default=None,
    )
    if freq.count is not None and inner is not None and inner < freq.target:
        return None
    codes = _group_codes(snap, freq, pools.pos)
    capped = freq.count is None and inner is not None and freq.strategy in EXACT
    if capped:
        # One pruning pass over every group at once (each group's cover would repeat it).
        limit = np.full(int(codes.max(initial=0)) + 1, inner, dtype=np.int64)
        every = CappedCover(pools.cost, pools.units, pools.caps, freq.target, (codes, limit))
        caps = every.needed_caps()
        kept = np.flatnonzero(caps)
        pools = _Pools(pools.pos[kept], pools.cost[kept], pools.units[kept], caps[kept],
                       pools.band[kept])  # fmt: skip
        codes = codes[kept]
    order = np.argsort(codes, kind="stable")
    sorted_codes = codes[order]
    starts = np.flatnonzero(np.r_[True, sorted_codes[1:] != sorted_codes[:-1]])
    ends = np.r_[starts[1:], order.size]
    per_unit = (pools.cost / pools.units)[order]
    # One grid step of slack: a rounding difference must not cut off a tie.
    low = quantize(np.minimum.reduceat(per_unit, starts) * freq.target) - 1.0
    room = np.add.reduceat((pools.caps * pools.units)[order], starts)
    band = np.minimum.reduceat(pools.band[order], starts).astype(np.float64)
    pco = freq.strategy == "price-capacity-optimized"
    index = np.arange(starts.size)
    candidates = index[room >= freq.target]
    if capped:
        # Under an instance cap $/unit × target is a weak bound. In its order, each
        # group gets the Lagrangian bound and a plan's cost, until the weak bound
        # passes the cheapest of those plans; the cover then visits those groups in
        # order of the Lagrangian bound, so that the first one is usually the best.
        upper = np.inf
        bounded: list[int] = []
        for i in candidates[np.lexsort((candidates, low[candidates]))].tolist():
            if low[i] > quantize_one(upper):
                break
            group = pools.take(order[starts[i] : ends[i]])
            cap = _one_group_cap(freq, group.pos.size)
            cover = CappedCover(group.cost, group.units, group.caps, freq.target, None, cap)
            bounds = cover.bounds()
            if bounds is not None:
                low[i] = quantize_one(bounds[0]) - 1.0
                upper = min(upper, bounds[1])
                bounded.append(i)
        candidates = np.array(sorted(bounded), dtype=np.int64)
    keys = (candidates, low[candidates], band[candidates]) if pco else (candidates, low[candidates])
    best: tuple[tuple[float, ...], _Pools, CoverPlan] | None = None
    for i in candidates[np.lexsort(keys)].tolist():
        bound = (float(band[i]), float(low[i])) if pco else (float(low[i]),)
        if best is not None and bound > best[0][:-1]:
            break
        group = pools.take(order[starts[i] : ends[i]])
        found = _plan_group(snap, freq, group)
        if found is None:
            continue
        key = (*_key(freq, group, found.alloc), float(i))
        if best is None or key < best[0]:
            best = (key, group, found)
    return None if best is None else (best[1], best[2].alloc, best[2].gap)


def plan(snap: PriceSnapshot, freq: FleetRequirements) -> FleetPlan:
    """The fleet for ``freq`` on one snapshot; NoMatchError / FleetInfeasibleError if none."""
    req = freq.workload
    mask, removed, excluded_unknown = eligible(snap, req)
    if freq.count is None:
        units = np.zeros(len(snap), dtype=np.int64)
        found = np.flatnonzero(mask)
        units[found] = _units(snap, freq, found)
        sized = mask & (units >= 1)
        dropped = int(np.count_nonzero(mask)) - int(np.count_nonzero(sized))
        field = "target_vcpu" if freq.target_vcpu is not None else "target_gpus"
        removed[field] = dropped
        if not sized.any():
            raise NoMatchError(
                f"{NO_FLEET}: none of the matching instances has a whole {freq.unit[:-1]}",
                blocking_filter=field,
                removed_by=removed,
            )
        mask = sized
    matched = int(np.count_nonzero(mask))
    preference = "not-requested"
    result: _Solved | None = None
    if req.preferred_regions:
        preferred = mask & region_pattern_mask(snap, req.preferred_regions)
        preference = "fallback"
        if preferred.any():
            try:
                result = _solve(snap, freq, _Visit(snap, freq, preferred), dict(removed))
            except FleetInfeasibleError:
                result = None
            else:
                preference = "applied"
                removed["preferred_regions"] = matched - int(np.count_nonzero(preferred))
                mask = preferred
    if result is None:
        result = _solve(snap, freq, _Visit(snap, freq, mask), removed)
    pools, alloc, gap = result
    bandwidth_unknown = 0
    if req.network_bandwidth_gbps:
        bandwidth_unknown = int(np.count_nonzero(mask & np.isnan(snap.bandwidth)))
    summary = PlacementSummary(
        candidates_considered=len(snap),
        removed_by=removed,
        matched=matched,
        candidates=int(np.count_nonzero(mask)),
        region_preference=preference,
        excluded_unknown_interruption=excluded_unknown,
        bandwidth_unknown=bandwidth_unknown,
        data_version=snap.data_version,
        oldest_collected_at=snap.oldest_collected_at,
        newest_collected_at=snap.newest_collected_at,
    )
    notes: list[str] = []
    if preference == "fallback":
        notes.append(
            "no fleet fits in the preferred regions ("
            + ", ".join(req.preferred_regions)
            + "); all regions were considered"
        )
    if excluded_unknown:
        notes.append(
            f"{excluded_unknown} candidates without a known interruption rate were excluded"
        )
    if gap is not None:
        total = _sum(alloc * pools.cost)
        share = 100 * gap / max(total - gap, 1e-12)
        # Rounded up, so that the note stays a bound.
        notes.append(
            "not proven the cheapest (the exact search would exceed its budget): at most "
            f"{math.ceil(gap * 1e4) / 1e4:.4f} ({math.ceil(share * 100) / 100:.2f} %) "
            "above the cheapest possible"
        )
    if freq.max_per_pool is None:
        notes.append(
            "maxPerPool defaulted to a quarter of the target "
            + (f"({freq.pool_cap(1)} instances)" if freq.count is not None else "per pool size")
        )
    return _build(snap, freq, pools, alloc, summary, tuple(notes))


def _build(
    snap: PriceSnapshot,
    freq: FleetRequirements,
    pools: _Pools,
    alloc: Counts,
    summary: PlacementSummary,
    notes: tuple[str, ...],
) -> FleetPlan:
    used = np.flatnonzero(alloc)
    pos = pools.pos[used]
    counts = alloc[used]
    req = freq.workload
    price = snap.price[pos]
    per_job: list[float] | None = None
    if req.job_hours is not None:
        per_job = (price * strategies.expected_hours(snap, pos, req)).tolist()
    allocations: list[FleetAllocation] = []
    on_demand: list[float] = []
    for i, (p, n) in enumerate(zip(pos.tolist(), counts.tolist(), strict=True)):
        row: SpotPrice = snap.rows[p]
        if row.on_demand_price_per_hour is not None:
            on_demand.append(n * row.on_demand_price_per_hour)
        allocations.append(
            FleetAllocation(
                provider=row.provider,
                region=row.region,
                availability_zone=row.availability_zone,
                instance_type=row.instance_type,
                count=n,
                price_per_hour=row.price_per_hour,
                on_demand_price_per_hour=row.on_demand_price_per_hour,
                interruption_rate=row.interruption_rate,
                vcpu=row.vcpu,
                memory_gb=row.memory_gb,
                gpu_count=row.gpu_count,
                gpu_type=row.gpu_type,
                expected_cost=None if per_job is None else n * per_job[i],
            )
        )
    total = _sum(counts * price)
    total_od = math.fsum(on_demand) if len(on_demand) == len(allocations) else None
    savings = None
    if total_od:
        savings = 100.0 * (1.0 - total / total_od)
    return FleetPlan(
        strategy=freq.strategy,
        allocations=tuple(allocations),
        instances=int(counts.sum()),
        vcpus=_sum(counts * snap.vcpu[pos]),
        gpus=int(np.dot(counts, snap.gpu_count[pos].astype(np.int64))),
        unit=freq.unit,
        target=freq.target,
        max_per_pool=freq.max_per_pool
        if freq.max_per_pool is not None
        else (freq.pool_cap(1) if freq.count is not None else None),
        total_price_per_hour=total,
        total_on_demand_per_hour=total_od,
        savings_percent=savings,
        expected_interruptions_per_hour=_sum(counts * snap.hazard[pos]),
        expected_cost=None
        if per_job is None
        else math.fsum(a.expected_cost or 0.0 for a in allocations),
        pools=len(allocations),
        regions=len({(a.provider, a.region) for a in allocations}),
        providers=len({a.provider for a in allocations}),
        summary=summary,
        notes=notes,
    )


def plan_fleet(
    requirements: FleetRequirements | Mapping[str, Any],
    prices: Iterable[SpotPrice] | PriceSnapshot,
) -> FleetPlan:
    """Plan a fleet: ``requirements`` as a :class:`FleetRequirements` or camelCase mapping
    (``count``/``targetVCPU``/``targetGPUs``, caps, ``strategy`` plus any placement
    requirement); ``prices`` any iterable of :class:`SpotPrice` or a prepared snapshot.
    """
    freq = (
        requirements
        if isinstance(requirements, FleetRequirements)
        else FleetRequirements.from_mapping(requirements)
    )
    snap = prices if isinstance(prices, PriceSnapshot) else PriceSnapshot.from_prices(prices)
    return plan(snap, freq)
