"""Composed prices → normalized :class:`SpotPrice` rows (per zone or per region)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any, Final

from spotarb.core.gpus import canonical_gpu
from spotarb.core.models import SpotPrice
from spotarb.feeds.gcp.compose import SLICE_GPUS, Composed, Missing, compose
from spotarb.feeds.gcp.machine_types import (
    N1_GPU_ACCELERATOR,
    N1_GPU_LIMITS,
    MachineType,
    billing_family,
    n1_gpu_shapes,
    zone_region,
)
from spotarb.feeds.gcp.network import bandwidth_gbps
from spotarb.feeds.gcp.skus import RateBook

SOURCE: Final = "gcp-billing-catalog"

#: GPU key → memory per GPU in GiB.
GPU_MEMORY_GB: Final[dict[str, float]] = {
    "t4": 16,
    "v100": 16,
    "p100": 16,
    "p4": 8,
    "k80": 12,
    "a100": 40,
    "a100-80gb": 80,
    "h100-80gb": 80,
    "h100-mega-80gb": 80,
    "h200-141gb": 141,
    "b200": 180,
    "l4": 24,
}

_ARM_FAMILIES: Final = frozenset({"t2a", "c4a"})


@dataclass(slots=True)
class BuildReport:
    counts: dict[str, int] = field(default_factory=dict)
    #: Regions that got at least one row.
    regions: set[str] = field(default_factory=set)

    def count(self, name: str, n: int = 1) -> None:
        self.counts[name] = self.counts.get(name, 0) + n


def with_n1_gpus(
    shapes: list[MachineType], accelerators: Mapping[str, Mapping[str, int]] | None
) -> list[MachineType]:
    """Add N1 + attached GPU shapes; with per-zone data, only zones offering the GPU."""
    n1 = [s for s in shapes if s.name.startswith("n1-") and not s.shared_cpu]
    out = list(shapes)
    for gpu in N1_GPU_LIMITS:
        for shape in n1_gpu_shapes(n1, gpu):
            if accelerators is not None:
                acc = N1_GPU_ACCELERATOR[gpu]
                zones = tuple(
                    z for z in shape.zones if accelerators.get(z, {}).get(acc, 0) >= shape.gpu_count
                )
                if not zones:
                    continue
                shape = replace(shape, zones=zones)
            out.append(shape)
    return out


def families_without_shapes(book: RateBook, shapes: Iterable[MachineType]) -> list[str]:
    """Families with spot core rates but no machine type to compose: reported, not guessed."""
    with_rates = {key for (resource, key, spot) in book.rates if resource == "core" and spot}
    covered = {billing_family(s.base or s.name) for s in shapes}
    return sorted(with_rates - covered)


def _candidate_regions(shape: MachineType, book: RateBook) -> set[str]:
    """Regions where the type's first component has a spot rate (built-in shapes)."""
    family = billing_family(shape.base or shape.name)
    if family in ("f1", "g1"):
        return book.regions("instance", family, True)
    if shape.gpu in SLICE_GPUS:
        return book.regions("slice", shape.gpu, True)
    return book.regions("core", family, True)


def build_prices(
    book: RateBook,
    shapes: Iterable[MachineType],
    *,
    regions: set[str] | None,
    collected_at: datetime,
    report: BuildReport,
) -> list[SpotPrice]:
    """One row per (type, zone) for zonal shapes, per (type, region) for built-in ones."""
    rows: list[SpotPrice] = []
    for shape in shapes:
        by_region: dict[str, list[str]] = {}
        if shape.zones:
            for zone in shape.zones:
                by_region.setdefault(zone_region(zone), []).append(zone)
        else:
            by_region = {region: [""] for region in _candidate_regions(shape, book)}
        gpu_type = gpu_memory = None
        if shape.gpu_count and shape.gpu:
            gpu_type = canonical_gpu(f"nvidia-{shape.gpu}")
            memory = GPU_MEMORY_GB.get(shape.gpu)
            gpu_memory = float(memory) if memory is not None else None
        family = billing_family(shape.base or shape.name)
        arch = "arm64" if family in _ARM_FAMILIES else "x86_64"
        network = bandwidth_gbps(shape.name, shape.vcpu)
        for region, zones in sorted(by_region.items()):
            if regions is not None and region not in regions:
                continue
            spot = compose(shape, region, book, spot=True)
            if isinstance(spot, Missing):
                report.count(f"no-price-missing-{spot.component.split(':')[0]}")
                continue
            on_demand = compose(shape, region, book, spot=False)
            od_price = float(on_demand.price) if isinstance(on_demand, Composed) else None
            observed = spot.effective or collected_at
            common: dict[str, Any] = {
                "provider": "gcp",
                "region": region,
                "instance_type": shape.name,
                "vcpu": float(shape.vcpu),
                "memory_gb": float(shape.memory_gib),
                "price_per_hour": float(spot.price),
                "gpu_count": shape.gpu_count,
                "gpu_type": gpu_type,
                "gpu_memory_gb": gpu_memory,
                "arch": arch,
                "network_bandwidth_gbps": network,
                "on_demand_price_per_hour": od_price,
                "interruption_rate": None,
                "interruption_source": None,
                "source": SOURCE,
                "observed_at": observed,
                "collected_at": collected_at,
            }
            rows.extend(SpotPrice(availability_zone=zone, **common) for zone in zones)
            report.regions.add(region)
    report.count("rows", len(rows))
    return rows
