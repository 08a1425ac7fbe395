from __future__ import annotations

import pytest
from pytest_httpserver import HTTPServer

from spotarb.core.config import load_settings
from spotarb.core.errors import ProxyUnavailableError
from spotarb.core.http import OutboundClients, get_json
from tests.proxy_server import ProxyProcess, free_port


def test_httpx_calls_go_through_the_configured_proxy(
    proxy: ProxyProcess, httpserver: HTTPServer
) -> None:
    httpserver.expect_request("/through-proxy").respond_with_json({"ok": True})
    clients = OutboundClients(load_settings(proxy_url=proxy.url, max_retries=0))
    with clients.http("azure") as client:
        assert get_json(client, httpserver.url_for("/through-proxy"), what="t") == {"ok": True}
    proxy.wait_for_log(f"GET localhost:{httpserver.port}/through-proxy - 200")


def test_proxy_down_fails_naming_the_proxy_and_never_bypasses_it(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/x").respond_with_json({"ok": True})
    dead = f"http://user:hunter2@127.0.0.1:{free_port()}"
    clients = OutboundClients(load_settings(proxy_url=dead, max_retries=1), sleep=lambda _: None)
    with clients.http("gcp") as client, pytest.raises(ProxyUnavailableError) as info:
        client.get(httpserver.url_for("/x"))
    message = str(info.value)
    assert "127.0.0.1" in message and "proxy" in message
    assert "hunter2" not in message
    assert httpserver.log == []  # nothing reached the server around the proxy
