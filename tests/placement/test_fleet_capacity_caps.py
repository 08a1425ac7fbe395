"""Capacity targets (targetVCPU / targetGPUs) under maxPerRegion / maxPerProvider."""

from __future__ import annotations

from collections import Counter
from typing import Any

import numpy as np
import pytest

from spotarb import plan_fleet
from spotarb.core.models import SpotPrice
from spotarb.placement import FleetInfeasibleError, FleetPlan, FleetRequirements, fleet_cover
from spotarb.placement.fleet_cover import CappedCover
from spotarb.placement.fleet_reference import reference_fleet
from tests.placement.conftest import price


def _counts(plan: FleetPlan) -> list[tuple[str, str, int]]:
    return [(a.instance_type, a.region, a.count) for a in plan.allocations]


def _per_region(plan: FleetPlan) -> Counter[str]:
    regions = Counter[str]()
    for a in plan.allocations:
        regions[a.region] += a.count
    return regions


@pytest.fixture
def rows() -> list[SpotPrice]:
    return [
        # us-east-1: the 2-vCPU size is the cheapest per vCPU, the 16-vCPU one close behind.
        price("small", 0.08, vcpu=2),
        price("big", 0.80, vcpu=16),
        price("west", 0.96, region="us-west-2", vcpu=16),
    ]


def test_the_exact_plan_beats_greedy_by_cost_per_unit_under_a_region_cap(
    rows: list[SpotPrice],
) -> None:
    fleet = {"targetVCPU": 32, "maxPerPool": 4, "maxPerRegion": 2}
    plan = plan_fleet(fleet, rows)
    # Two 16-vCPU instances fill us-east-1's two slots: $1.60. Filling by $/vCPU would
    # spend both slots on 2-vCPU instances and buy the rest in us-west-2: $2.08.
    assert _counts(plan) == [("big", "us-east-1", 2)]
    assert plan.total_price_per_hour == pytest.approx(1.60)
    assert plan.vcpus == 32
    greedy = plan_fleet({**fleet, "strategy": "price-capacity-optimized"}, rows)
    assert _counts(greedy) == [("small", "us-east-1", 2), ("west", "us-west-2", 2)]
    assert greedy.total_price_per_hour == pytest.approx(2.08)
    ref = reference_fleet(rows, FleetRequirements.from_mapping(fleet))
    assert ref.total_price == pytest.approx(1.60) and not ref.tied


def test_provider_cap_with_a_gpu_target() -> None:
    gpu = {"gpu_type": "nvidia-a100"}
    rows = [
        price("g1", 1.0, vcpu=8, gpu_count=1, **gpu),
        price("g1w", 1.1, region="us-west-2", vcpu=8, gpu_count=1, **gpu),
        price("g8", 9.0, region="eu-west-1", vcpu=96, gpu_count=8, **gpu),
        price("az4", 4.6, provider="azure", region="eastus", vcpu=48, gpu_count=4, **gpu),
    ]
    fleet = {"targetGPUs": 10, "maxPerPool": 2}
    free = plan_fleet(fleet, rows)
    # Without a provider cap: 8 + 1 + 1 GPUs on three AWS instances, $11.
    assert sorted(_counts(free)) == [("g1", "us-east-1", 2), ("g8", "eu-west-1", 1)]
    assert free.total_price_per_hour == pytest.approx(11.0)
    # At most 2 AWS instances: 8 + 4 ($13.60) or 8 + 2·4 ($18.20) lose to 2·4 on Azure
    # and 2·1 on AWS: $11.20.
    capped = {**fleet, "maxPerProvider": 2}
    plan = plan_fleet(capped, rows)
    assert sorted(_counts(plan)) == [("az4", "eastus", 2), ("g1", "us-east-1", 2)]
    assert plan.total_price_per_hour == pytest.approx(11.2) and plan.gpus == 10
    ref = reference_fleet(rows, FleetRequirements.from_mapping(capped))
    assert ref.total_price == pytest.approx(11.2) and not ref.tied


@pytest.mark.parametrize(
    ("fleet", "binding", "largest"),
    [
        # us-east-1's two largest (16 + 16), us-west-2's two (16 + 16): 64 vCPU.
        ({"targetVCPU": 72, "maxPerPool": 4, "maxPerRegion": 2}, "maxPerRegion", 64),
        # AWS may hold 2 instances: the two largest, 32 vCPU.
        ({"targetVCPU": 40, "maxPerPool": 4, "maxPerProvider": 2}, "maxPerProvider", 32),
        ({"targetVCPU": 40, "maxPerPool": 4, "maxPerRegion": 2, "maxPerProvider": 2},
         "maxPerProvider", 32),
        # Inside one region the caps cap the fleet: us-east-1 holds 2 × 16.
        ({"targetVCPU": 40, "maxPerPool": 4, "maxPerRegion": 2, "sameRegion": True},
         "sameRegion", 32),
    ],
)  # fmt: skip
def test_no_feasible_fleet_names_the_binding_cap(
    rows: list[SpotPrice], fleet: dict[str, Any], binding: str, largest: int
) -> None:
    with pytest.raises(FleetInfeasibleError) as info:
        plan_fleet(fleet, rows)
    assert (info.value.binding, info.value.largest) == (binding, largest)
    assert f"({binding} is binding)" in str(info.value)
    assert f"the largest feasible fleet is {largest} vCPU" in str(info.value)
    ref = reference_fleet(rows, FleetRequirements.from_mapping(fleet))
    assert (ref.binding, ref.largest) == (binding, largest)


