"""The vectorized fleet planner against the plain-Python reference on random catalogs."""

from __future__ import annotations

import math
from collections import Counter
from typing import Any

from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from spotarb.core.errors import NoPlacementError
from spotarb.core.models import SpotPrice
from spotarb.placement import PriceSnapshot, WorkloadRequirements
from spotarb.placement.fleet import plan
from spotarb.placement.fleet_model import FleetInfeasibleError, FleetPlan, FleetRequirements
from spotarb.placement.fleet_reference import ReferenceFleet, cost_of, reference_fleet, units_of
from spotarb.placement.reference import expected_cost
from tests.placement.conftest import price

REGIONS = {"aws": ["us-east-1", "eu-west-1"], "azure": ["eastus"], "gcp": ["us-central1"]}
RATES = [None, 0.03, 0.07, 0.12, 0.18, 0.3]


@st.composite
def catalogs(draw: Any, max_rows: int = 10) -> list[SpotPrice]:
    rows: dict[tuple[str, ...], SpotPrice] = {}
    for _ in range(draw(st.integers(1, max_rows))):
        provider = draw(st.sampled_from(sorted(REGIONS)))
        region = draw(st.sampled_from(REGIONS[provider]))
        zone = region + draw(st.sampled_from("ab")) if provider == "aws" else ""
        itype = draw(st.sampled_from(["t1", "t2", "t3"]))
        gpus = draw(st.sampled_from([0, 1, 2, 4]))
        row = price(
            itype,
            draw(st.integers(1, 12)) / 20,
            provider=provider,
            region=region,
            zone=zone,
            vcpu=draw(st.sampled_from([1, 2, 4, 8])),
            gpu_count=gpus,
            gpu_type="nvidia-t4" if gpus else None,
            interruption_rate=draw(st.sampled_from(RATES)),
            on_demand_price_per_hour=draw(st.sampled_from([None, 1.0])),
        )
        rows[row.key] = row
    return list(rows.values())


caps = st.one_of(st.none(), st.integers(1, 6))


@st.composite
def count_fleets(draw: Any) -> FleetRequirements:
    strategy = draw(st.sampled_from(["lowest-price", "expected-cost", "price-capacity-optimized",
                                     "diversified"]))  # fmt: skip
    workload = WorkloadRequirements(
        min_cpu=draw(st.sampled_from([0, 2])),
        max_interruption_rate=draw(st.sampled_from([None, 0.2])),
        job_hours=draw(st.sampled_from([None, 5.0])) if strategy != "expected-cost" else 5.0,
        preferred_regions=draw(st.sampled_from([(), ("eu-west-1",)])),
    )
    same = draw(st.sampled_from(["", "region", "zone"]))
    return FleetRequirements(
        workload=workload,
        count=draw(st.integers(1, 14)),
        max_per_pool=draw(caps),
        max_per_region=draw(caps),
        max_per_provider=draw(st.one_of(st.none(), st.integers(1, 9))),
        same_region=same == "region",
        same_zone=same == "zone",
        strategy=strategy,
    )


@st.composite
def capacity_fleets(draw: Any) -> FleetRequirements:
    strategy = draw(st.sampled_from(["lowest-price", "expected-cost", "price-capacity-optimized",
                                     "diversified"]))  # fmt: skip
    gpus = draw(st.booleans())
    same = draw(st.sampled_from(["", "region", "zone"]))
    return FleetRequirements(
        workload=WorkloadRequirements(job_hours=5.0),
        target_gpus=draw(st.integers(1, 9)) if gpus else None,
        target_vcpu=None if gpus else draw(st.integers(1, 20)),
        max_per_pool=draw(st.one_of(st.none(), st.integers(1, 3))),
        max_per_region=draw(st.one_of(st.none(), st.integers(1, 4))),
        max_per_provider=draw(st.one_of(st.none(), st.integers(1, 5))),
        same_region=same == "region",
        same_zone=same == "zone",
        strategy=strategy,
    )


def _run(rows: list[SpotPrice], freq: FleetRequirements) -> FleetPlan | NoPlacementError:
    try:
        return plan(PriceSnapshot.from_prices(rows), freq)
    except NoPlacementError as exc:
        return exc


def _pairs(result: FleetPlan) -> list[tuple[tuple[str, ...], int]]:
    return [
        ((a.provider, a.region, a.availability_zone, a.instance_type), a.count)
        for a in result.allocations
    ]


