"""The running service: store + aggregator + snapshot + cache + schedule, wired together.

Writes go through the :class:`~spotarb.ingest.aggregator.Aggregator` (one writer). After each
commit the service builds a new :class:`ServiceState` — every current row, the
placement snapshots (all rows, and only rows within their feed's max age), the
best options and the arbitrage table — off to the side, then swaps it in with one
reference assignment. A request reads ``service.state`` once and uses only that
object, so it sees the old data or the new data, never a mix.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, TypeVar, cast

from prometheus_client.core import Metric

from spotarb.core.config import Settings
from spotarb.core.errors import NoPlacementError
from spotarb.core.http import OutboundClients
from spotarb.core.models import SpotPrice
from spotarb.feeds.base import FEED_REGISTRY, FeedStatus, feed_statuses
from spotarb.ingest.aggregator import Aggregator
from spotarb.ingest.collect import FeedOutcome, run_feed
from spotarb.ingest.scheduler import Scheduler
from spotarb.placement import PriceSnapshot, WorkloadRequirements
from spotarb.placement.engine import NoMatchError, place
from spotarb.placement.requirements import CAMEL_REQUIREMENTS
from spotarb.serving.cache import KVCache, MemoryCache
from spotarb.serving.insights import Shape, arbitrage, best_options, dumps, parse_shape, shapes_from
from spotarb.serving.metrics import ServiceMetrics, counter, gauge
from spotarb.store.base import PriceStore, WriteStats

logger = logging.getLogger(__name__)

T = TypeVar("T")


def is_imported(row: SpotPrice) -> bool:
    return row.source == "import" or row.source.startswith("import")


@dataclass(frozen=True, slots=True, eq=False)
class ServiceState:
    """One consistent view of the data; replaced whole, never modified."""

    version: int
    #: Increases with every swap (also when only the staleness cut changed): cache keys use it.
    generation: int
    built_at: datetime
    #: Every current row (all OSes), cheapest first.
    rows: tuple[SpotPrice, ...]
    #: Linux rows, stale ones included (requests with ``allowStale``).
    full: PriceSnapshot
    #: Linux rows within their feed's max age (the default for placements).
    fresh: PriceSnapshot
    stale_rows: int
    #: Epoch seconds when the next fresh row turns stale (rebuild then).
    next_stale_at: float
    best_options: bytes
    best_by_shape: dict[str, bytes] = field(default_factory=dict)
    arbitrage: bytes = b"[]"
    newest_by_provider: dict[str, datetime] = field(default_factory=dict)
    oldest_by_provider: dict[str, datetime] = field(default_factory=dict)
    rows_by_provider: dict[str, int] = field(default_factory=dict)


class Service:
    """Everything ``spotarb serve`` runs, without the HTTP layer."""

    def __init__(
        self,
        settings: Settings,
        store: PriceStore,
        *,
        clients: OutboundClients | None = None,
        cache: KVCache | None = None,
    ) -> None:
        self.settings = settings
        self.store = store
        self.clients = clients or OutboundClients(settings)
        self.cache: KVCache = cache or MemoryCache(settings.placement_cache_size)
        self.metrics = ServiceMetrics()
        self.metrics.add_live(self._live_metrics)
        self.aggregator = Aggregator(store)
        self.aggregator.subscribe(self._on_write)
        self.shapes: list[Shape] = shapes_from(settings.best_option_shapes)
        self._refresh_lock = threading.Lock()
        self._shape_names: dict[str, str] = {}
        self._generation = 0
        self._memo: dict[str, object] = {}
        self._memo_generation = -1
        self._memo_lock = threading.Lock()
        self.feed_names = [n for n in FEED_REGISTRY if n in settings.feeds]
        self.scheduler = Scheduler(self.feed_names, settings, self.run_feed, on_tick=self.maintain)
        self._statuses: dict[str, FeedStatus] = {}
        self.refresh_feed_statuses()
        self._state = self._build(store.data_version())

    # -- lifecycle --------------------------------------------------------------------

    def start(self, *, collect: bool = True) -> None:
        self.scheduler.start(run_feeds=collect)
        if collect:
            logger.info("collecting %s on schedule", ", ".join(self.feed_names) or "no feeds")
        else:
            logger.info("collection off: serving what the store holds")

    def stop(self, timeout: float = 10.0) -> None:
        self.scheduler.stop(timeout)

    # -- data -------------------------------------------------------------------------

    @property
    def state(self) -> ServiceState:
        return self._state

    def _on_write(self, stats: WriteStats) -> None:
        self.refresh()

    def maintain(self) -> None:
        """Each tick: rebuild if the store changed or some fresh prices aged out."""
        self.refresh()

    def refresh(self, *, force: bool = False) -> bool:
        """Swap in a new state when the data changed (or prices aged out); True if swapped."""
        with self._refresh_lock:
            version = self.store.data_version()
            current = self._state
            if not force and version == current.version and time.time() < current.next_stale_at:
                return False
            began = time.perf_counter()
            new = self._build(version)
            self._state = new  # the swap: one reference assignment
            self.cache.clear()
        logger.info(
            "snapshot v%d: %d rows (%d stale) built in %.2fs",
            new.version,
            len(new.rows),
            new.stale_rows,
            time.perf_counter() - began,
        )
        return True

    def max_age(self, row: SpotPrice) -> float:
        if is_imported(row):
            return self.settings.import_max_age
        return self.settings.max_age_for(row.provider)

    def _build(self, version: int) -> ServiceState:
        rows = tuple(self.store.current_prices())
        now = time.time()
        linux = [r for r in rows if r.os == "linux"]
        fresh_rows: list[SpotPrice] = []
        next_stale = float("inf")
        for row in linux:
            expires = row.collected_at.timestamp() + self.max_age(row)
            if expires > now:
                fresh_rows.append(row)
                next_stale = min(next_stale, expires)
        full = PriceSnapshot.from_prices(linux, data_version=version)
        fresh = (
            full
            if len(fresh_rows) == len(linux)
            else PriceSnapshot.from_prices(fresh_rows, data_version=version)
        )
        options = best_options(fresh, self.shapes)
        newest: dict[str, datetime] = {}
        oldest: dict[str, datetime] = {}
        counts: dict[str, int] = {}
        for row in rows:
            p = row.provider
            counts[p] = counts.get(p, 0) + 1
            if p not in newest or row.collected_at > newest[p]:
                newest[p] = row.collected_at
            if p not in oldest or row.collected_at < oldest[p]:
                oldest[p] = row.collected_at
        built = datetime.now(UTC)
        header = {
            "dataVersion": version,
            "computedAt": built.isoformat(),
            "staleRowsExcluded": len(linux) - len(fresh_rows),
        }
        self._generation += 1
        return ServiceState(
            version=version,
            generation=self._generation,
            built_at=built,
            rows=rows,
            full=full,
            fresh=fresh,
            stale_rows=len(linux) - len(fresh_rows),
            next_stale_at=next_stale,
            best_options=dumps({**header, "options": options}),
            best_by_shape={o["shape"]["name"]: dumps({**header, "options": [o]}) for o in options},
            arbitrage=dumps({**header, "classes": arbitrage(fresh)}),
            newest_by_provider=newest,
            oldest_by_provider=oldest,
            rows_by_provider=counts,
        )

    def memo(self, name: str, build: Callable[[ServiceState], T]) -> T:
        """``build(state)`` computed once per state (e.g. a sorted view of the rows)."""
        state = self._state
        with self._memo_lock:
            if self._memo_generation != state.generation:
                self._memo.clear()
                self._memo_generation = state.generation
            if name in self._memo:
                return cast(T, self._memo[name])
        value = build(state)
        with self._memo_lock:
            if self._memo_generation == state.generation:
                self._memo[name] = value
        return value

    def shape_name(self, text: str) -> str:
        """The canonical name of a shape as typed (``gpu:a100:8`` → ``gpu:nvidia-a100:8``)."""
        name = self._shape_names.get(text)
        if name is None:
            name = parse_shape(text).name
            if len(self._shape_names) < 4096:
                self._shape_names[text] = name
        return name

    # -- placement --------------------------------------------------------------------

    def cached_placement(
        self,
        req: WorkloadRequirements,
        *,
        allow_stale: bool = False,
        state: ServiceState | None = None,
    ) -> tuple[int, bytes] | None:
        """The cached (status, body) for ``req`` on the current snapshot, if any."""
        cached = self.cache.get(_placement_key(state or self._state, req, allow_stale))
        if cached is None:
            return None
        head, _, body = cached.partition(b"\n")
        return int(head), body

    def place(self, req: WorkloadRequirements, *, allow_stale: bool = False) -> tuple[int, bytes]:
        """(HTTP status, JSON body) of a placement; cached until the data changes or TTL."""
        hit = self.cached_placement(req, allow_stale=allow_stale)
        if hit is not None:
            return hit
        return self.compute_placement(req, allow_stale=allow_stale)

    def compute_placement(
        self, req: WorkloadRequirements, *, allow_stale: bool = False
    ) -> tuple[int, bytes]:
        """Run the engine on the current snapshot and cache the answer."""
        state = self._state
        key = _placement_key(state, req, allow_stale)
        snap = state.full if allow_stale else state.fresh
        status: int
        payload: dict[str, Any]
        try:
            decision = place(snap, req)
        except NoMatchError as exc:
            status, payload = 404, _no_match(exc, state, allow_stale)
        except NoPlacementError as exc:
            status, payload = 404, {"detail": str(exc)}
        else:
            status = 200
            payload = decision.to_camel()
            payload["dataVersion"] = state.version
            payload["computedAt"] = datetime.now(UTC).isoformat()
            payload["allowStale"] = allow_stale
            payload["staleRowsExcluded"] = 0 if allow_stale else state.stale_rows
        body = dumps(payload)
        self.cache.set(key, b"%d\n%s" % (status, body), ttl=self.settings.placement_cache_ttl)
        return status, body

    # -- feeds ------------------------------------------------------------------------

    def refresh_feed_statuses(self) -> None:
        try:
            self._statuses = {s.name: s for s in feed_statuses(self.settings, self.clients)}
        except Exception:  # a broken feed module must not stop the service
            logger.exception("cannot read feed statuses")

    def feed_status(self, name: str) -> FeedStatus | None:
        return self._statuses.get(name)

    def run_feed(self, name: str) -> FeedOutcome:
        """One run of one feed through the aggregator (what the schedule calls)."""
        began = time.perf_counter()
        outcome = run_feed(name, self.settings, self.clients, self.aggregator)
        self.metrics.record_run(outcome, time.perf_counter() - began)
        if outcome.status == "skipped":
            logger.info("feed %s skipped: %s", name, outcome.reason)
        return outcome

    # -- metrics ----------------------------------------------------------------------

    def _live_metrics(self) -> Iterable[Metric]:
        stats = self.cache.stats()
        state = self._state
        now = datetime.now(UTC)
        yield counter("spotarb_cache_hits", "Placement cache hits.", [], [([], stats.hits)])
        yield counter("spotarb_cache_misses", "Placement cache misses.", [], [([], stats.misses)])
        yield gauge(
            "spotarb_data_age_seconds",
            "Age of the newest and oldest current price per provider.",
            ["provider", "which"],
            [
                ([p, "newest"], (now - t).total_seconds())
                for p, t in sorted(state.newest_by_provider.items())
            ]
            + [
                ([p, "oldest"], (now - t).total_seconds())
                for p, t in sorted(state.oldest_by_provider.items())
            ],
        )
        yield gauge(
            "spotarb_current_rows",
            "Current price rows per provider.",
            ["provider"],
            [([p], n) for p, n in sorted(state.rows_by_provider.items())],
        )
        yield gauge(
            "spotarb_snapshot_rows",
            "Rows in the placement snapshots.",
            ["snapshot"],
            [(["all"], len(state.full)), (["fresh"], len(state.fresh))],
        )
        yield gauge("spotarb_data_version", "Store data version served.", [], [([], state.version)])


def _placement_key(state: ServiceState, req: WorkloadRequirements, allow_stale: bool) -> str:
    """Normalized requirements (a frozen, validated dataclass) + the data they ran on.

    The data version and the number of fresh rows identify the snapshot in every
    replica (a per-process counter would not), so replicas can share a Redis cache.
    """
    return f"place:{state.version}:{len(state.fresh)}:{int(allow_stale)}:{req!r}"


_SNAKE_TO_CAMEL = {
    snake: camel for camel, snake in CAMEL_REQUIREMENTS.items() if camel != "minCpu"
} | {"gpu": "gpuType"}


def _camel(name: str) -> str:
    return _SNAKE_TO_CAMEL.get(name, name)


def _no_match(exc: NoMatchError, state: ServiceState, allow_stale: bool) -> dict[str, Any]:
    detail = str(exc)
    if not allow_stale and state.stale_rows and len(state.fresh) < len(state.full):
        detail += (
            f" ({state.stale_rows} older prices were excluded as stale; "
            "send allowStale=true to use them)"
        )
    return {
        "detail": detail,
        "blockingFilter": _camel(exc.blocking_filter) if exc.blocking_filter else None,
        "removedBy": {_camel(k): v for k, v in exc.removed_by.items()},
        "dataVersion": state.version,
        "staleRowsExcluded": 0 if allow_stale else state.stale_rows,
    }
