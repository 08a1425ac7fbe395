"""A :class:`~spotarb.serving.cache.KVCache` in Redis, shared by every replica.

Keys are prefixed (``spotarb:`` by default) and carry the data version of the
snapshot they were computed from, so replicas on the same data share answers and
a new version simply stops asking for old keys; every entry has a TTL, so old
ones go away on their own. :meth:`RedisCache.clear` is therefore a no-op: one
replica swapping its snapshot must not wipe what the others still use.

Redis is an accelerator, never a dependency: when it cannot be reached, the
cache answers "miss" and drops writes (one warning per outage, an error count
in :meth:`stats`), and it does not try again for ``retry_after`` seconds, so an
outage costs requests nothing but the cache.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Final

import redis

from spotarb.serving.cache import CacheStats

logger = logging.getLogger(__name__)

#: TTL of entries set without one (seconds).
DEFAULT_TTL: Final = 300.0


class RedisCache:
    """GET / SET EX against one Redis database; degrades to no cache when Redis is down."""

    backend: Final = "redis"

    def __init__(
        self,
        url: str,
        *,
        prefix: str = "spotarb:",
        timeout: float = 0.25,
        retry_after: float = 5.0,
        default_ttl: float = DEFAULT_TTL,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.prefix = prefix
        self.retry_after = retry_after
        self.default_ttl = default_ttl
        self._clock = clock
        self._client = redis.Redis.from_url(
            url,
            socket_timeout=timeout,
            socket_connect_timeout=timeout,
            health_check_interval=30,
        )
        self._lock = threading.Lock()
        self._hits = 0
        self._misses = 0
        self._errors = 0
        self._down_until = 0.0
        self._down = False

    @property
    def available(self) -> bool:
        """False while an outage is being waited out (the cache answers misses)."""
        return not self._down

    def get(self, key: str) -> bytes | None:
        value: bytes | None = None
        if self._usable():
            try:
                value = self._client.get(self.prefix + key)  # type: ignore[assignment]
            except redis.RedisError as exc:
                self._failed(exc)
            else:
                self._recovered()
        with self._lock:
            if value is None:
                self._misses += 1
            else:
                self._hits += 1
        return value

    def set(self, key: str, value: bytes, ttl: float | None = None) -> None:
        if not self._usable():
            return
        millis = max(1, int((ttl or self.default_ttl) * 1000))
        try:
            self._client.set(self.prefix + key, value, px=millis)
        except redis.RedisError as exc:
            self._failed(exc)
        else:
            self._recovered()

    def clear(self) -> None:
        """Nothing to do: entries are keyed by data version and expire (see the module doc)."""

    def stats(self) -> CacheStats:
        with self._lock:
            return CacheStats(self._hits, self._misses, 0, self._errors)

    def ping(self) -> bool:
        """True when Redis answers now (for readiness and ``/v1/cluster``)."""
        try:
            return bool(self._client.ping())
        except redis.RedisError:
            return False

    def close(self) -> None:
        self._client.close()

    # -- outage handling ----------------------------------------------------------------

    def _usable(self) -> bool:
        return not self._down or self._clock() >= self._down_until

    def _failed(self, exc: redis.RedisError) -> None:
        with self._lock:
            self._errors += 1
            first = not self._down
            self._down = True
            self._down_until = self._clock() + self.retry_after
        if first:
            logger.warning(
                "Redis cache unavailable (%s: %s); serving without it, retrying every %.0fs",
                type(exc).__name__,
                exc,
                self.retry_after,
            )

    def _recovered(self) -> None:
        if self._down:
            with self._lock:
                was_down, self._down = self._down, False
            if was_down:
                logger.warning("Redis cache reachable again")
