"""The filters users asked for: hard region limits with globs and groups, GPU memory and
models, instance families, burstable types, and the x86_64 default."""

from __future__ import annotations

from typing import Any

import pytest

from spotarb.core.errors import ValidationError
from spotarb.core.models import SpotPrice
from spotarb.placement import (
    NoMatchError,
    PlacementDecision,
    PriceSnapshot,
    WorkloadRequirements,
    families,
    find_optimal_placement,
    place,
)
from tests.placement.conftest import NOW, price


def names(decision: PlacementDecision) -> list[str]:
    return [decision.instance_type] + [a.instance_type for a in decision.alternatives]


def run(rows: list[SpotPrice], **kw: Any) -> PlacementDecision:
    kw.setdefault("strategy", "lowest-price")
    kw.setdefault("alternatives", 20)
    return find_optimal_placement(WorkloadRequirements(**kw), rows, now=NOW)


def fail(rows: list[SpotPrice], **kw: Any) -> NoMatchError:
    with pytest.raises(NoMatchError) as info:
        run(rows, **kw)
    return info.value


WORLD = [
    price("a", 0.01, region="us-east-1"),
    price("b", 0.02, provider="azure", region="eastus2"),
    price("c", 0.03, provider="gcp", region="us-east4"),
    price("d", 0.04, region="us-west-2"),
    price("e", 0.05, provider="gcp", region="europe-west4"),
    price("f", 0.06, provider="azure", region="westeurope"),
    price("g", 0.07, region="eu-central-1"),
    price("h", 0.08, provider="gcp", region="asia-east1"),
]


def test_regions_is_a_hard_limit_with_groups_and_globs() -> None:
    assert names(run(WORLD, regions=["geo:us-east"])) == ["a", "b", "c"]
    assert names(run(WORLD, regions=["geo:eu"])) == ["e", "f", "g"]
    assert names(run(WORLD, regions=["europe-*"])) == ["e"]
    assert names(run(WORLD, regions=["eu*", "asia-east1"])) == ["e", "g", "h"]
    decision = run(WORLD, regions=["geo:eu"])
    assert decision.summary is not None
    assert decision.summary.removed_by["regions"] == 5
    # Unlike the preference, nothing outside is ever returned.
    err = fail(WORLD, regions=["geo:africa"])
    assert err.blocking_filter == "regions"
    assert "no candidate is in geo:africa" in str(err)
    assert "us-east-1" in str(err)  # says where the candidates are
    assert names(run(WORLD, preferred_regions=["geo:africa"]))[0] == "a"  # a preference falls back


def test_exclude_and_prefer_take_the_same_patterns() -> None:
    assert names(run(WORLD, exclude_regions=["geo:us", "geo:asia"])) == ["e", "f", "g"]
    decision = run(WORLD, exclude_regions=["*east*"])
    assert names(decision) == ["d", "e", "f", "g"]
    assert decision.summary is not None and decision.summary.removed_by["exclude_regions"] == 4
    preferred = run(WORLD, preferred_regions=["geo:eu-west"])
    assert names(preferred) == ["e", "f"]
    assert preferred.summary is not None and preferred.summary.region_preference == "applied"


def test_unknown_region_group_is_refused() -> None:
    with pytest.raises(ValidationError) as info:
        WorkloadRequirements(regions=["geo:atlantis"])
    assert info.value.field == "regions"
    with pytest.raises(ValidationError) as info:
        WorkloadRequirements.from_mapping({"excludeRegions": ["geo:"]})
    assert info.value.field == "exclude_regions"


GPUS = [
    price("t4", 0.5, gpu_count=1, gpu_type="nvidia-t4", gpu_memory_gb=16.0),
    price("l4", 0.7, gpu_count=1, gpu_type="nvidia-l4", gpu_memory_gb=24.0),
    price("a100-40", 3.0, gpu_count=1, gpu_type="nvidia-a100", gpu_memory_gb=40.0),
    price("a100-80", 4.0, gpu_count=1, gpu_type="nvidia-a100", gpu_memory_gb=80.0),
    price("mystery", 0.1, gpu_count=1, gpu_type="nvidia-a10g"),  # memory unknown
    price("cpu", 0.01),
]


