"""Pure parsing: network strings, bands, specs, history normalization."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from spotarb.feeds.aws.advisor import arch_of, band_upper_bound, on_demand_from_savings
from spotarb.feeds.aws.ec2 import normalize_history, parse_spot_price
from spotarb.feeds.aws.network import bandwidth_gbps, parse_network_performance
from spotarb.feeds.aws.specs import spec_from_instance_type
from tests.recorded import recorded_file


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Up to 12.5 Gigabit", (12.5, True)),
        ("100 Gigabit", (100.0, False)),
        ("4x 100 Gigabit", (400.0, False)),
        ("8x 400 Gigabit", (3200.0, False)),
        ("Moderate", (None, False)),
        ("Low to Moderate", (None, False)),
        ("", (None, False)),
    ],
)
def test_network_performance(text: str, expected: tuple[float | None, bool]) -> None:
    assert parse_network_performance(text) == expected


def test_up_to_prefers_documented_baseline() -> None:
    cards = [{"NetworkCardIndex": 0, "BaselineBandwidthInGbps": 0.75}]
    assert bandwidth_gbps({"NetworkPerformance": "Up to 10 Gigabit", "NetworkCards": cards}) == 0.75
    assert bandwidth_gbps({"NetworkPerformance": "Up to 10 Gigabit"}) == 10
    assert bandwidth_gbps({"NetworkPerformance": "High"}) is None


def test_bands_and_arch() -> None:
    assert [band_upper_bound(x) for x in ("<5%", "5-10%", "10-15%", "15-20%", ">20%")] == [
        0.05,
        0.10,
        0.15,
        0.20,
        0.25,
    ]
    assert [arch_of(t) for t in ("m6g.large", "c7gn.xlarge", "t4g.nano", "a1.large")] == [
        "arm64"
    ] * 4
    assert [arch_of(t) for t in ("g4dn.xlarge", "g5.xlarge", "m5.large", "p4d.24xlarge")] == [
        "x86_64"
    ] * 4
    assert on_demand_from_savings(1.0, 50) == 2.0
    assert on_demand_from_savings(1.0, None) is None and on_demand_from_savings(1.0, 100) is None


def test_spec_sample_p3(shared_dir: Path) -> None:
    path = recorded_file(
        shared_dir,
        "samples/aws/ec2-instance-selector_DescribeInstanceTypes_t3_micro_and_p3_16xl.json",
    )
    specs = {
        s.instance_type: s
        for s in map(spec_from_instance_type, json.loads(path.read_text())["InstanceTypes"])
        if s
    }
    p3 = specs["p3.16xlarge"]
    assert (p3.vcpu, p3.gpu_count, p3.gpu_type, p3.gpu_memory_gb) == (64, 8, "nvidia-v100", 16)
    assert specs["t3.micro"].gpu_count == 0 and specs["t3.micro"].memory_gb == 1
    assert specs["t3.micro"].network_bandwidth_gbps == 5


def test_neuron_is_not_a_gpu() -> None:
    item = {
        "InstanceType": "trn1.2xlarge",
        "VCpuInfo": {"DefaultVCpus": 8},
        "MemoryInfo": {"SizeInMiB": 32768},
        "NeuronInfo": {"NeuronDevices": [{"Count": 1, "Name": "Trainium"}]},
        "ProcessorInfo": {"SupportedArchitectures": ["x86_64"]},
    }
    spec = spec_from_instance_type(item)
    assert spec is not None and spec.gpu_count == 0 and spec.gpu_type is None
    assert spec_from_instance_type({"InstanceType": "x.y"}) is None


def test_real_history_sample_newest_first(shared_dir: Path) -> None:
    path = recorded_file(
        shared_dir, "samples/aws/ec2-instance-selector_DescribeSpotPriceHistory_m5_large.json"
    )
    items = json.loads(path.read_text())["SpotPriceHistory"]
    norm = normalize_history(items, keep_points=True)
    assert norm.malformed == 0 and len(norm.points) == len(items)
    assert norm.latest[("us-east-1f", "m5.large")].price == 0.0437
    assert norm.latest[("us-east-1f", "m5.large")].timestamp == datetime(
        2021, 2, 9, 1, 40, 10, tzinfo=UTC
    )
    reversed_norm = normalize_history(list(reversed(items)))
    assert reversed_norm.latest == norm.latest


def test_spot_price_strings() -> None:
    assert parse_spot_price("0.043700") == 0.0437
    for bad in ("abc", "-1", "0", "NaN", None, 0.5):
        with pytest.raises(ValueError):
            parse_spot_price(bad)


_point = st.tuples(
    st.sampled_from(["us-east-1a", "us-east-1b"]),
    st.sampled_from(["m5.large", "c6g.large", "p4d.24xlarge"]),
    st.integers(min_value=1, max_value=10**6),
    st.integers(min_value=0, max_value=10**7),
)


@settings(max_examples=60, deadline=None)
@given(points=st.lists(_point, min_size=1, max_size=40, unique_by=lambda p: (p[0], p[1], p[3])))
def test_newest_point_wins_in_any_order(points: list[tuple[str, str, int, int]]) -> None:
    base = datetime(2026, 1, 1, tzinfo=UTC)
    items = [
        {
            "AvailabilityZone": az,
            "InstanceType": itype,
            "ProductDescription": "Linux/UNIX",
            "SpotPrice": f"{cents / 1e6:.6f}",
            "Timestamp": base + timedelta(seconds=secs),
        }
        for az, itype, cents, secs in points
    ]
    expected: dict[tuple[str, str], tuple[int, int]] = {}
    for az, itype, cents, secs in points:
        if (az, itype) not in expected or secs > expected[(az, itype)][1]:
            expected[(az, itype)] = (cents, secs)
    for order in (items, list(reversed(items)), sorted(items, key=lambda i: i["SpotPrice"])):
        latest = normalize_history(order).latest
        assert {k: (round(v.price * 1e6), v.timestamp) for k, v in latest.items()} == {
            k: (c, base + timedelta(seconds=s)) for k, (c, s) in expected.items()
        }
