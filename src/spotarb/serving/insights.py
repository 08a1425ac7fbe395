"""Derived views of a snapshot: best options per common shape, and cross-cloud arbitrage.

Both are computed on the fresh snapshot after every write (and when prices age
out); with ``allow_stale`` on every row, once per state when first asked.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final

import numpy as np

from spotarb.core.errors import ConfigError, NoPlacementError, SpotArbError
from spotarb.core.gpus import GPU_IDS, require_gpu
from spotarb.core.models import PROVIDERS, SpotPrice
from spotarb.placement import PlacementDecision, PriceSnapshot, WorkloadRequirements
from spotarb.placement.engine import place

#: CPU tiers (vCPU) of the default shapes and of the arbitrage table; 4 GiB per vCPU.
CPU_TIERS: Final[tuple[int, ...]] = (2, 4, 8, 16, 32, 64)
GIB_PER_VCPU: Final = 4.0
GPU_COUNTS: Final[tuple[int, ...]] = (1, 4, 8)


@dataclass(frozen=True, slots=True)
class Shape:
    """A common workload shape: ``cpu:<vcpu>[:<GiB>]`` or ``gpu:<type>:<count>``."""

    name: str
    min_cpu: float = 0.0
    min_memory_gb: float = 0.0
    gpu_type: str | None = None
    gpu_count: int = 0

    @property
    def match(self) -> str:
        """How offers are compared: GPU shapes only on machines with exactly ``gpu_count``
        of that GPU (an 8-GPU machine is no 1-GPU offer); CPU shapes on the cheapest
        machine with at least the vCPU and memory."""
        return "exactGpuCount" if self.gpu_type is not None else "atLeast"

    def requirements(self, providers: tuple[str, ...] = ()) -> WorkloadRequirements:
        return WorkloadRequirements(
            min_cpu=self.min_cpu,
            min_memory_gb=self.min_memory_gb,
            gpu_type=self.gpu_type,
            gpu_count=self.gpu_count or None,
            providers=providers,
            alternatives=0,
        )


def parse_shape(text: str) -> Shape:
    """``cpu:8`` (8 vCPU, 32 GiB), ``cpu:8:16`` or ``gpu:a100:4``; ConfigError if malformed."""
    parts = [p.strip() for p in text.strip().split(":")]
    try:
        if parts[0] == "cpu" and len(parts) in (2, 3):
            vcpu = float(parts[1])
            memory = float(parts[2]) if len(parts) == 3 else vcpu * GIB_PER_VCPU
            if not (0 < vcpu < 1e6 and 0 <= memory < 1e8):
                raise ValueError("out of range")
            return Shape(f"cpu:{vcpu:g}:{memory:g}", min_cpu=vcpu, min_memory_gb=memory)
        if parts[0] == "gpu" and len(parts) == 3:
            gpu = require_gpu(parts[1], "best_option_shapes")
            count = int(parts[2])
            if not 1 <= count <= 64:
                raise ValueError("GPU count out of range")
            return Shape(f"gpu:{gpu}:{count}", gpu_type=gpu, gpu_count=count)
    except (ValueError, SpotArbError) as exc:
        raise ConfigError(f"invalid shape {text!r}: {exc}") from None
    raise ConfigError(f"invalid shape {text!r}: use cpu:<vcpu>[:<GiB>] or gpu:<type>:<count>")


def default_shapes() -> list[Shape]:
    shapes = [parse_shape(f"cpu:{n}") for n in CPU_TIERS]
    shapes += [parse_shape(f"gpu:{gpu}:{n}") for gpu in GPU_IDS for n in GPU_COUNTS]
    return shapes


def shapes_from(settings_value: Sequence[str]) -> list[Shape]:
    return [parse_shape(s) for s in settings_value] if settings_value else default_shapes()


class ShapeNotPrecomputed(SpotArbError):
    """A best-options shape that is not among the configured ones."""


@dataclass(frozen=True, slots=True)
class ShapeOption:
    """The best place for one shape overall, and the best on each cloud (None: no offer)."""

    shape: Shape
    best: PlacementDecision | None
    per_provider: Mapping[str, PlacementDecision | None]
    #: Why there is no ``best`` (None when there is one).
    reason: str | None = None


@dataclass(frozen=True, slots=True)
class BestOptions:
    """Best options per shape, and the data they were computed on."""

    data_version: int
    computed_at: datetime
    stale_rows_excluded: int
    options: tuple[ShapeOption, ...]

    def only(self, name: str) -> BestOptions:
        """Just the shape named ``name`` (canonical); ShapeNotPrecomputed if not configured."""
        chosen = tuple(o for o in self.options if o.shape.name == name)
        if not chosen:
            configured = ", ".join(o.shape.name for o in self.options)
            raise ShapeNotPrecomputed(f"shape {name} is not precomputed; configured: {configured}")
        return BestOptions(self.data_version, self.computed_at, self.stale_rows_excluded, chosen)


@dataclass(frozen=True, slots=True)
class CapacityClass:
    """One capacity class: the cheapest offer on each cloud and the spread to the next."""

    name: str
    #: "cpu" (compared on $/hour) or "gpu" (compared on $/GPU-hour)
    kind: str
    metric: str
    cheapest_provider: str | None
    next_provider: str | None
    spread_pct: float | None
    per_cloud: Mapping[str, SpotPrice]


@dataclass(frozen=True, slots=True)
class ArbitrageTable:
    data_version: int
    computed_at: datetime
    stale_rows_excluded: int
    classes: tuple[CapacityClass, ...]


def _decision(snap: PriceSnapshot, req: WorkloadRequirements) -> PlacementDecision | None:
    try:
        return place(snap, req)
    except NoPlacementError:
        return None


def _exact_gpu(snap: PriceSnapshot, shape: Shape) -> PriceSnapshot:
    """The rows with exactly ``shape.gpu_count`` GPUs of ``shape.gpu_type`` (like for like)."""
    code = snap.gpu_index[str(shape.gpu_type)]
    positions = np.flatnonzero((snap.gpu_code == code) & (snap.gpu_count == shape.gpu_count))
    return PriceSnapshot.from_prices(
        (snap.rows[int(i)] for i in positions), data_version=snap.data_version
    )


def best_options(snap: PriceSnapshot, shapes: Sequence[Shape]) -> list[ShapeOption]:
    """Per shape: the best place overall (balanced strategy) and the best on each cloud."""
    out: list[ShapeOption] = []
    for shape in shapes:
        if shape.gpu_type is not None and shape.gpu_type not in snap.gpu_index:
            missing = f"no {shape.gpu_type} offers in the current data"
            out.append(ShapeOption(shape, None, dict.fromkeys(PROVIDERS), missing))
            continue
        pool = snap if shape.gpu_type is None else _exact_gpu(snap, shape)
        present = set(pool.providers)
        best = _decision(pool, shape.requirements())
        per_provider = {
            provider: (
                _decision(pool, shape.requirements((provider,))) if provider in present else None
            )
            for provider in PROVIDERS
        }
        reason = None
        if best is None:
            reason = (
                "no current offer meets this shape"
                if shape.gpu_type is None
                else f"no current offer with exactly {shape.gpu_count} × {shape.gpu_type}"
            )
        out.append(ShapeOption(shape, best, per_provider, reason))
    return out


def _class_entry(
    snap: PriceSnapshot, name: str, kind: str, mask: Any, metric: Any, metric_name: str
) -> CapacityClass:
    per_cloud: dict[str, SpotPrice] = {}
    ranked: list[tuple[float, str]] = []
    for provider, code in snap.provider_index.items():
        sub = mask & (snap.provider_code == code)
        if not np.any(sub):
            continue
        candidates = np.flatnonzero(sub)
        best = int(candidates[int(np.argmin(metric[candidates]))])
        per_cloud[provider] = snap.rows[best]
        ranked.append((float(metric[best]), provider))
    ranked.sort()
    spread = None
    if len(ranked) >= 2 and ranked[0][0] > 0:
        spread = 100.0 * (ranked[1][0] - ranked[0][0]) / ranked[0][0]
    return CapacityClass(
        name=name,
        kind=kind,
        metric=metric_name,
        cheapest_provider=ranked[0][1] if ranked else None,
        next_provider=ranked[1][1] if len(ranked) >= 2 else None,
        spread_pct=spread,
        per_cloud=per_cloud,
    )


def arbitrage(snap: PriceSnapshot) -> list[CapacityClass]:
    """Per capacity class: the cheapest offer on each cloud and the spread to the next cloud.

    GPU classes (one per GPU type present) compare $/GPU-hour; CPU tiers (n vCPU and
    4·n GiB or more, no GPU) compare the hourly price of the cheapest machine that fits.
    """
    out: list[CapacityClass] = []
    if len(snap) == 0:
        return out
    no_gpu = ~snap.is_gpu & (snap.gpu_code < 0)
    for tier in CPU_TIERS:
        mask = no_gpu & (snap.vcpu >= tier) & (snap.memory_gb >= tier * GIB_PER_VCPU)
        if np.any(mask):
            out.append(
                _class_entry(
                    snap,
                    f"cpu:{tier}:{tier * GIB_PER_VCPU:g}",
                    "cpu",
                    mask,
                    snap.price,
                    "pricePerHour",
                )
            )
    with np.errstate(divide="ignore", invalid="ignore"):
        per_gpu = np.where(snap.gpu_count > 0, snap.price / np.maximum(snap.gpu_count, 1), np.inf)
    for gpu, code in sorted(snap.gpu_index.items()):
        if not gpu:
            continue
        mask = (snap.gpu_code == code) & snap.is_gpu
        if np.any(mask):
            out.append(_class_entry(snap, f"gpu:{gpu}", "gpu", mask, per_gpu, "pricePerGpuHour"))
    return out
