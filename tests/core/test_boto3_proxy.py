"""boto3 built from OutboundClients goes through the audit proxy (real proxy.py, moto server)."""

from __future__ import annotations

from collections.abc import Iterator

import boto3
import pytest
from botocore.exceptions import ProxyConnectionError
from moto.server import ThreadedMotoServer

from spotarb.core.config import load_settings
from spotarb.core.errors import ProxyUnavailableError
from spotarb.core.http import OutboundClients
from tests.proxy_server import ProxyProcess, free_port


@pytest.fixture(scope="module")
def moto_url() -> Iterator[str]:
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


def ec2(clients: OutboundClients):  # type: ignore[no-untyped-def]
    return boto3.client(
        "ec2",
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
        **clients.boto3_client_kwargs("aws"),
    )


def test_boto3_calls_go_through_the_proxy(moto_url: str, proxy: ProxyProcess) -> None:
    clients = OutboundClients(load_settings(proxy_url=proxy.url, aws_endpoint_url=moto_url))
    zones = ec2(clients).describe_availability_zones()["AvailabilityZones"]
    assert any(z["ZoneName"] == "us-east-1a" for z in zones)
    port = moto_url.rsplit(":", 1)[1]
    proxy.wait_for_log(f"POST 127.0.0.1:{port}/ - 200")


def test_boto3_with_the_proxy_down_fails_and_names_it(moto_url: str) -> None:
    dead = f"http://127.0.0.1:{free_port()}"
    clients = OutboundClients(
        load_settings(proxy_url=dead, aws_endpoint_url=moto_url, max_retries=0, connect_timeout=1)
    )
    with pytest.raises(ProxyConnectionError) as info:
        ec2(clients).describe_availability_zones()
    mapped = clients.proxy_error("aws", info.value)
    assert isinstance(mapped, ProxyUnavailableError)
    assert dead in str(mapped)
