"""Credential-free mode: the public spot feed + Spot Advisor over real HTTP (pytest-httpserver)."""

from __future__ import annotations

import json
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from pytest_httpserver import HTTPServer

from spotarb.core.errors import FeedFetchError, FeedParseError
from spotarb.feeds.aws import SOURCE_PUBLIC
from spotarb.feeds.aws.advisor import ADVISOR_TTL_SECONDS, parse_advisor
from spotarb.feeds.aws.public_feed import decode_feed_text, parse_price, parse_public_feed
from spotarb.feeds.base import ProgressEvent
from spotarb.feeds.ttl import TtlCache
from tests.feeds.aws.conftest import ADVISOR_PATH, feed_settings, make_feed
from tests.recorded import recorded_file


def test_no_credentials_means_credential_free_mode(public_endpoints: HTTPServer) -> None:
    feed = make_feed(feed_settings(public_endpoints))
    assert not feed.credentialed and feed.mode == "public"
    assert "credential-free" in feed.describe()


def test_without_boto3_credential_free_mode_still_works(
    public_endpoints: HTTPServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setitem(sys.modules, "boto3", None)  # import boto3 → ImportError
    feed = make_feed(feed_settings(public_endpoints))
    assert not feed.credentialed
    assert "boto3 is not installed" in feed.describe()
    assert len(feed.collect().prices) == 6


def test_public_feed_rows(public_endpoints: HTTPServer) -> None:
    events: list[ProgressEvent] = []
    result = make_feed(feed_settings(public_endpoints)).collect(progress=events.append)
    rows = {(r.region, r.instance_type): r for r in result.prices}
    assert set(rows) == {
        ("us-east-1", "m5.large"),
        ("us-east-1", "t3.nano"),
        ("us-east-1", "c6g.large"),
        ("us-east-1", "g4dn.xlarge"),
        ("af-south-1", "m5.large"),
        ("af-south-1", "trn1.2xlarge"),
    }  # p4d: N/A*, zz9.mega: no specs; display groups flattened
    assert result.regions_ok == ["af-south-1", "us-east-1"]
    assert result.errors == []
    m5 = rows[("us-east-1", "m5.large")]
    assert m5.price_per_hour == 0.0401  # the linux column, not mswin
    assert m5.availability_zone == "" and m5.source == SOURCE_PUBLIC
    assert (m5.vcpu, m5.memory_gb, m5.arch) == (2, 8, "x86_64")
    assert m5.interruption_rate == 0.10 and m5.interruption_source == "aws-spot-advisor"
    assert m5.on_demand_price_per_hour == pytest.approx(0.0401 / 0.42)
    assert rows[("us-east-1", "t3.nano")].price_per_hour == 0.0009  # "9.0E-4"
    assert rows[("af-south-1", "m5.large")].price_per_hour == 0.023
    g4 = rows[("us-east-1", "g4dn.xlarge")]
    assert (g4.gpu_count, g4.gpu_type, g4.gpu_memory_gb) == (1, "nvidia-t4", 16)
    assert rows[("us-east-1", "c6g.large")].arch == "arm64"
    assert rows[("af-south-1", "trn1.2xlarge")].gpu_count == 0
    assert result.counts["not_available"] >= 1 and result.counts["types_without_specs"] == 1
    assert any(e.region == "specs" and "zz9.mega" in e.message for e in events)


def test_configured_regions_filter_and_missing_region_reported(
    public_endpoints: HTTPServer,
) -> None:
    settings = feed_settings(public_endpoints, aws_regions="af-south-1,eu-north-9")
    result = make_feed(settings).collect()
    assert {r.region for r in result.prices} == {"af-south-1"}
    assert result.regions_ok == ["af-south-1"]
    assert [(e.region, e.message) for e in result.errors] == [
        ("eu-north-9", "region not in the public spot feed")
    ]


def test_public_feed_down_raises(httpserver: HTTPServer) -> None:
    httpserver.expect_request(ADVISOR_PATH).respond_with_json({"spot_advisor": {}})
    httpserver.expect_request("/spot.json").respond_with_data("gone", status=503)
    with pytest.raises(FeedFetchError, match="public spot feed: HTTP 503"):
        make_feed(feed_settings(httpserver)).collect()


def test_advisor_is_cached(public_endpoints: HTTPServer) -> None:
    settings = feed_settings(public_endpoints)
    cache: TtlCache[str, Any] = TtlCache(ADVISOR_TTL_SECONDS)
    make_feed(settings, advisor_cache=cache).collect()
    make_feed(settings, advisor_cache=cache).collect()
    assert cache.fetches == 1
    advisor_hits = [r for r, _ in public_endpoints.log if r.path == ADVISOR_PATH]
    assert len(advisor_hits) == 1


def test_advisor_refresh_follows_the_advisor_interval(public_endpoints: HTTPServer) -> None:
    now = [1000.0]
    cache: TtlCache[str, Any] = TtlCache(ADVISOR_TTL_SECONDS, clock=lambda: now[0])
    settings = feed_settings(public_endpoints, aws_advisor_interval=3600)
    make_feed(settings, advisor_cache=cache).collect()
    now[0] += 3000  # within the interval: no new fetch
    make_feed(settings, advisor_cache=cache).collect()
    assert cache.fetches == 1
    now[0] += 700  # past SPOTARB_AWS_ADVISOR_INTERVAL
    make_feed(settings, advisor_cache=cache).collect()
    assert cache.fetches == 2


def test_price_strings() -> None:
    assert str(parse_price("0.023")) == "0.023"
    assert float(parse_price("9.0E-4") or 0) == 0.0009
    assert parse_price("N/A*") is None and parse_price("N/A") is None
    with pytest.raises(ValueError, match="not a number"):
        parse_price("abc")
    with pytest.raises(ValueError, match="not positive"):
        parse_price("0")


def test_legacy_jsonp_and_region_codes() -> None:
    text = (
        'callback({"vers":0.01,"config":{"regions":[{"region":"eu-ireland","instanceTypes":'
        '[{"type":"computePreviousGen","sizes":[{"size":"c1.medium","valueColumns":'
        '[{"name":"linux","prices":{"USD":"0.0284"}}]}]}]}]}});'
    )
    parsed = parse_public_feed(decode_feed_text(text))
    assert [(p.region, p.instance_type, str(p.price)) for p in parsed.prices] == [
        ("eu-west-1", "c1.medium", "0.0284")
    ]
    with pytest.raises(FeedParseError):
        parse_public_feed({"vers": 1})


def test_malformed_public_prices_are_counted() -> None:
    payload = {
        "config": {
            "regions": [
                {
                    "region": "us-east-1",
                    "instanceTypes": [
                        {
                            "type": "x",
                            "sizes": [
                                {
                                    "size": "m5.large",
                                    "valueColumns": [{"name": "linux", "prices": {"USD": "cheap"}}],
                                },
                                {
                                    "size": "m5.xlarge",
                                    "valueColumns": [{"name": "linux", "prices": {"USD": "0.08"}}],
                                },
                            ],
                        }
                    ],
                }
            ]
        }
    }
    parsed = parse_public_feed(payload)
    assert parsed.malformed == 1 and [p.instance_type for p in parsed.prices] == ["m5.xlarge"]


def test_real_advisor_sample(shared_dir: Path) -> None:
    path = recorded_file(shared_dir, "samples/aws/spot-advisor-data.json")
    payload = json.loads(path.read_text())
    data = parse_advisor(payload)
    linux = sum(len(v.get("Linux", {})) for v in payload["spot_advisor"].values())
    assert len(data.entries) == linux > 10_000
    assert data.instance_types["c6i.32xlarge"] == (128.0, 256.0)
    rates = {e.interruption_rate for e in data.entries.values()}
    assert rates <= {0.05, 0.10, 0.15, 0.20, 0.25} and len(rates) == 5
    assert any(e.savings_pct is not None and e.savings_pct < 0 for e in data.entries.values())
    p4d = data.spec("p4d.24xlarge")
    assert p4d is not None and (p4d.vcpu, p4d.memory_gb, p4d.gpu_count) == (96, 1152, 8)
    trn = data.spec("trn1.2xlarge")
    assert trn is not None and trn.gpu_count == 0


def test_real_public_feed_sample(shared_dir: Path) -> None:
    path = recorded_file(
        shared_dir, "samples/aws/spotinfo_website-spot-json_af-south-1_trimmed.json"
    )
    parsed = parse_public_feed(json.loads(path.read_text()))
    prices = {p.instance_type: float(p.price) for p in parsed.prices}
    assert prices["m5.large"] == 0.023 and prices["t3.nano"] == 0.0009
    assert {p.region for p in parsed.prices} == {"af-south-1"}
    assert len(prices) == 9 and parsed.malformed == 0


def test_last_modified_is_observed_at(httpserver: HTTPServer) -> None:
    from tests.feeds.aws.conftest import advisor_payload, spot_feed_payload

    httpserver.expect_request(ADVISOR_PATH).respond_with_json(advisor_payload())
    httpserver.expect_request("/spot.json").respond_with_json(
        spot_feed_payload(), headers={"Last-Modified": "Sat, 28 Nov 2026 20:15:00 GMT"}
    )
    result = make_feed(feed_settings(httpserver)).collect()
    assert {r.observed_at for r in result.prices} == {datetime(2026, 11, 28, 20, 15, tzinfo=UTC)}
    assert all(r.collected_at > r.observed_at for r in result.prices)


def test_real_legacy_feed_sample(shared_dir: Path) -> None:
    path = recorded_file(
        shared_dir, "samples/aws/ligoj_legacy-spot.js_inner-json_trimmed-fixture.json"
    )
    parsed = parse_public_feed(decode_feed_text(path.read_text()))
    regions = {p.region for p in parsed.prices}
    assert {"us-east-1", "eu-west-1"} <= regions  # us-east / eu-ireland mapped
    assert not any(r in regions for r in ("us-east", "eu-ireland"))
    m3 = [p for p in parsed.prices if p.instance_type == "m3.medium" and p.region == "us-east-1"]
    assert [str(p.price) for p in m3] == ["0.0127"]
