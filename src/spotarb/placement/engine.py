"""The placement engine: filter → region preference → rank → decision with alternatives.

:class:`PlacementEngine` holds one :class:`PriceSnapshot` and answers any number of
concurrent queries against it. Building snapshots from a store (and the staleness
policy) is :mod:`spotarb.serving.snapshot_builder`'s job: placement never reads a store.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, datetime
from operator import itemgetter
from typing import Any, NamedTuple

import numpy as np

from spotarb.core import geo
from spotarb.core.errors import NoPlacementError
from spotarb.core.models import SpotPrice, utcnow
from spotarb.core.rows import PRICE_COLUMNS
from spotarb.placement import families, strategies
from spotarb.placement.decision import PlacementDecision, PlacementSummary, ScoreBreakdown
from spotarb.placement.explain import explain_no_match
from spotarb.placement.requirements import WorkloadRequirements
from spotarb.placement.snapshot import BoolArray, IntArray, PriceSnapshot, code_mask

logger = logging.getLogger(__name__)

NO_MATCH = "No suitable instances available for requirements"


class NoMatchError(NoPlacementError):
    """No candidate is left; says which filter removed the last ones and the nearest miss."""

    def __init__(self, message: str, *, blocking_filter: str | None, removed_by: dict[str, int]):
        super().__init__(message)
        self.blocking_filter = blocking_filter
        self.removed_by = removed_by


Filter = tuple[str, Callable[[], BoolArray]]


def _filters(snap: PriceSnapshot, req: WorkloadRequirements) -> list[Filter]:
    """The active filters (name, mask builder) in the order they are applied and reported.

    Patterns (regions, families) are resolved once against the snapshot's distinct
    names, never per row.
    """
    out: list[Filter] = []
    if req.providers:
        out.append(("providers", lambda: snap.provider_mask(req.providers)))
    if req.regions:
        out.append(("regions", lambda: region_pattern_mask(snap, req.regions)))
    if req.exclude_regions:
        out.append(("exclude_regions", lambda: ~region_pattern_mask(snap, req.exclude_regions)))
    arch = req.arch_filter
    if arch is not None:
        arch_code = snap.arches.index(arch) if arch in snap.arches else -1
        out.append(("arch", lambda: snap.arch_code == arch_code))
    if req.not_older_than is not None:
        cutoff = req.not_older_than.timestamp()
        out.append(("not_older_than", lambda: snap.collected_ts >= cutoff))
    if req.min_cpu > 0:
        out.append(("min_cpu", lambda: snap.vcpu >= req.min_cpu))
    if req.min_memory_gb > 0:
        out.append(("min_memory_gb", lambda: snap.memory_gb >= req.min_memory_gb))
    need = req.gpu_minimum
    if req.gpu_choices:
        codes = [snap.gpu_index[g] for g in req.gpu_choices if g in snap.gpu_index]
        out.append(
            (
                "gpu",
                lambda: (
                    code_mask(snap.gpu_code, codes, len(snap.gpu_types)) & (snap.gpu_count >= need)
                ),
            )
        )
    elif need > 0:
        out.append(("gpu", lambda: snap.is_gpu & (snap.gpu_count >= need)))
    if req.min_gpu_memory_gb is not None:
        least = req.min_gpu_memory_gb
        out.append(("min_gpu_memory_gb", lambda: snap.gpu_memory_gb >= least))
    if req.include_families:
        out.append(("include_families", lambda: family_mask(snap, req.include_families)))
    if req.exclude_families:
        out.append(("exclude_families", lambda: ~family_mask(snap, req.exclude_families)))
    if req.exclude_burstable:
        out.append(("exclude_burstable", lambda: ~burstable_mask(snap)))
    if req.network_bandwidth_gbps is not None and req.network_bandwidth_gbps > 0:
        low = req.network_bandwidth_gbps
        out.append(("network_bandwidth_gbps", lambda: ~(snap.bandwidth < low)))
    if req.max_price_per_hour is not None:
        top = req.max_price_per_hour
        out.append(("max_price_per_hour", lambda: snap.price <= top))
    if req.max_interruption_rate is not None:
        most = req.max_interruption_rate
        out.append(("max_interruption_rate", lambda: snap.rate <= most))
    return out


def region_pattern_mask(snap: PriceSnapshot, patterns: tuple[str, ...]) -> BoolArray:
    """Rows in a region named by ``patterns`` (names, globs, ``geo:`` groups)."""
    if all(map(geo.is_plain, patterns)):
        return snap.region_mask(patterns)
    codes = snap.matching("region", patterns, snap.regions, geo.region_matches)
    return code_mask(snap.region_code, codes, len(snap.regions))


def family_mask(snap: PriceSnapshot, patterns: tuple[str, ...]) -> BoolArray:
    """Rows whose instance type or family matches one of ``patterns``."""
    codes = snap.matching("family", patterns, snap.instance_types, families.family_matches)
    return code_mask(snap.type_code, codes, len(snap.instance_types))


def burstable_mask(snap: PriceSnapshot) -> BoolArray:
    """Rows of a burstable (shared-core) instance type."""
    codes = snap.matching("burstable", (), snap.instance_types, families.burstable_matches)
    return code_mask(snap.type_code, codes, len(snap.instance_types))


class Eligibility(NamedTuple):
    """Rows that pass every filter, what each filter removed, and the unknown-rate rows dropped."""

    mask: BoolArray
    removed_by: dict[str, int]
    excluded_unknown_interruption: int


def eligible(snap: PriceSnapshot, req: WorkloadRequirements) -> Eligibility:
    """Apply the filters of ``req`` in order; NoMatchError naming the one that left nothing.

    ``removed_by`` maps each filter to the rows it removed that earlier filters had kept.
    Placements and fleets both start here, so every filter applies to both.
    """
    total = len(snap)
    removed: dict[str, int] = {}
    if total == 0:
        raise NoMatchError(
            f"{NO_MATCH}: there are no prices to choose from (collect or import some first)",
            blocking_filter=None,
            removed_by=removed,
        )
    mask: BoolArray | None = None
    left = total
    excluded_unknown = 0
    for name, build in _filters(snap, req):
        cond: BoolArray = build()
        if name == "max_interruption_rate":
            unknown = ~snap.rate_known if mask is None else mask & ~snap.rate_known
            excluded_unknown = int(np.count_nonzero(unknown))
        new_mask = cond if mask is None else mask & cond
        count = int(np.count_nonzero(new_mask))
        removed[name] = left - count
        if count == 0:
            before = mask if mask is not None else np.ones(total, dtype=np.bool_)
            why = explain_no_match(snap, req, name, before)
            last = "the last candidate" if left == 1 else f"the last {left} candidates"
            raise NoMatchError(
                f"{NO_MATCH}: {why} (the {name} filter removed {last})",
                blocking_filter=name,
                removed_by=removed,
            )
        mask, left = new_mask, count
    if mask is None:
        mask = np.ones(total, dtype=np.bool_)
    return Eligibility(mask, removed, excluded_unknown)


class PlacementEngine:
    """Answers placement queries against a shared, immutable snapshot (thread-safe)."""

    def __init__(self, snapshot: PriceSnapshot) -> None:
        self._snapshot = snapshot

    @classmethod
    def from_prices(cls, prices: Iterable[SpotPrice]) -> PlacementEngine:
        return cls(PriceSnapshot.from_prices(prices))

    @property
    def snapshot(self) -> PriceSnapshot:
        return self._snapshot

    def place(
        self, requirements: WorkloadRequirements, *, now: datetime | None = None
    ) -> PlacementDecision:
        """The best place for ``requirements`` with its alternatives; NoMatchError if none."""
        return place(self._snapshot, requirements, now=now)


def place(
    snap: PriceSnapshot, req: WorkloadRequirements, *, now: datetime | None = None
) -> PlacementDecision:
    """Filter → region preference → rank → decision, on one snapshot.

    ``now`` (default: the current time) is what ``data_age_seconds`` is measured against.
    """
    total = len(snap)
    mask, removed, excluded_unknown = eligible(snap, req)
    left = int(np.count_nonzero(mask))
    matched = left
    preference = "not-requested"
    if req.preferred_regions:
        preferred = mask & region_pattern_mask(snap, req.preferred_regions)
        count = int(np.count_nonzero(preferred))
        if count:
            preference = "applied"
            removed["preferred_regions"] = left - count
            mask, left = preferred, count
        else:
            preference = "fallback"
    bandwidth_unknown = 0
    if req.network_bandwidth_gbps:
        bandwidth_unknown = int(np.count_nonzero(mask & np.isnan(snap.bandwidth)))
    cheapest = float(snap.price[int(np.argmax(mask))])
    want = req.alternatives + 1
    ranked = strategies.rank(snap, mask, req, cheapest, want)
    summary = PlacementSummary(
        candidates_considered=total,
        removed_by=removed,
        matched=matched,
        candidates=left,
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
            "no preferred region ("
            + ", ".join(req.preferred_regions)
            + ") could serve; all regions were considered"
        )
    if excluded_unknown:
        notes.append(
            f"{excluded_unknown} candidates without a known interruption rate were excluded"
        )
    if bandwidth_unknown:
        notes.append(
            f"{bandwidth_unknown} candidates have no known network bandwidth and were not checked"
        )
    decisions = build_decisions(
        snap, ranked, req, cheapest, now or utcnow(), summary=summary, notes=tuple(notes)
    )
    return decisions[0]


_AT = {name: i for i, name in enumerate(PRICE_COLUMNS)}
_PLAIN = itemgetter(
    *(_AT[name] for name in (
        "provider", "region", "availability_zone", "instance_type", "price_per_hour", "vcpu",
        "memory_gb", "gpu_count", "gpu_type", "gpu_memory_gb", "arch",
        "network_bandwidth_gbps", "interruption_rate", "interruption_source",
        "on_demand_price_per_hour", "observed_at", "collected_at",
    ))
)  # fmt: skip


def build_decisions(
    snap: PriceSnapshot,
    positions: IntArray,
    req: WorkloadRequirements,
    cheapest: float,
    now: datetime,
    *,
    summary: PlacementSummary | None = None,
    notes: tuple[str, ...] = (),
) -> list[PlacementDecision]:
    """One decision per position, best first, read straight from the snapshot's row tuples.

    The first one carries the others as its alternatives, ``summary`` and ``notes``.
    """
    weighted = req.strategy == "weighted"
    sc = strategies.scores(snap, positions, req, cheapest, weighted=weighted)
    hours = cost = None
    if req.job_hours is not None:
        wall = strategies.expected_hours(snap, positions, req)
        hours = wall.tolist()
        cost = (snap.price[positions] * wall).tolist()
    now_ts = now.astimezone(UTC).timestamp()
    flagged = bool(req.network_bandwidth_gbps)
    price_s, avail_s, eff_s, total_s = (
        sc.price_score.tolist(),
        sc.availability.tolist(),
        sc.efficiency.tolist(),
        sc.total.tolist(),
    )
    rows = snap.rows
    tuples = rows.tuples_at(positions)

    def decision(
        i: int,
        alternatives: tuple[PlacementDecision, ...] = (),
        summary: PlacementSummary | None = None,
        notes: tuple[str, ...] = (),
    ) -> PlacementDecision:
        (
            provider, region, zone, instance_type, price, vcpu, memory, gpu_count, gpu_type,
            gpu_memory, arch, bandwidth, rate, rate_source, on_demand, observed, collected,
        ) = _PLAIN(tuples[i])  # fmt: skip
        collected_at = rows.time(collected)
        return PlacementDecision(
            provider=provider,
            region=region,
            availability_zone=zone,
            instance_type=instance_type,
            price_per_hour=price,
            score=total_s[i],
            rank=i + 1,
            strategy=req.strategy,
            vcpu=vcpu,
            memory_gb=memory,
            gpu_count=gpu_count,
            gpu_type=gpu_type,
            gpu_memory_gb=gpu_memory,
            arch=arch,
            network_bandwidth_gbps=bandwidth,
            bandwidth_unverified=flagged and bandwidth is None,
            interruption_rate=rate,
            interruption_source=rate_source,
            on_demand_price_per_hour=on_demand,
            savings_pct=None if on_demand is None else 100.0 * (1.0 - price / on_demand),
            observed_at=rows.time(observed),
            collected_at=collected_at,
            data_age_seconds=max(0.0, now_ts - collected_at.timestamp()),
            breakdown=ScoreBreakdown(price_s[i], avail_s[i], eff_s[i]),
            expected_hours=hours[i] if hours is not None else None,
            expected_cost=cost[i] if cost is not None else None,
            alternatives=alternatives,
            summary=summary,
            notes=notes,
        )

    if not tuples:
        return []
    alternatives = tuple(decision(i) for i in range(1, len(tuples)))
    return [decision(0, alternatives, summary, notes), *alternatives]


def find_optimal_placement(
    requirements: WorkloadRequirements | Mapping[str, Any],
    prices: Iterable[SpotPrice] | PriceSnapshot,
    *,
    now: datetime | None = None,
) -> PlacementDecision:
    """The best place plus alternatives, or NoPlacementError.

    ``requirements`` may be a :class:`WorkloadRequirements` or a mapping with the
    API's camelCase (or snake_case) keys; ``prices`` any iterable of
    :class:`SpotPrice` or a prepared :class:`PriceSnapshot` (reuse one for speed).
    """
    req = (
        requirements
        if isinstance(requirements, WorkloadRequirements)
        else WorkloadRequirements.from_mapping(requirements)
    )
    snap = prices if isinstance(prices, PriceSnapshot) else PriceSnapshot.from_prices(prices)
    return place(snap, req, now=now)
