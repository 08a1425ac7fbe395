"""The columnar, immutable snapshot of current prices that the engine queries.

Built once from the store (or any iterable of :class:`SpotPrice`) and shared by
every request: all arrays are read-only, nothing mutates after construction, so
one snapshot can serve many threads at once. Rows are sorted by the engine's
tie-break order (price, provider, region, zone, instance type), so a row's
position *is* its tie-break rank and the cheapest-first scan is a plain walk.
Strategies that rank by interruption first get their own pre-ordered views.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from operator import attrgetter
from types import MappingProxyType
from typing import Any, Final

import numpy as np
import numpy.typing as npt

from spotarb.core.gpus import is_gpu
from spotarb.core.models import SpotPrice, utcnow

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.integer[Any]]
BoolArray = npt.NDArray[np.bool_]

#: Monthly interruption rate assumed when a row has none (the seed's 0.1).
DEFAULT_INTERRUPTION_RATE: Final = 0.1
#: Upper bounds of the interruption bands (<5%, 5–10%, 10–15%, 15–20%, >20%).
BAND_EDGES: Final[tuple[float, ...]] = (0.05, 0.10, 0.15, 0.20)
UNKNOWN_BAND: Final = len(BAND_EDGES) + 1
HOURS_PER_MONTH: Final = 730.0
#: Keys closer than this count as equal (ties); keys are compared on this grid.
TIE_EPSILON: Final = 1e-9


def quantize(values: FloatArray) -> FloatArray:
    """Round keys to the tie grid (infinities stay infinite)."""
    return np.rint(values / TIE_EPSILON)


def quantize_one(value: float) -> float:
    if math.isinf(value):
        return value
    return float(round(value / TIE_EPSILON))


def hazard(rate: float | None) -> float:
    """Hourly interruption hazard from a monthly rate: −ln(1 − r)/730 (0.1 when unknown)."""
    r = DEFAULT_INTERRUPTION_RATE if rate is None else rate
    if r >= 1.0:
        return math.inf
    return -math.log(1.0 - r) / HOURS_PER_MONTH


def band_of(rate: float | None) -> int:
    if rate is None:
        return UNKNOWN_BAND
    for band, edge in enumerate(BAND_EDGES):
        if rate <= edge:
            return band
    return len(BAND_EDGES)


#: Snapshot order = tie-break order.
_TIE_ORDER: Final = attrgetter(
    "price_per_hour", "provider", "region", "availability_zone", "instance_type"
)
_COLUMNS: Final = attrgetter(
    "price_per_hour", "vcpu", "memory_gb", "gpu_count", "gpu_type", "arch",
    "network_bandwidth_gbps", "interruption_rate", "collected_at", "provider", "region",
)  # fmt: skip


def _readonly(array: npt.NDArray[np.generic]) -> None:
    array.flags.writeable = False


def _codes(values: Sequence[Any]) -> tuple[tuple[str, ...], dict[str, int], IntArray]:
    names = tuple(sorted(set(values)))
    index = {name: i for i, name in enumerate(names)}
    codes = np.fromiter((index[v] for v in values), dtype=np.int64, count=len(values))
    return names, index, codes


def _opt(values: Iterable[Any]) -> FloatArray:
    return np.array([math.nan if v is None else v for v in values], dtype=np.float64)


@dataclass(frozen=True, slots=True, eq=False)
class PriceSnapshot:
    """Read-only columns of current Linux spot prices, cheapest first."""

    rows: tuple[SpotPrice, ...]
    price: FloatArray
    vcpu: FloatArray
    memory_gb: FloatArray
    gpu_count: IntArray
    gpu_code: IntArray
    is_gpu: BoolArray
    arch_code: IntArray
    bandwidth: FloatArray
    rate: FloatArray
    rate_known: BoolArray
    collected_ts: FloatArray
    provider_code: IntArray
    region_code: IntArray
    #: 100·(1 − r), r = 0.1 when unknown (the seed's availability score).
    availability: FloatArray
    #: Hourly hazard λ = −ln(1 − r)/730, r = 0.1 when unknown.
    hazard: FloatArray
    #: Suffix bounds over price order (for early stop): max availability, min vCPU/memory
    #: over rows ``i:``.
    suffix_max_availability: FloatArray
    suffix_min_vcpu: FloatArray
    suffix_min_memory: FloatArray
    #: Positions ordered by (interruption rate on the tie grid, unknown last; position).
    by_rate: IntArray
    #: Positions ordered by (interruption band, unknown last; position).
    by_band: IntArray
    providers: tuple[str, ...]
    provider_index: Mapping[str, int]
    regions: tuple[str, ...]
    region_index: Mapping[str, int]
    gpu_types: tuple[str, ...]
    gpu_index: Mapping[str, int]
    arches: tuple[str, ...]
    built_at: datetime
    data_version: int | None
    dropped_duplicates: int
    oldest_collected_at: datetime | None
    newest_collected_at: datetime | None

    def __len__(self) -> int:
        return len(self.rows)

    @classmethod
    def from_prices(
        cls, prices: Iterable[SpotPrice], *, data_version: int | None = None
    ) -> PriceSnapshot:
        """Snapshot ``prices``: Linux rows only, one row per key (the latest observed wins)."""
        latest: dict[tuple[str, str, str, str, str], SpotPrice] = {}
        seen = 0
        for row in prices:
            if row.os != "linux":
                continue
            seen += 1
            key = row.key
            old = latest.get(key)
            if old is None or (row.observed_at, row.collected_at) >= (
                old.observed_at,
                old.collected_at,
            ):
                latest[key] = row
        rows = tuple(sorted(latest.values(), key=_TIE_ORDER))
        n = len(rows)
        columns = list(zip(*map(_COLUMNS, rows), strict=True)) if n else [()] * 11
        (
            prices_col, vcpu_col, memory_col, gpus_col, gpu_col, arch_col, bandwidth_col,
            rate_col, collected_col, provider_col, region_col,
        ) = columns  # fmt: skip
        price = np.array(prices_col, dtype=np.float64)
        vcpu = np.array(vcpu_col, dtype=np.float64)
        memory = np.array(memory_col, dtype=np.float64)
        gpu_count = np.array(gpus_col, dtype=np.int64)
        gpu_names = [g or "" for g in gpu_col]
        gpu_types, gpu_index, gpu_code = _codes(gpu_names)
        if "" in gpu_index:
            gpu_code = np.where(gpu_code == gpu_index[""], -1, gpu_code)
        gpu_flags = np.array([is_gpu(name) for name in gpu_types], dtype=np.bool_)
        is_gpu_row = gpu_flags[gpu_code] & (gpu_code >= 0) if n else np.zeros(0, np.bool_)
        arches, _, arch_code = _codes(arch_col)
        bandwidth = _opt(bandwidth_col)
        rate = _opt(rate_col)
        rate_known = ~np.isnan(rate)
        stamps = {when: when.timestamp() for when in set(collected_col)}
        collected = np.array([stamps[when] for when in collected_col], dtype=np.float64)
        providers, provider_index, provider_code = _codes(provider_col)
        regions, region_index, region_code = _codes(region_col)
        # Narrow integer columns: equality scans over int8/int16 are several times faster.
        provider_code = provider_code.astype(np.int8)
        arch_code = arch_code.astype(np.int8)
        region_code = region_code.astype(np.int16 if len(regions) < 32000 else np.int32)
        gpu_code = gpu_code.astype(np.int16)
        gpu_count = gpu_count.astype(np.int16)
        filled = np.where(rate_known, rate, DEFAULT_INTERRUPTION_RATE)
        availability = 100.0 * (1.0 - filled)
        hazards = {r: hazard(r) for r in set(rate_col)}
        lam = np.array([hazards[r] for r in rate_col], dtype=np.float64)
        position = np.arange(n, dtype=np.int64)
        rate_key = np.where(rate_known, quantize(np.where(rate_known, rate, 0.0)), np.inf)
        by_rate = np.lexsort((position, rate_key)).astype(np.int64)
        band = np.where(
            rate_known,
            np.searchsorted(np.array(BAND_EDGES), np.where(rate_known, rate, 0.0), side="left"),
            UNKNOWN_BAND,
        )
        by_band = np.lexsort((position, band)).astype(np.int64)
        suffix_avail = np.maximum.accumulate(availability[::-1])[::-1].copy()
        suffix_vcpu = np.minimum.accumulate(vcpu[::-1])[::-1].copy()
        suffix_mem = np.minimum.accumulate(memory[::-1])[::-1].copy()
        arrays = (
            price, vcpu, memory, gpu_count, gpu_code, is_gpu_row, arch_code, bandwidth, rate,
            rate_known, collected, provider_code, region_code, availability, lam, by_rate, by_band,
            suffix_avail, suffix_vcpu, suffix_mem,
        )  # fmt: skip
        for array in arrays:
            _readonly(array)
        return cls(
            rows=rows,
            price=price,
            vcpu=vcpu,
            memory_gb=memory,
            gpu_count=gpu_count,
            gpu_code=gpu_code,
            is_gpu=is_gpu_row,
            arch_code=arch_code,
            bandwidth=bandwidth,
            rate=rate,
            rate_known=rate_known,
            collected_ts=collected,
            provider_code=provider_code,
            region_code=region_code,
            availability=availability,
            hazard=lam,
            suffix_max_availability=suffix_avail,
            suffix_min_vcpu=suffix_vcpu,
            suffix_min_memory=suffix_mem,
            by_rate=by_rate,
            by_band=by_band,
            providers=providers,
            provider_index=MappingProxyType(provider_index),
            regions=regions,
            region_index=MappingProxyType(region_index),
            gpu_types=gpu_types,
            gpu_index=MappingProxyType(gpu_index),
            arches=arches,
            built_at=utcnow(),
            data_version=data_version,
            dropped_duplicates=seen - n,
            oldest_collected_at=min(stamps, default=None),
            newest_collected_at=max(stamps, default=None),
        )

    def region_mask(self, names: Iterable[str]) -> BoolArray:
        """Rows whose region is one of ``names`` (unknown names match nothing)."""
        codes = [self.region_index[name] for name in names if name in self.region_index]
        return code_mask(self.region_code, codes, len(self.regions))

    def provider_mask(self, names: Iterable[str]) -> BoolArray:
        codes = [self.provider_index[name] for name in names if name in self.provider_index]
        return code_mask(self.provider_code, codes, len(self.providers))


def code_mask(column: IntArray, codes: Sequence[int], size: int) -> BoolArray:
    """``column`` is one of ``codes``: a few equality tests, or a table lookup for many."""
    if not codes:
        return np.zeros(column.shape[0], dtype=np.bool_)
    if len(codes) <= 4:
        mask: BoolArray = column == codes[0]
        for code in codes[1:]:
            mask |= column == code
        return mask
    table = np.zeros(size + 1, dtype=np.bool_)
    table[list(codes)] = True
    result: BoolArray = table[column]
    return result
