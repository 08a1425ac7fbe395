"""The cluster coordinator: election drives the schedule; info and metrics report it."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.registry import Collector

from spotarb.core.config import load_settings
from spotarb.serving.cache import MemoryCache
from spotarb.serving.cluster import Cluster, Role, open_cache
from spotarb.serving.redis_cache import RedisCache
from spotarb.store.postgres import PostgresStore
from spotarb.store.sqlite import SqliteStore
from tests.scale.redisproc import RedisProcess


class Switch:
    """Records the schedule switch the cluster flips."""

    def __init__(self) -> None:
        self.calls: list[bool] = []

    def __call__(self, on: bool) -> None:
        self.calls.append(on)

    @property
    def on(self) -> bool:
        return bool(self.calls and self.calls[-1])


@pytest.fixture
def clusters() -> Iterator[Callable[..., tuple[Cluster, Switch]]]:
    made: list[Cluster] = []

    def make(store: object, role: Role = "all", name: str = "x") -> tuple[Cluster, Switch]:
        switch = Switch()
        cluster = Cluster(
            store,  # type: ignore[arg-type]
            MemoryCache(),
            role=role,
            set_collecting=switch,
            on_change=lambda: None,
            instance_id=name,
            elect_seconds=0.05,
        )
        cluster.start()
        made.append(cluster)
        return cluster, switch

    yield make
    for cluster in made:
        cluster.stop()


def wait(condition: Callable[[], bool], timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition never held"
        time.sleep(0.01)


def test_second_serve_on_one_sqlite_file_is_api_only_and_says_so(
    tmp_path: Path,
    clusters: Callable[..., tuple[Cluster, Switch]],
    caplog: pytest.LogCaptureFixture,
) -> None:
    path = tmp_path / "prices.db"
    first, first_switch = clusters(SqliteStore(path), name="first")
    with caplog.at_level(logging.WARNING, logger="spotarb.serving.cluster"):
        second, second_switch = clusters(SqliteStore(path), name="second")
    assert first.is_leader and first_switch.calls == [True]
    assert not second.is_leader and second_switch.calls == []
    assert any("second is a standby: first collects" in r.getMessage() for r in caplog.records), (
        caplog.text
    )
    info = second.info(0)
    assert (info.instance_id, info.role, info.is_leader, info.leader_id) == (
        "second", "all", False, "first",
    )  # fmt: skip
    assert (info.store, info.cache, info.data_version) == ("sqlite", "memory", 0)
    assert first.collector_elsewhere() is None
    assert second.collector_elsewhere() == "first is the collector; run feeds there"
    first.stop()  # the collector goes away: the standby takes over
    assert first_switch.calls == [True, False]  # it stopped collecting before resigning
    wait(lambda: second.is_leader)
    assert second_switch.calls == [True] and second.info(0).leader_id == "second"


def test_role_api_never_collects(
    tmp_path: Path, clusters: Callable[..., tuple[Cluster, Switch]]
) -> None:
    path = tmp_path / "prices.db"
    api, api_switch = clusters(SqliteStore(path), role="api", name="api")
    time.sleep(0.2)
    assert not api.is_leader and api_switch.calls == []
    assert api.info(0).leader_id is None  # nobody collects yet
    assert api.collector_elsewhere() is None  # SQLite: --no-collect may still run a feed
    collector, _ = clusters(SqliteStore(path), role="collector", name="col")
    assert collector.is_leader and api.info(0).leader_id == "col"


@pytest.mark.postgres
def test_postgres_cluster_reports_leader_and_metrics(
    pg_url: str, clusters: Callable[..., tuple[Cluster, Switch]]
) -> None:
    leader, _ = clusters(PostgresStore(pg_url), role="collector", name="pg-a")
    api, _ = clusters(PostgresStore(pg_url), role="api", name="pg-api")
    info = api.info(0)
    assert (info.store, info.leader_id, info.is_leader) == ("postgresql", "pg-a", False)
    assert api.collector_elsewhere() == "pg-a is the collector; run feeds there"
    registry = CollectorRegistry()

    class Live(Collector):
        def collect(self):  # type: ignore[no-untyped-def]
            return leader.live_metrics()

    registry.register(Live())
    text = generate_latest(registry).decode()
    assert "spotarb_cluster_leader 1.0" in text
    assert "spotarb_cache_errors_total 0.0" in text


def test_open_cache_follows_the_setting(redis_server: RedisProcess) -> None:
    assert isinstance(open_cache(load_settings()), MemoryCache)
    cache = open_cache(load_settings(redis_url=redis_server.url))
    assert isinstance(cache, RedisCache) and cache.ping()
