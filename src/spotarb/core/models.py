"""The normalized spot price row that every feed produces and every reader consumes.

A plain dataclass with its invariants checked at construction: a ``SpotPrice``
that exists is valid. pydantic is kept for the HTTP edge and the settings.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, fields
from datetime import UTC, datetime
from operator import attrgetter
from typing import Any, Final, Literal

from spotarb.core.errors import InvalidPriceError, ValidationError

Provider = Literal["aws", "azure", "gcp"]
PROVIDERS: Final[tuple[str, ...]] = ("aws", "azure", "gcp")
ARCHES: Final[tuple[str, ...]] = ("x86_64", "arm64")
OSES: Final[tuple[str, ...]] = ("linux", "windows")

#: The columns that identify one current price: one row per key in ``spot_prices``.
KEY_FIELDS: Final[tuple[str, ...]] = (
    "provider",
    "region",
    "availability_zone",
    "instance_type",
    "os",
)

PriceKey = tuple[str, str, str, str, str]

#: ``price_key(row)`` is ``row.key``, computed in C: for passes over whole batches.
price_key: Final[Callable[[SpotPrice], PriceKey]] = attrgetter(*KEY_FIELDS)

#: The most GPUs one instance may have: far above any offered, and a number every backend
#: stores (a count that does not fit a database integer must be refused, not crash a write).
MAX_GPU_COUNT: Final = 1024

_PROVIDER_SET: Final = frozenset(PROVIDERS)
_ARCH_SET: Final = frozenset(ARCHES)
_OS_SET: Final = frozenset(OSES)
_INF: Final = math.inf


def utcnow() -> datetime:
    return datetime.now(UTC)


def _optional_positive(value: object) -> bool:
    return value is None or (type(value) is float and 0.0 < value < _INF)


def _require_utc(name: str, value: object) -> datetime:
    if not isinstance(value, datetime):
        raise ValidationError(name, value, "must be a datetime")
    offset = value.utcoffset()
    if offset is None:
        raise ValidationError(name, value, "must be timezone-aware (UTC)")
    if offset.total_seconds() != 0:
        return value.astimezone(UTC)
    return value if value.tzinfo is UTC else value.astimezone(UTC)


def finite_number(name: str, value: object) -> float:
    """``value`` as a float; a ValidationError naming ``name`` unless it is a finite number."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValidationError(name, value, "must be a number")
    try:
        number = float(value)
    except OverflowError:  # an int past the float range
        raise ValidationError(name, value, "must be a finite number") from None
    if not math.isfinite(number):
        raise ValidationError(name, value, "must be a finite number")
    return number


