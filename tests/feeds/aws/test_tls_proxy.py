"""Through a TLS-intercepting proxy (as Kivera runs): the CA bundle setting makes it work.

proxy.py re-signs every HTTPS site with its own CA; the feed trusts that CA only
through ``SPOTARB_CA_BUNDLE``. Targets are https://localhost (the proxy's leaf
certificates carry no IP SAN).
"""

from __future__ import annotations

import ssl
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app
from pytest_httpserver import HTTPServer
from werkzeug.serving import make_server

from spotarb.core.errors import FeedFetchError
from tests.feeds.aws.conftest import (
    ADVISOR_PATH,
    SPOT_FEED_PATH,
    SpotSeed,
    advisor_payload,
    feed_settings,
    make_feed,
    spot_feed_payload,
)
from tests.proxy_server import ProxyProcess


def _openssl(*args: str) -> None:
    subprocess.run(["openssl", *args], check=True, capture_output=True)


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A CA for the proxy, and a self-signed certificate for the local HTTPS servers."""
    d = tmp_path_factory.mktemp("pki")
    _openssl("genrsa", "-out", str(d / "ca-key.pem"), "2048")
    _openssl(
        "req", "-new", "-x509", "-days", "2", "-key", str(d / "ca-key.pem"),
        "-out", str(d / "ca-cert.pem"), "-subj", "/CN=spotarb test audit proxy CA",
    )  # fmt: skip
    _openssl("genrsa", "-out", str(d / "signing-key.pem"), "2048")
    _openssl(
        "req", "-new", "-x509", "-days", "2", "-nodes", "-newkey", "rsa:2048",
        "-keyout", str(d / "server-key.pem"), "-out", str(d / "server-cert.pem"),
        "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost",
    )  # fmt: skip
    (d / "certs").mkdir()
    return d


@pytest.fixture(scope="module")
def tls_proxy(pki: Path) -> Iterator[ProxyProcess]:
    port_file, log_file = pki / "proxy.port", pki / "proxy.log"
    process = subprocess.Popen(
        [
            sys.executable, "-m", "proxy", "--hostname", "127.0.0.1", "--port", "0",
            "--port-file", str(port_file), "--num-workers", "1", "--num-acceptors", "1",
            "--log-file", str(log_file), "--log-level", "INFO",
            "--ca-key-file", str(pki / "ca-key.pem"), "--ca-cert-file", str(pki / "ca-cert.pem"),
            "--ca-signing-key-file", str(pki / "signing-key.pem"),
            "--ca-cert-dir", str(pki / "certs"), "--insecure-tls-interception",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )  # fmt: skip
    deadline = time.monotonic() + 20
    while not (port_file.exists() and port_file.read_text().strip()):
        if time.monotonic() > deadline or process.poll() is not None:
            process.kill()
            raise RuntimeError("TLS-intercepting proxy.py did not start")
        time.sleep(0.05)
    port = int(port_file.read_text().strip())
    yield ProxyProcess(f"http://127.0.0.1:{port}", port, log_file, process)
    process.terminate()
    process.wait(timeout=10)


@pytest.fixture(scope="module")
def https_server(pki: Path) -> Iterator[HTTPServer]:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(pki / "server-cert.pem", pki / "server-key.pem")
    server = HTTPServer(host="localhost", port=0, ssl_context=context)
    server.start()
    server.expect_request(ADVISOR_PATH).respond_with_json(advisor_payload())
    server.expect_request(SPOT_FEED_PATH).respond_with_json(spot_feed_payload())
    yield server
    server.clear()
    server.stop()


def test_public_mode_through_tls_interception(
    tls_proxy: ProxyProcess, https_server: HTTPServer, pki: Path
) -> None:
    settings = feed_settings(
        https_server, proxy_url=tls_proxy.url, ca_bundle=str(pki / "ca-cert.pem")
    )
    result = make_feed(settings).collect()
    assert len(result.prices) == 6
    # The servers' own certificate is self-signed and NOT in the bundle: the calls can only
    # have succeeded because the proxy re-signed them with its CA (interception happened).
    tls_proxy.wait_for_log(f"CONNECT localhost:{https_server.port}")


def test_without_the_proxy_ca_the_call_fails_closed(
    tls_proxy: ProxyProcess, https_server: HTTPServer
) -> None:
    settings = feed_settings(https_server, proxy_url=tls_proxy.url)
    with pytest.raises(FeedFetchError):
        make_feed(settings).collect()


@pytest.mark.usefixtures("aws_credentials")
def test_boto3_through_tls_interception(
    tls_proxy: ProxyProcess,
    https_server: HTTPServer,
    pki: Path,
    moto_url: str,
    seed: SpotSeed,
) -> None:
    """HTTPS moto behind the intercepting proxy: boto3 trusts the proxy CA via ca_bundle."""
    app = DomainDispatcherApplication(create_backend_app)
    server = make_server(
        "localhost", 0, app, threaded=True,
        ssl_context=(str(pki / "server-cert.pem"), str(pki / "server-key.pem")),
    )  # fmt: skip
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        seed.add(
            "us-east-1",
            "us-east-1a",
            "m5.large",
            "0.041000",
            datetime.now(UTC) - timedelta(hours=1),
        )
        settings = feed_settings(
            https_server,
            f"https://localhost:{server.server_port}",
            aws_regions="us-east-1",
            proxy_url=tls_proxy.url,
            ca_bundle=str(pki / "ca-cert.pem"),
            read_timeout=20.0,
        )
        result = make_feed(settings).collect()
        assert result.errors == []
        assert [(r.availability_zone, r.price_per_hour) for r in result.prices] == [
            ("us-east-1a", 0.041)
        ]
        tls_proxy.wait_for_log(f"CONNECT localhost:{server.server_port}")
    finally:
        server.shutdown()
        thread.join(timeout=10)
