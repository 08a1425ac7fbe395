"""Fleet planning: caps, same region/zone, strategies, capacity targets, answers and errors."""

from __future__ import annotations

import math
import random
from typing import Any

import pytest

from spotarb import plan_fleet
from spotarb.core.errors import ValidationError
from spotarb.core.models import SpotPrice
from spotarb.placement import FleetInfeasibleError, FleetPlan, FleetRequirements, PriceSnapshot
from spotarb.placement.engine import NoMatchError
from spotarb.placement.fleet_reference import reference_fleet
from spotarb.placement.snapshot import hazard
from tests.placement.conftest import price


def _counts(plan: FleetPlan) -> list[tuple[str, str, int]]:
    return [(a.instance_type, a.availability_zone or a.region, a.count) for a in plan.allocations]


@pytest.fixture
def pools() -> list[SpotPrice]:
    return [
        price("a", 0.10, zone="us-east-1a", interruption_rate=0.18, on_demand_price_per_hour=0.4),
        price("b", 0.11, zone="us-east-1b", interruption_rate=0.03, on_demand_price_per_hour=0.4),
        price("c", 0.12, region="us-west-2", interruption_rate=0.07, on_demand_price_per_hour=0.4),
        price("d", 0.13, provider="azure", region="eastus", interruption_rate=0.12,
              on_demand_price_per_hour=0.5),
        price("e", 0.14, provider="gcp", region="us-central1", on_demand_price_per_hour=0.5),
    ]  # fmt: skip


def test_default_max_per_pool_is_a_quarter_of_the_count(pools: list[SpotPrice]) -> None:
    plan = plan_fleet({"count": 10}, pools)
    # ceil(10/4) = 3 per pool, cheapest first → 3, 3, 3, 1 over four pools.
    assert _counts(plan) == [("a", "us-east-1a", 3), ("b", "us-east-1b", 3),
                             ("c", "us-west-2a", 3), ("d", "eastus", 1)]  # fmt: skip
    assert plan.max_per_pool == 3 and plan.pools == 4
    assert plan.regions == 3 and plan.providers == 2
    assert plan.total_price_per_hour == pytest.approx(3 * 0.10 + 3 * 0.11 + 3 * 0.12 + 0.13)
    assert any("maxPerPool defaulted" in note for note in plan.notes)


def test_caps_nest_pool_region_provider(pools: list[SpotPrice]) -> None:
    plan = plan_fleet({"count": 7, "maxPerPool": 4, "maxPerRegion": 5, "maxPerProvider": 6}, pools)
    # us-east-1 holds 5 (a:4, b:1); aws holds 6 (c:1); the rest goes to azure.
    assert _counts(plan) == [("a", "us-east-1a", 4), ("b", "us-east-1b", 1),
                             ("c", "us-west-2a", 1), ("d", "eastus", 1)]  # fmt: skip


def test_totals_savings_interruptions_and_expected_cost(pools: list[SpotPrice]) -> None:
    plan = plan_fleet({"count": 4, "maxPerPool": 2, "jobHours": 10}, pools)
    assert _counts(plan) == [("a", "us-east-1a", 2), ("b", "us-east-1b", 2)]
    assert plan.total_price_per_hour == pytest.approx(0.42)
    assert plan.total_on_demand_per_hour == pytest.approx(1.6)
    assert plan.savings_percent == pytest.approx(100 * (1 - 0.42 / 1.6))
    assert plan.expected_interruptions_per_hour == pytest.approx(
        2 * hazard(0.18) + 2 * hazard(0.03)
    )
    # W = T·(1 + λ·(T/2 + 0.1)) per instance, checkpoint = job length by default
    wall = [10 * (1 + hazard(r) * (5 + 0.1)) for r in (0.18, 0.03)]
    assert plan.expected_cost == pytest.approx(2 * 0.10 * wall[0] + 2 * 0.11 * wall[1])
    body = plan.to_camel()
    assert body["allocations"][0]["count"] == 2
    assert {"totalPricePerHour", "totalOnDemandPerHour", "savingsPercent",
            "expectedInterruptionsPerHour", "expectedCost", "pools", "regions", "providers",
            "summary"} <= set(body)  # fmt: skip


def test_unknown_on_demand_price_gives_no_savings(pools: list[SpotPrice]) -> None:
    rows = [*pools[:1], price("z", 0.01, zone="us-east-1c")]
    plan = plan_fleet({"count": 2, "maxPerPool": 1}, rows)
    assert plan.total_on_demand_per_hour is None and plan.savings_percent is None


