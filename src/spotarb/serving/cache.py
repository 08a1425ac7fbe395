"""The KV cache for fast lookups: a small interface and an in-process implementation.

Values are bytes (ready-to-send JSON) and keys are strings, so a Redis-backed
implementation can replace :class:`MemoryCache` without touching callers.
Invalidation is by *generation*: every key embeds the data version of the
snapshot it was computed from, so when the aggregator swaps in a new snapshot
old entries simply stop being asked for; :meth:`KVCache.clear` drops them.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol


@dataclass(slots=True)
class CacheStats:
    hits: int = 0
    misses: int = 0
    entries: int = 0
    #: Calls that failed and were answered as misses (a shared cache that is down).
    errors: int = 0


class KVCache(Protocol):
    """What the service needs from a cache (Redis: GET/SET EX/FLUSH of a key prefix)."""

    def get(self, key: str) -> bytes | None: ...

    def set(self, key: str, value: bytes, ttl: float | None = None) -> None: ...

    def clear(self) -> None: ...

    def stats(self) -> CacheStats: ...


class MemoryCache:
    """A bounded, thread-safe LRU with optional per-entry TTL (in-process)."""

    def __init__(
        self, max_entries: int = 10000, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.max_entries = max_entries
        self._clock = clock
        self._data: OrderedDict[str, tuple[bytes, float]] = OrderedDict()
        self._lock = threading.Lock()
        self._hits = 0
        self._misses = 0

    def get(self, key: str) -> bytes | None:
        with self._lock:
            item = self._data.get(key)
            if item is None:
                self._misses += 1
                return None
            value, expires = item
            if expires and expires < self._clock():
                del self._data[key]
                self._misses += 1
                return None
            self._data.move_to_end(key)
            self._hits += 1
            return value

    def set(self, key: str, value: bytes, ttl: float | None = None) -> None:
        if self.max_entries <= 0:
            return
        expires = self._clock() + ttl if ttl else 0.0
        with self._lock:
            self._data[key] = (value, expires)
            self._data.move_to_end(key)
            while len(self._data) > self.max_entries:
                self._data.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._data.clear()

    def stats(self) -> CacheStats:
        with self._lock:
            return CacheStats(self._hits, self._misses, len(self._data))
