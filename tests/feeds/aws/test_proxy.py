"""The whole AWS feed through a real proxy.py process; fail closed when it is down."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from pytest_httpserver import HTTPServer

from spotarb.core.errors import ProxyUnavailableError
from spotarb.core.http import OutboundClients
from spotarb.feeds.aws.advisor import load_advisor
from tests.feeds.aws.conftest import (
    ADVISOR_PATH,
    SPOT_FEED_PATH,
    SpotSeed,
    feed_settings,
    make_feed,
)
from tests.proxy_server import ProxyProcess, free_port


@pytest.mark.usefixtures("aws_credentials")
def test_api_mode_through_proxy(
    proxy: ProxyProcess, moto_url: str, public_endpoints: HTTPServer, seed: SpotSeed
) -> None:
    seed.add(
        "us-east-1", "us-east-1a", "m5.large", "0.040000", datetime.now(UTC) - timedelta(hours=1)
    )
    settings = feed_settings(
        public_endpoints, moto_url, aws_regions="us-east-1", aws_proxy_url=proxy.url
    )
    result = make_feed(settings).collect()
    assert [r.price_per_hour for r in result.prices] == [0.04]
    moto_port = moto_url.rsplit(":", 1)[1]
    log = proxy.wait_for_log(f"POST 127.0.0.1:{moto_port}/ - 200")
    assert (
        f"GET localhost:{public_endpoints.port}{ADVISOR_PATH} - 200"
        in proxy.wait_for_log(ADVISOR_PATH)
        or f"{ADVISOR_PATH} - 200" in log
    )
    # Both EC2 calls (spot history, instance types) went through the proxy.
    assert proxy.log().count(f"POST 127.0.0.1:{moto_port}/ - 200") >= 2


def test_public_mode_through_proxy(proxy: ProxyProcess, public_endpoints: HTTPServer) -> None:
    settings = feed_settings(public_endpoints, proxy_url=proxy.url)
    result = make_feed(settings).collect()
    assert result.prices
    proxy.wait_for_log(f"localhost:{public_endpoints.port}{SPOT_FEED_PATH} - 200")
    proxy.wait_for_log(f"localhost:{public_endpoints.port}{ADVISOR_PATH} - 200")


@pytest.mark.usefixtures("aws_credentials")
def test_api_mode_proxy_down_raises_never_bypasses(
    moto_url: str, httpserver: HTTPServer, seed: SpotSeed
) -> None:
    httpserver.expect_request(ADVISOR_PATH).respond_with_json({"spot_advisor": {}})
    dead = f"http://auditor:s3cret@127.0.0.1:{free_port()}"
    settings = feed_settings(httpserver, moto_url, aws_regions="us-east-1", proxy_url=dead)
    with pytest.raises(ProxyUnavailableError) as info:
        make_feed(settings).collect()
    assert "s3cret" not in str(info.value) and "proxy" in str(info.value)
    assert seed.calls == []  # moto never saw a call
    assert httpserver.log == []


@pytest.mark.usefixtures("aws_credentials")
def test_api_mode_proxy_down_for_ec2_only(
    moto_url: str, public_endpoints: HTTPServer, seed: SpotSeed
) -> None:
    """Advisor reachable, EC2 proxy dead: the EC2 failure still raises (not a region error)."""
    dead = f"http://127.0.0.1:{free_port()}"
    settings = feed_settings(
        public_endpoints, moto_url, aws_regions="us-east-1,us-west-2", aws_proxy_url=dead
    )
    feed = make_feed(settings)
    # The advisor is already cached (fetched without a proxy), so only EC2 meets the dead proxy.
    direct = feed_settings(public_endpoints)
    load_advisor(feed.advisor_cache, settings.aws_advisor_url, OutboundClients(direct))
    with pytest.raises(ProxyUnavailableError):
        feed.collect()
    assert seed.calls == []