def test_same_region_picks_the_cheapest_whole_plan() -> None:
    rows = [
        # us-east-1 has the cheapest pool but its second pool is dear.
        price("a", 0.05, zone="us-east-1a"),
        price("b", 0.50, zone="us-east-1b"),
        price("c", 0.10, region="us-west-2"),
        price("c2", 0.11, region="us-west-2", zone="us-west-2b"),
    ]
    plan = plan_fleet({"count": 4, "maxPerPool": 2, "sameRegion": True}, rows)
    assert {a.region for a in plan.allocations} == {"us-west-2"}
    assert plan.total_price_per_hour == pytest.approx(0.42)
    free = plan_fleet({"count": 4, "maxPerPool": 2}, rows)
    assert free.total_price_per_hour == pytest.approx(0.30)  # without the constraint


def test_same_zone_and_its_binding_error() -> None:
    rows = [price("a", 0.1, zone="us-east-1a"), price("b", 0.1, zone="us-east-1a"),
            price("c", 0.05, zone="us-east-1b")]  # fmt: skip
    plan = plan_fleet({"count": 4, "maxPerPool": 2, "sameZone": True}, rows)
    assert _counts(plan) == [("a", "us-east-1a", 2), ("b", "us-east-1a", 2)]
    with pytest.raises(FleetInfeasibleError) as info:
        plan_fleet({"count": 5, "maxPerPool": 2, "sameZone": True}, rows)
    assert info.value.binding == "sameZone" and info.value.largest == 4
    assert "largest feasible fleet is 4 instances" in str(info.value)


@pytest.mark.parametrize(
    ("caps", "binding", "largest"),
    [
        ({"count": 40, "maxPerPool": 2}, "maxPerPool", 10),
        ({"count": 20, "maxPerPool": 5, "maxPerRegion": 3}, "maxPerRegion", 12),
        ({"count": 20, "maxPerPool": 5, "maxPerProvider": 4}, "maxPerProvider", 12),
        ({"count": 12, "maxPerPool": 5, "sameRegion": True}, "sameRegion", 10),
    ],
)
def test_no_feasible_fleet_names_the_binding_cap(
    pools: list[SpotPrice], caps: dict[str, Any], binding: str, largest: int
) -> None:
    with pytest.raises(FleetInfeasibleError) as info:
        plan_fleet(caps, pools)
    assert info.value.binding == binding
    assert info.value.largest == largest
    assert f"({binding} is binding)" in str(info.value)
    assert math.isclose(
        reference_fleet(pools, FleetRequirements.from_mapping(caps)).largest,
        largest,
    )


def test_a_filter_that_leaves_nothing_is_named(pools: list[SpotPrice]) -> None:
    with pytest.raises(NoMatchError) as info:
        plan_fleet({"count": 2, "maxInterruptionRate": 0.01}, pools)
    assert info.value.blocking_filter == "max_interruption_rate"


def test_filters_remove_pools_and_are_reported(pools: list[SpotPrice]) -> None:
    plan = plan_fleet({"count": 2, "maxPerPool": 1, "excludeRegions": ["us-east-1"],
                       "maxInterruptionRate": 0.15}, pools)  # fmt: skip
    assert _counts(plan) == [("c", "us-west-2a", 1), ("d", "eastus", 1)]
    assert plan.summary.removed_by == {
        "exclude_regions": 2,
        "arch": 0,
        "max_interruption_rate": 1,
    }
    assert plan.summary.excluded_unknown_interruption == 1


def test_preferred_regions_are_used_when_the_fleet_fits(pools: list[SpotPrice]) -> None:
    plan = plan_fleet({"count": 2, "maxPerPool": 2, "preferredRegions": ["eastus"]}, pools)
    assert _counts(plan) == [("d", "eastus", 2)]
    assert plan.summary.region_preference == "applied"
    plan = plan_fleet({"count": 3, "maxPerPool": 2, "preferredRegions": ["eastus"]}, pools)
    assert plan.summary.region_preference == "fallback"
    assert _counts(plan) == [("a", "us-east-1a", 2), ("b", "us-east-1b", 1)]


def test_price_capacity_optimized_takes_the_lowest_band_first(pools: list[SpotPrice]) -> None:
    plan = plan_fleet({"count": 3, "maxPerPool": 1, "strategy": "price-capacity-optimized"}, pools)
    # bands: b <5 %, c 5–10 %, d 10–15 %, a 15–20 %, e unknown (last)
    assert [a.instance_type for a in plan.allocations] == ["b", "c", "d"]


