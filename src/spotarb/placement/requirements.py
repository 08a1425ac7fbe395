"""What a workload needs: one model shared by the library, the CLI and the HTTP API.

A :class:`WorkloadRequirements` that exists is valid: every rule is checked at
construction and a broken one raises :class:`spotarb.core.errors.ValidationError`
naming the field.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, fields
from datetime import UTC, datetime
from typing import Any, Final, Literal, cast, get_args

from spotarb.core.errors import ValidationError
from spotarb.core.geo import check_region_pattern
from spotarb.core.gpus import require_gpu
from spotarb.core.models import ARCHES, PROVIDERS, finite_number

Strategy = Literal[
    "balanced",
    "weighted",
    "lowest-price",
    "capacity-optimized",
    "price-capacity-optimized",
    "expected-cost",
]
STRATEGIES: Final[tuple[str, ...]] = get_args(Strategy)
DEFAULT_STRATEGY: Final = "balanced"
MAX_ALTERNATIVES: Final = 50
DEFAULT_ARCH: Final = "x86_64"
#: ``arch`` value that turns the architecture filter off.
ANY_ARCH: Final = "any"
MAX_PATTERN: Final = 128

_ARCH_ALIASES: Final[dict[str, str]] = {
    "x86_64": "x86_64",
    "x86-64": "x86_64",
    "x86": "x86_64",
    "amd64": "x86_64",
    "arm64": "arm64",
    "aarch64": "arm64",
    "arm": "arm64",
    "any": ANY_ARCH,
}

#: The API's camelCase requirement names → snake_case fields.
CAMEL_REQUIREMENTS: Final[dict[str, str]] = {
    "minCPU": "min_cpu",
    "minCpu": "min_cpu",
    "minMemoryGB": "min_memory_gb",
    "gpuCount": "gpu_count",
    "gpuType": "gpu_type",
    "preferredRegions": "preferred_regions",
    "maxPricePerHour": "max_price_per_hour",
    "maxInterruptionRate": "max_interruption_rate",
    "networkBandwidthGbps": "network_bandwidth_gbps",
    "providers": "providers",
    "excludeRegions": "exclude_regions",
    "regions": "regions",
    "minGPUMemoryGB": "min_gpu_memory_gb",
    "gpuTypes": "gpu_types",
    "includeFamilies": "include_families",
    "excludeFamilies": "exclude_families",
    "excludeBurstable": "exclude_burstable",
    "arch": "arch",
    "strategy": "strategy",
    "alternatives": "alternatives",
    "jobHours": "job_hours",
    "checkpointHours": "checkpoint_hours",
    "restartOverheadHours": "restart_overhead_hours",
    "notOlderThan": "not_older_than",
}


def _at_least(name: str, value: object, low: float) -> float:
    number = finite_number(name, value)
    if number < low:
        raise ValidationError(name, value, f"must be >= {low:g}")
    return number


def _positive(name: str, value: object) -> float:
    number = finite_number(name, value)
    if number <= 0:
        raise ValidationError(name, value, "must be > 0")
    return number


def _whole(name: str, value: object, low: int, high: int | None = None) -> int:
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValidationError(name, value, "must be a whole number")
    if value < low or (high is not None and value > high):
        bounds = f"between {low} and {high}" if high is not None else f">= {low}"
        raise ValidationError(name, value, f"must be {bounds}")
    return value


def _names(name: str, value: object) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        items: Iterable[object] = value.split(",")
    elif isinstance(value, Iterable):
        items = value
    else:
        raise ValidationError(name, value, "must be a list of names")
    out: list[str] = []
    for item in items:
        if not isinstance(item, str):
            raise ValidationError(name, value, "must be a list of names")
        stripped = item.strip()
        if stripped and stripped not in out:
            out.append(stripped)
    return tuple(out)


def _patterns(name: str, value: object) -> tuple[str, ...]:
    """Region or family patterns: non-empty, bounded, no control characters."""
    out = _names(name, value)
    for pattern in out:
        if len(pattern) > MAX_PATTERN or not pattern.isprintable():
            raise ValidationError(
                name, pattern, f"must be printable and at most {MAX_PATTERN} characters"
            )
    return out


def _region_patterns(name: str, value: object) -> tuple[str, ...]:
    return tuple(
        dict.fromkeys(check_region_pattern(name, pattern) for pattern in _patterns(name, value))
    )


def _family_patterns(name: str, value: object) -> tuple[str, ...]:
    return tuple(dict.fromkeys(pattern.lower() for pattern in _patterns(name, value)))


@dataclass(frozen=True, slots=True)
class WorkloadRequirements:
    """A workload's needs and how to rank the places that meet them.

    ``regions`` limits the places (region names, globs such as ``europe-*`` or groups
    such as ``geo:eu``, see :mod:`spotarb.core.geo`); ``exclude_regions`` and
    ``preferred_regions`` take the same patterns. ``include_families`` and
    ``exclude_families`` are globs over the instance type and its family (see
    :mod:`spotarb.placement.families`). ``arch`` defaults to ``x86_64``; ``"any"``
    turns the filter off. ``not_older_than`` drops prices collected before that
    instant (the service's staleness cut-off).
    """

    min_cpu: float = 0.0
    min_memory_gb: float = 0.0
    gpu_count: int | None = None
    gpu_type: str | None = None
    preferred_regions: tuple[str, ...] = ()
    max_price_per_hour: float | None = None
    max_interruption_rate: float | None = None
    network_bandwidth_gbps: float | None = None
    providers: tuple[str, ...] = ()
    exclude_regions: tuple[str, ...] = ()
    arch: str = DEFAULT_ARCH
    strategy: Strategy = "balanced"
    alternatives: int = 3
    job_hours: float | None = None
    checkpoint_hours: float | None = None
    restart_overhead_hours: float = 0.1
    not_older_than: datetime | None = field(default=None)
    regions: tuple[str, ...] = ()
    min_gpu_memory_gb: float | None = None
    gpu_types: tuple[str, ...] = ()
    include_families: tuple[str, ...] = ()
    exclude_families: tuple[str, ...] = ()
    exclude_burstable: bool = False

    def __post_init__(self) -> None:
        put = object.__setattr__
        put(self, "min_cpu", _at_least("min_cpu", self.min_cpu, 0))
        put(self, "min_memory_gb", _at_least("min_memory_gb", self.min_memory_gb, 0))
        if self.gpu_count is not None:
            put(self, "gpu_count", _whole("gpu_count", self.gpu_count, 0))
        if self.gpu_type is not None:
            if not isinstance(self.gpu_type, str) or not self.gpu_type.strip():
                raise ValidationError("gpu_type", self.gpu_type, "must be a GPU name")
            put(self, "gpu_type", require_gpu(self.gpu_type, "gpu_type"))
        for name in ("preferred_regions", "exclude_regions", "regions"):
            put(self, name, _region_patterns(name, getattr(self, name)))
        for name in ("include_families", "exclude_families"):
            put(self, name, _family_patterns(name, getattr(self, name)))
        gpu_types = tuple(
            dict.fromkeys(require_gpu(g, "gpu_types") for g in _names("gpu_types", self.gpu_types))
        )
        if gpu_types and self.gpu_type is not None:
            raise ValidationError(
                "gpu_types", list(gpu_types), "give gpu_type or gpu_types, not both"
            )
        put(self, "gpu_types", gpu_types)
        if self.min_gpu_memory_gb is not None:
            put(
                self,
                "min_gpu_memory_gb",
                _positive("min_gpu_memory_gb", self.min_gpu_memory_gb),
            )
        if not isinstance(self.exclude_burstable, bool):
            raise ValidationError(
                "exclude_burstable", self.exclude_burstable, "must be true or false"
            )
        providers = _names("providers", self.providers)
        for provider in providers:
            if provider not in PROVIDERS:
                raise ValidationError(
                    "providers", provider, f"unknown provider; use {', '.join(PROVIDERS)}"
                )
        put(self, "providers", providers)
        if self.max_price_per_hour is not None:
            put(
                self, "max_price_per_hour", _positive("max_price_per_hour", self.max_price_per_hour)
            )
        if self.max_interruption_rate is not None:
            rate = finite_number("max_interruption_rate", self.max_interruption_rate)
            if not 0.0 <= rate <= 1.0:
                raise ValidationError(
                    "max_interruption_rate", self.max_interruption_rate, "must be between 0 and 1"
                )
            put(self, "max_interruption_rate", rate)
        if self.network_bandwidth_gbps is not None:
            put(
                self,
                "network_bandwidth_gbps",
                _at_least("network_bandwidth_gbps", self.network_bandwidth_gbps, 0),
            )
        arch = _ARCH_ALIASES.get(str(self.arch or DEFAULT_ARCH).strip().lower())
        if arch is None:
            raise ValidationError("arch", self.arch, f"must be one of {', '.join(ARCHES)}, any")
        put(self, "arch", arch)
        if self.strategy not in STRATEGIES:
            raise ValidationError(
                "strategy", self.strategy, f"must be one of {', '.join(STRATEGIES)}"
            )
        put(self, "alternatives", _whole("alternatives", self.alternatives, 0, MAX_ALTERNATIVES))
        if self.job_hours is not None:
            put(self, "job_hours", _positive("job_hours", self.job_hours))
        elif self.strategy == "expected-cost":
            raise ValidationError("job_hours", None, "is required by the expected-cost strategy")
        if self.checkpoint_hours is not None:
            put(self, "checkpoint_hours", _positive("checkpoint_hours", self.checkpoint_hours))
        put(
            self,
            "restart_overhead_hours",
            _at_least("restart_overhead_hours", self.restart_overhead_hours, 0),
        )
        if self.not_older_than is not None:
            stamp = self.not_older_than
            if not isinstance(stamp, datetime) or stamp.utcoffset() is None:
                raise ValidationError("not_older_than", stamp, "must be a timezone-aware datetime")
            put(self, "not_older_than", stamp.astimezone(UTC))

    @property
    def gpu_minimum(self) -> int:
        """The GPU count a candidate must have (0 = no GPU requirement)."""
        count = self.gpu_count or 0
        return max(1, count) if self.gpu_choices else count

    @property
    def gpu_choices(self) -> tuple[str, ...]:
        """The GPU models accepted (any of them); empty = any GPU model."""
        return (self.gpu_type,) if self.gpu_type is not None else self.gpu_types

    @property
    def arch_filter(self) -> str | None:
        """The architecture candidates must have; None when ``arch`` is ``any``."""
        return None if self.arch == ANY_ARCH else self.arch

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any]) -> WorkloadRequirements:
        """Build from snake_case or the API's camelCase keys; unknown keys are refused."""
        known = {f.name for f in fields(cls)}
        kwargs: dict[str, Any] = {}
        for key, value in data.items():
            name = CAMEL_REQUIREMENTS.get(key, key)
            if name not in known:
                raise ValidationError(key, value, "unknown requirement")
            if value is not None:
                kwargs[name] = value
        if isinstance(kwargs.get("not_older_than"), str):
            try:
                kwargs["not_older_than"] = datetime.fromisoformat(kwargs["not_older_than"])
            except ValueError:
                raise ValidationError(
                    "not_older_than", kwargs["not_older_than"], "must be an ISO 8601 time"
                ) from None
        return cls(**kwargs)

    def with_strategy(self, strategy: str) -> WorkloadRequirements:
        from dataclasses import replace

        return replace(self, strategy=cast(Strategy, strategy))
