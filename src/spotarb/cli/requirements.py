"""What ``spotarb place`` and ``spotarb fleet`` share: the per-instance requirement
options, ``--allow-stale`` and the current snapshots under the staleness policy.

A new requirement option goes here once (its alias, its flag in :data:`FLAGS`, its
field in :func:`requirement_fields`), then as one parameter of each command;
:func:`requirement_options` forwards it, so neither command lists it twice.
"""

from __future__ import annotations

import inspect
from collections.abc import Mapping
from datetime import datetime
from typing import Annotated, Any, Final

import typer

from spotarb.cli.common import EXIT_INVALID, fail, parse_since, settings_for, split_list, store_for
from spotarb.core.errors import ValidationError
from spotarb.serving.snapshot_builder import PriceSnapshots, load_snapshots
from spotarb.serving.staleness import StalenessPolicy

CpuOption = Annotated[float, typer.Option("--cpu", help="Minimum vCPUs.")]
MemoryOption = Annotated[float, typer.Option("--memory", help="Minimum memory, GiB.")]
GpusOption = Annotated[int | None, typer.Option("--gpus", help="Minimum GPU count.")]
GpuTypeOption = Annotated[
    str | None, typer.Option("--gpu-type", help="GPU model, e.g. a100, h100, t4.")
]
GpuTypesOption = Annotated[
    str | None,
    typer.Option("--gpu-types", help="Any of these GPU models (comma list), e.g. a100,h100."),
]
MinGpuMemoryOption = Annotated[
    float | None, typer.Option("--min-gpu-memory", help="Minimum memory per GPU, GiB.")
]
RegionsOption = Annotated[
    str | None,
    typer.Option(
        "--regions",
        help="Only these regions (comma list): names, globs (europe-*) or groups (geo:eu).",
    ),
]
PreferRegionsOption = Annotated[
    str | None,
    typer.Option(
        "--prefer-regions",
        help="Prefer these regions, fall back to others (same patterns as --regions).",
    ),
]
ExcludeRegionsOption = Annotated[
    str | None,
    typer.Option("--exclude-regions", help="Never these regions (same patterns)."),
]
IncludeFamiliesOption = Annotated[
    str | None,
    typer.Option(
        "--include-families",
        help="Only these instance families or types (globs, comma list), e.g. m5,c6i*.",
    ),
]
ExcludeFamiliesOption = Annotated[
    str | None,
    typer.Option(
        "--exclude-families", help="Never these families or types (globs), e.g. t2*,*.metal."
    ),
]
ExcludeBurstableOption = Annotated[
    bool,
    typer.Option(
        "--exclude-burstable",
        help="Leave out burstable types (AWS t*, Azure B-series, GCP shared-core).",
    ),
]
ArchOption = Annotated[str, typer.Option("--arch", help="x86_64 (default), arm64, or any.")]
MaxPriceOption = Annotated[float | None, typer.Option("--max-price", help="$/h cap.")]
MaxInterruptionOption = Annotated[
    float | None, typer.Option("--max-interruption", help="Max monthly interruption rate, 0..1.")
]
MinBandwidthOption = Annotated[
    float | None, typer.Option("--min-bandwidth", help="Minimum network Gbps.")
]
ProvidersOption = Annotated[
    str | None, typer.Option("--providers", help="Allowed providers (comma list).")
]
JobHoursOption = Annotated[
    float | None, typer.Option("--job-hours", help="Job length (expected-cost).")
]
CheckpointHoursOption = Annotated[
    float | None, typer.Option("--checkpoint-hours", help="Checkpoint interval, hours.")
]
RestartOverheadOption = Annotated[
    float, typer.Option("--restart-overhead", help="Hours lost per restart.")
]
AllowStaleOption = Annotated[
    bool,
    typer.Option(
        "--allow-stale", help="Use prices older than their feed's max age too (see README)."
    ),
]
MaxAgeOption = Annotated[
    str | None,
    typer.Option("--max-age", help="Ignore prices collected longer ago (e.g. 2h, 30m)."),
]

