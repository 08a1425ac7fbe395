"""This process's place among the ``serve`` processes sharing a store.

:class:`Cluster` runs the election (``--role all|collector`` take part, ``api``
never collects), turns the collection schedule on and off as leadership comes
and goes, runs the change watcher that keeps the snapshot fresh whoever wrote
the data, and reports it all (``GET /v1/cluster``, ``/metrics``).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from prometheus_client.core import GaugeMetricFamily, Metric

from spotarb.core.config import Role, Settings
from spotarb.serving.cache import KVCache, MemoryCache
from spotarb.serving.leadership import (
    FileLockLeadership,
    Leadership,
    SoleLeadership,
    default_instance_id,
)
from spotarb.serving.metrics import counter
from spotarb.serving.notify import ChangeWatcher
from spotarb.serving.service import Service
from spotarb.store.base import PriceStore
from spotarb.store.sqlite import SqliteStore

logger = logging.getLogger(__name__)


#: Seconds between election checks: a standby leads within this (plus the server noticing
#: a dead leader's connection, immediate on kill -9) of the leader's death.
ELECT_SECONDS: Final = 1.0


@dataclass(frozen=True, slots=True)
class ClusterInfo:
    instance_id: str
    role: str
    is_leader: bool
    leader_id: str | None
    data_version: int
    store: str
    cache: str


# Redis and PostgreSQL drivers are imported only when configured: a single-machine
# ``serve`` starts without loading them.


def open_cache(settings: Settings) -> KVCache:
    """Redis when ``SPOTARB_REDIS_URL`` is set, else the in-process LRU."""
    if settings.redis_url is not None and settings.redis_url.get_secret_value():
        from spotarb.serving.redis_cache import RedisCache

        return RedisCache(settings.redis_url.get_secret_value())
    return MemoryCache(settings.placement_cache_size)


def cache_backend(cache: KVCache) -> str:
    return str(getattr(cache, "backend", "memory"))


def leadership_for(store: PriceStore, instance_id: str) -> Leadership:
    """The election that fits the store: advisory lock, lock file, or none needed."""
    if store.backend == "postgresql":
        from spotarb.serving.pg_leadership import PostgresLeadership
        from spotarb.store.postgres import PostgresStore

        assert isinstance(store, PostgresStore)
        return PostgresLeadership(store, instance_id)
    if isinstance(store, SqliteStore) and store.path != ":memory:":
        return FileLockLeadership(Path(store.path).expanduser().with_name(
            Path(store.path).name + ".collector.lock"
        ), instance_id)  # fmt: skip
    return SoleLeadership(instance_id)


class Cluster:
    """Election + schedule switch + change watcher for one ``serve`` process."""

    def __init__(
        self,
        store: PriceStore,
        cache: KVCache,
        *,
        role: Role,
        set_collecting: Callable[[bool], None],
        on_change: Callable[[], object],
        instance_id: str | None = None,
        elect_seconds: float = ELECT_SECONDS,
        poll_seconds: float | None = None,
        leadership: Leadership | None = None,
    ) -> None:
        self.store = store
        self.cache = cache
        self.role = role
        self.instance_id = instance_id or default_instance_id()
        self.elect_seconds = elect_seconds
        self._set_collecting = set_collecting
        self.leadership = leadership or leadership_for(store, self.instance_id)
        watch_kw = {} if poll_seconds is None else {"poll_seconds": poll_seconds}
        self.watcher = ChangeWatcher(store, on_change, **watch_kw)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._said_standby = False

    @property
    def is_leader(self) -> bool:
        return self.role != "api" and self.leadership.leading

    def start(self) -> None:
        self.watcher.start()
        if self.role == "api":
            logger.warning("%s: role api, serving the API only", self.instance_id)
            return
        self._elect()  # at once: the first feeds run as soon as the service is up
        self._thread = threading.Thread(target=self._loop, name="spotarb-elect", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None
        self.watcher.stop(timeout)
        if self.is_leader:
            self._set_collecting(False)
        self.leadership.close()

    def _loop(self) -> None:
        while not self._stop.wait(self.elect_seconds):
            try:
                self._elect()
            except Exception:
                logger.exception("collector election failed")

    def _elect(self) -> None:
        was = self.leadership.leading
        now = self.leadership.try_lead()
        if now != was:
            self._set_collecting(now)
        if now:
            self._said_standby = False
        elif not self._said_standby:
            self._said_standby = True
            leader = self.leadership.leader_id()
            logger.warning(
                "%s is a standby: %s collects into %s; this process serves the API and "
                "takes over if that one stops",
                self.instance_id,
                leader or "another process",
                self.store.url,
            )

    def collector_elsewhere(self) -> str | None:
        """Why this process must not run a feed now (an admin trigger), or None if it may.

        The elected collector may; on PostgreSQL nobody else may (its writes would be
        fenced); on SQLite a process may when no other one collects (``--no-collect``).
        """
        if self.is_leader:
            return None
        leader = self.leadership.leader_id()
        if leader is not None:
            return f"{leader} is the collector; run feeds there"
        if self.store.backend == "postgresql":
            return "no collector is elected yet; feeds run only in the elected collector"
        return None

    def info(self, served_version: int) -> ClusterInfo:
        """This instance's view; ``served_version`` is the data version it answers from."""
        return ClusterInfo(
            instance_id=self.instance_id,
            role=self.role,
            is_leader=self.is_leader,
            leader_id=self.leadership.leader_id(),
            data_version=served_version,
            store=self.store.backend,
            cache=cache_backend(self.cache),
        )

    def live_metrics(self) -> Iterable[Metric]:
        leader = GaugeMetricFamily(
            "spotarb_cluster_leader", "1 when this instance is the elected collector."
        )
        leader.add_metric([], 1.0 if self.is_leader else 0.0)
        yield leader
        lag = GaugeMetricFamily(
            "spotarb_notification_lag_seconds",
            "Seconds from a commit to this instance hearing of it (last notification).",
        )
        if self.watcher.last_lag is not None:
            lag.add_metric([], self.watcher.last_lag)
        yield lag
        yield counter(
            "spotarb_notifications_heard",
            "Store change notifications heard.",
            [],
            [([], self.watcher.notifications)],
        )
        yield counter(
            "spotarb_cache_errors",
            "Shared-cache calls that failed (answered as misses).",
            [],
            [([], self.cache.stats().errors)],
        )


def join_cluster(service: Service, *, collect: bool = True) -> Cluster:
    """The cluster side of one ``serve`` process around ``service`` (start/stop it with it).

    The schedule runs feeds only while this process is the elected collector;
    ``collect=False`` (``--no-collect``) makes it an API replica whatever its role.
    """
    scheduler = service.scheduler

    def collecting(on: bool) -> None:
        scheduler.set_run_feeds(on)
        if not scheduler.started:
            return  # the first election: the service starts its schedule accordingly
        logger.warning("%s collection on schedule", "starting" if on else "stopping")
        if on:
            scheduler.tick()  # due feeds start now, not at the next tick

    cluster = Cluster(
        service.store,
        service.cache,
        role=service.settings.role if collect else "api",
        set_collecting=collecting,
        on_change=service.refresh,
        instance_id=service.settings.instance_id,
    )
    service.metrics.add_live(cluster.live_metrics)
    return cluster
