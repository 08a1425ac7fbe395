"""Machine types: shapes from the Compute API (per zone) or a built-in table (regional).

The built-in table is derived from GCP's naming rules per family
(``n2-standard-N`` = N vCPU / 4N GiB, ``n2-highmem-N`` = 8N GiB, …) plus explicit
entries for families whose shapes do not follow a ratio (m1/m3, a2/a3/a4, g2,
shared-core). A name outside the rules is reported as unknown, never guessed.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import Any, Final

from spotarb.feeds.gcp.skus import gpu_key

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class MachineType:
    """One machine type's shape. ``zones`` is empty for built-in (regional) shapes."""

    name: str
    vcpu: float
    memory_gib: float
    gpu_count: int = 0
    #: GPU key as in :func:`spotarb.feeds.gcp.skus.gpu_key` (``a100-80gb``, ``l4``, …).
    gpu: str | None = None
    local_ssd_gib: int = 0
    shared_cpu: bool = False
    zones: tuple[str, ...] = ()
    #: For an N1 type with attached GPUs: the N1 type's own name.
    base: str | None = None


# --- ratio families ----------------------------------------------------------------
# family → kind → (GiB per vCPU, allowed vCPU counts)
_RATIO_RULES: Final[dict[str, dict[str, tuple[Decimal, tuple[int, ...]]]]] = {
    "e2": {
        "standard": (Decimal(4), (2, 4, 8, 16, 32)),
        "highmem": (Decimal(8), (2, 4, 8, 16)),
        "highcpu": (Decimal(1), (2, 4, 8, 16, 32)),
    },
    "n1": {
        "standard": (Decimal("3.75"), (1, 2, 4, 8, 16, 32, 64, 96)),
        "highmem": (Decimal("6.5"), (2, 4, 8, 16, 32, 64, 96)),
        "highcpu": (Decimal("0.9"), (2, 4, 8, 16, 32, 64, 96)),
    },
    "n2": {
        "standard": (Decimal(4), (2, 4, 8, 16, 32, 48, 64, 80, 96, 128)),
        "highmem": (Decimal(8), (2, 4, 8, 16, 32, 48, 64, 80, 96, 128)),
        "highcpu": (Decimal(1), (2, 4, 8, 16, 32, 48, 64, 80, 96)),
    },
    "n2d": {
        "standard": (Decimal(4), (2, 4, 8, 16, 32, 48, 64, 80, 96, 128, 224)),
        "highmem": (Decimal(8), (2, 4, 8, 16, 32, 48, 64, 80, 96)),
        "highcpu": (Decimal(1), (2, 4, 8, 16, 32, 48, 64, 80, 96, 128, 224)),
    },
    "c2": {"standard": (Decimal(4), (4, 8, 16, 30, 60))},
    "c2d": {
        "standard": (Decimal(4), (2, 4, 8, 16, 32, 56, 112)),
        "highmem": (Decimal(8), (2, 4, 8, 16, 32, 56, 112)),
        "highcpu": (Decimal(2), (2, 4, 8, 16, 32, 56, 112)),
    },
    "c3": {
        "standard": (Decimal(4), (4, 8, 22, 44, 88, 176)),
        "highmem": (Decimal(8), (4, 8, 22, 44, 88, 176)),
        "highcpu": (Decimal(2), (4, 8, 22, 44, 88, 176)),
    },
    "c3d": {
        "standard": (Decimal(4), (4, 8, 16, 30, 60, 90, 180, 360)),
        "highmem": (Decimal(8), (4, 8, 16, 30, 60, 90, 180, 360)),
        "highcpu": (Decimal(2), (4, 8, 16, 30, 60, 90, 180, 360)),
    },
    "n4": {
        "standard": (Decimal(4), (2, 4, 8, 16, 32, 48, 64, 80)),
        "highmem": (Decimal(8), (2, 4, 8, 16, 32, 48, 64, 80)),
        "highcpu": (Decimal(2), (2, 4, 8, 16, 32, 48, 64, 80)),
    },
}

