"""Real google-auth ADC (service-account file → token endpoint) and the audit proxy."""

from __future__ import annotations

from pathlib import Path

import pytest
from pytest_httpserver import HTTPServer

from spotarb.core.errors import FeedFetchError, ProxyUnavailableError
from spotarb.feeds.gcp import GcpFeed
from tests.feeds.gcp.adc import write_service_account_file
from tests.feeds.gcp.conftest import API_KEY, PROJECT, GcpApi, make_clients, make_settings
from tests.proxy_server import ProxyProcess, free_port


@pytest.fixture
def adc_file(httpserver: HTTPServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = write_service_account_file(tmp_path / "sa.json", httpserver.url_for("/token"), PROJECT)
    monkeypatch.setenv("GOOGLE_APPLICATION_CREDENTIALS", str(path))
    return path


def test_application_default_credentials_from_google_auth(
    gcp_api: GcpApi, httpserver: HTTPServer, adc_file: Path
) -> None:
    # no key, no project setting: both come from the ADC file
    settings = make_settings(httpserver)
    feed = GcpFeed.from_settings(settings, make_clients(settings))
    assert "Compute API" in feed.describe() and PROJECT in feed.describe()
    result = feed.collect()
    token_calls = [r for r, _ in httpserver.log if r.path == "/token"]
    assert len(token_calls) == 1
    assert b"jwt-bearer" in token_calls[0].get_data()
    api_calls = [r for r in gcp_api.requests]
    assert api_calls and all(
        r.headers["Authorization"] == "Bearer fake-access-token" for r in api_calls
    )
    assert result.errors == []
    zones = {p.availability_zone for p in result.prices if p.instance_type == "n2-standard-8"}
    assert zones == {"us-central1-a", "us-central1-b", "us-east1-b"}


def test_token_refresh_failure_is_one_line(
    httpserver: HTTPServer, adc_file: Path, tmp_path: Path
) -> None:
    httpserver.expect_request("/token", method="POST").respond_with_json(
        {"error": "invalid_grant", "error_description": "Invalid JWT Signature."}, status=400
    )
    settings = make_settings(httpserver)
    feed = GcpFeed.from_settings(settings, make_clients(settings))
    with pytest.raises(FeedFetchError, match="token refresh failed") as info:
        feed.collect()
    assert "\n" not in str(info.value)


def test_all_calls_go_through_the_audit_proxy(
    gcp_api: GcpApi, httpserver: HTTPServer, adc_file: Path, proxy: ProxyProcess
) -> None:
    settings = make_settings(
        httpserver, gcp_api_key=API_KEY, gcp_project=PROJECT, proxy_url=proxy.url
    )
    result = GcpFeed.from_settings(settings, make_clients(settings)).collect()
    assert result.errors == [] and result.prices
    port = httpserver.port
    log = proxy.wait_for_log(f"POST localhost:{port}/token - 200")
    proxy.wait_for_log(f"GET localhost:{port}/v1/services/6F81-5844-456A/skus")
    log = proxy.wait_for_log(f"GET localhost:{port}/compute/v1/projects/{PROJECT}/aggregated")
    assert API_KEY not in log
    # with a key, the billing API gets the key and the Compute API the bearer token
    sku_calls = gcp_api.sku_requests()
    assert all(r.headers["X-Goog-Api-Key"] == API_KEY for r in sku_calls)
    compute = [r for r in gcp_api.requests if r.path.startswith("/compute/")]
    assert compute and all(r.headers["Authorization"].startswith("Bearer ") for r in compute)


def test_proxy_down_fails_closed(gcp_api: GcpApi, httpserver: HTTPServer) -> None:
    dead = f"http://127.0.0.1:{free_port()}"
    settings = make_settings(httpserver, gcp_api_key=API_KEY, proxy_url=dead, max_retries=0)
    with pytest.raises(ProxyUnavailableError):
        GcpFeed.from_settings(settings, make_clients(settings)).collect()
    assert gcp_api.requests == []
