"""The columnar, immutable snapshot of current prices that the engine queries.

Built once from plain rows (:meth:`PriceSnapshot.from_rows`, what the store reads) or
any iterable of :class:`SpotPrice`, and shared by
every request: all arrays are read-only, nothing mutates after construction, so
one snapshot can serve many threads at once. Rows are sorted by the engine's
tie-break order (price, provider, region, zone, instance type), so a row's
position *is* its tie-break rank and the cheapest-first scan is a plain walk.
Strategies that rank by interruption first get their own pre-ordered views.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from operator import itemgetter
from types import MappingProxyType
from typing import Any, Final, overload

import numpy as np
import numpy.typing as npt

from spotarb.core.codes import distinct_codes
from spotarb.core.gpus import is_gpu
from spotarb.core.models import SpotPrice, utcnow
from spotarb.core.rows import PRICE_COLUMNS, Row, from_row, to_rows

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.integer[Any]]
BoolArray = npt.NDArray[np.bool_]

#: Monthly interruption rate assumed when a row has none.
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


def _readonly(array: npt.NDArray[np.generic]) -> None:
    array.flags.writeable = False


_AT: Final = {name: i for i, name in enumerate(PRICE_COLUMNS)}
_GET: Final = {name: itemgetter(i) for name, i in _AT.items()}


def _codes(rows: Sequence[Row], name: str) -> tuple[tuple[str, ...], IntArray]:
    """A text column as codes: the sorted distinct values, and each row's rank among them."""
    names, codes = distinct_codes(rows, _GET[name], ordered=True)
    return tuple(names), codes


def _numbers(rows: Sequence[Row], name: str) -> FloatArray:
    """A column that is never empty, as floats."""
    return np.fromiter(map(_GET[name], rows), dtype=np.float64, count=len(rows))


def _floats(values: Sequence[Any]) -> FloatArray:
    """A few values as floats, ``None`` → NaN."""
    return np.array([math.nan if v is None else float(v) for v in values], dtype=np.float64)


#: The columns that describe an instance's shape and risk rather than its place or price.
SHAPE_COLUMNS: Final = (
    "vcpu", "memory_gb", "gpu_count", "gpu_type", "gpu_memory_gb", "arch",
    "network_bandwidth_gbps", "interruption_rate",
)  # fmt: skip
_SHAPE: Final = itemgetter(*(_AT[name] for name in SHAPE_COLUMNS))


@dataclass(frozen=True, slots=True)
class _Shapes:
    """The distinct shapes of a set of rows, one tuple per column (see SHAPE_COLUMNS)."""

    vcpu: tuple[float, ...]
    memory_gb: tuple[float, ...]
    gpu_count: tuple[int, ...]
    gpu_type: tuple[str | None, ...]
    gpu_memory_gb: tuple[float | None, ...]
    arch: tuple[str, ...]
    network_bandwidth_gbps: tuple[float | None, ...]
    interruption_rate: tuple[float | None, ...]


_PLACE: Final = itemgetter(_AT["provider"], _AT["region"], _AT["availability_zone"])


def _shapes(rows: Sequence[Row]) -> tuple[_Shapes, IntArray]:
    """The distinct shapes of ``rows`` (column by column) and each row's shape code."""
    distinct, codes = distinct_codes(rows, _SHAPE)
    columns = tuple(zip(*distinct, strict=True)) if distinct else ((),) * len(SHAPE_COLUMNS)
    return _Shapes(*columns), codes


