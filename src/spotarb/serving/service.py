"""The running service: store + aggregator + snapshots + cache + schedule, wired together.

Writes go through the :class:`~spotarb.ingest.aggregator.Aggregator` (one writer). After each
commit the service builds a new :class:`ServiceState` — the snapshots from
:mod:`spotarb.serving.snapshot_builder` (every current row; every Linux row; the fresh
ones), the best options and the arbitrage table — off to the side, then swaps it in
with one reference assignment. A request reads ``service.state`` once and uses only
that object, so it sees the old data or the new data, never a mix.

Methods answer with domain objects (:class:`~spotarb.serving.placing.Placement`,
:class:`~spotarb.serving.insights.BestOptions`, …) and raise errors of
:mod:`spotarb.core.errors`; encoding and status codes belong to :mod:`spotarb.api`.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TypeVar, cast

from prometheus_client.core import Metric

from spotarb.core.config import Settings
from spotarb.core.http import OutboundClients
from spotarb.core.models import SpotPrice
from spotarb.feeds.base import FEED_REGISTRY, FeedStatus, feed_statuses
from spotarb.ingest.aggregator import Aggregator
from spotarb.ingest.collect import FeedOutcome, run_feed
from spotarb.ingest.scheduler import Scheduler
from spotarb.placement import FleetRequirements, PriceSnapshot, WorkloadRequirements
from spotarb.serving.cache import KVCache, MemoryCache
from spotarb.serving.feed_health import FeedReport, feed_reports
from spotarb.serving.fleets import PlannedFleet, plan_on
from spotarb.serving.insights import (
    ArbitrageTable,
    BestOptions,
    Shape,
    arbitrage,
    best_options,
    parse_shape,
    shapes_from,
)
from spotarb.serving.metrics import ServiceMetrics, counter, gauge
from spotarb.serving.placing import Placement, decide
from spotarb.serving.snapshot_builder import PriceSnapshots, build_snapshots
from spotarb.serving.staleness import StalenessPolicy
from spotarb.store.base import PriceStore, WriteStats

logger = logging.getLogger(__name__)

T = TypeVar("T")


@dataclass(frozen=True, slots=True, eq=False)
class ServiceState:
    """One consistent view of the data; replaced whole, never modified."""

    #: Increases with every swap (also when only the staleness cut changed): cache keys use it.
    generation: int
    snapshots: PriceSnapshots
    #: Best options and arbitrage on the fresh snapshot (the default of every reader).
    best_options: BestOptions
    arbitrage: ArbitrageTable

    @property
    def version(self) -> int:
        return self.snapshots.version

    @property
    def built_at(self) -> datetime:
        return self.snapshots.built_at

    @property
    def rows(self) -> tuple[SpotPrice, ...]:
        """Every current row (all OSes), as objects (built on first use)."""
        return self.snapshots.rows

    @property
    def row_count(self) -> int:
        """How many current rows (all OSes), without building them as objects."""
        return self.snapshots.row_count

    @property
    def full(self) -> PriceSnapshot:
        return self.snapshots.full

    @property
    def fresh(self) -> PriceSnapshot:
        return self.snapshots.fresh

    @property
    def stale_rows(self) -> int:
        return self.snapshots.stale_rows

    @property
    def next_stale_at(self) -> float:
        return self.snapshots.next_stale_at


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
        self.policy = StalenessPolicy.from_settings(settings)
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
            new.row_count,
            new.stale_rows,
            time.perf_counter() - began,
        )
        return True

    def _build(self, version: int) -> ServiceState:
        snapshots = build_snapshots(self.store.current_rows(), version=version, policy=self.policy)
        self._generation += 1
        return ServiceState(
            generation=self._generation,
            snapshots=snapshots,
            best_options=_best_options(snapshots, self.shapes, allow_stale=False),
            arbitrage=_arbitrage(snapshots, allow_stale=False),
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
        """The canonical name of a shape as typed (``gpu:a100:8`` → ``gpu:nvidia-a100:8``).

        Raises :class:`~spotarb.core.errors.ConfigError` for a malformed shape.
        """
        name = self._shape_names.get(text)
        if name is None:
            name = parse_shape(text).name
            if len(self._shape_names) < 4096:
                self._shape_names[text] = name
        return name

    # -- reads ------------------------------------------------------------------------

    def place(
        self,
        req: WorkloadRequirements,
        *,
        allow_stale: bool = False,
        state: ServiceState | None = None,
    ) -> Placement:
        """The best place for ``req`` on the current state (or ``state``).

        Raises :class:`~spotarb.serving.placing.NoCurrentMatch` when nothing matches.
        The engine runs on the caller's thread: a query takes well under a millisecond
        on a 100k-row snapshot, less than handing it to a thread pool costs.
        """
        return decide((state or self._state).snapshots, req, allow_stale=allow_stale)

    def best_options(self, shape: str | None = None, *, allow_stale: bool = False) -> BestOptions:
        """Best options per configured shape, or only ``shape`` (any alias, e.g. ``gpu:a100:1``).

        Raises ConfigError for a malformed shape, ShapeNotPrecomputed for one not configured.
        """
        name = None if shape is None else self.shape_name(shape)
        state = self._state
        if allow_stale and state.stale_rows:
            options = self.memo(
                "best-options:stale",
                lambda st: _best_options(st.snapshots, self.shapes, allow_stale=True),
            )
        else:
            options = state.best_options
        return options if name is None else options.only(name)

    def arbitrage(self, *, allow_stale: bool = False) -> ArbitrageTable:
        """Per capacity class, the cheapest offer on each cloud and the spread."""
        state = self._state
        if allow_stale and state.stale_rows:
            return self.memo(
                "arbitrage:stale", lambda st: _arbitrage(st.snapshots, allow_stale=True)
            )
        return state.arbitrage

    def feed_reports(self) -> list[FeedReport]:
        """Each registered feed's health (``GET /v1/feeds``, the overview's cards)."""
        return feed_reports(self)

    # -- fleets -----------------------------------------------------------------------

    def plan_fleet(
        self,
        freq: FleetRequirements,
        *,
        allow_stale: bool = False,
        state: ServiceState | None = None,
    ) -> PlannedFleet:
        """A fleet on the current state's fresh prices (every price with ``allow_stale``).

        Raises :class:`~spotarb.serving.fleets.NoCurrentFleet` (a filter left nothing,
        or the caps stop the target). Not cached: planning takes well under a
        millisecond for most fleets (see docs/benchmarks.md).
        """
        return plan_on((state or self._state).snapshots, freq, allow_stale=allow_stale)

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
                ([p, "newest"], (now - c.newest).total_seconds())
                for p, c in state.snapshots.by_provider.items()
            ]
            + [
                ([p, "oldest"], (now - c.oldest).total_seconds())
                for p, c in state.snapshots.by_provider.items()
            ],
        )
        yield gauge(
            "spotarb_current_rows",
            "Current price rows per provider.",
            ["provider"],
            [([p], c.rows) for p, c in state.snapshots.by_provider.items()],
        )
        yield gauge(
            "spotarb_snapshot_rows",
            "Rows in the placement snapshots.",
            ["snapshot"],
            [(["all"], len(state.full)), (["fresh"], len(state.fresh))],
        )
        yield gauge("spotarb_data_version", "Store data version served.", [], [([], state.version)])


def _best_options(
    snapshots: PriceSnapshots, shapes: list[Shape], *, allow_stale: bool
) -> BestOptions:
    return BestOptions(
        data_version=snapshots.version,
        computed_at=datetime.now(UTC),
        stale_rows_excluded=snapshots.stale_excluded(allow_stale),
        options=tuple(best_options(snapshots.snapshot(allow_stale), shapes)),
    )


def _arbitrage(snapshots: PriceSnapshots, *, allow_stale: bool) -> ArbitrageTable:
    return ArbitrageTable(
        data_version=snapshots.version,
        computed_at=datetime.now(UTC),
        stale_rows_excluded=snapshots.stale_excluded(allow_stale),
        classes=tuple(arbitrage(snapshots.snapshot(allow_stale))),
    )