#: Requirement field → the flag that sets it, so errors name what the user typed.
FLAGS = {
    "min_cpu": "--cpu",
    "min_memory_gb": "--memory",
    "gpu_count": "--gpus",
    "gpu_type": "--gpu-type",
    "regions": "--regions",
    "preferred_regions": "--prefer-regions",
    "exclude_regions": "--exclude-regions",
    "min_gpu_memory_gb": "--min-gpu-memory",
    "gpu_types": "--gpu-types",
    "include_families": "--include-families",
    "exclude_families": "--exclude-families",
    "exclude_burstable": "--exclude-burstable",
    "arch": "--arch",
    "max_price_per_hour": "--max-price",
    "max_interruption_rate": "--max-interruption",
    "network_bandwidth_gbps": "--min-bandwidth",
    "providers": "--providers",
    "strategy": "--strategy",
    "alternatives": "--alternatives",
    "job_hours": "--job-hours",
    "checkpoint_hours": "--checkpoint-hours",
    "restart_overhead_hours": "--restart-overhead",
    "not_older_than": "--max-age",
    "since": "--max-age",
}


def requirement_fields(
    now: datetime,
    *,
    cpu: float,
    memory: float,
    gpus: int | None,
    gpu_type: str | None,
    gpu_types: str | None,
    min_gpu_memory: float | None,
    regions: str | None,
    prefer_regions: str | None,
    exclude_regions: str | None,
    include_families: str | None,
    exclude_families: str | None,
    exclude_burstable: bool,
    arch: str,
    max_price: float | None,
    max_interruption: float | None,
    min_bandwidth: float | None,
    providers: str | None,
    job_hours: float | None,
    checkpoint_hours: float | None,
    restart_overhead: float,
    max_age: str | None,
) -> dict[str, Any]:
    """The options as :class:`~spotarb.placement.WorkloadRequirements` keyword arguments."""
    return {
        "min_cpu": cpu,
        "min_memory_gb": memory,
        "gpu_count": gpus,
        "gpu_type": gpu_type,
        "gpu_types": split_list(gpu_types),
        "min_gpu_memory_gb": min_gpu_memory,
        "regions": split_list(regions),
        "preferred_regions": split_list(prefer_regions),
        "exclude_regions": split_list(exclude_regions),
        "include_families": split_list(include_families),
        "exclude_families": split_list(exclude_families),
        "exclude_burstable": exclude_burstable,
        "arch": arch,
        "max_price_per_hour": max_price,
        "max_interruption_rate": max_interruption,
        "network_bandwidth_gbps": min_bandwidth,
        "providers": split_list(providers),
        "job_hours": job_hours,
        "checkpoint_hours": checkpoint_hours,
        "restart_overhead_hours": restart_overhead,
        "not_older_than": parse_since(max_age, now) if max_age else None,
    }


#: The keyword names of :func:`requirement_fields`: a command passes exactly these.
REQUIREMENT_OPTIONS: Final = frozenset(inspect.signature(requirement_fields).parameters) - {"now"}


def requirement_options(values: Mapping[str, Any]) -> dict[str, Any]:
    """The requirement options among a command's parameters (``locals()`` at its top)."""
    return {name: values[name] for name in REQUIREMENT_OPTIONS}


def invalid(exc: ValidationError, flags: dict[str, str] = FLAGS) -> typer.Exit:
    """Exit 2 naming the flag the user typed."""
    flag = flags.get(exc.field, exc.field)
    return fail(f"{flag}: {exc.reason} (got {exc.value!r})", EXIT_INVALID)


def current_snapshots(db: str | None) -> PriceSnapshots:
    """The store's current prices as the service sees them (fresh / every row)."""
    settings = settings_for(db)
    store = store_for(db)
    try:
        return load_snapshots(store, StalenessPolicy.from_settings(settings))
    finally:
        store.close()


def stale_hint(excluded: int) -> str:
    """Appended to a no-answer message when stale prices were left out."""
    if not excluded:
        return ""
    return f" ({excluded} older prices were excluded as stale; pass --allow-stale to use them)"
