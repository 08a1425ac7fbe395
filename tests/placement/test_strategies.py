"""Each strategy against hand-computed expectations, ties, and unknown interruption rates."""

from __future__ import annotations

import math

import pytest

from spotarb.placement import PlacementDecision, WorkloadRequirements, find_optimal_placement
from tests.placement.conftest import NOW, price


def run(rows: list, **kw: object) -> PlacementDecision:  # type: ignore[type-arg]
    kw.setdefault("alternatives", 10)
    return find_optimal_placement(WorkloadRequirements(**kw), rows, now=NOW)  # type: ignore[arg-type]


def order(decision: PlacementDecision) -> list[str]:
    return [decision.instance_type] + [a.instance_type for a in decision.alternatives]


# Small shapes: a 2 vCPU / 4 GB requirement against small instances on three clouds.
SMALL_ROWS = [
    price("m5.large", 0.0384, vcpu=2, memory_gb=8, interruption_rate=0.05),
    price("e2-medium", 0.01, provider="gcp", region="us-central1", vcpu=2, memory_gb=4),
    price(
        "Standard_D2s_v3",
        0.02,
        provider="azure",
        region="eastus",
        vcpu=2,
        memory_gb=8,
        interruption_rate=0.0,
    ),
]


def test_weighted_formula_by_hand() -> None:
    decision = run(SMALL_ROWS, min_cpu=2, min_memory_gb=4, strategy="weighted")
    # Standard_D2s_v3: price 100-0.2=99.8, availability 100 (known 0 counts as 0),
    # efficiency 50·(1 + 0.5)/2 = 37.5 → 49.9 + 30 + 7.5 = 87.4
    # e2-medium: 99.9, 90 (unknown → 0.1), 50 → 49.95 + 27 + 10 = 86.95
    # m5.large: 99.616, 95, 37.5 → 49.808 + 28.5 + 7.5 = 85.808
    assert order(decision) == ["Standard_D2s_v3", "e2-medium", "m5.large"]
    assert decision.score == pytest.approx(87.4)
    assert decision.alternatives[0].score == pytest.approx(86.95)
    assert decision.alternatives[1].score == pytest.approx(85.808)
    assert decision.breakdown.price == pytest.approx(99.8)
    assert decision.breakdown.availability == pytest.approx(100.0)
    assert decision.breakdown.efficiency == pytest.approx(37.5)
    assert [decision.rank, *(a.rank for a in decision.alternatives)] == [1, 2, 3]


def test_balanced_uses_price_relative_to_cheapest() -> None:
    decision = run(SMALL_ROWS, min_cpu=2, min_memory_gb=4)
    # cheapest 0.01: e2-medium 100 → 50+27+10 = 87; D2s 50 → 25+30+7.5 = 62.5;
    # m5.large 100·0.01/0.0384 = 26.0417 → 13.0208+28.5+7.5 = 49.0208
    assert decision.strategy == "balanced"
    assert order(decision) == ["e2-medium", "Standard_D2s_v3", "m5.large"]
    assert decision.score == pytest.approx(87.0)
    assert decision.alternatives[0].score == pytest.approx(62.5)
    assert decision.alternatives[1].score == pytest.approx(13.0208333 + 36.0)


def test_weighted_cannot_tell_expensive_gpus_apart_but_balanced_can() -> None:
    rows = [
        price("p5.48xlarge", 31.0, gpu_count=8, gpu_type="nvidia-h100", interruption_rate=0.10),
        price(
            "ND96isr_H100_v5",
            40.0,
            provider="azure",
            region="eastus",
            gpu_count=8,
            gpu_type="nvidia-h100",
            interruption_rate=0.05,
        ),
    ]
    weighted = run(rows, gpu_type="h100", gpu_count=8, strategy="weighted")
    assert weighted.breakdown.price == 0.0 and weighted.alternatives[0].breakdown.price == 0.0
    assert order(weighted) == ["ND96isr_H100_v5", "p5.48xlarge"]  # pays $9/h more
    balanced = run(rows, gpu_type="h100", gpu_count=8)
    assert order(balanced) == ["p5.48xlarge", "ND96isr_H100_v5"]
    assert balanced.alternatives[0].breakdown.price == pytest.approx(77.5)


RATE_ROWS = [
    price("band0-a", 0.10, interruption_rate=0.04),
    price("band0-b", 0.12, interruption_rate=0.03),
    price("band2", 0.05, interruption_rate=0.12),
    price("unknown", 0.01),
    price("band1-edge", 0.20, interruption_rate=0.10),
]


def test_lowest_price() -> None:
    assert order(run(RATE_ROWS, strategy="lowest-price")) == [
        "unknown",
        "band2",
        "band0-a",
        "band0-b",
        "band1-edge",
    ]


def test_capacity_optimized_lowest_rate_first_unknown_last() -> None:
    assert order(run(RATE_ROWS, strategy="capacity-optimized")) == [
        "band0-b",
        "band0-a",
        "band1-edge",
        "band2",
        "unknown",
    ]


