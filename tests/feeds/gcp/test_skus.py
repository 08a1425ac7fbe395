"""SKU parsing: money, descriptions of both naming eras, exclusions, regions, units."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from spotarb.core.errors import FeedParseError
from spotarb.feeds.gcp.skus import RateBook, classify, gpu_key, parse_money, parse_sku
from tests.feeds.gcp.conftest import sku


def test_money_is_exact() -> None:
    assert parse_money({"units": "0", "nanos": 7120850}, "x") == Decimal("0.00712085")
    assert parse_money({"units": "16", "nanos": 110000000}, "x") == Decimal("16.11")
    assert parse_money({"units": "2"}, "x") == Decimal(2)
    assert parse_money({"nanos": 1}, "x") == Decimal("1e-9")


@pytest.mark.parametrize(
    "unit_price",
    [
        {"units": "0.5", "nanos": 0},
        {"units": "abc", "nanos": 0},
        {"units": "0", "nanos": "12x"},
        {"units": "0", "nanos": 1_000_000_000},
        {"units": "1", "nanos": -5},
        {"units": None, "nanos": 5},
        {"units": "0", "nanos": 1.5},
    ],
)
def test_malformed_money_is_a_parse_error(unit_price: dict[str, object]) -> None:
    with pytest.raises(FeedParseError, match="SKU Z"):
        parse_money(unit_price, "SKU Z")


@pytest.mark.parametrize(
    ("description", "family", "expected"),
    [
        ("Spot Preemptible N2 Instance Core running in Americas", "Compute", ("core", "n2", True)),
        ("Spot Preemptible N2 Instance Ram running in Americas", "Compute", ("ram", "n2", True)),
        ("N2 Instance Core running in Americas", "Compute", ("core", "n2", False)),
        (
            "Preemptible N1 Predefined Instance Core running in Virginia",
            "Compute",
            ("core", "n1", True),
        ),
        (
            "Spot Preemptible N1 Predefined Instance Ram running in Iowa",
            "Compute",
            ("ram", "n1", True),
        ),
        ("Preemptible Compute optimized Ram running in Montreal", "Compute", ("ram", "c2", True)),
        (
            "Spot Preemptible Compute optimized Core running in Iowa",
            "Compute",
            ("core", "c2", True),
        ),
        (
            "Spot Preemptible N2D AMD Instance Core running in Americas",
            "Compute",
            ("core", "n2d", True),
        ),
        (
            "Spot Preemptible C4A Arm Instance Ram running in Americas",
            "Compute",
            ("ram", "c4a", True),
        ),
        (
            "Spot Preemptible Memory-optimized Instance Core running in Americas",
            "Compute",
            ("core", "m1", True),
        ),
        (
            "Spot Preemptible M3 Memory-optimized Instance Core running in Americas",
            "Compute",
            ("core", "m3", True),
        ),
        (
            "Spot Preemptible A3Plus Instance Core running in Americas",
            "Compute",
            ("core", "a3plus", True),
        ),
        (
            "Nvidia Tesla T4 GPU attached to Spot Preemptible VMs running in Americas",
            "Compute",
            ("gpu", "t4", True),
        ),
        (
            "Nvidia Tesla K80 GPU attached to Preemptible VMs running in Americas",
            "Compute",
            ("gpu", "k80", True),
        ),
        ("Nvidia Tesla T4 GPU running in Americas", "Compute", ("gpu", "t4", False)),
        (
            "Nvidia Tesla A100 80GB GPU attached to Spot Preemptible VMs running in Americas",
            "Compute",
            ("gpu", "a100-80gb", True),
        ),
        (
            "Nvidia H100 80GB Mega GPU attached to Spot Preemptible VMs running in Americas",
            "Compute",
            ("gpu", "h100-mega-80gb", True),
        ),
        (
            "Nvidia H100 Mega 80GB GPU attached to Spot Preemptible VMs running in Americas",
            "Compute",
            ("gpu", "h100-mega-80gb", True),
        ),
        (
            "Nvidia H100 80GB Plus GPU running in Americas",
            "Compute",
            ("gpu", "h100-mega-80gb", False),
        ),
        (
            "H200 141GB GPU attached to Spot Preemptible VMs running in Americas",
            "Compute",
            ("gpu", "h200-141gb", True),
        ),
        (
            "Spot Preemptible A4 Nvidia B200 (1 gpu slice) running in Americas",
            "Compute",
            ("slice", "b200", True),
        ),
        ("A4 Nvidia B200 (1 gpu slice) running in Americas", "Compute", ("slice", "b200", False)),
        (
            "Spot Preemptible Micro Instance with burstable CPU running in Americas",
            "Compute",
            ("instance", "f1", True),
        ),
        (
            "Preemptible Small Instance with 1 VCPU running in Americas",
            "Compute",
            ("instance", "g1", True),
        ),
        (
            "SSD backed Local Storage attached to Spot Preemptible VMs running in Americas",
            "Storage",
            ("ssd", "local-ssd", True),
        ),
        ("SSD backed Local Storage running in Americas", "Storage", ("ssd", "local-ssd", False)),
    ],
)
def test_descriptions_classify(description: str, family: str, expected: object) -> None:
    assert classify(description, family) == expected


@pytest.mark.parametrize(
    "description",
    [
        "Preemptible N2 Custom Instance Core running in Sao Paulo",
        "Spot Preemptible N1 Extended Instance Ram running in Americas",
        "Spot Preemptible N2 Sole Tenancy Instance Core running in Americas",
        "Commitment v1: Cpu in Montreal for 1 Year",
        "Reserved N2 Instance Core running in Americas",
        "Memory Optimized Upgrade Premium for Memory-optimized Instance Core running in Americas",
        "Nvidia H100 Mega 80GB GPU attached to DWS Defined Duration VMs running in Americas",
        "Nvidia Tesla T4 Virtual Workstation GPU running in Americas",
    ],
)
def test_excluded_descriptions(description: str) -> None:
    assert classify(description, "Compute") == "excluded"


def test_gpu_keys_meet_accelerator_type_names() -> None:
    assert gpu_key("nvidia-tesla-a100") == gpu_key("Nvidia Tesla A100") == "a100"
    assert gpu_key("nvidia-a100-80gb") == gpu_key("Nvidia Tesla A100 80GB") == "a100-80gb"
    assert gpu_key("nvidia-h100-mega-80gb") == gpu_key("Nvidia H100 80GB Mega")
    assert gpu_key("nvidia-l4") == "l4"


def test_regions_come_from_service_regions_not_the_description() -> None:
    parsed = parse_sku(
        sku(
            "X",
            "Spot Preemptible N2 Instance Core running in Zurich",
            "0.01",
            regions=("europe-west6", "europe-west3"),
        )
    )
    assert not isinstance(parsed, str)
    assert parsed.regions == ("europe-west6", "europe-west3")


def test_wrong_usage_type_spot_sku_is_spot() -> None:
    parsed = parse_sku(
        sku(
            "B",
            "Spot Preemptible A4 Nvidia B200 (1 gpu slice) running in Americas",
            "4.9",
            usage="OnDemand",
        )
    )
    assert not isinstance(parsed, str) and parsed.spot and parsed.resource == "slice"


def test_unpriced_commit_and_unit_mismatch_are_skipped() -> None:
    assert parse_sku(sku("U", "Spot Preemptible N4 Instance Core running in X", None)) == (
        "unpriced"
    )
    assert parse_sku(sku("C", "N2 Instance Core", "0.1", usage="Commit1Yr")) == "usage-type"
    ram_per_hour = sku("R", "Spot Preemptible N2 Instance Ram running in X", "0.1", unit="h")
    assert parse_sku(ram_per_hour) == "unexpected-unit"


def test_local_ssd_month_price_becomes_hourly() -> None:
    parsed = parse_sku(
        sku(
            "L",
            "SSD backed Local Storage attached to Spot Preemptible VMs running in Americas",
            "0.073",
            unit="GiBy.mo",
            family="Storage",
        )
    )
    assert not isinstance(parsed, str)
    assert parsed.rate.price == Decimal("0.073") / 730


def test_latest_pricing_info_and_first_tier_win() -> None:
    raw = sku("T", "Spot Preemptible N2 Instance Core running in X", "0.02")
    old = {
        **raw["pricingInfo"][0],
        "effectiveTime": "2020-01-01T00:00:00Z",
        "pricingExpression": {
            **raw["pricingInfo"][0]["pricingExpression"],
            "tieredRates": [{"startUsageAmount": 0, "unitPrice": {"units": "9", "nanos": 0}}],
        },
    }
    raw["pricingInfo"] = [raw["pricingInfo"][0], old]
    tiers = raw["pricingInfo"][0]["pricingExpression"]["tieredRates"]
    tiers.append({"startUsageAmount": 100, "unitPrice": {"units": "0", "nanos": 1}})
    parsed = parse_sku(raw)
    assert not isinstance(parsed, str)
    assert parsed.rate.price == Decimal("0.02")


def test_rate_book_keeps_good_skus_and_reports_malformed_ones() -> None:
    good = sku("G", "Spot Preemptible N2 Instance Core running in X", "0.02")
    bad = sku("BAD", "Spot Preemptible N2 Instance Ram running in X", "0.01", unit="GiBy.h")
    bad["pricingInfo"][0]["pricingExpression"]["tieredRates"][0]["unitPrice"]["units"] = "1.5"
    book = RateBook()
    problems = book.add_skus([good, bad])
    assert len(problems) == 1 and "BAD" in problems[0][1]
    assert problems[0][0] == ("us-central1",)
    rate = book.get("core", "n2", True, "us-central1")
    assert rate is not None and rate.price == Decimal("0.02")
    assert book.get("ram", "n2", True, "us-central1") is None
    assert book.counts["malformed"] == 1


@given(units=st.integers(0, 10**9), nanos=st.integers(0, 999_999_999))
def test_money_round_trips_any_units_and_nanos(units: int, nanos: int) -> None:
    value = parse_money({"units": str(units), "nanos": nanos}, "x")
    assert value == Decimal(f"{units}.{nanos:09d}")
