"""The feeds' one TTL cache (specs, Spot Advisor, on-demand prices)."""

from __future__ import annotations

from spotarb.feeds.ttl import MISS, TtlCache


def test_values_expire_after_the_ttl_and_max_age_overrides_it() -> None:
    now = [0.0]
    cache: TtlCache[str, int] = TtlCache(10.0, clock=lambda: now[0])
    assert cache.get("a") is MISS
    cache.put("a", 1)
    now[0] = 10.0
    assert cache.get("a") == 1
    assert cache.get("a", max_age=5.0) is MISS  # the caller's own limit
    now[0] = 10.5
    assert cache.get("a") is MISS
    assert cache.get("a", max_age=60.0) == 1


def test_none_is_a_value_not_a_miss() -> None:
    cache: TtlCache[str, int | None] = TtlCache(10.0, clock=lambda: 0.0)
    cache.put("unknown-type", None)
    assert cache.get("unknown-type") is None


def test_get_or_fetch_fetches_once_until_expiry() -> None:
    now = [0.0]
    calls: list[str] = []
    cache: TtlCache[str, str] = TtlCache(10.0, clock=lambda: now[0])

    def fetch() -> str:
        calls.append("x")
        return f"v{len(calls)}"

    assert cache.get_or_fetch("k", fetch) == "v1"
    assert cache.get_or_fetch("k", fetch) == "v1"
    assert cache.fetches == 1
    now[0] = 11.0
    assert cache.get_or_fetch("k", fetch) == "v2"
    assert cache.fetches == 2
    cache.clear()
    assert cache.get("k") is MISS