def test_min_gpu_memory_is_per_gpu_and_unknown_memory_does_not_pass() -> None:
    decision = run(GPUS, min_gpu_memory_gb=24)
    assert names(decision) == ["l4", "a100-40", "a100-80"]
    assert decision.summary is not None
    assert decision.summary.removed_by["min_gpu_memory_gb"] == 3
    assert names(run(GPUS, min_gpu_memory_gb=48)) == ["a100-80"]
    err = fail(GPUS, min_gpu_memory_gb=100)
    assert err.blocking_filter == "min_gpu_memory_gb"
    assert "the most GPU memory among 6 candidates is 80 GiB per GPU" in str(err)


def test_gpu_types_accept_any_of_the_models() -> None:
    decision = run(GPUS, gpu_types=["t4", "a100"])
    assert names(decision) == ["t4", "a100-40", "a100-80"]
    assert decision.summary is not None and decision.summary.removed_by["gpu"] == 3
    assert names(run(GPUS, gpu_types="l4,t4")) == ["t4", "l4"]
    err = fail(GPUS, gpu_types=["h100", "b200"])
    assert "no remaining candidate has a nvidia-h100 or nvidia-b200" in str(err)
    with pytest.raises(ValidationError) as info:
        WorkloadRequirements(gpu_type="t4", gpu_types=["l4"])
    assert info.value.field == "gpu_types"
    with pytest.raises(ValidationError) as info:
        WorkloadRequirements(gpu_types=["not-a-gpu"])
    assert info.value.field == "gpu_types"


TYPES = [
    price("t2.micro", 0.001),
    price("t4g.nano", 0.002, arch="arm64"),
    price("t3a.large", 0.003),
    price("m5.large", 0.01),
    price("m5a.large", 0.011),
    price("m5.metal", 0.5),
    price("Standard_B2s", 0.004, provider="azure", region="eastus"),
    price("Standard_D4s_v5", 0.02, provider="azure", region="eastus"),
    price("Standard_D8s_v5", 0.04, provider="azure", region="eastus"),
    price("e2-micro", 0.0015, provider="gcp", region="us-central1"),
    price("e2-medium", 0.005, provider="gcp", region="us-central1"),
    price("e2-standard-4", 0.03, provider="gcp", region="us-central1"),
    price("f1-micro", 0.0012, provider="gcp", region="us-central1"),
    price("g1-small", 0.0025, provider="gcp", region="us-central1"),
    price("t2a-standard-1", 0.006, provider="gcp", region="us-central1", arch="arm64"),
]


@pytest.mark.parametrize(
    ("include", "expected"),
    [
        (["t2*"], ["t2.micro", "t2a-standard-1"]),
        (["*.metal"], ["m5.metal"]),
        (["m5"], ["m5.large", "m5.metal"]),  # the m5 family, not m5a
        (["m5*"], ["m5.large", "m5a.large", "m5.metal"]),
        (["Standard_B*"], ["Standard_B2s"]),
        (["standard_ds_v5"], ["Standard_D4s_v5", "Standard_D8s_v5"]),  # family, any case
        (["e2"], ["e2-micro", "e2-medium", "e2-standard-4"]),
    ],
)
def test_include_families(include: list[str], expected: list[str]) -> None:
    decision = run(TYPES, include_families=include, arch="any")
    assert sorted(names(decision)) == sorted(expected)
    assert decision.summary is not None
    assert decision.summary.removed_by["include_families"] == len(TYPES) - len(expected)


def test_exclude_families() -> None:
    decision = run(TYPES, exclude_families=["t*", "e2", "*.metal"], arch="any")
    assert sorted(names(decision)) == sorted(
        ["m5.large", "m5a.large", "Standard_B2s", "Standard_D4s_v5", "Standard_D8s_v5",
         "f1-micro", "g1-small"]
    )  # fmt: skip
    assert decision.summary is not None
    assert decision.summary.removed_by["exclude_families"] == 8
    err = fail(TYPES, exclude_families=["*"], arch="any")
    assert err.blocking_filter == "exclude_families"


def test_exclude_burstable_uses_one_rule_table() -> None:
    decision = run(TYPES, exclude_burstable=True, arch="any")
    kept = ["m5.large", "m5a.large", "m5.metal", "Standard_D4s_v5", "Standard_D8s_v5",
            "e2-standard-4", "t2a-standard-1"]  # fmt: skip
    assert sorted(names(decision)) == sorted(kept)
    assert decision.summary is not None
    assert decision.summary.removed_by["exclude_burstable"] == len(TYPES) - len(kept)
    assert [t for t in (p.instance_type for p in TYPES) if families.is_burstable(t)] == [
        "t2.micro", "t4g.nano", "t3a.large", "Standard_B2s", "e2-micro", "e2-medium",
        "f1-micro", "g1-small",
    ]  # fmt: skip
    only_burstable = [p for p in TYPES if families.is_burstable(p.instance_type)]
    err = fail(only_burstable, exclude_burstable=True, arch="any")
    assert "are burstable (shared-core) types" in str(err)


