"""The engine on the real shared catalog (13k GCP + AWS rows), against the reference."""

from __future__ import annotations

from pathlib import Path

import pytest

import spotarb
import spotarb.placement
from spotarb.core.models import SpotPrice
from spotarb.ingest.dataio import parse_file
from spotarb.placement import NoMatchError, PriceSnapshot, WorkloadRequirements, place
from spotarb.placement.reference import reference_place
from spotarb.placement.requirements import STRATEGIES
from tests.placement.conftest import NOW


def test_public_names_resolve() -> None:
    for module in (spotarb, spotarb.placement):
        assert len(set(module.__all__)) == len(module.__all__)
        for name in module.__all__:
            assert getattr(module, name) is not None
    for name in ("find_optimal_placement", "WorkloadRequirements", "PlacementDecision"):
        assert name in spotarb.__all__ and name in spotarb.placement.__all__


@pytest.fixture(scope="module")
def real_rows(shared_dir: Path) -> list[SpotPrice]:
    parsed = parse_file(shared_dir / "datasets" / "normalized" / "real-catalog.csv", now=NOW)
    assert not parsed.errors
    return parsed.prices


QUERIES = [
    {"min_cpu": 8, "min_memory_gb": 32},
    {"min_cpu": 4, "min_memory_gb": 16, "preferred_regions": ("us-east-1", "europe-west4")},
    {"gpu_type": "h100", "gpu_count": 8},
    {"gpu_type": "a100", "max_price_per_hour": 3},
    {"gpu_type": "l4", "providers": ("aws",)},
    {"min_cpu": 16, "arch": "arm64", "max_interruption_rate": 0.1},
    {"min_cpu": 2, "job_hours": 100},
    {"min_cpu": 2, "regions": ("geo:eu",), "exclude_burstable": True},
    {"min_cpu": 4, "include_families": ("m*", "n2*"), "exclude_regions": ("geo:us-east",)},
    {"gpu_types": ("a100", "h100"), "min_gpu_memory_gb": 40, "arch": "any"},
    {"min_cpu": 8, "arch": "any", "exclude_families": ("*.metal", "t*"), "regions": ("*-east*",)},
]


@pytest.mark.parametrize("query", QUERIES)
@pytest.mark.parametrize("strategy", STRATEGIES)
def test_real_catalog_agrees_with_reference(
    real_rows: list[SpotPrice], query: dict[str, object], strategy: str
) -> None:
    if strategy == "expected-cost":
        query = {"job_hours": 10, **query}
    req = WorkloadRequirements(strategy=strategy, **query)  # type: ignore[arg-type]
    snap = PriceSnapshot.from_prices(real_rows)
    assert len(snap) == len(real_rows)
    expected = reference_place(real_rows, req)
    if not expected.ranked:
        with pytest.raises(NoMatchError) as info:
            place(snap, req, now=NOW)
        assert info.value.blocking_filter == expected.blocking_filter
        return
    decision = place(snap, req, now=NOW)
    got = [decision, *decision.alternatives]
    assert [(d.provider, d.region, d.availability_zone, d.instance_type) for d in got] == [
        (r.provider, r.region, r.availability_zone, r.instance_type) for r, _ in expected.ranked
    ]
    assert [d.score for d in got] == pytest.approx([s for _, s in expected.ranked])


def test_real_catalog_h100_nearest_miss(real_rows: list[SpotPrice]) -> None:
    req = WorkloadRequirements(gpu_type="h100", gpu_count=8, max_price_per_hour=1)
    with pytest.raises(NoMatchError) as info:
        place(PriceSnapshot.from_prices(real_rows), req, now=NOW)
    cheapest = min(
        r.price_per_hour for r in real_rows if r.gpu_type == "nvidia-h100" and r.gpu_count >= 8
    )
    assert f"the cheapest match is ${cheapest:.2f}/h" in str(info.value)