def test_expected_cost_prefers_the_pool_that_is_rarely_interrupted() -> None:
    rows = [price("risky", 0.100, zone="us-east-1a", interruption_rate=0.9),
            price("steady", 0.102, zone="us-east-1b", interruption_rate=0.01)]  # fmt: skip
    req = {"count": 1, "maxPerPool": 1, "jobHours": 100}
    assert plan_fleet({**req, "strategy": "lowest-price"}, rows).allocations[0].instance_type == (
        "risky"
    )
    plan = plan_fleet({**req, "strategy": "expected-cost"}, rows)
    assert plan.allocations[0].instance_type == "steady"


def test_diversified_spreads_one_per_pool_per_round(pools: list[SpotPrice]) -> None:
    plan = plan_fleet({"count": 7, "maxPerPool": 5, "strategy": "diversified"}, pools)
    assert [a.count for a in plan.allocations] == [2, 2, 1, 1, 1]
    lowest = plan_fleet({"count": 7, "maxPerPool": 5}, pools)
    assert [a.count for a in lowest.allocations] == [5, 2]


def test_capacity_target_is_the_exact_cheapest_cover() -> None:
    rows = [price("big", 0.80, zone="us-east-1a", vcpu=8),
            price("mid", 0.44, zone="us-east-1b", vcpu=4),
            price("small", 0.24, zone="us-east-1c", vcpu=2)]  # fmt: skip
    plan = plan_fleet({"targetVCPU": 10, "maxPerPool": 1}, rows)
    # Greedy by $/vCPU would take big + mid ($1.24); big + small covers 10 for $1.04.
    assert sorted(_counts(plan)) == [("big", "us-east-1a", 1), ("small", "us-east-1c", 1)]
    assert plan.total_price_per_hour == pytest.approx(1.04)
    assert plan.vcpus == 10 and plan.unit == "vCPU" and plan.target == 10


def test_capacity_default_pool_cap_is_a_quarter_of_the_target_per_size() -> None:
    t4 = {"gpu_type": "nvidia-t4"}
    rows = [price("one", 0.1, zone="us-east-1a", gpu_count=1, **t4),
            price("eight", 0.5, zone="us-east-1b", gpu_count=8, **t4),
            price("eight-b", 0.6, zone="us-east-1c", gpu_count=8, **t4)]  # fmt: skip
    freq = FleetRequirements.from_mapping({"targetGPUs": 10})
    assert freq.pool_cap(1) == 3 and freq.pool_cap(8) == 1
    plan = plan_fleet(freq, rows)
    # 8 + 2·1 GPUs for $0.70 beats 8 + 8 for $1.10; "one" may hold 3 (a quarter of 10).
    # Pools are listed by $ per unit: eight ($0.0625/GPU) before one ($0.10/GPU).
    assert _counts(plan) == [("eight", "us-east-1b", 1), ("one", "us-east-1a", 2)]
    assert plan.gpus == 10 and plan.total_price_per_hour == pytest.approx(0.7)
    with pytest.raises(FleetInfeasibleError) as info:
        plan_fleet({"targetGPUs": 18, "maxPerPool": 1}, rows)
    assert info.value.largest == 17 and info.value.unit == "GPUs"
    assert info.value.binding == "maxPerPool"


def test_capacity_target_drops_instances_without_the_unit(pools: list[SpotPrice]) -> None:
    with pytest.raises(NoMatchError) as info:
        plan_fleet({"targetGPUs": 2}, pools)
    assert info.value.blocking_filter == "target_gpus"


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({}, "count"),
        ({"count": 2, "targetVCPU": 8}, "target_vcpu"),
        ({"count": 0}, "count"),
        ({"count": 2.5}, "count"),
        ({"count": 2, "maxPerPool": 0}, "max_per_pool"),
        ({"count": 2, "strategy": "balanced"}, "strategy"),
        ({"count": 2, "strategy": "expected-cost"}, "job_hours"),
        ({"count": 2, "sameZone": "yes"}, "same_zone"),
        ({"count": 2, "minCPU": -1}, "min_cpu"),
    ],
)
def test_invalid_requests_name_the_field(data: dict[str, Any], field: str) -> None:
    with pytest.raises(ValidationError) as info:
        FleetRequirements.from_mapping(data)
    assert info.value.field == field


