"""Chart data: price history per zone, and the cheapest offer per cloud and region.

Both return plain JSON-ready dicts the page embeds (``<script type=application/json>``)
and ``static/dashboard.js`` draws with Chart.js; the same data fills the tables
under each chart.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Final

from spotarb.core.gpus import is_gpu
from spotarb.core.models import PROVIDERS, SpotPrice
from spotarb.serving.insights import CPU_TIERS, GIB_PER_VCPU
from spotarb.serving.service import Service, ServiceState

RANGES: Final[dict[str, timedelta]] = {
    "1d": timedelta(days=1),
    "7d": timedelta(days=7),
    "30d": timedelta(days=30),
}
DEFAULT_RANGE: Final = "7d"
MAX_CHOICES: Final = 3000


def _ms(stamp: datetime) -> int:
    return int(stamp.timestamp() * 1000)


@dataclass(slots=True)
class HistoryView:
    provider: str
    region: str
    instance_type: str
    range: str
    providers: list[str]
    regions: list[str]
    instance_types: list[str]
    error: str = ""
    chart: dict[str, Any] | None = None
    tables: list[dict[str, Any]] = field(default_factory=list)
    #: cloud → its regions, so the page can refresh the region list when the cloud changes
    regions_by_provider: dict[str, list[str]] = field(default_factory=dict)
    type_count: int = 0

    @property
    def ranges(self) -> list[str]:
        return list(RANGES)


@dataclass(frozen=True, slots=True)
class CatalogIndex:
    """Linux rows of one state grouped for the pickers; built once per state."""

    providers: list[str]
    regions: dict[str, list[str]]
    types: dict[tuple[str, str], list[str]]
    rows: dict[tuple[str, str, str], list[SpotPrice]]


class _PerState:
    """Derived data of the current state only: dropped as soon as the state is replaced."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._state: ServiceState | None = None
        self._index: CatalogIndex | None = None
        self._compare: dict[tuple[str, str, bool], CompareView] = {}

    def index(self, state: ServiceState) -> CatalogIndex:
        with self._lock:
            self._switch(state)
            if self._index is None:
                self._index = _build_index(state)
            return self._index

    def compare(self, state: ServiceState, key: tuple[str, str, bool]) -> CompareView | None:
        with self._lock:
            self._switch(state)
            return self._compare.get(key)

    def keep_compare(
        self, state: ServiceState, key: tuple[str, str, bool], view: CompareView
    ) -> None:
        with self._lock:
            self._switch(state)
            if len(self._compare) < 256:
                self._compare[key] = view

    def _switch(self, state: ServiceState) -> None:
        if state is not self._state:
            self._state, self._index, self._compare = state, None, {}


_PER_STATE = _PerState()


def _build_index(state: ServiceState) -> CatalogIndex:
    regions: dict[str, set[str]] = {}
    types: dict[tuple[str, str], set[str]] = {}
    rows: dict[tuple[str, str, str], list[SpotPrice]] = {}
    for r in state.rows:
        if r.os != "linux":
            continue
        regions.setdefault(r.provider, set()).add(r.region)
        types.setdefault((r.provider, r.region), set()).add(r.instance_type)
        rows.setdefault((r.provider, r.region, r.instance_type), []).append(r)
    return CatalogIndex(
        providers=sorted(regions),
        regions={p: sorted(v) for p, v in regions.items()},
        types={k: sorted(v) for k, v in types.items()},
        rows=rows,
    )


def history_view(
    service: Service,
    provider: str,
    region: str,
    instance_type: str,
    range_name: str,
    *,
    now: datetime | None = None,
) -> HistoryView:
    """One line per zone of one instance type: its spot price changes in the range."""
    index = _PER_STATE.index(service.state)
    if provider:
        regions = index.regions.get(provider, [])
    else:
        regions = sorted({r for names in index.regions.values() for r in names})
    types = index.types.get((provider, region), [])
    view = HistoryView(
        provider,
        region,
        instance_type,
        range_name,
        index.providers,
        regions[:MAX_CHOICES],
        types[:MAX_CHOICES],
        regions_by_provider={p: v[:MAX_CHOICES] for p, v in index.regions.items()},
        type_count=len(types),
    )
    if range_name not in RANGES:
        view.error = f"Unknown range “{range_name}”: use {', '.join(RANGES)}."
        return view
    if not (provider and region and instance_type):
        return view
    if provider not in PROVIDERS:
        view.error = f"Unknown cloud “{provider}”: use {', '.join(PROVIDERS)}."
        return view
    current = index.rows.get((provider, region, instance_type), [])
    zones = sorted({r.availability_zone for r in current})
    if not zones:
        view.error = f"No current {provider} price for {instance_type} in {region}."
        return view
    until = now or datetime.now(UTC)
    since = until - RANGES[range_name]
    on_demand = next(
        (r.on_demand_price_per_hour for r in current if r.on_demand_price_per_hour), None
    )
    series: list[dict[str, Any]] = []
    for zone in zones:
        key = (provider, region, zone, instance_type, "linux")
        changes = service.store.history(key, since, until)
        before = service.store.history(key, None, since - timedelta(microseconds=1))
        points = [[_ms(r.observed_at), r.price_per_hour] for r in changes]
        carried = before[-1].price_per_hour if before else None
        latest = changes[-1].price_per_hour if changes else carried
        series.append(
            {
                "label": zone or f"{region} (regional)",
                "points": points,
                "carriedIn": carried,
                "latest": latest,
            }
        )
        view.tables.append(
            {
                "label": zone or f"{region} (regional)",
                "rows": [(r.observed_at.isoformat(), r.price_per_hour) for r in changes],
                "carriedIn": carried,
            }
        )
    view.chart = {
        "kind": "history",
        "title": f"{instance_type} · {provider} {region} · last {range_name}",
        "since": _ms(since),
        "until": _ms(until),
        "series": series,
        "onDemand": on_demand,
    }
    return view


