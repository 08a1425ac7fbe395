"""Credentialed mode: real boto3 against moto's server, seeded spot prices."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from pytest_httpserver import HTTPServer

from spotarb.feeds.aws import SOURCE_API
from spotarb.feeds.aws.specs import SPEC_TTL_SECONDS
from spotarb.feeds.base import ProgressEvent
from spotarb.feeds.ttl import TtlCache
from tests.feeds.aws.conftest import SpotSeed, feed_settings, make_feed

pytestmark = pytest.mark.usefixtures("aws_credentials")

NOW = datetime.now(UTC).replace(microsecond=0)


def ago(**kw: float) -> datetime:
    return NOW - timedelta(**kw)


def test_credentials_select_api_mode(moto_url: str, public_endpoints: HTTPServer) -> None:
    feed = make_feed(feed_settings(public_endpoints, moto_url, aws_regions="us-east-1"))
    assert feed.credentialed
    assert "EC2 API" in feed.describe() and moto_url in feed.describe()
    assert "testing-secret-value" not in feed.describe()


def test_newest_change_point_per_az_across_pages(
    moto_url: str, public_endpoints: HTTPServer, seed: SpotSeed
) -> None:
    # Out of order on purpose: neither oldest- nor newest-first.
    seed.add("us-east-1", "us-east-1a", "m5.large", "0.040000", ago(days=3))
    seed.add("us-east-1", "us-east-1a", "m5.large", "0.043700", ago(hours=2))
    seed.add("us-east-1", "us-east-1b", "m5.large", "0.039100", ago(days=1))
    seed.add("us-east-1", "us-east-1a", "m5.large", "0.041000", ago(days=2))
    seed.add("us-east-1", "us-east-1b", "m5.large", "0.050000", ago(days=4))
    seed.add("us-east-1", "us-east-1c", "g4dn.xlarge", "0.215000", ago(hours=5))
    seed.add("us-east-1", "us-east-1a", "m5.large", "0.099", ago(minutes=5), product="Windows")
    seed.page_size = 2
    settings = feed_settings(public_endpoints, moto_url, aws_regions="us-east-1")
    result = make_feed(settings).collect()

    assert result.errors == []
    assert result.regions_ok == ["us-east-1"]
    rows = {(r.availability_zone, r.instance_type): r for r in result.prices}
    assert set(rows) == {
        ("us-east-1a", "m5.large"),
        ("us-east-1b", "m5.large"),
        ("us-east-1c", "g4dn.xlarge"),
    }
    a = rows[("us-east-1a", "m5.large")]
    assert a.price_per_hour == 0.0437
    assert a.observed_at == ago(hours=2)
    assert a.source == SOURCE_API
    assert a.region == "us-east-1"
    assert rows[("us-east-1b", "m5.large")].price_per_hour == 0.0391
    assert rows[("us-east-1b", "m5.large")].observed_at == ago(days=1)
    # StartTime = EndTime = now, Linux only, and every page was followed.
    calls = seed.calls_for("us-east-1")
    assert len(calls) == 2  # StartTime=now: 3 keys in effect → pages of 2, 1
    assert all(c["products"] == ["Linux/UNIX"] for c in calls)
    assert calls[0]["start"] == calls[0]["end"]
    assert abs((calls[0]["start"] - datetime.now(UTC)).total_seconds()) < 30
    assert [c["token"] for c in calls] == [None, "2"]
    assert result.history == []


def test_short_pages_are_not_the_end(
    moto_url: str, public_endpoints: HTTPServer, seed: SpotSeed
) -> None:
    for i in range(7):
        seed.add("us-east-1", f"us-east-1{'abcdefg'[i]}", "m5.large", f"0.0{40 + i}", ago(hours=i))
    seed.page_size = 1
    settings = feed_settings(public_endpoints, moto_url, aws_regions="us-east-1")
    result = make_feed(settings).collect()
    assert len(seed.calls_for("us-east-1")) == 7
    assert len(result.prices) == 7
    assert result.counts["items"] == 7


def test_specs_gpus_interruption_and_on_demand_joined(
    moto_url: str, public_endpoints: HTTPServer, seed: SpotSeed
) -> None:
    seed.add("us-east-1", "us-east-1a", "p4d.24xlarge", "9.831600", ago(hours=1))
    seed.add("us-east-1", "us-east-1b", "g4dn.xlarge", "0.210400", ago(hours=1))
    seed.add("us-east-1", "us-east-1a", "c6g.large", "0.028100", ago(hours=1))
    seed.add("us-east-1", "us-east-1a", "trn1.2xlarge", "0.400000", ago(hours=1))
    seed.add("us-east-1", "us-east-1a", "m5.large", "0.040000", ago(hours=1))
    seed.add("us-east-1", "us-east-1a", "zz9.mega", "1.000000", ago(hours=1))
    events: list[ProgressEvent] = []
    settings = feed_settings(public_endpoints, moto_url, aws_regions="us-east-1")
    result = make_feed(settings).collect(progress=events.append)
    rows = {r.instance_type: r for r in result.prices}

    p4d = rows["p4d.24xlarge"]
    assert (p4d.vcpu, p4d.memory_gb) == (96, 1152)
    assert (p4d.gpu_count, p4d.gpu_type, p4d.gpu_memory_gb) == (8, "nvidia-a100", 40)
    assert p4d.network_bandwidth_gbps == 400  # "4x 100 Gigabit"
    assert p4d.interruption_rate == 0.25 and p4d.interruption_source == "aws-spot-advisor"
    assert p4d.on_demand_price_per_hour == pytest.approx(9.8316 / 0.4)

    g4 = rows["g4dn.xlarge"]
    assert (g4.vcpu, g4.memory_gb, g4.gpu_count, g4.gpu_type) == (4, 16, 1, "nvidia-t4")
    assert g4.gpu_memory_gb == 16
    assert g4.interruption_rate == 0.05
    assert g4.network_bandwidth_gbps == 5  # "Up to 25 Gigabit" with a documented 5 Gbps baseline

    assert rows["c6g.large"].arch == "arm64"
    assert rows["c6g.large"].interruption_rate == 0.15
    assert rows["m5.large"].arch == "x86_64" and rows["m5.large"].gpu_count == 0
    assert rows["m5.large"].interruption_rate == 0.10  # Linux band, not the Windows one
    trn = rows["trn1.2xlarge"]
    assert trn.gpu_count == 0 and trn.gpu_type is None  # Trainium is not a GPU
    assert trn.on_demand_price_per_hour == pytest.approx(0.4 / 1.62)  # s = -62

    assert "zz9.mega" not in rows
    assert result.counts["types_without_specs"] == 1
    notes = [e.message for e in events if e.region == "specs"]
    assert len(notes) == 1 and "zz9.mega" in notes[0]


def test_specs_are_cached_between_runs(
    moto_url: str, public_endpoints: HTTPServer, seed: SpotSeed
) -> None:
    seed.add("us-east-1", "us-east-1a", "m5.large", "0.040000", ago(hours=1))
    seed.add("us-east-1", "us-east-1a", "zz9.mega", "1.000000", ago(hours=1))
    settings = feed_settings(public_endpoints, moto_url, aws_regions="us-east-1")
    cache: TtlCache[tuple[str, str], Any] = TtlCache(SPEC_TTL_SECONDS)
    make_feed(settings, spec_cache=cache).collect()
    assert seed.instance_type_calls == 1
    second = make_feed(settings, spec_cache=cache).collect()
    assert seed.instance_type_calls == 1  # known and unknown types both cached
    assert [r.instance_type for r in second.prices] == ["m5.large"]
    expired: TtlCache[tuple[str, str], Any] = TtlCache(0.0)
    make_feed(settings, spec_cache=expired).collect()
    make_feed(settings, spec_cache=expired).collect()
    assert seed.instance_type_calls == 3


def test_since_backfills_change_points(
    moto_url: str, public_endpoints: HTTPServer, seed: SpotSeed
) -> None:
    seed.add("us-east-1", "us-east-1a", "m5.large", "0.030000", ago(days=10))
    seed.add("us-east-1", "us-east-1a", "m5.large", "0.035000", ago(days=8))  # in effect at since
    seed.add("us-east-1", "us-east-1a", "m5.large", "0.041000", ago(days=3))
    seed.add("us-east-1", "us-east-1a", "m5.large", "0.039000", ago(hours=6))
    seed.add("us-east-1", "us-east-1b", "m5.large", "0.045000", ago(days=20))  # in effect, old
    since = ago(days=7)
    settings = feed_settings(public_endpoints, moto_url, aws_regions="us-east-1")
    result = make_feed(settings).collect(since=since)

    assert seed.calls_for("us-east-1")[0]["start"] == since
    history = sorted((r.availability_zone, r.observed_at, r.price_per_hour) for r in result.history)
    assert history == [
        ("us-east-1a", ago(days=8), 0.035),
        ("us-east-1a", ago(days=3), 0.041),
        ("us-east-1a", ago(hours=6), 0.039),
        ("us-east-1b", ago(days=20), 0.045),
    ]
    for row in result.history:  # later points of a key are copies of a validated row
        assert row.on_demand_price_per_hour == pytest.approx(row.price_per_hour / 0.42)
        assert (row.vcpu, row.interruption_rate, row.source) == (2, 0.10, "aws-ec2-api")
    assert len({id(r) for r in result.history}) == 4
    current = {r.availability_zone: r.price_per_hour for r in result.prices}
    assert current == {"us-east-1a": 0.039, "us-east-1b": 0.045}


def test_region_faults_are_reported_and_other_regions_kept(
    moto_url: str, public_endpoints: HTTPServer, seed: SpotSeed
) -> None:
    seed.add("us-east-1", "us-east-1a", "m5.large", "0.040000", ago(hours=1))
    seed.add("us-west-2", "us-west-2a", "m5.large", "0.050000", ago(hours=1))
    seed.add("eu-west-1", "eu-west-1a", "m5.large", "0.060000", ago(hours=1))
    seed.add("ap-south-1", "ap-south-1a", "m5.large", "0.070000", ago(hours=1))
    seed.errors["us-west-2"] = ("RequestLimitExceeded", "Request limit exceeded.")
    seed.errors["eu-west-1"] = ("AuthFailure", "AWS was not able to validate the credentials.")
    seed.sleep["ap-south-1"] = 3.0
    settings = feed_settings(
        public_endpoints,
        moto_url,
        aws_regions="us-east-1,us-west-2,eu-west-1,ap-south-1",
        max_retries=1,
        read_timeout=1.2,
    )
    result = make_feed(settings).collect()

    assert result.regions_ok == ["us-east-1"]
    assert [(r.region, r.price_per_hour) for r in result.prices] == [("us-east-1", 0.04)]
    errors = {e.region: e.message for e in result.errors}
    assert set(errors) == {"us-west-2", "eu-west-1", "ap-south-1"}
    assert errors["us-west-2"].startswith("RequestLimitExceeded")
    assert errors["eu-west-1"].startswith("AuthFailure")
    assert "timed out" in errors["ap-south-1"]
    assert len(seed.calls_for("us-west-2")) == 2  # throttling was retried (max_retries=1)
    assert "testing-secret-value" not in repr(result.errors)


def test_malformed_page_gives_region_error(
    moto_url: str, public_endpoints: HTTPServer, seed: SpotSeed
) -> None:
    seed.add("us-east-1", "us-east-1a", "m5.large", "0.040000", ago(hours=1))
    seed.add("us-east-1", "us-east-1b", "m5.large", "abc", ago(hours=1))
    seed.add("us-east-1", "us-east-1b", "m5.large", "0.030000", ago(days=1))
    seed.rows["us-east-1"].append(
        {
            "AvailabilityZone": "us-east-1c",
            "ProductDescription": "Linux/UNIX",
            "SpotPrice": "0.1",
            "Timestamp": ago(hours=1),
        }
    )
    seed.add("us-west-2", "us-west-2a", "m5.large", "0.050000", ago(hours=1))
    settings = feed_settings(public_endpoints, moto_url, aws_regions="us-east-1,us-west-2")
    result = make_feed(settings).collect()

    assert result.regions_ok == ["us-west-2"]
    [error] = result.errors
    assert error.region == "us-east-1"
    assert "2 malformed" in error.message and "SpotPrice 'abc' is not a number" in error.message
    keys = {(r.region, r.availability_zone) for r in result.prices}
    # The key with a bad newest point is dropped (its price is unknown), never the older one.
    assert keys == {("us-east-1", "us-east-1a"), ("us-west-2", "us-west-2a")}
    assert result.counts["malformed_items"] == 2


def test_regions_default_to_all_enabled(
    moto_url: str, public_endpoints: HTTPServer, seed: SpotSeed
) -> None:
    seed.add("eu-central-1", "eu-central-1a", "m5.large", "0.040000", ago(hours=1))
    result = make_feed(feed_settings(public_endpoints, moto_url)).collect()
    asked = {c["region"] for c in seed.calls}
    assert {"us-east-1", "eu-central-1", "ap-southeast-2"} <= asked
    assert len(asked) == result.counts["regions"] >= 15
    assert sorted(result.regions_ok) == sorted(asked)
    assert [(r.region, r.availability_zone) for r in result.prices] == [
        ("eu-central-1", "eu-central-1a")
    ]


def test_advisor_down_keeps_prices(moto_url: str, httpserver: HTTPServer, seed: SpotSeed) -> None:
    httpserver.expect_request("/spot-advisor-data.json").respond_with_data("nope", status=500)
    seed.add("us-east-1", "us-east-1a", "m5.large", "0.040000", ago(hours=1))
    settings = feed_settings(httpserver, moto_url, aws_regions="us-east-1")
    result = make_feed(settings).collect()
    assert [r.price_per_hour for r in result.prices] == [0.04]
    assert result.prices[0].interruption_rate is None
    assert [e.region for e in result.errors] == ["spot-advisor"]
    assert "HTTP 500" in result.errors[0].message
    assert result.regions_ok == ["us-east-1"]


def test_regions_run_in_parallel(
    moto_url: str, public_endpoints: HTTPServer, seed: SpotSeed
) -> None:
    regions = ["us-east-1", "us-west-2", "eu-west-1"]
    for region in regions:
        seed.add(region, f"{region}a", "m5.large", "0.040000", ago(hours=1))
        seed.sleep[region] = 0.5
    settings = feed_settings(public_endpoints, moto_url, aws_regions=",".join(regions))
    result = make_feed(settings).collect()
    assert sorted(result.regions_ok) == sorted(regions)
    assert seed.max_in_flight >= 2  # regions were asked at the same time


def test_credentials_rejected_everywhere_fall_back_to_public_feed(
    moto_url: str, public_endpoints: HTTPServer, seed: SpotSeed
) -> None:
    for region in ("us-east-1", "af-south-1"):
        seed.errors[region] = ("AuthFailure", "AWS was not able to validate the credentials.")
    settings = feed_settings(public_endpoints, moto_url, aws_regions="us-east-1,af-south-1")
    result = make_feed(settings).collect()
    assert len(seed.calls) == 2
    assert result.prices and {r.source for r in result.prices} == {"aws-public-spot-feed"}
    assert {r.region for r in result.prices} == {"us-east-1", "af-south-1"}
    assert all(r.availability_zone == "" for r in result.prices)
    [error] = result.errors
    assert error.region == "ec2-api" and "AuthFailure" in error.message
    assert "public spot feed" in error.message
