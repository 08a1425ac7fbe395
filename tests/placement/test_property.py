"""The vectorized engine agrees with the plain Python reference on random catalogs."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from spotarb.core.models import SpotPrice
from spotarb.placement import NoMatchError, PriceSnapshot, WorkloadRequirements, place
from spotarb.placement.reference import reference_place
from spotarb.placement.requirements import STRATEGIES
from tests.placement.conftest import NOW

PLACES = [
    ("aws", "us-east-1", "us-east-1a"),
    ("aws", "us-east-1", "us-east-1b"),
    ("aws", "eu-west-1", "eu-west-1a"),
    ("azure", "eastus", ""),
    ("azure", "westeurope", ""),
    ("gcp", "us-central1", ""),
    ("gcp", "europe-west4", "europe-west4-a"),
]
TYPES = [
    "t-a", "t-b", "t3.micro", "m5.large", "m5a.large", "m5.metal", "Standard_B2s",
    "Standard_D4s_v5", "e2-micro", "n2-standard-4",
]  # fmt: skip
GPUS = [
    (0, None, None),
    (1, "nvidia-t4", 16.0),
    (4, "nvidia-t4", None),
    (8, "nvidia-h100", 80.0),
    (16, "aws-trainium", 32.0),
]
PRICES = st.one_of(
    st.sampled_from([0.01, 0.05, 0.1, 0.5, 1.0, 2.5, 10.0, 12.0, 31.17]),
    st.floats(min_value=0.001, max_value=60, allow_nan=False).map(lambda p: round(p, 4)),
)
REGION_PATTERNS = ["us-east-1", "westeurope", "geo:eu", "geo:us-east", "us-*", "*west*", "geo:asia"]
FAMILY_PATTERNS = ["m5", "m5*", "*.metal", "t3*", "Standard_D*", "standard_ds_v5", "e2", "n2-*"]
RATES = st.sampled_from([None, None, 0.0, 0.05, 0.08, 0.1, 0.12, 0.15, 0.2, 0.25, 0.5, 1.0])


@st.composite
def rows(draw: st.DrawFn) -> list[SpotPrice]:
    keys = draw(
        st.lists(
            st.tuples(st.sampled_from(PLACES), st.sampled_from(TYPES)),
            unique=True,
            max_size=25,
        )
    )
    out = []
    for (provider, region, zone), itype in keys:
        gpus, gpu, gpu_memory = draw(st.sampled_from(GPUS))
        out.append(
            SpotPrice(
                provider=provider,
                region=region,
                availability_zone=zone,
                instance_type=itype,
                vcpu=draw(st.sampled_from([1, 2, 4, 8, 96])),
                memory_gb=draw(st.sampled_from([1, 2, 3.75, 8, 16, 768])),
                gpu_count=gpus,
                gpu_type=gpu,
                gpu_memory_gb=gpu_memory,
                arch=draw(st.sampled_from(["x86_64", "x86_64", "arm64"])),
                network_bandwidth_gbps=draw(st.sampled_from([None, 5.0, 25.0, 100.0])),
                price_per_hour=draw(PRICES),
                interruption_rate=draw(RATES),
                observed_at=NOW,
                collected_at=NOW - timedelta(minutes=draw(st.sampled_from([0, 10, 120]))),
            )
        )
    return out


@st.composite
def requirements(draw: st.DrawFn) -> WorkloadRequirements:
    kw: dict[str, Any] = {
        "strategy": draw(st.sampled_from(STRATEGIES)),
        "alternatives": draw(st.integers(0, 6)),
        "min_cpu": draw(st.sampled_from([0, 0, 1, 2, 4, 8])),
        "min_memory_gb": draw(st.sampled_from([0, 0, 2, 4, 16])),
    }
    if kw["strategy"] == "expected-cost" or draw(st.booleans()):
        kw["job_hours"] = draw(st.sampled_from([0.5, 1, 10, 1000]))
        kw["checkpoint_hours"] = draw(st.sampled_from([None, 0.25, 1]))
        kw["restart_overhead_hours"] = draw(st.sampled_from([0, 0.1]))
    optional = {
        "gpu_count": st.sampled_from([0, 1, 2, 8]),
        "gpu_type": st.sampled_from(["t4", "h100", "trainium"]),
        "preferred_regions": st.lists(
            st.sampled_from(["us-east-1", "eastus", "us-central1", "nowhere", "geo:eu", "eu*"]),
            max_size=2,
        ),
        "max_price_per_hour": st.sampled_from([0.05, 0.5, 2.5, 20]),
        "max_interruption_rate": st.sampled_from([0.0, 0.05, 0.1, 0.2]),
        "network_bandwidth_gbps": st.sampled_from([0, 10, 25]),
        "providers": st.lists(st.sampled_from(["aws", "azure", "gcp"]), min_size=1, max_size=2),
        "exclude_regions": st.lists(st.sampled_from(REGION_PATTERNS), max_size=2),
        "regions": st.lists(st.sampled_from(REGION_PATTERNS), min_size=1, max_size=2),
        "arch": st.sampled_from(["x86_64", "arm64", "any"]),
        "min_gpu_memory_gb": st.sampled_from([8, 16, 40]),
        "gpu_types": st.lists(st.sampled_from(["t4", "h100", "trainium"]), max_size=2),
        "include_families": st.lists(st.sampled_from(FAMILY_PATTERNS), min_size=1, max_size=2),
        "exclude_families": st.lists(st.sampled_from(FAMILY_PATTERNS), max_size=2),
        "exclude_burstable": st.booleans(),
        "not_older_than": st.sampled_from([NOW - timedelta(minutes=30)]),
    }
    for name, strategy in optional.items():
        if draw(st.integers(0, 3)) == 0:
            kw[name] = draw(strategy)
    if "gpu_type" in kw and kw.get("gpu_types"):
        del kw["gpu_types"]
    return WorkloadRequirements(**kw)


def key(row: Any) -> tuple[str, str, str, str]:
    return (row.provider, row.region, row.availability_zone, row.instance_type)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(catalog=rows(), req=requirements())
def test_engine_matches_reference(catalog: list[SpotPrice], req: WorkloadRequirements) -> None:
    expected = reference_place(catalog, req)
    snap = PriceSnapshot.from_prices(catalog)
    if not expected.ranked:
        with pytest.raises(NoMatchError) as info:
            place(snap, req, now=NOW)
        assert info.value.blocking_filter == expected.blocking_filter
        assert info.value.removed_by == expected.removed_by
        return
    decision = place(snap, req, now=NOW)
    got = [decision, *decision.alternatives]
    assert [key(d) for d in got] == [key(row) for row, _ in expected.ranked]
    assert [d.score for d in got] == pytest.approx([score for _, score in expected.ranked])
    assert decision.summary is not None
    assert decision.summary.removed_by == expected.removed_by
    assert decision.summary.region_preference == expected.region_preference
    assert decision.summary.excluded_unknown_interruption == expected.excluded_unknown_interruption
    assert [d.rank for d in got] == list(range(1, len(got) + 1))


def big_catalog(seed: int, n: int) -> list[SpotPrice]:
    """Thousands of rows (several scan chunks) with many equal prices and rates."""
    import random

    rng = random.Random(seed)
    regions = [(p, r, z) for p, r, z in PLACES] + [
        ("aws", f"r{i}", f"r{i}{c}") for i in range(20) for c in "abc"
    ]
    out = []
    for i in range(n):
        provider, region, zone = rng.choice(regions)
        gpus, gpu, gpu_memory = rng.choice(GPUS)
        out.append(
            SpotPrice(
                provider=provider,
                region=region,
                availability_zone=zone,
                instance_type=f"{rng.choice(TYPES)}-{i}" if i % 2 else f"type-{i}",
                vcpu=rng.choice([1, 2, 4, 8, 96]),
                memory_gb=rng.choice([1, 2, 3.75, 8, 16, 768]),
                gpu_count=gpus,
                gpu_type=gpu,
                gpu_memory_gb=gpu_memory,
                arch=rng.choice(["x86_64", "arm64"]),
                network_bandwidth_gbps=rng.choice([None, 5.0, 25.0]),
                price_per_hour=rng.choice([0.01, 0.02, 0.05, 0.1, 0.2, 1.0, 5.0, 11.0])
                * rng.choice([1, 1, 1.5, 2]),
                interruption_rate=rng.choice([None, 0.0, 0.05, 0.1, 0.15, 0.2, 0.25]),
                observed_at=NOW,
                collected_at=NOW,
            )
        )
    return out


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 2**32), n=st.sampled_from([600, 1500, 5000]), req=requirements())
def test_engine_matches_reference_on_large_catalogs(
    seed: int, n: int, req: WorkloadRequirements
) -> None:
    catalog = big_catalog(seed, n)
    expected = reference_place(catalog, req)
    snap = PriceSnapshot.from_prices(catalog)
    if not expected.ranked:
        with pytest.raises(NoMatchError) as info:
            place(snap, req, now=NOW)
        assert info.value.blocking_filter == expected.blocking_filter
        return
    decision = place(snap, req, now=NOW)
    got = [decision, *decision.alternatives]
    assert [key(d) for d in got] == [key(row) for row, _ in expected.ranked]
    assert [d.score for d in got] == pytest.approx([score for _, score in expected.ranked])
    assert decision.summary is not None
    assert decision.summary.removed_by == expected.removed_by
