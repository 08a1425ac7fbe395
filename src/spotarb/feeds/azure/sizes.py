"""Azure VM size names → vCPU, memory, GPUs, without credentials.

Azure size names follow a grammar (``Standard_`` + family + vCPUs [``-`` active
vCPUs] + feature letters [``_`` accelerator] [``_v`` version]), but memory is
not in the name: it comes from a per-family table maintained here. A size this
module cannot derive with certainty returns None and is reported by the feed,
never guessed. With Azure credentials the feed prefers the Resource SKUs API.

Feature letters that matter here: ``l`` (low memory), ``m`` (memory
intensive), ``t`` (tiny memory) change the GiB-per-vCPU ratio; ``p`` means an
Arm (Ampere/Cobalt) CPU; ``a`` (AMD) matters only where AMD and Intel siblings
differ in memory (Ev4). Constrained-core sizes (``Standard_E16-4s_v4``) keep
the parent's memory and expose the active vCPU count (4), the cores a
workload can use.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Final

from spotarb.core.gpus import gpu_from_azure_size


@dataclass(frozen=True, slots=True)
class SizeSpec:
    vcpu: float
    memory_gb: float
    gpu_count: int = 0
    gpu_type: str | None = None
    gpu_memory_gb: float | None = None
    arch: str = "x86_64"


@dataclass(frozen=True, slots=True)
class ParsedName:
    family: str
    vcpu: int
    active: int | None
    features: str
    accelerator: str
    version: int

    @property
    def mem_flags(self) -> str:
        return "".join(c for c in self.features if c in "lmt")

    @property
    def amd(self) -> bool:
        return "a" in self.features

    @property
    def arm(self) -> bool:
        return "p" in self.features and self.family in {"D", "E", "B"}


_NAME: Final = re.compile(
    r"^(?P<family>[A-Z]+)(?P<vcpu>\d+)(?:-(?P<active>\d+))?(?P<features>[a-z]*)"
    r"(?:_(?P<acc>A100|H100|H200|A10|T4|MI300X|V620|V710))?"
    r"(?:_v(?P<version>\d+))?(?:_Promo)?$"
)


def parse_name(size_name: str) -> ParsedName | None:
    """Split ``Standard_NC24ads_A100_v4`` into its parts; None for other shapes."""
    if not size_name.startswith("Standard_"):
        return None
    m = _NAME.match(size_name[len("Standard_") :])
    if m is None:
        return None
    return ParsedName(
        family=m["family"],
        vcpu=int(m["vcpu"]),
        active=int(m["active"]) if m["active"] else None,
        features=m["features"],
        accelerator=m["acc"] or "",
        version=int(m["version"] or 1),
    )


@dataclass(frozen=True, slots=True)
class Family:
    """A family whose memory is ``ratio`` GiB per vCPU, for the listed vCPU counts only."""

    family: str
    version: int
    mem_flags: str
    ratio: float
    sizes: tuple[int, ...]
    overrides: tuple[tuple[int, float], ...] = ()
    #: None: AMD and Intel siblings share the row; True/False: only that CPU vendor.
    amd: bool | None = None


_STD: Final = (2, 4, 8, 16, 32, 48, 64)
_STD96: Final = (*_STD, 96)

#: Ratio families (Microsoft Learn size tables; spot-checked against Resource SKUs).
FAMILIES: Final[tuple[Family, ...]] = (
    Family("A", 2, "", 2, (1, 2, 4, 8)),
    Family("A", 2, "m", 8, (2, 4, 8)),
    Family("B", 2, "", 4, (2, 4, 8, 16, 32)),
    Family("B", 2, "l", 2, (2, 4, 8, 16, 32)),
    Family("D", 3, "", 4, _STD),
    Family("D", 4, "", 4, _STD96),
    Family("D", 5, "", 4, _STD96),
    Family("D", 5, "l", 2, _STD96),
    Family("D", 6, "", 4, (*_STD96, 128, 192)),
    Family("D", 6, "l", 2, (*_STD96, 128)),
    Family("DC", 1, "", 4, (2, 4)),
    Family("DC", 2, "", 4, (1, 2, 4, 8)),
    Family("DC", 3, "", 8, (1, 2, 4, 8, 16, 24, 32, 48)),
    Family("DC", 5, "", 4, _STD96),
    Family("E", 3, "", 8, (2, 4, 8, 16, 20, 32, 48, 64), ((64, 432),)),
    Family("E", 4, "", 8, (2, 4, 8, 16, 20, 32, 48, 64, 80), ((64, 504), (80, 504)), amd=False),
    Family("E", 4, "", 8, (2, 4, 8, 16, 20, 32, 48, 64, 96), ((96, 672),), amd=True),
    Family(
        "E",
        5,
        "",
        8,
        (2, 4, 8, 16, 20, 32, 48, 64, 96, 104, 112),
        ((96, 672), (104, 672), (112, 672)),
    ),
    Family("E", 6, "", 8, (2, 4, 8, 16, 20, 32, 48, 64, 96), ((96, 672),)),
    Family("EC", 5, "", 8, (2, 4, 8, 16, 20, 32, 48, 64, 96), ((96, 672),)),
    Family("F", 1, "", 2, (1, 2, 4, 8, 16)),
    Family("F", 2, "", 2, (2, 4, 8, 16, 32, 48, 64, 72)),
    Family("F", 6, "", 4, _STD),
    Family("F", 6, "l", 2, _STD),
    Family("F", 6, "m", 8, _STD),
    Family("FX", 1, "m", 21, (4, 12, 24, 36, 48)),
    Family("L", 1, "", 8, (4, 8, 16, 32)),
    Family("L", 2, "", 8, (8, 16, 32, 48, 64, 80)),
    Family("L", 3, "", 8, (8, 16, 32, 48, 64, 80)),
)

_FAMILY_INDEX: Final[dict[tuple[str, int, str], tuple[Family, ...]]] = {}
for _f in FAMILIES:
    _key = (_f.family, _f.version, _f.mem_flags)
    _FAMILY_INDEX[_key] = (*_FAMILY_INDEX.get(_key, ()), _f)


def _explicit_table() -> dict[str, tuple[float, float, int, float | None]]:
    """Sizes whose name number is not the vCPU count or whose memory is irregular.

    name (without ``Standard_``, without a core constraint) → (vCPU, GiB, GPUs, GiB per GPU).
    """
    table: dict[str, tuple[float, float, int, float | None]] = {}
    # D/DS v1 and v2: the number is a size index, not a vCPU count.
    d_sizes = {1: (1, 3.5), 2: (2, 7), 3: (4, 14), 4: (8, 28), 11: (2, 14), 12: (4, 28)}
    d_sizes |= {13: (8, 56), 14: (16, 112)}
    for prefix in ("D", "DS"):
        for n, (cpu, mem) in d_sizes.items():
            table[f"{prefix}{n}"] = (cpu, mem, 0, None)
            table[f"{prefix}{n}_v2"] = (cpu, mem, 0, None)
        table[f"{prefix}5_v2"] = (16, 56, 0, None)
        table[f"{prefix}15_v2"] = (20, 140, 0, None)
        table[f"{prefix}15i_v2"] = (20, 140, 0, None)
    a_sizes = {0: (1, 0.75), 1: (1, 1.75), 2: (2, 3.5), 3: (4, 7), 4: (8, 14), 5: (2, 14)}
    a_sizes |= {6: (4, 28), 7: (8, 56), 8: (8, 56), 9: (16, 112), 10: (8, 56), 11: (16, 112)}
    for n, (cpu, mem) in a_sizes.items():
        table[f"A{n}"] = (cpu, mem, 0, None)
    for n, (cpu, mem) in {1: (2, 28), 2: (4, 56), 3: (8, 112), 4: (16, 224), 5: (32, 448)}.items():
        table[f"G{n}"] = (cpu, mem, 0, None)
        table[f"GS{n}"] = (cpu, mem, 0, None)
    b_v1 = {"B1ls": (1, 0.5), "B1s": (1, 1), "B1ms": (1, 2), "B2s": (2, 4), "B2ms": (2, 8)}
    b_v1 |= {"B4ms": (4, 16), "B8ms": (8, 32), "B12ms": (12, 48), "B16ms": (16, 64)}
    b_v1 |= {"B20ms": (20, 80)}
    for name, (cpu, mem) in b_v1.items():
        table[name] = (cpu, mem, 0, None)
    h = {"H8": (8, 56), "H16": (16, 112), "H8m": (8, 112), "H16m": (16, 224)}
    h |= {"H16r": (16, 112), "H16mr": (16, 224), "HB60rs": (60, 228), "HC44rs": (44, 352)}
    h |= {"HB120rs_v2": (120, 456), "HB120rs_v3": (120, 448)}
    for name, (cpu, mem) in h.items():
        table[name] = (cpu, mem, 0, None)
    gpu: dict[str, tuple[float, float, int, float | None]] = {
        # NC (K80), NCv2 (P100), NCv3 (V100 16 GB)
        "NC6": (6, 56, 1, 12),
        "NC12": (12, 112, 2, 12),
        "NC24": (24, 224, 4, 12),
        "NC24r": (24, 224, 4, 12),
        "NC6s_v2": (6, 112, 1, 16),
        "NC12s_v2": (12, 224, 2, 16),
        "NC24s_v2": (24, 448, 4, 16),
        "NC24rs_v2": (24, 448, 4, 16),
        "NC6s_v3": (6, 112, 1, 16),
        "NC12s_v3": (12, 224, 2, 16),
        "NC24s_v3": (24, 448, 4, 16),
        "NC24rs_v3": (24, 448, 4, 16),
        # NCasT4_v3
        "NC4as_T4_v3": (4, 28, 1, 16),
        "NC8as_T4_v3": (8, 56, 1, 16),
        "NC16as_T4_v3": (16, 110, 1, 16),
        "NC64as_T4_v3": (64, 440, 4, 16),
        # NC A100 v4 (80 GB), NC H100 v5 (H100 NVL 94 GB)
        "NC24ads_A100_v4": (24, 220, 1, 80),
        "NC48ads_A100_v4": (48, 440, 2, 80),
        "NC96ads_A100_v4": (96, 880, 4, 80),
        "NC40ads_H100_v5": (40, 320, 1, 94),
        "NC80adis_H100_v5": (80, 640, 2, 94),
        # ND (P40), NDv2 (V100 32 GB), ND A100 v4 (40 / 80 GB), ND H100 v5
        "ND6s": (6, 112, 1, 24),
        "ND12s": (12, 224, 2, 24),
        "ND24s": (24, 448, 4, 24),
        "ND24rs": (24, 448, 4, 24),
        "ND40rs_v2": (40, 672, 8, 32),
        "ND96asr_v4": (96, 900, 8, 40),
        "ND96amsr_A100_v4": (96, 1900, 8, 80),
        "ND96isr_H100_v5": (96, 1900, 8, 80),
        # NV (M60), NVv3 (M60), NVadsA10_v5 whole-GPU sizes only
        "NV6": (6, 56, 1, 8),
        "NV12": (12, 112, 2, 8),
        "NV24": (24, 224, 4, 8),
        "NV12s_v3": (12, 112, 1, 8),
        "NV24s_v3": (24, 224, 2, 8),
        "NV48s_v3": (48, 448, 4, 8),
        "NV36ads_A10_v5": (36, 440, 1, 24),
        "NV36adms_A10_v5": (36, 880, 1, 24),
        "NV72ads_A10_v5": (72, 880, 2, 24),
    }
    table |= gpu
    return table


#: The irregular sizes, keyed without ``Standard_`` and without a core constraint.
EXPLICIT: Final[dict[str, tuple[float, float, int, float | None]]] = _explicit_table()

_CONSTRAINT: Final = re.compile(r"^([A-Z]+\d+)-(\d+)")


@lru_cache(maxsize=4096)
def spec_from_name(size_name: str) -> SizeSpec | None:
    """The spec an Azure size name implies, or None when it cannot be derived for sure."""
    if not size_name.startswith("Standard_"):
        return None
    short = size_name[len("Standard_") :].removesuffix("_Promo")
    active: int | None = None
    m = _CONSTRAINT.match(short)
    if m:
        active = int(m[2])
        short = m[1] + short[m.end() :]
    explicit = EXPLICIT.get(short)
    if explicit is not None:
        cpu, mem, gpus, gpu_mem = explicit
        if active is not None:
            if active >= cpu:
                return None
            cpu = active
        gpu_type = gpu_from_azure_size(size_name) if gpus else None
        return SizeSpec(
            vcpu=float(cpu),
            memory_gb=float(mem),
            gpu_count=gpus,
            gpu_type=gpu_type,
            gpu_memory_gb=gpu_mem,
        )
    parsed = parse_name(size_name)
    if parsed is None or parsed.accelerator or parsed.family.startswith("N"):
        return None  # GPU sizes only through the explicit table (counts are not in the name)
    family = _match_family(parsed)
    if family is None or parsed.vcpu not in family.sizes:
        return None
    memory = dict(family.overrides).get(parsed.vcpu, family.ratio * parsed.vcpu)
    vcpu = parsed.vcpu
    if parsed.active is not None:
        if parsed.active >= parsed.vcpu:
            return None
        vcpu = parsed.active
    return SizeSpec(
        vcpu=float(vcpu),
        memory_gb=float(memory),
        arch="arm64" if parsed.arm else "x86_64",
    )


def _match_family(parsed: ParsedName) -> Family | None:
    candidates = _FAMILY_INDEX.get((parsed.family, parsed.version, parsed.mem_flags), ())
    for family in candidates:
        if family.amd is None or family.amd == parsed.amd:
            return family
    return None