def test_family_of_each_cloud() -> None:
    assert families.family_of("m5.large") == "m5"
    assert families.family_of("t4g.2xlarge") == "t4g"
    assert families.family_of("Standard_D4s_v5") == "Standard_Ds_v5"
    assert families.family_of("Standard_NC24ads_A100_v4") == "Standard_NCads_A100_v4"
    assert families.family_of("Standard_M416-208s_v2") == "Standard_Ms_v2"
    assert families.family_of("n2-standard-8") == "n2"
    assert families.family_of("e2-medium") == "e2"


def test_every_filter_is_reported_in_the_summary_in_order() -> None:
    decision = run(
        TYPES + GPUS,
        regions=["geo:us"],
        exclude_regions=["us-central*"],
        arch="x86_64",
        include_families=["m5*", "t*.*"],
        exclude_families=["*.metal"],
        exclude_burstable=True,
    )
    assert names(decision) == ["m5.large", "m5a.large"]
    assert decision.summary is not None
    assert list(decision.summary.removed_by) == [
        "regions", "exclude_regions", "arch", "include_families", "exclude_families",
        "exclude_burstable",
    ]  # fmt: skip
    assert decision.summary.removed_by == {
        "regions": 0,
        "exclude_regions": 6,
        "arch": 1,
        "include_families": 9,
        "exclude_families": 1,
        "exclude_burstable": 2,
    }


ARM_CHEAPEST = [
    price("t4g.2xlarge", 0.08, vcpu=8, memory_gb=32, arch="arm64"),
    price("m6g.2xlarge", 0.09, vcpu=8, memory_gb=32, arch="arm64"),
    price("m5.2xlarge", 0.12, vcpu=8, memory_gb=32),
    price("m6i.2xlarge", 0.13, vcpu=8, memory_gb=32),
    price("Standard_D8ps_v5", 0.01, provider="azure", region="eastus", vcpu=8, memory_gb=32,
          arch="arm64"),
]  # fmt: skip


@pytest.mark.parametrize("strategy", ["balanced", "lowest-price", "weighted"])
def test_arch_defaults_to_x86_64(strategy: str) -> None:
    req = {"min_cpu": 8, "min_memory_gb": 32, "providers": ["aws"], "strategy": strategy}
    default = run(ARM_CHEAPEST, **req)
    assert default.instance_type == "m5.2xlarge" and default.arch == "x86_64"
    assert {d.arch for d in [default, *default.alternatives]} == {"x86_64"}
    assert default.summary is not None and default.summary.removed_by["arch"] == 2
    assert run(ARM_CHEAPEST, arch="arm64", **req).instance_type == "t4g.2xlarge"
    anything = run(ARM_CHEAPEST, arch="any", **req)
    assert anything.instance_type == "t4g.2xlarge" and anything.arch == "arm64"
    assert anything.summary is not None and "arch" not in anything.summary.removed_by
    assert WorkloadRequirements().arch == "x86_64"
    assert WorkloadRequirements.from_mapping({"arch": "ANY"}).arch == "any"
    assert WorkloadRequirements.from_mapping({"arch": None}).arch == "x86_64"
    with pytest.raises(ValidationError, match="x86_64, arm64, any"):
        WorkloadRequirements(arch="sparc")


def test_patterns_are_resolved_once_per_snapshot(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[str] = []
    real = families.family_matches

    def counting(patterns: tuple[str, ...], name: str) -> bool:
        calls.append(name)
        return real(patterns, name)

    monkeypatch.setattr(families, "family_matches", counting)
    snap = PriceSnapshot.from_prices(TYPES * 1)
    req = WorkloadRequirements(include_families=["m5*"], arch="any", strategy="lowest-price")
    first = place(snap, req, now=NOW)
    assert sorted(calls) == sorted(snap.instance_types)  # once per distinct type, not per row
    calls.clear()
    second = place(snap, req, now=NOW)
    assert calls == []
    assert names(first) == names(second) == ["m5.large", "m5a.large", "m5.metal"]
