"""The Redis-backed cache against a real redis-server, including one that goes away."""

from __future__ import annotations

import logging

import pytest

from spotarb.serving.redis_cache import RedisCache
from tests.scale.redisproc import RedisProcess


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_values_round_trip_under_the_prefix_with_a_ttl(redis_server: RedisProcess) -> None:
    cache = RedisCache(redis_server.url, prefix="t1:")
    assert cache.get("place:7:1") is None
    cache.set("place:7:1", b'200\n{"a": 1}', ttl=5)
    cache.set("other", b"x")
    assert cache.get("place:7:1") == b'200\n{"a": 1}'
    raw = redis_server.client()
    assert raw.get("t1:place:7:1") == b'200\n{"a": 1}'
    assert 0 < raw.pttl("t1:place:7:1") <= 5000
    assert 5000 < raw.pttl("t1:other") <= 300_000  # the default TTL: nothing lives forever
    stats = cache.stats()
    assert (stats.hits, stats.misses, stats.errors) == (1, 1, 0)
    cache.clear()  # shared by replicas: clearing must not wipe the others' entries
    assert raw.get("t1:other") == b"x"
    assert cache.ping() and cache.available
    cache.close()


def test_two_instances_share_entries(redis_server: RedisProcess) -> None:
    a, b = RedisCache(redis_server.url), RedisCache(redis_server.url)
    a.set("k", b"v")
    assert b.get("k") == b"v"


def test_an_outage_degrades_to_misses_then_recovers(
    redis_server: RedisProcess, caplog: pytest.LogCaptureFixture
) -> None:
    clock = Clock()
    cache = RedisCache(redis_server.url, retry_after=5.0, clock=clock)
    cache.set("k", b"v")
    assert cache.get("k") == b"v"
    redis_server.stop()
    with caplog.at_level(logging.WARNING, logger="spotarb.serving.redis_cache"):
        assert cache.get("k") is None  # a miss, not an error
        cache.set("k2", b"v2")  # dropped, not raised
        assert cache.get("k") is None
    assert not cache.available and not cache.ping()
    warnings = [r for r in caplog.records if "unavailable" in r.getMessage()]
    assert len(warnings) == 1  # one warning per outage, not one per request
    assert cache.stats().errors == 1  # later calls skip Redis until retry_after
    redis_server.start()  # same port, empty
    assert cache.get("k") is None and cache.stats().errors == 1  # still waiting it out
    clock.now += 5.0
    with caplog.at_level(logging.WARNING, logger="spotarb.serving.redis_cache"):
        cache.set("k", b"again")
    assert cache.get("k") == b"again" and cache.available
    assert any("reachable again" in r.getMessage() for r in caplog.records)
