"""Composition of per-instance prices, checked to the cent against hand calculations."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal as D

import pytest

from spotarb.feeds.gcp.compose import Composed, Missing, compose
from spotarb.feeds.gcp.machine_types import builtin_catalog, builtin_machine_type
from spotarb.feeds.gcp.network import bandwidth_gbps
from spotarb.feeds.gcp.rows import (
    BuildReport,
    build_prices,
    families_without_shapes,
    with_n1_gpus,
)
from spotarb.feeds.gcp.skus import RateBook
from tests.feeds.gcp import conftest as fx


@pytest.fixture(scope="module")
def book() -> RateBook:
    rates = RateBook()
    assert rates.add_skus(fx.catalog_skus()) == []
    return rates


def price(book: RateBook, name: str, region: str = "us-central1", spot: bool = True) -> D:
    shape = builtin_machine_type(name)
    assert shape is not None
    result = compose(shape, region, book, spot=spot)
    assert isinstance(result, Composed), result
    return result.price


def test_n2_standard_8_is_8_cores_plus_32_gib(book: RateBook) -> None:
    expected = 8 * D(fx.N2_CORE) + 32 * D(fx.N2_RAM)
    assert price(book, "n2-standard-8") == expected
    assert round(float(expected), 2) == 0.10  # 0.063808 + 0.034208 = 0.098016
    assert price(book, "n2-standard-8", "us-east1") == expected  # multi-region SKU
    assert price(book, "n2-highmem-4") == 4 * D(fx.N2_CORE) + 32 * D(fx.N2_RAM)
    assert price(book, "n2-standard-8", spot=False) == 8 * D(fx.N2_CORE_OD) + 32 * D(fx.N2_RAM_OD)


def test_old_era_n1_and_c2(book: RateBook) -> None:
    assert price(book, "n1-standard-4") == 4 * D(fx.N1_CORE) + D("15") * D(fx.N1_RAM)
    assert price(book, "c2-standard-60") == 60 * D(fx.C2_CORE) + 240 * D(fx.C2_RAM)


def test_missing_ram_rate_gives_no_price(book: RateBook) -> None:
    shape = builtin_machine_type("n2d-standard-8")
    assert shape is not None
    assert compose(shape, "us-central1", book, spot=True) == Missing("ram:n2d")
    # and a region without any rate
    n2 = builtin_machine_type("n2-standard-8")
    assert n2 is not None
    assert compose(n2, "europe-west4", book, spot=True) == Missing("core:n2")


def test_shared_core(book: RateBook) -> None:
    assert price(book, "e2-micro") == D("0.25") * D(fx.E2_CORE) + 1 * D(fx.E2_RAM)
    assert price(book, "e2-small") == D("0.5") * D(fx.E2_CORE) + 2 * D(fx.E2_RAM)
    assert price(book, "e2-medium") == 1 * D(fx.E2_CORE) + 4 * D(fx.E2_RAM)
    assert price(book, "f1-micro") == D(fx.F1)
    g1 = builtin_machine_type("g1-small")
    assert g1 is not None
    assert compose(g1, "us-central1", book, spot=True) == Missing("instance:g1")


def test_bundled_gpus(book: RateBook) -> None:
    assert price(book, "a2-highgpu-1g") == 12 * D(fx.A2_CORE) + 85 * D(fx.A2_RAM) + D(fx.A100)
    assert price(book, "g2-standard-24") == (24 * D(fx.G2_CORE) + 96 * D(fx.G2_RAM) + 2 * D(fx.L4))
    # a2-ultragpu needs an A100 80GB rate the catalog lacks → no price
    ultra = builtin_machine_type("a2-ultragpu-1g")
    assert ultra is not None
    assert compose(ultra, "us-central1", book, spot=True) == Missing("gpu:a100-80gb")


def test_a4_is_billed_by_gpu_slices(book: RateBook) -> None:
    assert price(book, "a4-highgpu-8g") == 8 * D(fx.B200_SLICE)
    assert price(book, "a4-highgpu-8g", spot=False) == 8 * D(fx.B200_SLICE_OD)


def test_bundled_local_ssd(book: RateBook) -> None:
    expected = 4 * D(fx.C3_CORE) + 16 * D(fx.C3_RAM) + 375 * D(fx.LSSD_MO) / 730
    assert price(book, "c3-standard-4-lssd") == expected
    assert float(expected) == pytest.approx(0.03016 + 0.01616 + 12.15 / 730)


def test_n1_with_attached_t4(book: RateBook) -> None:
    shapes = {s.name: s for s in with_n1_gpus(builtin_catalog(), None)}
    shape = shapes["n1-standard-8+1xnvidia-tesla-t4"]
    result = compose(shape, "us-central1", book, spot=True)
    assert isinstance(result, Composed)
    assert result.price == 8 * D(fx.N1_CORE) + 30 * D(fx.N1_RAM) + D(fx.T4)
    v100 = shapes["n1-standard-8+1xnvidia-tesla-v100"]
    assert compose(v100, "us-central1", book, spot=True) == Missing("gpu:v100")


def test_build_prices_regional_rows(book: RateBook) -> None:
    report = BuildReport()
    collected = datetime(2026, 11, 28, tzinfo=UTC)
    rows = build_prices(
        book,
        with_n1_gpus(builtin_catalog(), None),
        regions=None,
        collected_at=collected,
        report=report,
    )
    by_key = {(r.instance_type, r.region): r for r in rows}
    row = by_key[("n2-standard-8", "us-east1")]
    assert row.availability_zone == ""
    assert row.price_per_hour == pytest.approx(0.098016, abs=1e-9)
    assert row.on_demand_price_per_hour == pytest.approx(8 * 0.031611 + 32 * 0.004237)
    assert row.interruption_rate is None and row.source == "gcp-billing-catalog"
    assert row.observed_at == datetime(2026, 11, 1, 8, tzinfo=UTC)
    assert row.network_bandwidth_gbps == 16.0
    a4 = by_key[("a4-highgpu-8g", "us-central1")]
    assert (a4.gpu_count, a4.gpu_type, a4.gpu_memory_gb) == (8, "nvidia-b200", 180)
    t4 = by_key[("n1-standard-8+1xnvidia-tesla-t4", "us-central1")]
    assert (t4.gpu_count, t4.gpu_type, t4.on_demand_price_per_hour) == (1, "nvidia-t4", None)
    assert not any(r.instance_type.startswith("n2d-") for r in rows)
    assert not any(r.instance_type.startswith("n1-") for r in rows if r.region == "us-east1")
    assert report.counts["no-price-missing-ram"] > 0
    only = build_prices(
        book, builtin_catalog(), regions={"us-east1"}, collected_at=collected, report=BuildReport()
    )
    assert only and {r.region for r in only} == {"us-east1"}


@pytest.mark.parametrize(
    ("name", "vcpu", "expected"),
    [
        ("n2-standard-8", 8, 16.0),
        ("n2-standard-32", 32, 32.0),
        ("n2-standard-128", 128, 32.0),
        ("n1-standard-1", 1, 2.0),
        ("n1-standard-8+1xnvidia-tesla-t4", 8, 16.0),
        ("e2-standard-16", 16, 16.0),
        ("e2-standard-2", 2, 4.0),
        ("e2-micro", 2, 1.0),
        ("e2-medium", 2, 2.0),
        ("f1-micro", 1, 1.0),
        ("c2-standard-60", 60, 32.0),
        ("c2d-standard-4", 4, 8.0),
        ("n2d-highcpu-224", 224, 32.0),
        ("m1-megamem-96", 96, 32.0),
        ("m3-ultramem-32", 32, 32.0),
        ("a2-highgpu-1g", 12, 24.0),
        ("a2-megagpu-16g", 96, 100.0),
        ("g2-standard-4", 4, 10.0),
        ("g2-standard-96", 96, 100.0),
        ("c3-standard-8", 8, None),
        ("n4-standard-8", 8, None),
        ("a3-highgpu-8g", 208, None),
        ("z9-standard-8", 8, None),
    ],
)
def test_network_bandwidth_rules(name: str, vcpu: float, expected: float | None) -> None:
    assert bandwidth_gbps(name, vcpu) == expected


def test_families_with_rates_but_no_shapes_are_reported(book: RateBook) -> None:
    extra = RateBook()
    extra.add_skus(
        [
            *fx.catalog_skus(),
            fx.sku("C4C", "Spot Preemptible C4 Instance Core running in Americas", "0.01"),
            fx.sku("T2DC", "Spot Preemptible T2D AMD Instance Core running in Americas", "0.01"),
        ]
    )
    assert families_without_shapes(extra, builtin_catalog()) == ["c4", "t2d"]
    assert families_without_shapes(book, builtin_catalog()) == []