class SnapshotRows(Sequence[SpotPrice]):
    """The snapshot's rows in snapshot order; a :class:`SpotPrice` is built on access.

    Holds the input rows and the snapshot order (no reordered copy): only the few rows
    a decision shows are ever turned into objects.
    """

    __slots__ = ("_order", "_rows", "_times")

    def __init__(self, rows: tuple[Row, ...], order: IntArray) -> None:
        self._rows = rows
        self._order = order
        self._times: dict[str, datetime] = {}

    def tuple_at(self, index: int) -> Row:
        """The plain row at snapshot position ``index``."""
        return self._rows[self._order[index]]

    def tuples_at(self, positions: IntArray) -> list[Row]:
        """The plain rows at several snapshot positions, in that order."""
        rows = self._rows
        return [rows[i] for i in self._order[positions].tolist()]

    def time(self, text: str) -> datetime:
        """A row's ISO timestamp as a datetime (parsed once per distinct text)."""
        when = self._times.get(text)
        if when is None:
            when = self._times.setdefault(text, datetime.fromisoformat(text))
        return when

    @property
    def tuples(self) -> tuple[Row, ...]:
        """Every plain row (:data:`~spotarb.core.rows.PRICE_COLUMNS` order), in snapshot order."""
        return tuple(map(self._rows.__getitem__, self._order.tolist()))

    def __len__(self) -> int:
        return len(self._order)

    @overload
    def __getitem__(self, index: int) -> SpotPrice: ...
    @overload
    def __getitem__(self, index: slice) -> Sequence[SpotPrice]: ...
    def __getitem__(self, index: int | slice) -> SpotPrice | Sequence[SpotPrice]:
        rows, times = self._rows, self._times
        if isinstance(index, slice):
            return [from_row(rows[i], times) for i in self._order[index].tolist()]
        return from_row(rows[self._order[index]], times)

    def __iter__(self) -> Iterator[SpotPrice]:
        rows, times = self._rows, self._times
        for i in self._order.tolist():
            yield from_row(rows[i], times)


