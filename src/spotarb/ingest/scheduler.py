"""The collection schedule: a one-minute tick, one interval per feed.

Each tick starts every feed that is due and not already running (a feed never
overlaps itself). A run's next due time is its interval plus jitter; after
repeated failures the delay doubles, capped. Runs happen on daemon threads so a
feed stuck on the network never blocks shutdown; writes are SQLite
transactions, so a run cut short is either committed whole or not at all.
"""

from __future__ import annotations

import logging
import random
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime

from spotarb.core.config import Settings
from spotarb.ingest.collect import FeedOutcome

logger = logging.getLogger(__name__)

RunFeed = Callable[[str], FeedOutcome]


@dataclass(slots=True)
class FeedState:
    """The schedule's view of one feed (copied out by :meth:`Scheduler.status`)."""

    name: str
    interval: float
    next_due: float = 0.0
    running: bool = False
    runs: int = 0
    consecutive_failures: int = 0
    last_status: str | None = None
    last_reason: str = ""
    last_started_at: datetime | None = None
    last_finished_at: datetime | None = None
    last_success_at: datetime | None = None
    last_duration: float | None = None
    region_errors: list[str] = field(default_factory=list)
    #: Seconds until the next run, as decided after the last run.
    delay: float = 0.0


class Scheduler:
    """Runs feeds on their intervals; :meth:`tick` is the unit the clock thread repeats."""

    def __init__(
        self,
        names: Sequence[str],
        settings: Settings,
        run: RunFeed,
        *,
        on_tick: Callable[[], None] | None = None,
        clock: Callable[[], float] = time.monotonic,
        rng: Callable[[], float] = random.random,
    ) -> None:
        self.settings = settings
        self._run = run
        self._on_tick = on_tick
        self._clock = clock
        self._rng = rng
        self._lock = threading.Lock()
        self._feeds = {name: FeedState(name, settings.interval_for(name)) for name in names}
        self._threads: dict[str, threading.Thread] = {}
        self._stop = threading.Event()
        self._clock_thread: threading.Thread | None = None
        self._run_feeds = True

    # -- control ----------------------------------------------------------------------

    def start(self, *, run_feeds: bool = True) -> None:
        """Start ticking now (every feed is due at once), then every ``tick_seconds``.

        With ``run_feeds=False`` the ticks only run the tick hook (the service's
        maintenance: prices still age out) and no feed is started.
        """
        if self._clock_thread is not None:
            return
        self._run_feeds = run_feeds
        self._stop.clear()
        self._clock_thread = threading.Thread(target=self._loop, name="spotarb-schedule")
        self._clock_thread.daemon = True
        self._clock_thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        """Stop ticking and wait up to ``timeout`` s for running feeds to finish."""
        self._stop.set()
        deadline = time.monotonic() + timeout
        if self._clock_thread is not None:
            self._clock_thread.join(max(0.0, deadline - time.monotonic()))
            self._clock_thread = None
        for thread in list(self._threads.values()):
            thread.join(max(0.0, deadline - time.monotonic()))
            if thread.is_alive():
                logger.warning("%s still running at shutdown; abandoned", thread.name)

    def set_run_feeds(self, on: bool) -> None:
        """Start (or stop starting) feeds on schedule; a run in flight is not interrupted.

        The elected collector turns this on; a replica that is not (or no longer) the
        collector turns it off and keeps ticking for maintenance.
        """
        self._run_feeds = on

    @property
    def started(self) -> bool:
        """True between :meth:`start` and :meth:`stop` (ticking, with or without feeds)."""
        return self._clock_thread is not None

    @property
    def running(self) -> bool:
        """True while feeds are being started on schedule."""
        return self._clock_thread is not None and self._run_feeds

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                self.tick()
            except Exception:
                logger.exception("schedule tick failed")
            self._stop.wait(self.settings.tick_seconds)

    def tick(self) -> list[str]:
        """Start every due, idle feed; returns the names started."""
        if self._on_tick is not None:
            try:
                self._on_tick()
            except Exception:
                logger.exception("tick hook failed")
        now = self._clock()
        started: list[str] = []
        if not self._run_feeds:
            return started
        with self._lock:
            for state in self._feeds.values():
                if not state.running and state.next_due <= now:
                    self._start_locked(state)
                    started.append(state.name)
        return started

    def trigger(self, name: str) -> bool:
        """Run ``name`` now unless it is already running (KeyError if unknown)."""
        with self._lock:
            state = self._feeds[name]
            if state.running:
                return False
            self._start_locked(state)
            return True

    def wait_idle(self, timeout: float = 30.0) -> bool:
        """Wait until no feed is running (for tests and shutdown)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self._lock:
                if not any(s.running for s in self._feeds.values()):
                    return True
            time.sleep(0.01)
        return False

    def status(self) -> list[FeedState]:
        with self._lock:
            return [replace(s, region_errors=list(s.region_errors)) for s in self._feeds.values()]

    def seconds_until_due(self, state: FeedState) -> float:
        return max(0.0, state.next_due - self._clock())

    # -- runs -------------------------------------------------------------------------

    def _start_locked(self, state: FeedState) -> None:
        state.running = True
        state.last_started_at = datetime.now(UTC)
        thread = threading.Thread(
            target=self._run_one, args=(state.name,), name=f"feed-{state.name}"
        )
        thread.daemon = True
        self._threads[state.name] = thread
        thread.start()

    def _run_one(self, name: str) -> None:
        began = time.monotonic()
        try:
            outcome = self._run(name)
        except Exception as exc:  # run_feed already catches feed errors; this is a bug guard
            logger.exception("feed %s: run crashed", name)
            outcome = FeedOutcome(name, "failed", reason=f"unexpected {type(exc).__name__}")
        duration = time.monotonic() - began
        with self._lock:
            state = self._feeds[name]
            state.running = False
            state.runs += 1
            state.last_status = outcome.status
            state.last_reason = outcome.reason
            state.region_errors = list(outcome.region_errors)
            state.last_finished_at = datetime.now(UTC)
            state.last_duration = duration
            if outcome.status in ("ok", "partial"):
                state.consecutive_failures = 0
                state.last_success_at = state.last_finished_at
                delay = state.interval * (1.0 + self.settings.schedule_jitter * self._rng())
            elif outcome.status == "failed":
                state.consecutive_failures += 1
                cap = max(state.interval, self.settings.schedule_backoff_max)
                delay = min(cap, state.interval * 2.0 ** (state.consecutive_failures - 1))
            else:  # skipped: not configured; look again after an interval
                delay = state.interval
            state.delay = delay
            state.next_due = self._clock() + delay
        level = logging.WARNING if outcome.status == "failed" else logging.INFO
        logger.log(
            level,
            "feed %s %s in %.2fs%s; next run in %.0fs",
            name,
            outcome.status,
            duration,
            f": {outcome.reason}" if outcome.reason else "",
            delay,
        )