#: ``-lssd`` variants: (family, kind) → vCPUs → bundled local SSD GiB.
_LSSD: Final[dict[tuple[str, str], dict[int, int]]] = {
    ("c3", "standard"): {4: 375, 8: 750, 22: 1500, 44: 3000, 88: 6000, 176: 12000},
    ("c3d", "standard"): {8: 375, 16: 375, 30: 750, 60: 1500, 90: 3000, 180: 6000, 360: 12000},
    ("c3d", "highmem"): {8: 375, 16: 375, 30: 750, 60: 1500, 90: 3000, 180: 6000, 360: 12000},
}

#: Shapes where GCP departs from the family ratio (GiB).
_MEMORY_EXCEPTIONS: Final[dict[str, float]] = {
    "n2-highmem-128": 864,
    "c3d-highcpu-30": 59,
    "c3d-highcpu-60": 118,
    "c3d-highcpu-90": 177,
    "c3d-highcpu-180": 354,
    "c3d-highcpu-360": 708,
}

_RATIO_NAME: Final = re.compile(r"^([a-z]\d[a-z]?)-(standard|highmem|highcpu)-(\d+)(-lssd)?$")

# --- explicit shapes ---------------------------------------------------------------
_SHARED: Final[dict[str, MachineType]] = {
    "e2-micro": MachineType("e2-micro", 2, 1, shared_cpu=True),
    "e2-small": MachineType("e2-small", 2, 2, shared_cpu=True),
    "e2-medium": MachineType("e2-medium", 2, 4, shared_cpu=True),
    "f1-micro": MachineType("f1-micro", 1, 0.6, shared_cpu=True),
    "g1-small": MachineType("g1-small", 1, 1.7, shared_cpu=True),
}

#: Fraction of a vCPU that a shared-core E2 type is billed for.
SHARED_CORE_FRACTION: Final[dict[str, Decimal]] = {
    "e2-micro": Decimal("0.25"),
    "e2-small": Decimal("0.5"),
    "e2-medium": Decimal(1),
}


def _explicit() -> dict[str, MachineType]:
    table: dict[str, MachineType] = dict(_SHARED)

    def add(name: str, vcpu: float, mem: float, gpus: int = 0, gpu: str | None = None,
            ssd: int = 0) -> None:  # fmt: skip
        table[name] = MachineType(name, vcpu, mem, gpus, gpu, ssd)

    for name, vcpu, mem in (
        ("m1-megamem-96", 96, 1433.6),
        ("m1-ultramem-40", 40, 961),
        ("m1-ultramem-80", 80, 1922),
        ("m1-ultramem-160", 160, 3844),
        ("m3-megamem-64", 64, 976),
        ("m3-megamem-128", 128, 1952),
        ("m3-ultramem-32", 32, 976),
        ("m3-ultramem-64", 64, 1952),
        ("m3-ultramem-128", 128, 3904),
    ):
        add(name, vcpu, mem)
    for n in (1, 2, 4, 8):
        add(f"a2-highgpu-{n}g", 12 * n, 85 * n, n, "a100")
        add(f"a2-ultragpu-{n}g", 12 * n, 170 * n, n, "a100-80gb", 375 * n)
        add(f"a3-highgpu-{n}g", 26 * n, 234 * n, n, "h100-80gb", 750 * n)
    add("a2-megagpu-16g", 96, 1360, 16, "a100")
    add("a3-megagpu-8g", 208, 1872, 8, "h100-mega-80gb", 6000)
    add("a3-ultragpu-8g", 224, 2952, 8, "h200-141gb", 12000)
    add("a4-highgpu-8g", 224, 3968, 8, "b200", 12000)
    for n, gpus in ((4, 1), (8, 1), (12, 1), (16, 1), (24, 2), (32, 1), (48, 4), (96, 8)):
        add(f"g2-standard-{n}", n, 4 * n, gpus, "l4")
    return table


_EXPLICIT: Final[dict[str, MachineType]] = _explicit()


