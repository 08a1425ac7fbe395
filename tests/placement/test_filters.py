"""Each filter, the region preference and its fallback, and the summary counts."""

from __future__ import annotations

from datetime import timedelta

import pytest

from spotarb.placement import NoMatchError, WorkloadRequirements, find_optimal_placement
from tests.placement.conftest import NOW, price


def names(decision: object) -> list[str]:
    from spotarb.placement import PlacementDecision

    assert isinstance(decision, PlacementDecision)
    return [decision.instance_type] + [a.instance_type for a in decision.alternatives]


def place(rows: list, **kw: object):  # type: ignore[no-untyped-def]
    kw.setdefault("strategy", "lowest-price")
    kw.setdefault("alternatives", 10)
    return find_optimal_placement(WorkloadRequirements(**kw), rows, now=NOW)  # type: ignore[arg-type]


def test_cpu_and_memory_minimums_are_inclusive() -> None:
    rows = [
        price("small", 0.01, vcpu=2, memory_gb=4),
        price("exact", 0.02, vcpu=4, memory_gb=16),
        price("lowmem", 0.015, vcpu=8, memory_gb=8),
    ]
    decision = place(rows, min_cpu=4, min_memory_gb=16)
    assert names(decision) == ["exact"]
    assert decision.summary is not None
    assert decision.summary.removed_by == {"arch": 0, "min_cpu": 1, "min_memory_gb": 1}
    assert decision.summary.candidates_considered == 3


def test_gpu_count_matches_gpus_but_not_trainium() -> None:
    rows = [
        price("cpu", 0.01),
        price("trn1.32xlarge", 0.5, gpu_count=16, gpu_type="aws-trainium"),
        price("g4dn.xlarge", 0.6, gpu_count=1, gpu_type="nvidia-t4"),
        price("g4dn.12xlarge", 1.6, gpu_count=4, gpu_type="nvidia-t4"),
        price("p3.8xlarge", 3.6, gpu_count=4, gpu_type="nvidia-v100"),
    ]
    assert names(place(rows, gpu_count=2)) == ["g4dn.12xlarge", "p3.8xlarge"]
    assert names(place(rows, gpu_count=1)) == ["g4dn.xlarge", "g4dn.12xlarge", "p3.8xlarge"]
    # gpu_type alone means at least one of that GPU.
    assert names(place(rows, gpu_type="t4")) == ["g4dn.xlarge", "g4dn.12xlarge"]
    assert names(place(rows, gpu_type="t4", gpu_count=4)) == ["g4dn.12xlarge"]
    # Trainium is an accelerator: only an explicit request matches it.
    assert names(place(rows, gpu_type="trainium")) == ["trn1.32xlarge"]
    # gpu_count 0 is no GPU requirement: everything stays.
    assert len(names(place(rows, gpu_count=0))) == 5


def test_max_price_is_inclusive() -> None:
    rows = [price("a", 0.10), price("b", 0.25), price("c", 0.2500001)]
    assert names(place(rows, max_price_per_hour=0.25)) == ["a", "b"]


def test_max_interruption_excludes_unknown_and_counts_them() -> None:
    rows = [
        price("known-low", 0.3, interruption_rate=0.05),
        price("known-high", 0.1, interruption_rate=0.2),
        price("unknown-1", 0.05),
        price("unknown-2", 0.06),
        price("zero", 0.4, interruption_rate=0.0),
    ]
    decision = place(rows, max_interruption_rate=0.1)
    assert names(decision) == ["known-low", "zero"]
    assert decision.summary is not None
    assert decision.summary.excluded_unknown_interruption == 2
    assert decision.summary.removed_by["max_interruption_rate"] == 3
    assert any("without a known interruption rate" in note for note in decision.notes)


def test_bandwidth_unknown_passes_and_is_flagged() -> None:
    rows = [
        price("slow", 0.01, network_bandwidth_gbps=10),
        price("unknown", 0.02),
        price("fast", 0.03, network_bandwidth_gbps=25),
    ]
    decision = place(rows, network_bandwidth_gbps=25)
    assert names(decision) == ["unknown", "fast"]
    assert decision.bandwidth_unverified is True
    assert decision.alternatives[0].bandwidth_unverified is False
    assert decision.summary is not None and decision.summary.bandwidth_unknown == 1
    # Without a bandwidth requirement nothing is flagged.
    assert place(rows).bandwidth_unverified is False


def test_providers_exclude_regions_and_arch() -> None:
    rows = [
        price("aws-x86", 0.01),
        price("aws-arm", 0.02, arch="arm64"),
        price("gcp", 0.03, provider="gcp", region="us-central1"),
        price("azure", 0.04, provider="azure", region="eastus"),
        price("aws-west", 0.05, region="us-west-2"),
    ]
    assert names(place(rows, providers=("gcp", "azure"))) == ["gcp", "azure"]
    assert names(place(rows, exclude_regions=("us-east-1", "eastus"))) == ["gcp", "aws-west"]
    assert names(place(rows, arch="arm64")) == ["aws-arm"]
    decision = place(rows, providers=("aws",), arch="x86_64")
    assert names(decision) == ["aws-x86", "aws-west"]
    assert decision.summary is not None
    assert decision.summary.removed_by == {"providers": 2, "arch": 1}


def test_region_preference_applies_when_possible() -> None:
    rows = [
        price("east", 0.01),
        price("west", 0.05, region="us-west-2"),
        price("eu", 0.02, region="eu-west-1", vcpu=1),
    ]
    decision = place(rows, preferred_regions=("us-west-2", "eu-west-1"))
    assert names(decision) == ["eu", "west"]
    assert decision.summary is not None
    assert decision.summary.region_preference == "applied"
    assert decision.summary.removed_by["preferred_regions"] == 1
    # The preference is applied after the filters: eu (1 vCPU) is filtered out first.
    decision = place(rows, preferred_regions=("us-west-2", "eu-west-1"), min_cpu=2)
    assert names(decision) == ["west"]


def test_region_preference_falls_back_and_says_so() -> None:
    rows = [price("east", 0.01), price("west", 0.05, region="us-west-2", vcpu=1)]
    decision = place(rows, preferred_regions=("us-west-2",), min_cpu=2)
    assert names(decision) == ["east"]
    assert decision.summary is not None
    assert decision.summary.region_preference == "fallback"
    assert "preferred_regions" not in decision.summary.removed_by
    assert any("no preferred region (us-west-2)" in note for note in decision.notes)
    assert place(rows).summary.region_preference == "not-requested"  # type: ignore[union-attr]


def test_staleness_cutoff_and_data_age() -> None:
    rows = [
        price("old", 0.01, collected_at=NOW - timedelta(hours=3)),
        price("fresh", 0.02, collected_at=NOW - timedelta(minutes=5)),
    ]
    decision = place(rows, not_older_than=NOW - timedelta(hours=1))
    assert names(decision) == ["fresh"]
    assert decision.data_age_seconds == pytest.approx(300)
    assert decision.summary is not None
    assert decision.summary.removed_by == {"arch": 0, "not_older_than": 1}
    assert place(rows).data_age_seconds == pytest.approx(3 * 3600)
    with pytest.raises(NoMatchError) as info:
        place(rows, not_older_than=NOW)
    assert info.value.blocking_filter == "not_older_than"
    assert "older than" in str(info.value)


def test_windows_rows_are_not_candidates() -> None:
    rows = [price("win", 0.001, os="windows"), price("linux", 0.5)]
    assert names(place(rows)) == ["linux"]