def _ref_pairs(ref: ReferenceFleet) -> list[tuple[tuple[str, ...], int]]:
    return [
        ((r.provider, r.region, r.availability_zone, r.instance_type), n)
        for r, n in ref.allocations
    ]


def _check_caps(result: FleetPlan, freq: FleetRequirements) -> None:
    pools = Counter[tuple[str, ...]]()
    regions = Counter[tuple[str, str]]()
    providers = Counter[str]()
    for a in result.allocations:
        pools[(a.provider, a.region, a.availability_zone, a.instance_type)] += a.count
        regions[(a.provider, a.region)] += a.count
        providers[a.provider] += a.count
    assert len(pools) == len(result.allocations)
    if freq.count is not None:  # capacity fleets: per pool size, checked by the caller
        assert max(pools.values()) <= freq.pool_cap(1)
    if freq.max_per_region is not None:
        assert max(regions.values()) <= freq.max_per_region
    if freq.max_per_provider is not None:
        assert max(providers.values()) <= freq.max_per_provider
    if freq.same_region:
        assert len(regions) == 1
    if freq.same_zone:
        assert len({(a.provider, a.region, a.availability_zone) for a in result.allocations}) == 1


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rows=catalogs(), freq=count_fleets())
def test_count_fleets_match_the_reference(rows: list[SpotPrice], freq: FleetRequirements) -> None:
    ref = reference_fleet(rows, freq)
    result = _run(rows, freq)
    event("feasible" if ref.feasible else type(result).__name__)
    if not ref.feasible:
        assert isinstance(result, NoPlacementError)
        if isinstance(result, FleetInfeasibleError):
            assert (result.binding, result.largest) == (ref.binding, ref.largest)
            assert result.largest < freq.target
            assert f"largest feasible fleet is {ref.largest} instances" in str(result)
        else:  # a filter left nothing
            assert ref.largest == 0
        return
    assert isinstance(result, FleetPlan), result
    assert _pairs(result) == _ref_pairs(ref)
    assert result.instances == freq.count
    assert math.isclose(result.total_price_per_hour, ref.total_price, rel_tol=1e-12)
    assert result.summary.region_preference == ref.region_preference
    if freq.workload.job_hours is not None:
        expected = math.fsum(n * expected_cost(r, freq.workload) for r, n in ref.allocations)
        assert result.expected_cost is not None
        assert math.isclose(result.expected_cost, expected, rel_tol=1e-12)
    _check_caps(result, freq)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rows=catalogs(max_rows=6), freq=capacity_fleets())
def test_capacity_fleets_match_the_reference(
    rows: list[SpotPrice], freq: FleetRequirements
) -> None:
    ref = reference_fleet(rows, freq)
    result = _run(rows, freq)
    event("feasible" if ref.feasible else type(result).__name__)
    if not ref.feasible:
        assert isinstance(result, NoPlacementError)
        if isinstance(result, FleetInfeasibleError):
            assert (result.binding, result.largest) == (ref.binding, ref.largest)
            assert f"largest feasible fleet is {ref.largest} {freq.unit}" in str(result)
        else:  # a filter left nothing
            assert ref.largest == 0
        return
    assert isinstance(result, FleetPlan), result
    covered = (
        result.gpus
        if freq.target_gpus is not None
        else sum(math.floor(a.vcpu) * a.count for a in result.allocations)
    )
    assert covered >= freq.target
    cost = math.fsum(
        a.count * (a.expected_cost / a.count if freq.strategy == "expected-cost" and
                   a.expected_cost else a.price_per_hour)
        for a in result.allocations
    )  # fmt: skip
    if freq.strategy in ("lowest-price", "expected-cost"):
        # Exact: the same optimum as brute force over every combination of counts,
        # and the same plan when no other costs the same.
        assert math.isclose(cost, ref.total_cost, rel_tol=1e-9), (cost, ref.total_cost)
        event("unique optimum" if not ref.tied else "tied optima")
        if not ref.tied:
            assert _pairs(result) == _ref_pairs(ref)
    else:
        assert _pairs(result) == _ref_pairs(ref)
    for a in result.allocations:
        row = next(r for r in rows if r.instance_type == a.instance_type and r.region ==
                   a.region and r.availability_zone == a.availability_zone and r.provider ==
                   a.provider)  # fmt: skip
        assert a.count <= freq.pool_cap(units_of(row, freq))
        assert cost_of(row, freq) > 0
    _check_caps(result, freq)
