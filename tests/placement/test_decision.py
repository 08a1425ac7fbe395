"""The decision's fields and JSON, and the no-match explanations."""

from __future__ import annotations

import json

import pytest

from spotarb.core.errors import NoPlacementError
from spotarb.placement import (
    NoMatchError,
    PriceSnapshot,
    WorkloadRequirements,
    find_optimal_placement,
)
from tests.placement.conftest import NOW, price

H100_ROWS = [
    price(
        "p5.48xlarge",
        31.17,
        zone="us-east-1b",
        vcpu=192,
        memory_gb=2048,
        gpu_count=8,
        gpu_type="nvidia-h100",
        interruption_rate=0.15,
    ),
    price("g5.xlarge", 0.5, vcpu=4, memory_gb=16, gpu_count=1, gpu_type="nvidia-a10g"),
    price(
        "a3-highgpu-8g",
        40.0,
        provider="gcp",
        region="us-central1",
        vcpu=208,
        memory_gb=1872,
        gpu_count=8,
        gpu_type="nvidia-h100",
    ),
]


def fail(rows: list, **kw: object) -> NoMatchError:  # type: ignore[type-arg]
    with pytest.raises(NoPlacementError) as info:
        find_optimal_placement(WorkloadRequirements(**kw), rows, now=NOW)  # type: ignore[arg-type]
    assert isinstance(info.value, NoMatchError)
    assert str(info.value).startswith("No suitable instances available for requirements: ")
    return info.value


def test_nearest_miss_on_price() -> None:
    err = fail(H100_ROWS, gpu_type="h100", gpu_count=8, max_price_per_hour=20)
    assert err.blocking_filter == "max_price_per_hour"
    assert (
        "no nvidia-h100 ×8 on x86_64 at ≤ $20.00/h; the cheapest match is $31.17/h "
        "(aws p5.48xlarge us-east-1b)"
    ) in str(err)
    assert err.removed_by == {"arch": 0, "gpu": 1, "max_price_per_hour": 2}
    assert str(err).endswith("(the max_price_per_hour filter removed the last 2 candidates)")


def test_nearest_miss_on_gpu_count_and_type() -> None:
    err = fail(H100_ROWS, gpu_type="h100", gpu_count=16)
    assert err.blocking_filter == "gpu"
    assert "the most nvidia-h100 on one instance is 8" in str(err)
    err = fail(H100_ROWS, gpu_type="v100")
    assert "no remaining candidate has a nvidia-v100" in str(err)


def test_nearest_miss_on_interruption() -> None:
    err = fail(H100_ROWS, gpu_type="h100", max_interruption_rate=0.1)
    assert err.blocking_filter == "max_interruption_rate"
    assert "the lowest known interruption rate among 2 matches is 15% (aws p5.48xlarge" in str(err)
    err = fail(H100_ROWS, providers=("gcp",), max_interruption_rate=0.5)
    assert "none of the 1 matches has a known interruption rate" in str(err)


def test_nearest_miss_on_size_and_other_filters() -> None:
    assert "the largest match has 208 vCPU (gcp a3-highgpu-8g us-central1)" in str(
        fail(H100_ROWS, min_cpu=256)
    )
    assert "the largest match has 2048 GiB" in str(fail(H100_ROWS, min_memory_gb=4096))
    assert "no prices from azure" in str(fail(H100_ROWS, providers=("azure",)))
    assert "none of the 3 candidates is arm64" in str(fail(H100_ROWS, arch="arm64"))
    err = fail(H100_ROWS, exclude_regions=("us-east-1", "us-central1"))
    assert err.blocking_filter == "exclude_regions"


def test_empty_catalog() -> None:
    err = fail([])
    assert err.blocking_filter is None
    assert "no prices" in str(err)


def test_decision_fields_and_camel_json() -> None:
    rows = [
        price(
            "m5.xlarge",
            0.08,
            vcpu=4,
            memory_gb=16,
            on_demand_price_per_hour=0.192,
            interruption_rate=0.05,
            interruption_source="aws-spot-advisor",
            network_bandwidth_gbps=10,
        ),
        price("m5.2xlarge", 0.16, vcpu=8, memory_gb=32),
    ]
    snap = PriceSnapshot.from_prices(rows, data_version=7)
    decision = find_optimal_placement(
        {"minCPU": 4, "minMemoryGB": 16, "jobHours": 2}, snap, now=NOW
    )
    assert decision.savings_pct == pytest.approx(100 * (1 - 0.08 / 0.192))
    assert decision.expected_hours is not None and decision.expected_hours > 2
    data = json.loads(decision.to_json())
    for key in (
        "provider",
        "region",
        "availabilityZone",
        "instanceType",
        "pricePerHour",
        "score",
        "alternatives",
        "vcpu",
        "memoryGB",
        "gpuCount",
        "gpuType",
        "interruptionRate",
        "onDemandPricePerHour",
        "savingsPct",
        "observedAt",
        "scoreBreakdown",
        "strategy",
        "rank",
        "summary",
        "dataAgeSeconds",
        "expectedHours",
        "expectedCost",
    ):
        assert key in data, key
    assert data["instanceType"] == "m5.xlarge"
    assert data["availabilityZone"] == "us-east-1a"
    assert data["interruptionRate"] == 0.05
    assert data["observedAt"] == NOW.isoformat()
    assert data["scoreBreakdown"]["priceScore"] == 100.0
    assert data["summary"]["dataVersion"] == 7
    assert data["summary"]["candidatesConsidered"] == 2
    assert data["summary"]["removedBy"] == {"arch": 0, "min_cpu": 0, "min_memory_gb": 0}
    assert len(data["alternatives"]) == 1
    alt = data["alternatives"][0]
    assert alt["instanceType"] == "m5.2xlarge" and alt["alternatives"] == []
    assert "summary" not in alt
    assert alt["interruptionRate"] is None
