"""The in-process KV cache and the best-options shape list."""

from __future__ import annotations

import pytest

from spotarb.core.errors import ConfigError
from spotarb.core.gpus import GPU_IDS
from spotarb.serving.availability import availability_score
from spotarb.serving.cache import MemoryCache
from spotarb.serving.insights import default_shapes, parse_shape
from tests.service.conftest import row


def test_memory_cache_lru_ttl_and_stats() -> None:
    now = [0.0]
    cache = MemoryCache(max_entries=2, clock=lambda: now[0])
    cache.set("a", b"1")
    cache.set("b", b"2", ttl=5)
    assert cache.get("a") == b"1"  # a is now most recent
    cache.set("c", b"3")  # evicts b, the least recently used
    assert cache.get("b") is None and cache.get("c") == b"3"
    cache.set("d", b"4", ttl=5)
    now[0] = 6.0
    assert cache.get("d") is None  # expired
    assert cache.stats().hits == 2 and cache.stats().misses == 2
    cache.clear()
    assert cache.get("c") is None and cache.stats().entries == 0
    off = MemoryCache(max_entries=0)
    off.set("x", b"1")
    assert off.get("x") is None


def test_shapes() -> None:
    shapes = default_shapes()
    assert [s.name for s in shapes[:6]] == [
        "cpu:2:8", "cpu:4:16", "cpu:8:32", "cpu:16:64", "cpu:32:128", "cpu:64:256",
    ]  # fmt: skip
    assert len(shapes) == 6 + 3 * len(GPU_IDS)
    assert parse_shape("gpu:A100:4").name == "gpu:nvidia-a100:4"
    assert parse_shape("cpu:8:16").min_memory_gb == 16
    for bad in ("cpu", "cpu:0", "cpu:x", "gpu:a100", "gpu:nosuch:1", "gpu:a100:0", "tpu:1"):
        with pytest.raises(ConfigError, match="invalid shape"):
            parse_shape(bad)


def test_availability_score() -> None:
    assert availability_score(row(interruption_rate=0.05)) == pytest.approx(95.0)
    assert availability_score(row(interruption_rate=None)) == pytest.approx(90.0)
    assert availability_score(row(interruption_rate=0.2), placement_score=10) == pytest.approx(90.0)