@pytest.mark.parametrize("strategy", ["lowest-price", "expected-cost",
                                      "price-capacity-optimized", "diversified"])  # fmt: skip
def test_every_strategy_respects_the_caps_inside_one_region(
    rows: list[SpotPrice], strategy: str
) -> None:
    fleet = {"targetVCPU": 32, "maxPerPool": 4, "maxPerRegion": 2, "sameRegion": True,
             "strategy": strategy, "jobHours": 2}  # fmt: skip
    plan = plan_fleet(fleet, rows)
    # Two instances in one region reach 32 vCPU only with two 16-vCPU ones there.
    assert len(_per_region(plan)) == 1 and max(_per_region(plan).values()) <= 2
    assert _counts(plan) == [("big", "us-east-1", 2)]


def test_a_greedy_fill_keeps_the_target_reachable() -> None:
    gpu = {"gpu_type": "nvidia-t4"}
    rows = [
        price("one", 0.05, region="eu-west-1", gpu_count=1, interruption_rate=0.03, **gpu),
        price("two", 0.05, gpu_count=2, **gpu),
    ]
    # price-capacity-optimized visits the low-interruption 1-GPU pool first; taking it
    # would use AWS's only instance and leave 1 GPU of 2, so it takes the 2-GPU one.
    fleet = {"targetGPUs": 2, "maxPerProvider": 1, "strategy": "price-capacity-optimized"}
    plan = plan_fleet(fleet, rows)
    assert _counts(plan) == [("two", "us-east-1", 1)]
    ref = reference_fleet(rows, FleetRequirements.from_mapping(fleet))
    assert [(r.instance_type, n) for r, n in ref.allocations] == [("two", 1)]


def test_the_kernel_on_arrays() -> None:
    # Region 0 holds one instance, region 1 two. 12 units: 4 ($1) in region 0 and
    # 2 × 4 ($6) in region 1 make $7; the 8-unit one ($5) in region 0 needs $3 more.
    cost = np.array([1.0, 5.0, 3.0])
    units = np.array([4, 8, 4])
    caps = np.array([2, 1, 2])
    region = (np.array([0, 0, 1]), np.array([1, 2]))
    found = CappedCover(cost, units, caps, 12, region).solve()
    assert found is not None and found.alloc.tolist() == [1, 0, 2] and found.gap is None
    assert CappedCover(cost, units, caps, 17, region).solve() is None  # at most 8 + 2 × 4


def test_over_the_state_budget_the_plan_says_how_far_from_the_cheapest_it_may_be(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    rows = [price("a8", 0.80, vcpu=8), price("b4", 0.44, vcpu=4), price("c2", 0.24, vcpu=2)]
    fleet = {"targetVCPU": 10, "maxPerPool": 1, "maxPerRegion": 3}
    exact = plan_fleet(fleet, rows)
    assert _counts(exact) == [("a8", "us-east-1", 1), ("c2", "us-east-1", 1)]  # $1.04
    assert not any("not proven" in n for n in exact.notes)
    monkeypatch.setattr(fleet_cover, "STATE_BUDGET", 0)
    # No programme at all: the plan is the Lagrangian greedy fill (8 + 4 vCPU, $1.24),
    # and its note bounds how far above $1.04 it may be.
    plan = plan_fleet(fleet, rows)
    assert _counts(plan) == [("a8", "us-east-1", 1), ("b4", "us-east-1", 1)]
    note = next(n for n in plan.notes if "not proven the cheapest" in n)
    gap = float(note.split("at most ")[1].split(" ")[0])
    assert plan.total_price_per_hour - gap <= 1.04 < plan.total_price_per_hour


@pytest.mark.parametrize("caps", [{}, {"maxPerRegion": 2}])
def test_an_unbounded_expected_cost_is_used_only_when_nothing_else_reaches_the_target(
    caps: dict[str, Any],
) -> None:
    # A monthly interruption rate of 1 makes the expected cost of a job unbounded.
    rows = [price("certain", 0.1, vcpu=4, interruption_rate=1.0),
            price("dear", 0.2, region="us-west-2", vcpu=4, interruption_rate=0.05)]  # fmt: skip
    fleet = {"targetVCPU": 8, "maxPerPool": 2, "strategy": "expected-cost", "jobHours": 5, **caps}
    plan = plan_fleet(fleet, rows)
    assert _counts(plan) == [("dear", "us-west-2", 2)]
    assert plan.expected_cost is not None and plan.expected_cost < float("inf")
    # Only unbounded instances left: every plan is unbounded, the cheapest per hour wins.
    plan = plan_fleet({**fleet, "regions": ["us-east-1"]}, rows)
    assert _counts(plan) == [("certain", "us-east-1", 2)]
    assert plan.expected_cost == float("inf")
