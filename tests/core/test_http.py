"""The outbound client factory: retries, Retry-After, user agent, proxy (real proxy.py)."""

from __future__ import annotations

import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from spotarb.core.config import load_settings
from spotarb.core.errors import FeedFetchError, FeedParseError
from spotarb.core.http import OutboundClients, get_json, parse_retry_after, redact_url


def clients(**settings: object) -> tuple[OutboundClients, list[float]]:
    slept: list[float] = []
    return OutboundClients(load_settings(**settings), sleep=slept.append), slept


def flaky(statuses: list[int], headers: dict[str, str] | None = None):  # type: ignore[no-untyped-def]
    calls: list[Request] = []

    def handler(request: Request) -> Response:
        calls.append(request)
        status = statuses[min(len(calls) - 1, len(statuses) - 1)]
        body = '{"ok": true}' if status == 200 else "busy"
        return Response(body, status=status, headers=headers or {}, content_type="application/json")

    return handler, calls


def test_retries_429_and_5xx_then_succeeds(httpserver: HTTPServer) -> None:
    handler, calls = flaky([429, 503, 200])
    httpserver.expect_request("/x").respond_with_handler(handler)
    c, slept = clients(max_retries=3, backoff_base=0.2)
    with c.http("azure") as client:
        assert get_json(client, httpserver.url_for("/x"), what="x") == {"ok": True}
    assert len(calls) == 3 and len(slept) == 2
    assert all(0 <= s <= 0.8 for s in slept)


def test_retry_after_is_honoured(httpserver: HTTPServer) -> None:
    handler, _calls = flaky([429, 200], {"Retry-After": "3"})
    httpserver.expect_request("/x").respond_with_handler(handler)
    c, slept = clients(max_retries=2, backoff_base=0.01)
    with c.http("azure") as client:
        get_json(client, httpserver.url_for("/x"), what="x")
    assert slept == [3.0]


def test_retry_after_longer_than_the_cap_is_not_retried_early(httpserver: HTTPServer) -> None:
    handler, calls = flaky([429], {"Retry-After": "3600"})
    httpserver.expect_request("/x").respond_with_handler(handler)
    c, slept = clients(max_retries=5, backoff_max=30)
    with c.http("azure") as client, pytest.raises(FeedFetchError, match="HTTP 429"):
        get_json(client, httpserver.url_for("/x"), what="prices eastus")
    assert len(calls) == 1 and slept == []


def test_gives_up_after_max_retries_with_a_clear_error(httpserver: HTTPServer) -> None:
    handler, calls = flaky([500])
    httpserver.expect_request("/x").respond_with_handler(handler)
    c, _ = clients(max_retries=2)
    with c.http("gcp") as client, pytest.raises(FeedFetchError) as info:
        get_json(client, httpserver.url_for("/x"), what="skus page 3")
    assert len(calls) == 3
    assert str(info.value).startswith("skus page 3: HTTP 500 from http://localhost:")


def test_non_retryable_status_is_not_retried(httpserver: HTTPServer) -> None:
    handler, calls = flaky([403])
    httpserver.expect_request("/x").respond_with_handler(handler)
    c, slept = clients(max_retries=3)
    with c.http("gcp") as client, pytest.raises(FeedFetchError, match="HTTP 403"):
        get_json(client, httpserver.url_for("/x"), what="x")
    assert len(calls) == 1 and slept == []


def test_malformed_json_is_a_parse_error(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/x").respond_with_data("{not json", content_type="application/json")
    c, _ = clients()
    with c.http("gcp") as client, pytest.raises(FeedParseError, match="not valid JSON"):
        get_json(client, httpserver.url_for("/x"), what="x")


def test_user_agent_names_spotarb(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/ua").respond_with_json({})
    c, _ = clients()
    with c.http("aws") as client:
        client.get(httpserver.url_for("/ua"))
    [(request, _)] = httpserver.log
    assert request.headers["User-Agent"].startswith("spotarb/")


def test_secrets_are_redacted_from_urls() -> None:
    assert redact_url("http://bob:s3cret@proxy:3128") == "http://bob:***@proxy:3128"
    redacted = redact_url("https://x/skus?key=AIzaSECRET&pageToken=abc")
    assert "AIzaSECRET" not in redacted and "pageToken=abc" in redacted


def test_urls_without_secrets_are_left_exactly_as_they_are() -> None:
    for url in ("sqlite:////tmp/x.db", "/tmp/x.db", "sqlite:///rel.db", "https://h/p?a=1"):
        assert redact_url(url) == url
    assert redact_url("postgresql://u:pw@db:5432/spotarb") == "postgresql://u:***@db:5432/spotarb"


def test_retry_after_http_date() -> None:
    from datetime import UTC, datetime

    now = datetime(2026, 11, 28, 12, 0, 0, tzinfo=UTC)
    assert parse_retry_after("Sat, 28 Nov 2026 12:00:10 GMT", now) == 10.0
    assert parse_retry_after("soon") is None


def test_boto3_config_carries_proxy_timeouts_and_adaptive_retries() -> None:
    c, _ = clients(proxy_url="http://127.0.0.1:3128", ca_bundle="/etc/ca.pem",
                   aws_endpoint_url="http://127.0.0.1:5000", connect_timeout=2)  # fmt: skip
    kwargs = c.boto3_client_kwargs("aws")
    config = kwargs["config"]
    assert config.proxies == {"http": "http://127.0.0.1:3128", "https": "http://127.0.0.1:3128"}
    assert config.proxies_config == {"proxy_ca_bundle": "/etc/ca.pem"}
    assert config.retries["mode"] == "adaptive"
    assert config.connect_timeout == 2
    assert kwargs["verify"] == "/etc/ca.pem"
    assert kwargs["endpoint_url"] == "http://127.0.0.1:5000"


def test_per_feed_proxy_override() -> None:
    settings = load_settings(proxy_url="http://a:1", gcp_proxy_url="http://b:2")
    assert settings.proxy_for("gcp") == "http://b:2"
    assert settings.proxy_for("aws") == "http://a:1"