# -- compare ---------------------------------------------------------------------------

METRICS: Final[dict[str, str]] = {
    "pricePerHour": "$/hour",
    "pricePerVcpuHour": "$/vCPU-hour",
    "pricePerGpuHour": "$/GPU-hour",
}


@dataclass(slots=True)
class CompareView:
    capacity_class: str
    metric: str
    classes: list[tuple[str, str]]
    metrics: dict[str, str]
    error: str = ""
    #: Stale prices were asked for (``allowStale``); else how many were left out.
    allow_stale: bool = False
    stale_excluded: int = 0
    chart: dict[str, Any] | None = None
    bars: list[dict[str, Any]] = field(default_factory=list)
    cheapest_per_cloud: list[dict[str, Any]] = field(default_factory=list)


def _metric(row: SpotPrice, metric: str) -> float:
    if metric == "pricePerVcpuHour":
        return row.price_per_hour / row.vcpu
    if metric == "pricePerGpuHour":
        return row.price_per_hour / row.gpu_count
    return row.price_per_hour


def _classes(rows: Sequence[SpotPrice]) -> list[tuple[str, str]]:
    out = [(f"cpu:{t}", f"{t} vCPU · {t * GIB_PER_VCPU:g} GiB or more (no GPU)") for t in CPU_TIERS]
    gpus = sorted({r.gpu_type for r in rows if r.gpu_type and is_gpu(r.gpu_type)})
    out += [(f"gpu:{g}", f"{g} (any count)") for g in gpus]
    return out


def _matches(capacity_class: str) -> Any:
    kind, _, arg = capacity_class.partition(":")
    if kind == "gpu":
        return lambda r: r.gpu_type == arg and r.gpu_count > 0
    tier = float(arg)
    return lambda r: r.gpu_count == 0 and r.vcpu >= tier and r.memory_gb >= tier * GIB_PER_VCPU


def compare_view(
    service: Service, capacity_class: str, metric: str, *, allow_stale: bool = False
) -> CompareView:
    """The cheapest offer of a capacity class in each (cloud, region), by the chosen metric.

    Fresh prices only unless ``allow_stale`` (the staleness policy every reader uses).
    Computed once per state and choice (the data only changes when the state does).
    """
    state = service.state
    key = (capacity_class, metric, allow_stale)
    view = _PER_STATE.compare(state, key)
    if view is None:
        view = _compare(state, capacity_class, metric, allow_stale)
        _PER_STATE.keep_compare(state, key, view)
    return view


def _compare(
    state: ServiceState, capacity_class: str, metric: str, allow_stale: bool
) -> CompareView:
    rows: Sequence[SpotPrice] = state.snapshots.snapshot(allow_stale).rows
    classes = _classes(rows)
    names = [c for c, _ in classes]
    if not capacity_class:
        capacity_class = "cpu:8" if "cpu:8" in names else names[0]
    is_gpu_class = capacity_class.startswith("gpu:")
    if not metric:
        metric = "pricePerGpuHour" if is_gpu_class else "pricePerHour"
    view = CompareView(
        capacity_class,
        metric,
        classes,
        METRICS,
        allow_stale=allow_stale,
        stale_excluded=state.snapshots.stale_excluded(allow_stale),
    )
    if capacity_class not in names:
        view.error = f"No offers for “{capacity_class}” in the current data."
        return view
    if metric not in METRICS or (metric == "pricePerGpuHour" and not is_gpu_class):
        allowed = [m for m in METRICS if is_gpu_class or m != "pricePerGpuHour"]
        view.error = f"Unknown metric “{metric}” for this class: use {', '.join(allowed)}."
        return view
    match = _matches(capacity_class)
    best: dict[tuple[str, str], SpotPrice] = {}
    for row in rows:
        if not match(row):
            continue
        key = (row.provider, row.region)
        held = best.get(key)
        if held is None or _metric(row, metric) < _metric(held, metric):
            best[key] = row
    ordered = sorted(best.values(), key=lambda r: (_metric(r, metric), r.provider, r.region))
    for row in ordered:
        view.bars.append(
            {
                "provider": row.provider,
                "region": row.region,
                "zone": row.availability_zone,
                "instanceType": row.instance_type,
                "value": _metric(row, metric),
                "pricePerHour": row.price_per_hour,
                "pricePerVcpuHour": row.price_per_hour / row.vcpu,
                "pricePerGpuHour": row.price_per_hour / row.gpu_count if row.gpu_count else None,
                "vcpu": row.vcpu,
                "memoryGB": row.memory_gb,
                "gpuCount": row.gpu_count,
            }
        )
    firsts: dict[str, dict[str, Any]] = {}
    for bar in view.bars:
        firsts.setdefault(bar["provider"], bar)
    cheapest = sorted(firsts.values(), key=lambda b: b["value"])
    if cheapest:
        low = cheapest[0]["value"]
        for bar in cheapest:
            view.cheapest_per_cloud.append({**bar, "abovePct": 100.0 * (bar["value"] - low) / low})
    view.chart = {
        "kind": "compare",
        "title": f"Cheapest {METRICS[metric]}, {dict(classes)[capacity_class]}, "
        "per cloud and region",
        "metric": METRICS[metric],
        "providers": [p for p in PROVIDERS if p in firsts],
        "bars": view.bars,
    }
    return view