@dataclass(frozen=True, slots=True, eq=False)
class PriceSnapshot:
    """Read-only columns of current Linux spot prices, cheapest first."""

    rows: SnapshotRows
    price: FloatArray
    vcpu: FloatArray
    memory_gb: FloatArray
    gpu_count: IntArray
    gpu_code: IntArray
    is_gpu: BoolArray
    #: GPU memory per GPU, GiB (NaN when unknown or no GPU).
    gpu_memory_gb: FloatArray
    arch_code: IntArray
    bandwidth: FloatArray
    rate: FloatArray
    rate_known: BoolArray
    collected_ts: FloatArray
    provider_code: IntArray
    region_code: IntArray
    #: Rank of the row's (provider, region, zone) among the snapshot's, in name order.
    zone_code: IntArray
    type_code: IntArray
    #: 100·(1 − r), r = 0.1 when unknown (the weighted and balanced availability score).
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
    instance_types: tuple[str, ...]
    gpu_types: tuple[str, ...]
    gpu_index: Mapping[str, int]
    arches: tuple[str, ...]
    built_at: datetime
    data_version: int | None
    dropped_duplicates: int
    oldest_collected_at: datetime | None
    newest_collected_at: datetime | None
    #: Pattern → matching codes, resolved once per distinct pattern set (see :meth:`matching`).
    _resolved: dict[tuple[str, tuple[str, ...]], tuple[int, ...]] = field(
        default_factory=dict, repr=False
    )

    def __len__(self) -> int:
        return len(self.rows)

    @classmethod
    def from_prices(
        cls, prices: Iterable[SpotPrice], *, data_version: int | None = None
    ) -> PriceSnapshot:
        """Snapshot ``prices``: Linux rows only, one row per key (the latest observed wins)."""
        return cls.from_rows(to_rows(prices), data_version=data_version)

    @classmethod
    def from_rows(cls, rows: Sequence[Row], *, data_version: int | None = None) -> PriceSnapshot:
        """Snapshot plain rows (:data:`~spotarb.core.rows.PRICE_COLUMNS` order, ISO timestamps).

        Linux rows only, one row per key: of rows sharing a key, the one with the latest
        ``(observed_at, collected_at)`` wins, the later one in ``rows`` on a tie. No
        object is built per row: text columns become codes in one dictionary pass, and the
        columns that repeat (place, instance shape) are converted once per distinct value.
        """
        if set(map(_GET["os"], rows)) - {"linux"}:
            rows = tuple(row for row in rows if row[_AT["os"]] == "linux")
        elif not isinstance(rows, tuple):
            rows = tuple(rows)
        n = len(rows)
        # (provider, region, zone) repeat too: codes per distinct place, in key order.
        places, place_code = distinct_codes(rows, _PLACE, ordered=True)
        providers = tuple(sorted({place[0] for place in places}))
        regions = tuple(sorted({place[1] for place in places}))
        provider_of = {name: i for i, name in enumerate(providers)}
        region_of = {name: i for i, name in enumerate(regions)}
        place_provider = np.array([provider_of[p[0]] for p in places], np.int8)
        place_region = np.array([region_of[p[1]] for p in places], np.int32)
        instance_types, type_code = _codes(rows, "instance_type")
        price = _numbers(rows, "price_per_hour")
        collected_text = list(map(_GET["collected_at"], rows))
        stamps = _timestamps(rows, collected_text)
        order = _unique_latest(rows, stamps, price, (place_code, type_code))
        _readonly(order)
        # The instance's attributes and interruption rate repeat across regions and zones:
        # each distinct combination ("shape") is converted once, then spread by code.
        shape, shape_code = _shapes(rows)
        shape_code = shape_code[order]
        place_code = place_code[order]
        gpu_names = tuple(sorted({g for g in shape.gpu_type if g}))
        gpu_lookup: dict[str | None, int] = {
            **{name: i for i, name in enumerate(gpu_names)},
            None: -1,
            "": -1,
        }
        gpu_code = np.array([gpu_lookup[g] for g in shape.gpu_type], np.int64)[shape_code]
        gpu_flags = np.array([is_gpu(name) for name in gpu_names] + [False], dtype=np.bool_)
        arches = tuple(sorted(set(shape.arch)))
        arch_index = {name: i for i, name in enumerate(arches)}
        arch_code = np.array([arch_index[a] for a in shape.arch], np.int8)[shape_code]
        rates = shape.interruption_rate
        collected = np.fromiter(map(stamps.__getitem__, collected_text), np.float64, n)[order]
        used = (float(collected.min()), float(collected.max())) if order.size else None
        return cls._assemble(
            rows=SnapshotRows(rows, order),
            price=price[order],
            vcpu=_floats(shape.vcpu)[shape_code],
            memory_gb=_floats(shape.memory_gb)[shape_code],
            gpu_count=_floats(shape.gpu_count)[shape_code].astype(np.int16),
            gpu_code=gpu_code.astype(np.int16),
            is_gpu=gpu_flags[gpu_code],  # code -1 reads the trailing False
            gpu_memory_gb=_floats(shape.gpu_memory_gb)[shape_code],
            arch_code=arch_code,
            bandwidth=_floats(shape.network_bandwidth_gbps)[shape_code],
            rate=_floats(rates)[shape_code],
            # exactly what the reference computes, once per distinct rate
            hazard=np.array([hazard(r) for r in rates], np.float64)[shape_code],
            collected_ts=collected,
            # Narrow integer columns: equality scans over int8/int16 are several times faster.
            provider_code=place_provider[place_code],
            zone_code=place_code,
            region_code=place_region[place_code].astype(
                np.int16 if len(regions) < 32000 else np.int32
            ),
            type_code=type_code[order].astype(np.int32),
            providers=providers,
            regions=regions,
            instance_types=instance_types,
            gpu_types=gpu_names,
            arches=arches,
            data_version=data_version,
            dropped_duplicates=n - int(order.size),
            oldest_collected_at=_text_at(stamps, used[0]) if used else None,
            newest_collected_at=_text_at(stamps, used[1]) if used else None,
        )

    @classmethod
    def _assemble(cls, **columns: Any) -> PriceSnapshot:
        """Add the derived columns (scores, hazards, views, bounds), freeze every array."""
        rate: FloatArray = columns["rate"]
        rate_known = ~np.isnan(rate)
        filled = np.where(rate_known, rate, DEFAULT_INTERRUPTION_RATE)
        availability = 100.0 * (1.0 - filled)
        rate_key = np.where(rate_known, quantize(np.where(rate_known, rate, 0.0)), np.inf)
        band = np.where(
            rate_known,
            np.searchsorted(np.array(BAND_EDGES), np.where(rate_known, rate, 0.0), side="left"),
            UNKNOWN_BAND,
        )
        vcpu, memory = columns["vcpu"], columns["memory_gb"]
        derived: dict[str, Any] = {
            "rate_known": rate_known,
            "availability": availability,
            # Stable sorts: equal keys keep snapshot (tie-break) order.
            "by_rate": np.argsort(rate_key, kind="stable").astype(np.int64),
            "by_band": np.argsort(band.astype(np.int8), kind="stable").astype(np.int64),
            "suffix_max_availability": np.maximum.accumulate(availability[::-1])[::-1].copy(),
            "suffix_min_vcpu": np.minimum.accumulate(vcpu[::-1])[::-1].copy(),
            "suffix_min_memory": np.minimum.accumulate(memory[::-1])[::-1].copy(),
        }
        for value in (*columns.values(), *derived.values()):
            if isinstance(value, np.ndarray):
                _readonly(value)
        names = {
            "provider_index": columns["providers"],
            "region_index": columns["regions"],
            "gpu_index": columns["gpu_types"],
        }
        indexes: dict[str, Any] = {
            key: MappingProxyType({name: i for i, name in enumerate(values)})
            for key, values in names.items()
        }
        return cls(
            **columns,
            **derived,
            **indexes,
            built_at=utcnow(),
        )

    def matching(
        self, kind: str, patterns: tuple[str, ...], names: tuple[str, ...], test: NameTest
    ) -> tuple[int, ...]:
        """Codes of ``names`` (a column's distinct values) that ``test(patterns, name)`` keeps.

        Resolved once per snapshot and pattern set: the answer depends on nothing else.
        """
        key = (kind, patterns)
        codes = self._resolved.get(key)
        if codes is None:
            codes = tuple(i for i, name in enumerate(names) if test(patterns, name))
            if len(self._resolved) >= _MAX_RESOLVED:
                self._resolved.clear()
            self._resolved[key] = codes
        return codes

    def region_mask(self, names: Iterable[str]) -> BoolArray:
        """Rows whose region is one of ``names`` (unknown names match nothing)."""
        codes = [self.region_index[name] for name in names if name in self.region_index]
        return code_mask(self.region_code, codes, len(self.regions))

    def provider_mask(self, names: Iterable[str]) -> BoolArray:
        codes = [self.provider_index[name] for name in names if name in self.provider_index]
        return code_mask(self.provider_code, codes, len(self.providers))