def _big_catalog(n: int, seed: int) -> list[SpotPrice]:
    rnd = random.Random(seed)
    regions = {"aws": ["us-east-1", "us-west-2", "eu-west-1"], "azure": ["eastus", "westeurope"],
               "gcp": ["us-central1", "europe-west4"]}  # fmt: skip
    rows: dict[tuple[str, ...], SpotPrice] = {}
    while len(rows) < n:
        provider = rnd.choice(sorted(regions))
        region = rnd.choice(regions[provider])
        zone = region + rnd.choice("abc") if provider == "aws" else ""
        rate = rnd.choice([None, 0.04, 0.12])
        row = price(f"t{rnd.randrange(2000)}", rnd.randrange(1, 400) / 1000, provider=provider,
                    region=region, zone=zone, interruption_rate=rate)  # fmt: skip
        rows[row.key] = row
    return list(rows.values())


@pytest.mark.parametrize(
    "data",
    [
        {"count": 300, "maxPerPool": 1, "maxPerRegion": 60, "maxPerProvider": 150},
        {"count": 1500, "maxPerPool": 2, "strategy": "diversified"},
        {"count": 1200, "maxPerPool": 1, "strategy": "diversified", "maxPerRegion": 300},
        {"count": 900, "maxPerPool": 1, "strategy": "price-capacity-optimized",
         "maxPerProvider": 400},
        {"count": 300, "maxPerPool": 1, "strategy": "expected-cost", "jobHours": 20,
         "sameRegion": True},
    ],
)  # fmt: skip
def test_large_fleets_beyond_the_first_prefix_match_the_reference(data: dict[str, Any]) -> None:
    rows = _big_catalog(2500, seed=len(str(data)))
    freq = FleetRequirements.from_mapping(data)
    plan = plan_fleet(freq, PriceSnapshot.from_prices(rows))
    ref = reference_fleet(rows, freq)
    assert ref.feasible
    got = [((a.provider, a.region, a.availability_zone, a.instance_type), a.count)
           for a in plan.allocations]  # fmt: skip
    want = [((r.provider, r.region, r.availability_zone, r.instance_type), n)
            for r, n in ref.allocations]  # fmt: skip
    assert got == want
    assert plan.instances == freq.count


def _doc_row(provider: str, region: str, zone: str, itype: str, spot: float, od: float,
             rate: float | None) -> SpotPrice:  # fmt: skip
    return price(itype, spot, provider=provider, region=region, zone=zone, vcpu=8, memory_gb=32,
                 on_demand_price_per_hour=od, interruption_rate=rate)  # fmt: skip


#: The worked example of docs/placement.md (Fleets), so its figures stay true.
DOC_PRICES = [
    _doc_row("gcp", "europe-west4", "", "n2d-standard-8", 0.0704, 0.3380, None),
    _doc_row("azure", "eastus", "", "Standard_D8s_v5", 0.0768, 0.3840, 0.11),
    _doc_row("gcp", "us-central1", "", "n2-standard-8", 0.0821, 0.3885, None),
    _doc_row("azure", "westeurope", "", "Standard_D8as_v5", 0.0832, 0.4128, 0.04),
    _doc_row("aws", "us-east-2", "us-east-2a", "m6a.2xlarge", 0.0937, 0.3456, 0.18),
    _doc_row("aws", "us-east-1", "us-east-1d", "m6i.2xlarge", 0.1014, 0.3840, 0.12),
    _doc_row("aws", "us-east-1", "us-east-1a", "m5.2xlarge", 0.1105, 0.3840, 0.07),
    _doc_row("aws", "us-east-1", "us-east-1b", "m5.2xlarge", 0.1192, 0.3840, 0.07),
]


