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
from spotarb.core.gpus import require_gpu
from spotarb.core.models import ARCHES, PROVIDERS, finite_number

Strategy = Literal[
    "balanced",
    "seed",
    "lowest-price",
    "capacity-optimized",
    "price-capacity-optimized",
    "expected-cost",
]
STRATEGIES: Final[tuple[str, ...]] = get_args(Strategy)
DEFAULT_STRATEGY: Final = "balanced"
MAX_ALTERNATIVES: Final = 50

_ARCH_ALIASES: Final[dict[str, str]] = {
    "x86_64": "x86_64",
    "x86-64": "x86_64",
    "x86": "x86_64",
    "amd64": "x86_64",
    "arm64": "arm64",
    "aarch64": "arm64",
    "arm": "arm64",
}

#: The seed's camelCase requirement names → snake_case fields.
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


@dataclass(frozen=True, slots=True)
class WorkloadRequirements:
    """A workload's needs and how to rank the places that meet them.

    ``min_cpu``/``min_memory_gb``/``gpu_count``/``gpu_type``/``preferred_regions``/
    ``max_price_per_hour``/``max_interruption_rate``/``network_bandwidth_gbps`` are
    the seed's; the rest extend it. ``not_older_than`` drops prices collected
    before that instant (the service's staleness cut-off).
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
    arch: str | None = None
    strategy: Strategy = "balanced"
    alternatives: int = 3
    job_hours: float | None = None
    checkpoint_hours: float | None = None
    restart_overhead_hours: float = 0.1
    not_older_than: datetime | None = field(default=None)

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
        put(self, "preferred_regions", _names("preferred_regions", self.preferred_regions))
        put(self, "exclude_regions", _names("exclude_regions", self.exclude_regions))
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
        if self.arch is not None:
            arch = _ARCH_ALIASES.get(str(self.arch).strip().lower())
            if arch is None:
                raise ValidationError("arch", self.arch, f"must be one of {', '.join(ARCHES)}")
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
        return max(1, count) if self.gpu_type is not None else count

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any]) -> WorkloadRequirements:
        """Build from snake_case or the seed's camelCase keys; unknown keys are refused."""
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
