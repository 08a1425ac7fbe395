from __future__ import annotations

from datetime import UTC, datetime

import pytest

from spotarb.core.errors import UnknownGpuError, ValidationError
from spotarb.placement import WorkloadRequirements


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"min_cpu": -1}, "min_cpu"),
        ({"min_cpu": "four"}, "min_cpu"),
        ({"min_memory_gb": -0.5}, "min_memory_gb"),
        ({"min_memory_gb": float("nan")}, "min_memory_gb"),
        ({"gpu_count": -1}, "gpu_count"),
        ({"gpu_count": 1.5}, "gpu_count"),
        ({"max_price_per_hour": 0}, "max_price_per_hour"),
        ({"max_price_per_hour": -2}, "max_price_per_hour"),
        ({"max_interruption_rate": 1.5}, "max_interruption_rate"),
        ({"max_interruption_rate": -0.1}, "max_interruption_rate"),
        ({"network_bandwidth_gbps": -1}, "network_bandwidth_gbps"),
        ({"providers": ("aws", "oracle")}, "providers"),
        ({"arch": "sparc"}, "arch"),
        ({"strategy": "cheapest"}, "strategy"),
        ({"alternatives": 51}, "alternatives"),
        ({"alternatives": -1}, "alternatives"),
        ({"strategy": "expected-cost"}, "job_hours"),
        ({"job_hours": 0}, "job_hours"),
        ({"job_hours": 5, "checkpoint_hours": 0}, "checkpoint_hours"),
        ({"restart_overhead_hours": -0.1}, "restart_overhead_hours"),
        ({"not_older_than": datetime(2026, 1, 1)}, "not_older_than"),
    ],
)
def test_invalid_values_name_the_field(kwargs: dict[str, object], field: str) -> None:
    with pytest.raises(ValidationError) as info:
        WorkloadRequirements(**kwargs)  # type: ignore[arg-type]
    assert info.value.field == field
    assert str(info.value).startswith(f"{field}:")


def test_gpu_alias_is_canonicalized_and_unknown_lists_close_matches() -> None:
    assert WorkloadRequirements(gpu_type="A100").gpu_type == "nvidia-a100"
    assert WorkloadRequirements(gpu_type="Tesla V100").gpu_type == "nvidia-v100"
    with pytest.raises(UnknownGpuError) as info:
        WorkloadRequirements(gpu_type="h1000")
    assert info.value.field == "gpu_type"
    assert "nvidia-h100" in str(info.value)


def test_defaults_and_normalisation() -> None:
    req = WorkloadRequirements(
        providers="aws, gcp", preferred_regions=["us-east-1", "us-east-1"], arch="aarch64"
    )
    assert req.providers == ("aws", "gcp")
    assert req.preferred_regions == ("us-east-1",)
    assert req.arch == "arm64"
    assert req.strategy == "balanced"
    assert req.alternatives == 3
    assert req.restart_overhead_hours == 0.1
    assert req.checkpoint_hours is None
    assert req.gpu_minimum == 0
    assert WorkloadRequirements(gpu_type="t4").gpu_minimum == 1
    assert WorkloadRequirements(gpu_type="t4", gpu_count=4).gpu_minimum == 4


def test_camel_case_mapping() -> None:
    req = WorkloadRequirements.from_mapping(
        {
            "minCPU": 8,
            "minMemoryGB": 32,
            "gpuCount": 1,
            "gpuType": "a100",
            "preferredRegions": ["us-east-1"],
            "maxPricePerHour": 2.5,
            "maxInterruptionRate": 0.1,
            "networkBandwidthGbps": 25,
            "notOlderThan": "2026-11-28T10:00:00+00:00",
        }
    )
    assert (req.min_cpu, req.min_memory_gb, req.gpu_count, req.gpu_type) == (
        8.0,
        32.0,
        1,
        "nvidia-a100",
    )
    assert req.max_price_per_hour == 2.5
    assert req.not_older_than == datetime(2026, 11, 28, 10, tzinfo=UTC)
    with pytest.raises(ValidationError) as info:
        WorkloadRequirements.from_mapping({"minCpus": 2})
    assert info.value.field == "minCpus"