def test_price_capacity_optimized_cheapest_within_lowest_band() -> None:
    decision = run(RATE_ROWS, strategy="price-capacity-optimized")
    assert order(decision) == ["band0-a", "band0-b", "band1-edge", "band2", "unknown"]
    # Reported scores stay the balanced ones.
    assert decision.score == pytest.approx(50 * 0.01 / 0.10 + 0.3 * 96 + 0.0)


def test_price_capacity_without_known_rates_is_lowest_price() -> None:
    rows = [price(f"t{i}", p) for i, p in enumerate([0.3, 0.1, 0.2, 0.1])]
    assert order(run(rows, strategy="price-capacity-optimized")) == order(
        run(rows, strategy="lowest-price")
    )
    assert order(run(rows, strategy="lowest-price")) == ["t1", "t3", "t2", "t0"]


def expected_wall(
    rate: float | None, job: float, checkpoint: float | None, overhead: float
) -> float:
    r = 0.1 if rate is None else rate
    lam = -math.log(1 - r) / 730
    c = job if checkpoint is None else checkpoint
    return job * (1 + lam * (c / 2 + overhead))


def test_expected_cost_by_hand() -> None:
    rows = [
        price("cheap-flaky", 1.00, interruption_rate=0.25),
        price("dear-steady", 1.10, interruption_rate=0.05),
        price("unknown", 1.07),
    ]
    # A 1000 h job without checkpoints: an interruption costs half the job on average.
    long_job = run(rows, strategy="expected-cost", job_hours=1000)
    w_flaky = expected_wall(0.25, 1000, None, 0.1)
    w_steady = expected_wall(0.05, 1000, None, 0.1)
    w_unknown = expected_wall(None, 1000, None, 0.1)
    assert 1.10 * w_steady < 1.07 * w_unknown < 1.00 * w_flaky
    assert order(long_job) == ["dear-steady", "unknown", "cheap-flaky"]
    assert long_job.expected_hours == pytest.approx(w_steady)
    assert long_job.expected_cost == pytest.approx(1.10 * w_steady)
    assert long_job.alternatives[1].expected_cost == pytest.approx(1.00 * w_flaky)
    # Hourly checkpoints make interruptions cheap: the cheapest wins again.
    checkpointed = run(
        rows, strategy="expected-cost", job_hours=1000, checkpoint_hours=1, restart_overhead_hours=0
    )
    assert order(checkpointed) == ["cheap-flaky", "unknown", "dear-steady"]
    assert checkpointed.expected_hours == pytest.approx(expected_wall(0.25, 1000, 1, 0))


def test_expected_cost_rate_one_ranks_last() -> None:
    rows = [price("doomed", 0.01, interruption_rate=1.0), price("ok", 5.0, interruption_rate=0.2)]
    decision = run(rows, strategy="expected-cost", job_hours=2)
    assert order(decision) == ["ok", "doomed"]
    assert decision.alternatives[0].expected_cost == math.inf


def test_ties_break_by_price_then_provider_region_zone_type() -> None:
    same = {"vcpu": 2, "memory_gb": 8, "interruption_rate": 0.05}
    rows = [
        price("b-type", 0.1, provider="gcp", region="us-central1", **same),
        price("a-type", 0.1, provider="gcp", region="us-central1", **same),
        price("m5.large", 0.1, region="us-east-1", zone="us-east-1b", **same),
        price("m5.large", 0.1, region="us-east-1", zone="us-east-1a", **same),
        price("D2", 0.1, provider="azure", region="eastus", **same),
        price("m5.large", 0.1, region="ap-south-1", zone="ap-south-1a", **same),
    ]
    expected = [
        ("aws", "ap-south-1a", "m5.large"),
        ("aws", "us-east-1a", "m5.large"),
        ("aws", "us-east-1b", "m5.large"),
        ("azure", "", "D2"),
        ("gcp", "", "a-type"),
        ("gcp", "", "b-type"),
    ]
    for strategy in ("weighted", "balanced", "lowest-price", "capacity-optimized"):
        decision = run(rows, strategy=strategy)
        got = [(decision.provider, decision.availability_zone, decision.instance_type)] + [
            (a.provider, a.availability_zone, a.instance_type) for a in decision.alternatives
        ]
        assert got == expected, strategy


def test_keys_within_epsilon_are_ties() -> None:
    # Rates 1e-12 apart count as equal, so price decides: the cheaper (higher-rate) row wins.
    rows = [
        price("lower-rate", 0.2, interruption_rate=0.05),
        price("cheaper", 0.1, interruption_rate=0.05 + 1e-12),
    ]
    assert order(run(rows, strategy="capacity-optimized")) == ["cheaper", "lower-rate"]
    # A real difference still counts.
    rows[1] = price("cheaper", 0.1, interruption_rate=0.05 + 1e-6)
    assert order(run(rows, strategy="capacity-optimized")) == ["lower-rate", "cheaper"]


def test_alternatives_count() -> None:
    rows = [price(f"t{i}", 0.1 + i / 100) for i in range(10)]
    assert len(run(rows, alternatives=0).alternatives) == 0
    assert len(run(rows, alternatives=3).alternatives) == 3
    assert len(run(rows, alternatives=50).alternatives) == 9
    decision = run(rows, alternatives=3)
    assert all(a.alternatives == () and a.summary is None for a in decision.alternatives)