NameTest = Callable[[tuple[str, ...], str], bool]
_MAX_RESOLVED: Final = 1024


def _text_at(stamps: dict[str, float], when: float) -> datetime:
    """The datetime of the timestamp text whose epoch seconds are ``when``."""
    text = next(text for text, stamp in stamps.items() if stamp == when)
    return datetime.fromisoformat(text).astimezone(UTC)


def _timestamps(rows: Sequence[Row], collected: list[str]) -> dict[str, float]:
    """Epoch seconds of every distinct timestamp text in ``rows`` (a handful per batch)."""
    texts = set(map(_GET["observed_at"], rows)) | set(collected)
    return {text: datetime.fromisoformat(text).timestamp() for text in texts}


def _unique_latest(
    rows: Sequence[Row],
    stamps: dict[str, float],
    price: FloatArray,
    key_codes: tuple[IntArray, ...],
) -> IntArray:
    """Positions of the rows kept (one per key, the latest observation), in tie-break order."""
    n = len(rows)
    if n == 0:
        return np.empty(0, dtype=np.int64)
    # Codes are ranks of sorted distinct names, so this one integer orders like the key.
    key = np.zeros(n, dtype=np.int64)
    for column in key_codes:
        key = key * (int(column.max()) + 1) + column
    by_key = np.argsort(key)  # keys are unique unless repeated, so no need for a stable sort
    sorted_keys = key[by_key]
    if not np.any(sorted_keys[1:] == sorted_keys[:-1]):
        # Stable by price over key order: equal prices stay in key order.
        result: IntArray = by_key[np.argsort(price[by_key], kind="stable")]
        return result
    observed = np.fromiter(map(stamps.__getitem__, map(_GET["observed_at"], rows)), np.float64, n)
    collected = np.fromiter(map(stamps.__getitem__, map(_GET["collected_at"], rows)), np.float64, n)
    # Within a key: latest (observed, collected), then the later row in input order.
    by_key = np.lexsort((np.arange(n), collected, observed, key))
    sorted_keys = key[by_key]
    last = np.ones(n, dtype=np.bool_)
    last[:-1] = sorted_keys[1:] != sorted_keys[:-1]
    kept = by_key[last]
    result = kept[np.lexsort((key[kept], price[kept]))]
    return result


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
