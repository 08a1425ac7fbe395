"""Instance specs: EC2 ``DescribeInstanceTypes`` parsing and a TTL cache.

Memory is MiB → GiB; GPUs come from ``GpuInfo`` only (Trainium/Inferentia live
in ``NeuronInfo``/``InferenceAcceleratorInfo`` and are not GPUs); the GPU name
goes through the one GPU vocabulary (:func:`spotarb.core.gpus.canonical_gpu`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Final

from spotarb.core.gpus import canonical_gpu
from spotarb.feeds.aws.network import bandwidth_gbps
from spotarb.feeds.ttl import MISS, TtlCache

#: How long fetched specs stay fresh (instance types change rarely).
SPEC_TTL_SECONDS: Final = 24 * 3600.0


@dataclass(frozen=True, slots=True)
class InstanceSpec:
    instance_type: str
    vcpu: float
    memory_gb: float
    gpu_count: int = 0
    gpu_type: str | None = None
    gpu_memory_gb: float | None = None
    arch: str = "x86_64"
    network_bandwidth_gbps: float | None = None


def _arch(architectures: Iterable[str]) -> str:
    archs = set(architectures)
    if "x86_64" in archs:
        return "x86_64"
    if "arm64" in archs or "arm64_mac" in archs:
        return "arm64"
    return "x86_64"


def spec_from_instance_type(item: Mapping[str, Any]) -> InstanceSpec | None:
    """One ``DescribeInstanceTypes`` item → spec, or None when vCPU or memory is missing."""
    name = item.get("InstanceType")
    vcpus = (item.get("VCpuInfo") or {}).get("DefaultVCpus")
    mib = (item.get("MemoryInfo") or {}).get("SizeInMiB")
    if not name or not vcpus or not mib:
        return None
    gpu_count = 0
    gpu_type: str | None = None
    gpu_memory_gb: float | None = None
    gpus = (item.get("GpuInfo") or {}).get("Gpus") or []
    for gpu in gpus:
        count = int(gpu.get("Count") or 0)
        if count <= 0:
            continue
        gpu_count += count
        if gpu_type is None:
            gpu_type = canonical_gpu(str(gpu.get("Name") or gpu.get("Manufacturer") or "?"))
            per_gpu = (gpu.get("MemoryInfo") or {}).get("SizeInMiB")
            gpu_memory_gb = float(per_gpu) / 1024.0 if per_gpu else None
    arch = _arch((item.get("ProcessorInfo") or {}).get("SupportedArchitectures") or [])
    return InstanceSpec(
        instance_type=str(name),
        vcpu=float(vcpus),
        memory_gb=float(mib) / 1024.0,
        gpu_count=gpu_count,
        gpu_type=gpu_type,
        gpu_memory_gb=gpu_memory_gb,
        arch=arch,
        network_bandwidth_gbps=bandwidth_gbps(item.get("NetworkInfo")),
    )


#: Specs per (endpoint|region, type); None remembers "this region does not know the type",
#: so unknown types are not asked for again on every run.
SpecCache = TtlCache[tuple[str, str], InstanceSpec | None]
#: The process-wide cache used when a feed is not given its own.
DEFAULT_SPEC_CACHE: Final[SpecCache] = TtlCache(SPEC_TTL_SECONDS)


def cached_specs(
    cache: SpecCache,
    scope: str,
    types: Iterable[str],
    fetch: Callable[[set[str]], Mapping[str, InstanceSpec]],
) -> dict[str, InstanceSpec]:
    """Specs of ``types``: the cached ones, and ``fetch`` for the others (only those)."""
    found: dict[str, InstanceSpec] = {}
    missing: set[str] = set()
    for name in set(types):
        spec = cache.get((scope, name))
        if spec is MISS:
            missing.add(name)
        elif spec is not None:
            found[name] = spec
    if missing:
        fetched = fetch(missing)
        for name in missing:
            cache.put((scope, name), fetched.get(name))
        found.update({n: s for n, s in fetched.items() if n in missing})
    return found