def builtin_machine_type(name: str) -> MachineType | None:
    """The shape of a predefined type by GCP's naming rules; None when not covered."""
    explicit = _EXPLICIT.get(name)
    if explicit is not None:
        return explicit
    match = _RATIO_NAME.match(name)
    if not match:
        return None
    family, kind, n_text, lssd = match.groups()
    rule = _RATIO_RULES.get(family, {}).get(kind)
    if rule is None:
        return None
    ratio, sizes = rule
    n = int(n_text)
    if n not in sizes:
        return None
    ssd = 0
    if lssd:
        ssd_sizes = _LSSD.get((family, kind), {})
        if n not in ssd_sizes:
            return None
        ssd = ssd_sizes[n]
    base = name.removesuffix("-lssd")
    memory = _MEMORY_EXCEPTIONS.get(base, float(ratio * n))
    return MachineType(name, n, memory, local_ssd_gib=ssd)


def builtin_names() -> list[str]:
    """Every predefined type the built-in table covers."""
    names = list(_EXPLICIT)
    for family, kinds in _RATIO_RULES.items():
        for kind, (_, sizes) in kinds.items():
            names.extend(f"{family}-{kind}-{n}" for n in sizes)
            names.extend(f"{family}-{kind}-{n}-lssd" for n in _LSSD.get((family, kind), {}))
    return names


def builtin_catalog() -> list[MachineType]:
    out: list[MachineType] = []
    for name in builtin_names():
        shape = builtin_machine_type(name)
        assert shape is not None
        out.append(shape)
    return out


def billing_family(name: str) -> str:
    """The SKU family a machine type is billed under (``a3-megagpu-8g`` → ``a3plus``)."""
    if name.startswith("a3-megagpu"):
        return "a3plus"
    if name.startswith("a3-ultragpu"):
        return "a3ultra"
    if name.startswith(("n1-megamem", "n1-ultramem")):
        return "m1"  # the old names of m1-megamem / m1-ultramem, billed as M1
    return name.split("-", 1)[0]


# --- N1 with attached GPUs -----------------------------------------------------------
#: GPU key → GPU count → (max vCPUs, max GiB of memory), from GCP's GPU docs for N1.
N1_GPU_LIMITS: Final[dict[str, dict[int, tuple[int, float]]]] = {
    "t4": {1: (48, 312), 2: (48, 312), 4: (96, 624)},
    "v100": {1: (12, 78), 2: (24, 156), 4: (48, 312), 8: (96, 624)},
    "p100": {1: (16, 104), 2: (32, 208), 4: (64, 208)},
    "p4": {1: (24, 156), 2: (48, 312), 4: (96, 624)},
}

#: GPU key → the Compute API accelerator type name.
N1_GPU_ACCELERATOR: Final[dict[str, str]] = {
    "t4": "nvidia-tesla-t4",
    "v100": "nvidia-tesla-v100",
    "p100": "nvidia-tesla-p100",
    "p4": "nvidia-tesla-p4",
}


def n1_gpu_name(base: str, gpu: str, count: int) -> str:
    """``n1-standard-8`` + 1 × T4 → ``n1-standard-8+1xnvidia-tesla-t4``."""
    return f"{base}+{count}x{N1_GPU_ACCELERATOR[gpu]}"


def n1_gpu_shapes(
    n1_types: Iterable[MachineType], gpu: str, max_cards: int | None = None
) -> list[MachineType]:
    """Every N1 type × GPU count within GCP's documented limits for ``gpu``."""
    out: list[MachineType] = []
    for count, (max_vcpu, max_mem) in N1_GPU_LIMITS[gpu].items():
        if max_cards is not None and count > max_cards:
            continue
        for base in n1_types:
            if base.shared_cpu or base.gpu_count or not base.name.startswith("n1-"):
                continue
            if base.vcpu <= max_vcpu and base.memory_gib <= max_mem:
                out.append(
                    replace(
                        base,
                        name=n1_gpu_name(base.name, gpu, count),
                        gpu_count=count,
                        gpu=gpu,
                        base=base.name,
                    )
                )
    return out


# --- Compute API ---------------------------------------------------------------------
@dataclass(slots=True)
class ZonalCatalog:
    """What the Compute API said: machine types with their zones, accelerators per zone."""

    types: dict[str, MachineType]
    #: zone → accelerator type name → max cards per instance.
    accelerators: dict[str, dict[str, int]]
    skipped: dict[str, int]