def test_the_documented_worked_example() -> None:
    base = {"count": 12, "minCPU": 8, "minMemoryGB": 32}
    plan = plan_fleet(base, DOC_PRICES)
    assert [(a.instance_type, a.count) for a in plan.allocations] == [
        ("n2d-standard-8", 3), ("Standard_D8s_v5", 3), ("n2-standard-8", 3),
        ("Standard_D8as_v5", 3)]  # fmt: skip
    assert f"{plan.total_price_per_hour:.4f}" == "0.9375"
    assert f"{plan.total_on_demand_per_hour:.4f} {plan.savings_percent:.1f}" == "4.5699 79.5"
    assert f"{plan.expected_interruptions_per_hour:.6f}" == "0.001513"
    assert (plan.pools, plan.regions, plan.providers) == (4, 4, 2)
    capped = plan_fleet({**base, "maxPerProvider": 5}, DOC_PRICES)
    assert [a.count for a in capped.allocations] == [3, 3, 2, 2, 2]
    assert f"{capped.total_price_per_hour:.4f}" == "0.9596" and capped.providers == 3
    pco = plan_fleet({**base, "strategy": "price-capacity-optimized"}, DOC_PRICES)
    assert [a.instance_type for a in pco.allocations] == [
        "Standard_D8as_v5", "m5.2xlarge", "m5.2xlarge", "Standard_D8s_v5"]  # fmt: skip
    assert f"{pco.total_price_per_hour:.4f} {pco.expected_interruptions_per_hour:.6f}" == (
        "1.1691 0.001243"
    )
    spread = plan_fleet({**base, "strategy": "diversified", "maxPerPool": 6}, DOC_PRICES)
    assert [a.count for a in spread.allocations] == [2, 2, 2, 2, 1, 1, 1, 1]
    assert f"{spread.total_price_per_hour:.4f}" == "1.0498"
    with pytest.raises(FleetInfeasibleError) as info:
        plan_fleet({**base, "sameRegion": True}, DOC_PRICES)
    assert str(info.value) == (
        "No feasible fleet of 12 instances: the largest fleet in one region is 9 instances "
        "(sameRegion is binding); the largest feasible fleet is 9 instances"
    )
    one = plan_fleet({**base, "sameRegion": True, "maxPerPool": 6}, DOC_PRICES)
    assert [(a.instance_type, a.count) for a in one.allocations] == [
        ("m6i.2xlarge", 6), ("m5.2xlarge", 6)]  # fmt: skip
    assert f"{one.total_price_per_hour:.4f}" == "1.2714"
    with pytest.raises(FleetInfeasibleError) as info:
        plan_fleet({**base, "sameZone": True, "maxPerPool": 6}, DOC_PRICES)
    assert info.value.largest == 6
    vcpu = plan_fleet({"targetVCPU": 100, "minCPU": 8}, DOC_PRICES)
    assert [a.count for a in vcpu.allocations] == [4, 4, 4, 1]
    assert vcpu.vcpus == 104 and f"{vcpu.total_price_per_hour:.4f}" == "1.0004"


def test_placement_filters_added_later_apply_to_fleets(pools: list[SpotPrice]) -> None:
    """Region patterns, preferred-region patterns and family filters come from the engine."""
    plan = plan_fleet({"count": 2, "maxPerPool": 1, "regions": ["us-*"]}, pools)
    assert [a.region for a in plan.allocations] == ["us-east-1", "us-east-1"]
    plan = plan_fleet({"count": 2, "maxPerPool": 2, "preferredRegions": ["geo:us-west"]}, pools)
    assert _counts(plan) == [("c", "us-west-2a", 2)]
    assert plan.summary.region_preference == "applied"
    plan = plan_fleet({"count": 2, "maxPerPool": 1, "excludeFamilies": ["a", "b"]}, pools)
    assert [a.instance_type for a in plan.allocations] == ["c", "d"]


def test_the_new_placement_filters_shape_a_fleet() -> None:
    rows = [
        price("t3.large", 0.05, zone="us-east-1a"),
        price("m5.large", 0.10, zone="us-east-1b"),
        price("m6g.large", 0.06, zone="us-east-1c", arch="arm64"),
        price("Standard_D2s_v5", 0.11, provider="azure", region="westeurope"),
        price("n2-standard-2", 0.12, provider="gcp", region="asia-east1"),
        price("c5.large", 0.13, region="us-west-2"),
    ]
    plan = plan_fleet(
        {"count": 2, "maxPerPool": 1, "regions": ["geo:us"], "excludeBurstable": True}, rows
    )
    # t3 is burstable, m6g is arm64 (x86_64 by default), Europe and Asia are outside geo:us.
    assert [a.instance_type for a in plan.allocations] == ["m5.large", "c5.large"]
    assert plan.summary.removed_by["exclude_burstable"] == 1
    plan = plan_fleet(
        {"count": 2, "maxPerPool": 1, "excludeFamilies": ["m5*", "t3*"], "arch": "any"}, rows
    )
    assert [a.instance_type for a in plan.allocations] == ["m6g.large", "Standard_D2s_v5"]
