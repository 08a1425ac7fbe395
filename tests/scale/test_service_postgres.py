"""The service on a PostgreSQL store: readiness follows the store's reachability."""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from urllib.parse import urlsplit, urlunsplit

import pytest

from spotarb.core.config import load_settings
from spotarb.core.http import OutboundClients
from spotarb.ingest.aggregator import Aggregator
from spotarb.serving.service import Service
from spotarb.store.postgres import PostgresStore
from tests.scale.tcpproxy import TcpProxy
from tests.service.conftest import row

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

pytestmark = pytest.mark.postgres


@pytest.fixture
def proxied_url(pg_url: str) -> Iterator[tuple[str, TcpProxy]]:
    parts = urlsplit(pg_url)
    proxy = TcpProxy(parts.hostname or "127.0.0.1", parts.port or 5432)
    yield urlunsplit(parts._replace(netloc=f"postgres@127.0.0.1:{proxy.port}")), proxy
    proxy.cut()


def test_readyz_is_503_when_the_store_cannot_be_reached(
    proxied_url: tuple[str, TcpProxy],
) -> None:
    from spotarb.api import create_app

    url, proxy = proxied_url
    settings = load_settings(db=url, max_retries=0)
    store = PostgresStore(url, connect_timeout=1)
    Aggregator(store).write("import", [row(source="import")])
    service = Service(settings, store, clients=OutboundClients(settings))
    with TestClient(create_app(settings, service=service, collect=False)) as client:
        ready = client.get("/readyz")
        assert ready.status_code == 200 and ready.json()["rows"] == 1
        assert client.get("/v1/cluster").json()["store"] == "postgresql"
        proxy.cut()
        down = client.get("/readyz")
        assert down.status_code == 503
        assert "cannot read database postgresql://***@127.0.0.1" in down.json()["reason"]
        # What the replica already holds is still served.
        assert client.get("/v1/prices").json()["prices"][0]["instanceType"] == "m5.large"
    store.close()
