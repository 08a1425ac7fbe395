"""Derived views of a snapshot: best options per common shape, and cross-cloud arbitrage.

Both are recomputed after every write (and when prices age out), then served
from the cache as ready-made JSON.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Final

import numpy as np

from spotarb.core.errors import ConfigError, NoPlacementError, SpotArbError
from spotarb.core.gpus import GPU_IDS, require_gpu
from spotarb.core.models import PROVIDERS
from spotarb.placement import PriceSnapshot, WorkloadRequirements
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

    def requirements(self, providers: tuple[str, ...] = ()) -> WorkloadRequirements:
        return WorkloadRequirements(
            min_cpu=self.min_cpu,
            min_memory_gb=self.min_memory_gb,
            gpu_type=self.gpu_type,
            gpu_count=self.gpu_count or None,
            providers=providers,
            alternatives=0,
        )

    def to_camel(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "minCPU": self.min_cpu,
            "minMemoryGB": self.min_memory_gb,
            "gpuType": self.gpu_type,
            "gpuCount": self.gpu_count,
        }


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


def _decision(snap: PriceSnapshot, req: WorkloadRequirements) -> dict[str, Any] | None:
    try:
        decision = place(snap, req)
    except NoPlacementError:
        return None
    out = decision.to_camel()
    out.pop("alternatives", None)
    out.pop("summary", None)
    out.pop("notes", None)
    return out


def best_options(snap: PriceSnapshot, shapes: Sequence[Shape]) -> list[dict[str, Any]]:
    """Per shape: the best place overall (balanced strategy) and the best on each cloud."""
    out: list[dict[str, Any]] = []
    present = set(snap.providers)
    for shape in shapes:
        entry: dict[str, Any] = {"shape": shape.to_camel(), "best": None, "perProvider": {}}
        if shape.gpu_type is not None and shape.gpu_type not in snap.gpu_index:
            entry["reason"] = f"no {shape.gpu_type} offers in the current data"
            entry["perProvider"] = dict.fromkeys(PROVIDERS)
            out.append(entry)
            continue
        entry["best"] = _decision(snap, shape.requirements())
        for provider in PROVIDERS:
            entry["perProvider"][provider] = (
                _decision(snap, shape.requirements((provider,))) if provider in present else None
            )
        if entry["best"] is None:
            entry["reason"] = "no current offer meets this shape"
        out.append(entry)
    return out


def _offer(snap: PriceSnapshot, pos: int) -> dict[str, Any]:
    row = snap.rows[pos]
    return {
        "provider": row.provider,
        "region": row.region,
        "availabilityZone": row.availability_zone,
        "instanceType": row.instance_type,
        "pricePerHour": row.price_per_hour,
        "vcpu": row.vcpu,
        "memoryGB": row.memory_gb,
        "gpuCount": row.gpu_count,
        "gpuType": row.gpu_type,
        "pricePerVcpuHour": row.price_per_hour / row.vcpu,
        "pricePerGpuHour": row.price_per_hour / row.gpu_count if row.gpu_count else None,
        "collectedAt": row.collected_at.isoformat(),
    }


def _class_entry(
    snap: PriceSnapshot, name: str, kind: str, mask: Any, metric: Any, metric_name: str
) -> dict[str, Any]:
    per_cloud: dict[str, Any] = {}
    ranked: list[tuple[float, str]] = []
    for provider, code in snap.provider_index.items():
        sub = mask & (snap.provider_code == code)
        if not np.any(sub):
            continue
        candidates = np.flatnonzero(sub)
        best = int(candidates[int(np.argmin(metric[candidates]))])
        offer = _offer(snap, best)
        per_cloud[provider] = offer
        ranked.append((float(metric[best]), provider))
    ranked.sort()
    spread = None
    if len(ranked) >= 2 and ranked[0][0] > 0:
        spread = 100.0 * (ranked[1][0] - ranked[0][0]) / ranked[0][0]
    return {
        "capacityClass": name,
        "kind": kind,
        "metric": metric_name,
        "cheapestProvider": ranked[0][1] if ranked else None,
        "nextProvider": ranked[1][1] if len(ranked) >= 2 else None,
        "spreadPct": spread,
        "perCloud": per_cloud,
    }


def arbitrage(snap: PriceSnapshot) -> list[dict[str, Any]]:
    """Per capacity class: the cheapest offer on each cloud and the spread to the next cloud.

    GPU classes (one per GPU type present) compare $/GPU-hour; CPU tiers (n vCPU and
    4·n GiB or more, no GPU) compare the hourly price of the cheapest machine that fits.
    """
    out: list[dict[str, Any]] = []
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


def _finite(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_finite(v) for v in value]
    return value


def dumps(value: Any) -> bytes:
    """Strict JSON bytes (non-finite floats become null)."""
    try:
        return json.dumps(value, separators=(",", ":"), allow_nan=False).encode()
    except ValueError:
        return json.dumps(_finite(value), separators=(",", ":"), allow_nan=False).encode()
