"""The GCP feed against pytest-httpserver: paging, auth, per-zone rows, faults."""

from __future__ import annotations

import logging
from decimal import Decimal as D

import pytest
from pytest_httpserver import HTTPServer
from werkzeug.wrappers import Response

from spotarb.core.errors import FeedFetchError, FeedUnconfigured
from spotarb.core.models import SpotPrice
from spotarb.feeds.base import ProgressEvent, load_feed
from spotarb.feeds.gcp import GcpFeed
from tests.feeds.gcp import conftest as fx
from tests.feeds.gcp.conftest import (
    API_KEY,
    PROJECT,
    FakeCredentials,
    GcpApi,
    google_error,
    make_clients,
    make_settings,
)


def rows_by(prices: list[SpotPrice]) -> dict[tuple[str, str, str], SpotPrice]:
    return {(p.instance_type, p.region, p.availability_zone): p for p in prices}


def test_api_key_walks_every_page_and_composes_regional_rows(
    gcp_api: GcpApi, httpserver: HTTPServer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    settings = make_settings(httpserver, gcp_api_key=API_KEY)
    feed = load_feed("gcp", settings, make_clients(settings))
    assert isinstance(feed, GcpFeed) and feed.name == "gcp"
    result = feed.collect()

    requests = gcp_api.sku_requests()
    pages = -(-len(fx.catalog_skus()) // gcp_api.page_size)
    assert len(requests) == pages and pages >= 4
    assert [r.args.get("pageToken", "") for r in requests] == [""] + [
        f"p{n}" for n in range(2, pages + 1)
    ]
    for request in requests:
        assert request.headers["X-Goog-Api-Key"] == API_KEY
        assert API_KEY not in request.url and "key=" not in request.url
        assert request.args["pageSize"] == "5000"
    # no Compute API call without credentials
    assert not [r for r in gcp_api.requests if r.path.startswith("/compute/")]

    assert result.errors == []
    rows = rows_by(result.prices)
    n2 = rows[("n2-standard-8", "us-central1", "")]
    assert n2.price_per_hour == pytest.approx(float(8 * D(fx.N2_CORE) + 32 * D(fx.N2_RAM)))
    assert round(n2.price_per_hour, 2) == 0.10
    assert n2.on_demand_price_per_hour == pytest.approx(
        float(8 * D(fx.N2_CORE_OD) + 32 * D(fx.N2_RAM_OD))
    )
    assert ("n2-standard-8", "us-east1", "") in rows
    a2 = rows[("a2-highgpu-1g", "us-central1", "")]
    assert (a2.gpu_count, a2.gpu_type, a2.gpu_memory_gb) == (1, "nvidia-a100", 40)
    assert a2.price_per_hour == pytest.approx(1.10 + 12 * 0.0111 + 85 * 0.00149)
    g2 = rows[("g2-standard-4", "us-central1", "")]
    assert (g2.gpu_type, g2.network_bandwidth_gbps) == ("nvidia-l4", 10.0)
    assert rows[("a4-highgpu-8g", "us-central1", "")].price_per_hour == pytest.approx(8 * 4.9542)
    assert not any(k[0].startswith("n2d-") for k in rows)  # no RAM rate → no row
    assert all(
        p.interruption_rate is None and p.source == "gcp-billing-catalog" for p in rows.values()
    )
    assert result.regions_ok == ["us-central1", "us-east1"]
    assert result.counts["sku-pages"] == pages
    # N2D has a (core) rate and shapes; a family with rates but no shapes is reported
    assert result.counts.get("families-without-shapes", 0) == 0
    assert API_KEY not in caplog.text


def test_adc_credentials_use_compute_api_and_emit_per_zone_rows(
    gcp_api: GcpApi, httpserver: HTTPServer
) -> None:
    settings = make_settings(httpserver, gcp_project=PROJECT)
    credentials = FakeCredentials()
    feed = GcpFeed.from_settings(settings, make_clients(settings), credentials=credentials)
    result = feed.collect()
    assert credentials.refreshes == 1
    for request in gcp_api.requests:
        assert request.headers["Authorization"] == "Bearer fake-access-token"
        assert "X-Goog-Api-Key" not in request.headers
    machine_requests = [r for r in gcp_api.requests if r.path.endswith("/machineTypes")]
    assert [r.args.get("pageToken", "") for r in machine_requests] == ["", "c1"]

    assert result.errors == []
    rows = rows_by(result.prices)
    n2_zones = sorted(k[2] for k in rows if k[0] == "n2-standard-8")
    assert n2_zones == ["us-central1-a", "us-central1-b", "us-east1-b"]
    expected = float(8 * D(fx.N2_CORE) + 32 * D(fx.N2_RAM))
    assert rows[("n2-standard-8", "us-central1", "us-central1-b")].price_per_hour == pytest.approx(
        expected
    )
    # deprecated type dropped, shared-core e2-micro priced at 0.25 vCPU, GPU types per zone
    assert not any(k[0] == "n2-standard-2" for k in rows)
    micro = rows[("e2-micro", "us-central1", "us-central1-c")]
    assert micro.price_per_hour == pytest.approx(0.25 * 0.006543 + 1 * 0.000877)
    assert micro.vcpu == 2
    assert ("g2-standard-4", "us-central1", "us-central1-c") in rows
    assert ("a2-highgpu-1g", "us-central1", "us-central1-a") in rows
    # N1 + T4 only in the zone whose acceleratorTypes list T4
    t4 = {k for k in rows if k[0] == "n1-standard-4+1xnvidia-tesla-t4"}
    assert t4 == {("n1-standard-4+1xnvidia-tesla-t4", "us-central1", "us-central1-a")}
    assert ("n1-standard-4+4xnvidia-tesla-t4", "us-central1", "us-central1-a") in rows
    # types the API did not list in a zone get no row there
    assert not any(k[0] == "c2-standard-4" for k in rows)
    assert result.counts["machine-types"] == 5
    assert result.counts["machine-types-skipped-deprecated"] == 1


def test_no_key_and_no_adc_is_unconfigured(httpserver: HTTPServer) -> None:
    settings = make_settings(httpserver)
    with pytest.raises(FeedUnconfigured, match=r"SPOTARB_GCP_API_KEY.*application-default"):
        GcpFeed.from_settings(settings, make_clients(settings))


def test_bad_page_token_keeps_earlier_pages_and_reports(
    gcp_api: GcpApi, httpserver: HTTPServer
) -> None:
    gcp_api.sku_faults[2] = [google_error(400, "INVALID_ARGUMENT", "Page token is not valid.")]
    settings = make_settings(httpserver, gcp_api_key=API_KEY)
    result = GcpFeed.from_settings(settings, make_clients(settings)).collect()
    assert len(result.errors) == 1
    error = result.errors[0]
    assert error.region == "billing-catalog"
    assert "page 2" in error.message and "HTTP 400" in error.message
    assert "Page token is not valid" in error.message and API_KEY not in error.message
    # page 1 held the N2 rates: those rows survive; nothing is claimed fully fresh
    assert any(p.instance_type == "n2-standard-8" for p in result.prices)
    assert not any(p.instance_type.startswith("a4-") for p in result.prices)
    assert result.regions_ok == []


def test_403_says_which_api_to_enable(gcp_api: GcpApi, httpserver: HTTPServer) -> None:
    gcp_api.sku_faults[1] = [
        google_error(403, "PERMISSION_DENIED", "Cloud Billing API has not been used in project")
    ]
    settings = make_settings(httpserver, gcp_api_key=API_KEY)
    with pytest.raises(FeedFetchError) as info:
        GcpFeed.from_settings(settings, make_clients(settings)).collect()
    message = str(info.value)
    assert "HTTP 403" in message and "PERMISSION_DENIED" in message
    assert "enable the Cloud Billing API (cloudbilling.googleapis.com)" in message
    assert API_KEY not in message


def test_compute_403_falls_back_to_builtin_table(gcp_api: GcpApi, httpserver: HTTPServer) -> None:
    gcp_api.compute_fault = google_error(
        403, "PERMISSION_DENIED", "Required 'compute.machineTypes.list'"
    )
    settings = make_settings(httpserver, gcp_project=PROJECT)
    feed = GcpFeed.from_settings(settings, make_clients(settings), credentials=FakeCredentials())
    result = feed.collect()
    assert [e.region for e in result.errors] == ["compute-api"]
    assert "Compute Engine API (compute.googleapis.com)" in result.errors[0].message
    assert "built-in machine-type table" in result.errors[0].message
    assert any(
        p.instance_type == "n2-standard-8" and p.availability_zone == "" for p in result.prices
    )


def test_malformed_money_is_reported_and_other_rows_kept(
    gcp_api: GcpApi, httpserver: HTTPServer
) -> None:
    bad = fx.sku(
        "C2R-S", "Preemptible Compute optimized Ram running in Iowa", "0.001", unit="GiBy.h"
    )
    bad["pricingInfo"][0]["pricingExpression"]["tieredRates"][0]["unitPrice"]["nanos"] = "1e6"
    gcp_api.skus = [s if s["skuId"] != "C2R-S" else bad for s in gcp_api.skus]
    settings = make_settings(httpserver, gcp_api_key=API_KEY)
    result = GcpFeed.from_settings(settings, make_clients(settings)).collect()
    assert len(result.errors) == 1 and "C2R-S" in result.errors[0].message
    assert "malformed" in result.errors[0].message
    assert not any(p.instance_type.startswith("c2-") for p in result.prices)
    assert any(p.instance_type == "n2-standard-8" for p in result.prices)
    assert result.counts["malformed"] == 1
    assert "[us-central1]" in result.errors[0].message
    assert result.regions_ok == ["us-east1"]  # us-central1 may be missing rows


def test_503_mid_walk_is_retried(gcp_api: GcpApi, httpserver: HTTPServer) -> None:
    gcp_api.sku_faults[3] = [Response("busy", status=503, headers={"Retry-After": "0"})]
    settings = make_settings(httpserver, gcp_api_key=API_KEY)
    result = GcpFeed.from_settings(settings, make_clients(settings)).collect()
    assert result.errors == []
    tokens = [r.args.get("pageToken", "") for r in gcp_api.sku_requests()]
    assert tokens.count("p3") == 2
    assert any(p.instance_type == "a4-highgpu-8g" for p in result.prices)


def test_503_that_persists_keeps_the_pages_already_read(
    gcp_api: GcpApi, httpserver: HTTPServer
) -> None:
    gcp_api.sku_faults[3] = [Response("busy", status=503) for _ in range(5)]
    settings = make_settings(httpserver, gcp_api_key=API_KEY, max_retries=2)
    result = GcpFeed.from_settings(settings, make_clients(settings)).collect()
    tokens = [r.args.get("pageToken", "") for r in gcp_api.sku_requests()]
    assert tokens.count("p3") == 3  # first try + 2 retries
    assert [e.region for e in result.errors] == ["billing-catalog"]
    assert "HTTP 503" in result.errors[0].message and "kept 2 page(s)" in result.errors[0].message
    assert any(p.instance_type == "n2-standard-8" for p in result.prices)
    assert result.regions_ok == []


def test_region_filter(gcp_api: GcpApi, httpserver: HTTPServer) -> None:
    settings = make_settings(httpserver, gcp_api_key=API_KEY, gcp_regions="us-east1")
    result = GcpFeed.from_settings(settings, make_clients(settings)).collect()
    assert result.prices and {p.region for p in result.prices} == {"us-east1"}
    assert result.regions_ok == ["us-east1"]


def test_a_repeating_page_token_stops_the_walk(httpserver: HTTPServer) -> None:
    page = {"skus": fx.catalog_skus()[:4], "nextPageToken": "same"}
    httpserver.expect_request(fx.SKU_PATH).respond_with_json(page)
    settings = make_settings(httpserver, gcp_api_key=API_KEY)
    result = GcpFeed.from_settings(settings, make_clients(settings)).collect()
    assert len(httpserver.log) == 2  # page 2 hands back the token it was asked with → stop
    assert [e.region for e in result.errors] == ["billing-catalog"]
    assert "nextPageToken repeats" in result.errors[0].message
    assert any(p.instance_type == "n2-standard-8" for p in result.prices)
    assert result.regions_ok == []


def test_an_unreachable_zone_is_reported_and_its_region_not_claimed_fresh(
    gcp_api: GcpApi, httpserver: HTTPServer
) -> None:
    gcp_api.machine_pages[1]["items"]["zones/us-east1-c"] = {
        "warning": {"code": "UNREACHABLE", "message": "zone us-east1-c is unreachable"}
    }
    settings = make_settings(httpserver, gcp_project=PROJECT)
    feed = GcpFeed.from_settings(settings, make_clients(settings), credentials=FakeCredentials())
    result = feed.collect()
    assert [(e.region, e.message) for e in result.errors] == [
        ("us-east1-c", "machine types: UNREACHABLE: zone us-east1-c is unreachable")
    ]
    assert any(p.availability_zone == "us-east1-b" for p in result.prices)  # rows kept
    assert result.regions_ok == ["us-central1"]


def test_key_with_project_but_no_adc_says_why_compute_is_not_used(
    gcp_api: GcpApi, httpserver: HTTPServer
) -> None:
    settings = make_settings(httpserver, gcp_api_key=API_KEY, gcp_project=PROJECT)
    feed = GcpFeed.from_settings(settings, make_clients(settings))
    assert "built-in machine-type table" in feed.describe()
    assert "Compute API not used: no application-default credentials" in feed.describe()
    events: list[ProgressEvent] = []
    result = feed.collect(progress=events.append)
    assert any(e.region == "compute-api" and e.status == "info" for e in events)
    assert result.prices and all(p.availability_zone == "" for p in result.prices)
    assert not [r for r in gcp_api.requests if r.path.startswith("/compute/")]