#: Types whose names do not say "lssd" but that come with local SSD.
_SSD_PREFIXES: Final = ("a2-ultragpu", "a3-highgpu", "a3-megagpu", "a3-ultragpu", "a3-edgegpu")


def bundles_local_ssd(name: str) -> bool:
    """True when a type comes with local SSD that its price must include."""
    if name.endswith("-nolssd"):
        return False
    return "lssd" in name or name.startswith(_SSD_PREFIXES)


def zone_region(zone: str) -> str:
    """``us-central1-a`` → ``us-central1``."""
    return zone.rsplit("-", 1)[0]


def machine_type_from_api(item: Mapping[str, Any]) -> MachineType | str:
    """One Compute API machine type → :class:`MachineType`, or why it is skipped."""
    name = str(item.get("name", ""))
    if not name:
        return "no-name"
    if item.get("deprecated"):
        state = (item.get("deprecated") or {}).get("state", "")
        if state and state != "ACTIVE":
            return "deprecated"
    cpus, memory_mb = item.get("guestCpus"), item.get("memoryMb")
    if not isinstance(cpus, int | float) or not isinstance(memory_mb, int | float):
        return "malformed"
    if cpus <= 0 or memory_mb <= 0:
        return "malformed"
    gpu_count, gpu = 0, None
    for acc in item.get("accelerators") or []:
        gpu_count += int(acc.get("guestAcceleratorCount", 0))
        gpu = gpu_key(str(acc.get("guestAcceleratorType", "")))
    shared = bool(item.get("isSharedCpu"))
    if shared and name not in _SHARED:
        return "unknown-shared-core"
    builtin = builtin_machine_type(name)
    ssd = builtin.local_ssd_gib if builtin else 0
    if not ssd and bundles_local_ssd(name):
        # A bundled SSD of unknown size would leave a component out of the price.
        return "unknown-local-ssd"
    return MachineType(
        name,
        float(cpus),
        round(float(memory_mb) / 1024, 4),
        gpu_count,
        gpu if gpu_count else None,
        ssd,
        shared,
    )


def add_api_page(catalog: ZonalCatalog, page: Mapping[str, Any]) -> list[tuple[str, str]]:
    """Merge one ``aggregated/machineTypes`` page; returns ``(zone, warning)`` problems."""
    problems: list[tuple[str, str]] = []
    zones_of: dict[str, set[str]] = {}
    for scope, body in (page.get("items") or {}).items():
        zone = scope.removeprefix("zones/")
        warning = (body or {}).get("warning")
        if warning and warning.get("code") != "NO_RESULTS_ON_PAGE":
            problems.append((zone, f"{warning.get('code')}: {warning.get('message', '')}"))
        for item in (body or {}).get("machineTypes") or []:
            name = str(item.get("name", ""))
            known = catalog.types.get(name)
            if known is None or item.get("deprecated"):
                # A type's shape is the same in every zone: parse it once (the
                # deprecation state can differ per zone, so those are re-checked).
                parsed = machine_type_from_api(item)
                if isinstance(parsed, str):
                    catalog.skipped[parsed] = catalog.skipped.get(parsed, 0) + 1
                    continue
                if known is None:
                    catalog.types[name] = known = parsed
            item_zone = str(item.get("zone") or zone).rsplit("/", 1)[-1]
            zones = zones_of.get(name)
            if zones is None:
                zones = zones_of[name] = set(known.zones)
            zones.add(item_zone)
    for name, zones in zones_of.items():
        catalog.types[name] = replace(catalog.types[name], zones=tuple(sorted(zones)))
    return problems


def add_accelerator_page(catalog: ZonalCatalog, page: Mapping[str, Any]) -> None:
    """Merge one ``aggregated/acceleratorTypes`` page (N1 GPU availability per zone)."""
    for scope, body in (page.get("items") or {}).items():
        zone = scope.removeprefix("zones/")
        for item in (body or {}).get("acceleratorTypes") or []:
            if item.get("deprecated"):
                continue
            name = str(item.get("name", ""))
            cards = item.get("maximumCardsPerInstance", 0)
            if name and isinstance(cards, int):
                catalog.accelerators.setdefault(zone, {})[name] = cards
