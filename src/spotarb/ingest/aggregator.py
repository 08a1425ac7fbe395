"""The single writer: every price that reaches the store goes through :class:`Aggregator`.

It takes a feed's result (or an import), checks the batch, writes it
atomically, records the run and tells listeners (the placement snapshot, the
cache) that the data changed. A failed feed is recorded as a failed run and
writes nothing, so a feed failing never erases good prices.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

from spotarb.core.gc_pause import gc_paused
from spotarb.core.models import PriceKey, SpotPrice
from spotarb.core.rows import OBSERVED_AT, Row, row_key, to_rows
from spotarb.feeds.base import FeedResult
from spotarb.store.base import PriceStore, WriteStats

logger = logging.getLogger(__name__)

ChangeListener = Callable[[WriteStats], None]


@dataclass(slots=True)
class BatchReport:
    """What the aggregator did with one batch."""

    source: str
    stats: WriteStats
    rejected: int = 0
    duplicates: int = 0
    errors: list[str] = field(default_factory=list)


def newest_per_key(rows: list[Row]) -> tuple[list[Row], list[Row]]:
    """One row per key, the newest observation, in one pass; older rows of a key are history.

    Rows without a repeated key come back as the same list, in order.
    """
    newest: dict[PriceKey, Row] = {}
    older: list[Row] = []
    for key, row in zip(map(row_key, rows), rows, strict=True):
        kept = newest.setdefault(key, row)
        if kept is row:
            continue
        if row[OBSERVED_AT] >= kept[OBSERVED_AT]:  # ISO 8601 UTC text orders as time does
            older.append(kept)
            newest[key] = row
        else:
            older.append(row)
    if not older:
        return rows, older
    return list(newest.values()), older


class Aggregator:
    """Serializes writes (one batch at a time) and notifies listeners after each commit."""

    def __init__(self, store: PriceStore) -> None:
        self.store = store
        self._lock = threading.Lock()
        self._listeners: list[ChangeListener] = []

    def subscribe(self, listener: ChangeListener) -> None:
        self._listeners.append(listener)

    def apply(self, result: FeedResult, *, started_at: datetime | None = None) -> BatchReport:
        """Write one feed result. Rows of another provider are rejected, not written."""
        source = result.feed
        provider = source if source in {"aws", "azure", "gcp"} else None
        prices = result.prices
        rejected: list[str] = []
        if provider is not None and any(p.provider != provider for p in prices):
            rejected = [
                f"{p.provider}/{p.region}/{p.instance_type}: provider does not match feed {source}"
                for p in prices
                if p.provider != provider
            ]
            prices = [p for p in prices if p.provider == provider]
        errors = [f"{e.region}: {e.message}" for e in result.errors]
        if rejected:
            errors.append(f"{len(rejected)} rows rejected (first: {rejected[0]})")
            logger.warning("%s: %d rows rejected, e.g. %s", source, len(rejected), rejected[0])
        report = self.write(source, prices, result.history, errors=errors, started_at=started_at)
        report.rejected = len(rejected)
        return report

    def write(
        self,
        source: str,
        prices: Sequence[SpotPrice],
        history: Sequence[SpotPrice] = (),
        *,
        errors: Sequence[str] = (),
        started_at: datetime | None = None,
    ) -> BatchReport:
        """Write one batch of current prices (e.g. an import) and older change points.

        ``prices`` may repeat a key: the newest observation is current and the
        others go to history (counted in :attr:`BatchReport.duplicates`). The store
        sees one :meth:`~spotarb.store.base.PriceStore.write_rows` call.
        """
        started = started_at or datetime.now(UTC)
        with gc_paused():
            current, older = newest_per_key(to_rows(prices))
            past = to_rows(history)
        with self._lock:
            stats = self.store.write_rows(
                current,
                [*past, *older] if older else past,
                source=source,
                started_at=started,
                errors=errors,
            )
        self._notify(stats)
        return BatchReport(source, stats, 0, len(older), list(errors))

    def record_failure(self, source: str, error: str, *, started_at: datetime) -> None:
        """A run that produced nothing: recorded, and the stored prices stay as they were."""
        with self._lock:
            self.store.record_failed_run(source=source, started_at=started_at, error=error)

    def _notify(self, stats: WriteStats) -> None:
        for listener in self._listeners:
            try:
                listener(stats)
            except Exception:
                logger.exception("change listener failed")
