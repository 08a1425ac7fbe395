"""The feeds' one cache: values per key, each kept for a time-to-live; thread-safe.

Used for what changes slowly and costs a call to fetch: AWS instance specs, the
Spot Advisor and Price List on-demand prices. ``None`` is a value like any other
(e.g. "this region does not know the type"), so a miss is :data:`MISS`.
"""

from __future__ import annotations

import enum
import threading
import time
from collections.abc import Callable, Hashable
from typing import Final, Generic, Literal, TypeVar

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class _Miss(enum.Enum):
    MISS = enum.auto()


#: What :meth:`TtlCache.get` returns for an absent or expired key.
MISS: Final = _Miss.MISS


class TtlCache(Generic[K, V]):
    """Values per key for ``ttl`` seconds (a caller may ask for a different ``max_age``)."""

    def __init__(self, ttl: float, *, clock: Callable[[], float] = time.monotonic) -> None:
        self.ttl = ttl
        self._clock = clock
        self._lock = threading.Lock()
        self._entries: dict[K, tuple[float, V]] = {}
        #: How many times :meth:`get_or_fetch` had to fetch.
        self.fetches = 0

    def get(self, key: K, *, max_age: float | None = None) -> V | Literal[_Miss.MISS]:
        limit = self.ttl if max_age is None else max_age
        with self._lock:
            entry = self._entries.get(key)
        if entry is None or self._clock() - entry[0] > limit:
            return MISS
        return entry[1]

    def put(self, key: K, value: V) -> None:
        now = self._clock()
        with self._lock:
            self._entries[key] = (now, value)

    def get_or_fetch(self, key: K, fetch: Callable[[], V], *, max_age: float | None = None) -> V:
        """The cached value, else ``fetch()`` stored (fetched outside the lock: never blocks)."""
        value = self.get(key, max_age=max_age)
        if value is not MISS:
            return value
        fetched = fetch()
        with self._lock:
            self.fetches += 1
        self.put(key, fetched)
        return fetched

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
