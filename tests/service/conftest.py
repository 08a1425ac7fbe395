"""Fixtures for the service tests: a real store, the real app, local feeds."""

from __future__ import annotations

import warnings
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from spotarb.core.config import Settings, load_settings
from spotarb.core.http import OutboundClients
from spotarb.core.models import SpotPrice
from spotarb.feeds import base as feeds_base
from spotarb.feeds.base import FeedResult
from spotarb.serving.service import Service
from spotarb.store.sqlite import SqliteStore
from tests.service.localfeed import TARGETS

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient


def row(**overrides: Any) -> SpotPrice:
    now = datetime.now(UTC)
    values: dict[str, Any] = {
        "provider": "aws",
        "region": "us-east-1",
        "availability_zone": "us-east-1a",
        "instance_type": "m5.large",
        "vcpu": 2.0,
        "memory_gb": 8.0,
        "price_per_hour": 0.035,
        "interruption_rate": 0.05,
        "source": "aws-ec2-api",
        "observed_at": now,
        "collected_at": now,
    }
    values.update(overrides)
    return SpotPrice(**values)


def write(service: Service, feed: str, rows: list[SpotPrice]) -> None:
    service.aggregator.apply(FeedResult(feed=feed, prices=rows))


@pytest.fixture
def local_feeds(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, target in TARGETS.items():
        monkeypatch.setitem(feeds_base.FEED_REGISTRY, name, target)


@pytest.fixture
def make_service(tmp_path: Path) -> Iterator[Callable[..., Service]]:
    made: list[Service] = []

    def make(**overrides: Any) -> Service:
        overrides.setdefault("db", str(tmp_path / "spotarb.db"))
        overrides.setdefault("max_retries", 0)
        settings: Settings = load_settings(**overrides)
        service = Service(
            settings,
            SqliteStore(settings.db),
            clients=OutboundClients(settings, sleep=lambda s: None),
        )
        made.append(service)
        return service

    yield make
    for service in made:
        service.stop(timeout=5)


@pytest.fixture
def make_client() -> Iterator[Callable[..., TestClient]]:
    from spotarb.api import create_app

    clients: list[TestClient] = []

    def make(service: Service, *, collect: bool = False) -> TestClient:
        client = TestClient(create_app(service.settings, service=service, collect=collect))
        client.__enter__()
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.__exit__(None, None, None)
