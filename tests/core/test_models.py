from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta, timezone

import pytest

from spotarb.core.errors import InvalidPriceError, SpotArbError, ValidationError
from spotarb.core.models import SNAKE_TO_CAMEL, SpotPrice
from tests.core.factories import price


def test_a_valid_row_keeps_its_values() -> None:
    p = price(gpu_count=8, gpu_type="nvidia-a100", gpu_memory_gb=40, vcpu=96, memory_gb=1152)
    assert p.key == ("aws", "us-east-1", "us-east-1a", "m5.large", "linux")
    assert (p.vcpu, p.memory_gb, p.gpu_count) == (96.0, 1152.0, 8)


def test_shared_core_fractional_vcpu_is_allowed() -> None:
    assert price(provider="gcp", instance_type="e2-micro", vcpu=0.25, memory_gb=1).vcpu == 0.25


@pytest.mark.parametrize(
    ("field", "value", "fragment"),
    [
        ("provider", "oracle", "must be one of aws, azure, gcp"),
        ("region", "", "non-empty"),
        ("region", "   ", "non-empty"),
        ("instance_type", "", "non-empty"),
        ("vcpu", 0, "> 0"),
        ("vcpu", -1, "> 0"),
        ("vcpu", math.nan, "finite"),
        ("memory_gb", 0, "> 0"),
        ("memory_gb", "8", "must be a number"),
        ("gpu_count", -1, ">= 0"),
        ("gpu_count", 1.5, "whole number"),
        ("interruption_rate", 1.5, "between 0 and 1"),
        ("interruption_rate", -0.1, "between 0 and 1"),
        ("arch", "sparc", "must be one of"),
        ("os", "beos", "must be one of"),
        ("network_bandwidth_gbps", 0, "> 0"),
        ("gpu_memory_gb", -4, "> 0"),
    ],
)
def test_each_rule_names_the_field_and_value(field: str, value: object, fragment: str) -> None:
    with pytest.raises(ValidationError) as info:
        price(**{field: value})
    assert info.value.field == field
    assert fragment in str(info.value)
    assert repr(value) in str(info.value)
    assert isinstance(info.value, SpotArbError)


@pytest.mark.parametrize("value", [0, -0.01, math.nan, math.inf, -math.inf, "0.1", None])
def test_price_must_be_finite_and_positive(value: object) -> None:
    with pytest.raises(InvalidPriceError) as info:
        price(price_per_hour=value)
    assert info.value.field == "price_per_hour"


def test_on_demand_price_is_checked_like_the_spot_price() -> None:
    with pytest.raises(InvalidPriceError, match="on_demand_price_per_hour"):
        price(on_demand_price_per_hour=math.nan)


def test_gpu_type_present_iff_gpu_count_positive() -> None:
    with pytest.raises(ValidationError, match="gpu_type: is required"):
        price(gpu_count=1)
    with pytest.raises(ValidationError, match="gpu_type: must be empty"):
        price(gpu_count=0, gpu_type="nvidia-t4")
    assert price(gpu_count=1, gpu_type="nvidia-t4").gpu_type == "nvidia-t4"


def test_timestamps_must_be_timezone_aware_and_are_kept_in_utc() -> None:
    with pytest.raises(ValidationError, match="observed_at: must be timezone-aware"):
        price(observed_at=datetime(2026, 1, 1))
    with pytest.raises(ValidationError, match="collected_at"):
        price(collected_at=datetime(2026, 1, 1))
    plus_two = timezone(timedelta(hours=2))
    p = price(observed_at=datetime(2026, 1, 1, 14, 0, tzinfo=plus_two))
    assert p.observed_at == datetime(2026, 1, 1, 12, 0, tzinfo=UTC)
    assert p.observed_at.utcoffset() == timedelta(0)


def test_interruption_rate_bounds_are_inclusive() -> None:
    assert price(interruption_rate=0).interruption_rate == 0.0
    assert price(interruption_rate=1).interruption_rate == 1.0


def test_savings_and_camel_case_names() -> None:
    p = price(price_per_hour=0.03, on_demand_price_per_hour=0.1)
    assert p.savings_pct == pytest.approx(70.0)
    camel = p.to_camel()
    assert camel["instanceType"] == "m5.large"
    assert camel["memoryGB"] == 8.0
    assert camel["availabilityZone"] == "us-east-1a"
    assert camel["pricePerHour"] == 0.03
    assert camel["networkBandwidthGbps"] is None
    assert camel["observedAt"] == "2026-11-01T12:00:00+00:00"
    assert set(SNAKE_TO_CAMEL) == set(SpotPrice.__dataclass_fields__)