@dataclass(slots=True)
class SpotPrice:
    """One spot price of one instance type in one place, normalized across clouds."""

    provider: str
    region: str
    instance_type: str
    vcpu: float
    memory_gb: float
    price_per_hour: float
    availability_zone: str = ""
    gpu_count: int = 0
    gpu_type: str | None = None
    gpu_memory_gb: float | None = None
    arch: str = "x86_64"
    network_bandwidth_gbps: float | None = None
    os: str = "linux"
    on_demand_price_per_hour: float | None = None
    interruption_rate: float | None = None
    interruption_source: str | None = None
    #: Where the row came from, e.g. ``aws-ec2-api``, ``aws-public-spot-feed``, ``import``.
    source: str = ""
    observed_at: datetime = field(default_factory=utcnow)
    collected_at: datetime = field(default_factory=utcnow)

    def __post_init__(self) -> None:
        # Fast path for the common, already-clean row (feeds and imports build hundreds of
        # thousands): cheap checks only; anything unusual goes to the precise slow path,
        # which normalizes values or raises an error naming the field.
        vcpu, mem, price = self.vcpu, self.memory_gb, self.price_per_hour
        if (
            self.provider in _PROVIDER_SET
            and type(vcpu) is float
            and type(mem) is float
            and type(price) is float
            and 0.0 < vcpu < _INF
            and 0.0 < mem < _INF
            and 0.0 < price < _INF
            and type(self.region) is str
            and type(self.instance_type) is str
            and type(self.availability_zone) is str
            and self.region.strip()
            and self.instance_type.strip()
            and type(self.gpu_count) is int
            and (
                (self.gpu_count == 0 and not self.gpu_type)
                or (0 < self.gpu_count <= MAX_GPU_COUNT and self.gpu_type)
            )
            and _optional_positive(self.gpu_memory_gb)
            and _optional_positive(self.network_bandwidth_gbps)
            and _optional_positive(self.on_demand_price_per_hour)
            and (
                (rate := self.interruption_rate) is None
                or (type(rate) is float and 0.0 <= rate <= 1.0)
            )
            and self.arch in _ARCH_SET
            and self.os in _OS_SET
            and type(self.observed_at) is datetime
            and self.observed_at.tzinfo is UTC
            and type(self.collected_at) is datetime
            and self.collected_at.tzinfo is UTC
        ):
            return
        self._validate()

    @classmethod
    def trusted(cls, **values: Any) -> SpotPrice:
        """Build a row from values that were validated before (e.g. read back from the store)."""
        row = object.__new__(cls)
        for name, value in values.items():
            object.__setattr__(row, name, value)
        return row

    def _validate(self) -> None:
        if self.provider not in PROVIDERS:
            raise ValidationError(
                "provider", self.provider, f"must be one of {', '.join(PROVIDERS)}"
            )
        for name in ("region", "instance_type"):
            value = getattr(self, name)
            if not isinstance(value, str) or not value.strip():
                raise ValidationError(name, value, "must be a non-empty string")
        if not isinstance(self.availability_zone, str):
            raise ValidationError("availability_zone", self.availability_zone, "must be a string")
        self.vcpu = finite_number("vcpu", self.vcpu)
        if self.vcpu <= 0:
            raise ValidationError("vcpu", self.vcpu, "must be > 0")
        self.memory_gb = finite_number("memory_gb", self.memory_gb)
        if self.memory_gb <= 0:
            raise ValidationError("memory_gb", self.memory_gb, "must be > 0")
        count: object = self.gpu_count
        if isinstance(count, float) and count.is_integer():
            count = int(count)
        if isinstance(count, bool) or not isinstance(count, int):
            raise ValidationError("gpu_count", self.gpu_count, "must be a whole number")
        self.gpu_count = count
        if self.gpu_count < 0:
            raise ValidationError("gpu_count", self.gpu_count, "must be >= 0")
        if self.gpu_count > MAX_GPU_COUNT:
            raise ValidationError("gpu_count", self.gpu_count, f"must be <= {MAX_GPU_COUNT}")
        if self.gpu_count > 0 and not self.gpu_type:
            raise ValidationError("gpu_type", self.gpu_type, "is required when gpu_count > 0")
        if self.gpu_count == 0 and self.gpu_type:
            raise ValidationError("gpu_type", self.gpu_type, "must be empty when gpu_count is 0")
        if self.gpu_memory_gb is not None:
            self.gpu_memory_gb = finite_number("gpu_memory_gb", self.gpu_memory_gb)
            if self.gpu_memory_gb <= 0:
                raise ValidationError("gpu_memory_gb", self.gpu_memory_gb, "must be > 0")
        if self.arch not in ARCHES:
            raise ValidationError("arch", self.arch, f"must be one of {', '.join(ARCHES)}")
        if self.os not in OSES:
            raise ValidationError("os", self.os, f"must be one of {', '.join(OSES)}")
        if self.network_bandwidth_gbps is not None:
            self.network_bandwidth_gbps = finite_number(
                "network_bandwidth_gbps", self.network_bandwidth_gbps
            )
            if self.network_bandwidth_gbps <= 0:
                raise ValidationError(
                    "network_bandwidth_gbps", self.network_bandwidth_gbps, "must be > 0"
                )
        self.price_per_hour = _price("price_per_hour", self.price_per_hour)
        if self.on_demand_price_per_hour is not None:
            self.on_demand_price_per_hour = _price(
                "on_demand_price_per_hour", self.on_demand_price_per_hour
            )
        if self.interruption_rate is not None:
            self.interruption_rate = finite_number("interruption_rate", self.interruption_rate)
            if not 0.0 <= self.interruption_rate <= 1.0:
                raise ValidationError(
                    "interruption_rate", self.interruption_rate, "must be between 0 and 1"
                )
        self.observed_at = _require_utc("observed_at", self.observed_at)
        self.collected_at = _require_utc("collected_at", self.collected_at)

    @property
    def key(self) -> PriceKey:
        return (self.provider, self.region, self.availability_zone, self.instance_type, self.os)

    @property
    def savings_pct(self) -> float | None:
        """Spot savings against on-demand, in percent, when the on-demand price is known."""
        if self.on_demand_price_per_hour is None:
            return None
        return 100.0 * (1.0 - self.price_per_hour / self.on_demand_price_per_hour)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def to_camel(self) -> dict[str, Any]:
        """The row in the API's camelCase names, timestamps as ISO 8601 strings."""
        out: dict[str, Any] = {}
        for name in FIELD_NAMES:
            value = getattr(self, name)
            if isinstance(value, datetime):
                value = value.isoformat()
            out[SNAKE_TO_CAMEL[name]] = value
        return out


def _price(name: str, value: object) -> float:
    try:
        number = finite_number(name, value)
    except ValidationError as exc:
        raise InvalidPriceError(name, value, exc.reason) from None
    if number <= 0:
        raise InvalidPriceError(name, value, "must be > 0")
    return number


FIELD_NAMES: Final[tuple[str, ...]] = tuple(f.name for f in fields(SpotPrice))


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.upper() if part == "gb" else part.title() for part in rest)


#: snake_case field name → the API's camelCase name (``memory_gb`` → ``memoryGB``).
SNAKE_TO_CAMEL: Final[dict[str, str]] = {name: _camel(name) for name in FIELD_NAMES}
CAMEL_TO_SNAKE: Final[dict[str, str]] = {v: k for k, v in SNAKE_TO_CAMEL.items()}
