"""The snapshot: immutable, deduplicated, shareable across threads."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import spotarb
from spotarb.core.models import SpotPrice
from spotarb.core.rows import to_row
from spotarb.placement import PlacementEngine, PriceSnapshot, WorkloadRequirements, strategies
from tests.placement.conftest import NOW, price


def test_public_api_is_reexported() -> None:
    assert spotarb.find_optimal_placement is spotarb.placement.find_optimal_placement
    assert spotarb.PlacementEngine is PlacementEngine
    assert spotarb.WorkloadRequirements is WorkloadRequirements
    assert spotarb.PriceSnapshot is PriceSnapshot
    assert "find_optimal_placement" in spotarb.__all__
    with pytest.raises(AttributeError):
        _ = spotarb.no_such_name  # type: ignore[attr-defined]


def test_rows_sorted_in_tie_break_order_and_arrays_read_only() -> None:
    snap = PriceSnapshot.from_prices(
        [
            price("b", 0.2),
            price("a", 0.2),
            price("c", 0.1, provider="gcp", region="us-central1"),
            price("win", 0.01, os="windows"),
        ]
    )
    assert [r.instance_type for r in snap.rows] == ["c", "a", "b"]
    assert len(snap) == 3
    assert snap.price.tolist() == [0.1, 0.2, 0.2]
    with pytest.raises(ValueError, match="read-only"):
        snap.price[0] = 5.0
    with pytest.raises(ValueError, match="read-only"):
        snap.by_band[0] = 1
    with pytest.raises(AttributeError):
        snap.price = np.zeros(3)  # type: ignore[misc]


def test_duplicate_keys_keep_the_latest_observation() -> None:
    snap = PriceSnapshot.from_prices(
        [
            price("m5.large", 0.1, observed_at=NOW - timedelta(hours=1)),
            price("m5.large", 0.3, observed_at=NOW),
            price("m5.large", 0.2, observed_at=NOW - timedelta(hours=2)),
        ]
    )
    assert len(snap) == 1 and snap.dropped_duplicates == 2
    assert snap.rows[0].price_per_hour == 0.3


def test_views_order_by_rate_and_band() -> None:
    snap = PriceSnapshot.from_prices(
        [
            price("u", 0.01),
            price("r12", 0.02, interruption_rate=0.12),
            price("r04", 0.03, interruption_rate=0.04),
            price("r02", 0.04, interruption_rate=0.02),
        ]
    )
    names = [r.instance_type for r in snap.rows]
    assert [names[i] for i in snap.by_rate] == ["r02", "r04", "r12", "u"]
    assert [names[i] for i in snap.by_band] == ["r04", "r02", "r12", "u"]


def test_one_snapshot_serves_concurrent_queries() -> None:
    rows = [
        price(f"t{i}", 0.01 + (i % 97) / 100, vcpu=2 ** (i % 6), memory_gb=2 ** (i % 7),
              interruption_rate=None if i % 5 == 0 else (i % 4) * 0.05)
        for i in range(3000)
    ]  # fmt: skip
    engine = PlacementEngine.from_prices(rows)
    reqs = [
        WorkloadRequirements(min_cpu=c, min_memory_gb=m, strategy=s, job_hours=5)
        for c in (1, 4, 16)
        for m in (1, 8)
        for s in ("balanced", "weighted", "capacity-optimized", "expected-cost")
    ]
    expected = [engine.place(r, now=NOW).to_camel() for r in reqs]
    with ThreadPoolExecutor(max_workers=8) as pool:
        for _ in range(5):
            got = list(pool.map(lambda r: engine.place(r, now=NOW).to_camel(), reqs))
            assert got == expected


def test_early_stop_scans_only_a_prefix() -> None:
    rows = [price(f"t{i}", 0.01 * (1 + i), interruption_rate=0.05) for i in range(20000)]
    snap = PriceSnapshot.from_prices(rows)
    req = WorkloadRequirements()
    seen: list[int] = []

    def key(idx: np.ndarray) -> np.ndarray:  # type: ignore[type-arg]
        seen.append(idx.size)
        return -strategies.scores(snap, idx, req, 0.01, weighted=False).total

    mask = np.ones(len(snap), dtype=np.bool_)
    best = strategies.scan_price_order(
        snap, mask, 4, key, lambda i: -(50.0 * 0.01 / float(snap.price[i]) + 40.0)
    )
    assert best.tolist() == [0, 1, 2, 3]
    assert sum(seen) < len(snap) // 10


def test_lookup_tables_are_read_only() -> None:
    snap = PriceSnapshot.from_prices([price("a", 0.1)])
    with pytest.raises(TypeError):
        snap.region_index["elsewhere"] = 3  # type: ignore[index]
    assert isinstance(snap.rows.tuples, tuple)
    with pytest.raises(TypeError):
        snap.rows[0] = snap.rows[0]  # type: ignore[index]


PLACES_FOR_ROWS = [
    ("aws", "us-east-1", "us-east-1a"),
    ("aws", "us-east-1", "us-east-1b"),
    ("azure", "eastus", ""),
    ("gcp", "us-central1", "us-central1-a"),
]


@settings(max_examples=150, deadline=None)
@given(
    data=st.lists(
        st.tuples(
            st.sampled_from(PLACES_FOR_ROWS),
            st.sampled_from(["a", "b", "c"]),
            st.sampled_from([0.1, 0.2, 0.2, 0.5]),
            st.integers(0, 2),
            st.integers(0, 2),
            st.sampled_from(["linux", "linux", "windows"]),
        ),
        max_size=30,
    )
)
def test_from_rows_keeps_the_latest_row_per_key_in_tie_break_order(
    data: list[tuple[tuple[str, str, str], str, float, int, int, str]],
) -> None:
    """Plain rows (with repeated keys) give the rows the straightforward algorithm gives."""
    prices = [
        price(
            itype,
            cost,
            provider=provider,
            region=region,
            zone=zone,
            os=os,
            observed_at=NOW - timedelta(hours=observed),
            collected_at=NOW - timedelta(minutes=collected),
        )
        for (provider, region, zone), itype, cost, observed, collected, os in data
    ]
    latest: dict[tuple[str, ...], SpotPrice] = {}
    for p in prices:
        if p.os != "linux":
            continue
        old = latest.get(p.key)
        if old is None or (p.observed_at, p.collected_at) >= (old.observed_at, old.collected_at):
            latest[p.key] = p
    expected = sorted(
        latest.values(),
        key=lambda p: (
            p.price_per_hour,
            p.provider,
            p.region,
            p.availability_zone,
            p.instance_type,
        ),
    )
    snap = PriceSnapshot.from_rows([to_row(p) for p in prices])
    assert list(snap.rows) == expected
    assert snap.price.tolist() == [p.price_per_hour for p in expected]
    assert snap.dropped_duplicates == sum(p.os == "linux" for p in prices) - len(expected)
    stamps = [p.collected_at for p in expected]
    assert snap.oldest_collected_at == (min(stamps) if stamps else None)
    assert snap.newest_collected_at == (max(stamps) if stamps else None)
    assert [snap.regions[c] for c in snap.region_code] == [p.region for p in expected]
    assert [snap.instance_types[c] for c in snap.type_code] == [p.instance_type for p in expected]


def test_from_prices_and_from_rows_build_the_same_snapshot() -> None:
    prices = [
        price("g", 1.5, gpu_count=1, gpu_type="nvidia-t4", gpu_memory_gb=16.0),
        price("b", 0.2, interruption_rate=0.07, network_bandwidth_gbps=10.0),
        price("c", 0.1, provider="gcp", region="us-central1", arch="arm64"),
    ]
    a = PriceSnapshot.from_prices(prices)
    b = PriceSnapshot.from_rows([to_row(p) for p in prices])
    assert list(a.rows) == list(b.rows)
    for name in ("price", "gpu_code", "is_gpu", "gpu_memory_gb", "arch_code", "bandwidth", "rate"):
        assert np.array_equal(getattr(a, name), getattr(b, name), equal_nan=True), name
    assert a.is_gpu.tolist() == [False, False, True]
    assert np.isnan(a.gpu_memory_gb[:2]).all() and a.gpu_memory_gb[2] == 16.0


@settings(max_examples=40, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.sampled_from(["aws", "azure", "gcp"]),
            st.sampled_from(["us-east-1", "eu-west-1", "westeurope"]),
            st.sampled_from(["a", "b", "c"]),
            st.sampled_from([1.0, 2.0, 4.0]),
            st.sampled_from([None, 10.0, 25.0]),
            st.sampled_from([None, 0.03, 0.12]),
            st.sampled_from([None, "nvidia-t4", "nvidia-a100"]),
            st.floats(0.01, 5.0, allow_nan=False).map(lambda v: round(v, 4)),
        ),
        max_size=30,
    )
)
def test_columns_are_each_rows_own_values_even_where_shapes_and_places_repeat(
    specs: list[tuple[str, str, str, float, float | None, float | None, str | None, float]],
) -> None:
    """Columns converted once per distinct place and shape still carry every row's values."""
    rows = [
        price(
            f"t{i % 4}",  # the same type recurs with other attributes elsewhere
            cost,
            provider=provider,
            region=region,
            zone=f"{region}{zone}",
            vcpu=vcpu,
            network_bandwidth_gbps=bandwidth,
            interruption_rate=rate,
            gpu_type=gpu,
            gpu_count=0 if gpu is None else 1,
            gpu_memory_gb=None if gpu is None else 16.0,
        )
        for i, (provider, region, zone, vcpu, bandwidth, rate, gpu, cost) in enumerate(specs)
    ]
    latest = {p.key: p for p in rows}  # one row per key, the later one wins on a tie
    snap = PriceSnapshot.from_rows([to_row(p) for p in rows])
    assert sorted(snap.rows, key=lambda p: p.key) == sorted(latest.values(), key=lambda p: p.key)
    for i, row in enumerate(snap.rows):
        assert snap.providers[snap.provider_code[i]] == row.provider
        assert snap.regions[snap.region_code[i]] == row.region
        assert snap.instance_types[snap.type_code[i]] == row.instance_type
        assert snap.price[i] == row.price_per_hour and snap.vcpu[i] == row.vcpu
        for column, value in (
            (snap.bandwidth, row.network_bandwidth_gbps),
            (snap.rate, row.interruption_rate),
            (snap.gpu_memory_gb, row.gpu_memory_gb),
        ):
            assert np.isnan(column[i]) if value is None else column[i] == value
        gpu_code = int(snap.gpu_code[i])
        assert (snap.gpu_types[gpu_code] if gpu_code >= 0 else None) == row.gpu_type
        assert bool(snap.is_gpu[i]) == (row.gpu_type is not None)
