"""The store interface: what callers may ask of any backend (SQLite now, PostgreSQL later).

Only the aggregator calls :meth:`PriceStore.write_batch`; everything else reads.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

from spotarb.core.models import PriceKey, SpotPrice


@dataclass(frozen=True, slots=True)
class PriceFilter:
    """Filters for current prices; empty tuples and None mean "any"."""

    providers: tuple[str, ...] = ()
    regions: tuple[str, ...] = ()
    instance_types: tuple[str, ...] = ()
    gpu_type: str | None = None
    min_vcpu: float | None = None
    min_memory_gb: float | None = None
    max_price: float | None = None
    limit: int | None = None


@dataclass(slots=True)
class WriteStats:
    """What one batch did to the store."""

    rows_seen: int = 0
    inserted: int = 0
    changed: int = 0
    unchanged: int = 0
    history_added: int = 0
    run_id: int | None = None


@dataclass(frozen=True, slots=True)
class CollectionRun:
    id: int
    source: str
    started_at: datetime
    finished_at: datetime | None
    rows_seen: int
    rows_changed: int
    status: str  # "ok", "partial", "failed"
    error: str


@dataclass(frozen=True, slots=True)
class ProviderInfo:
    provider: str
    rows: int
    newest_observed_at: datetime | None
    newest_collected_at: datetime | None


@dataclass(frozen=True, slots=True)
class StoreInfo:
    url: str
    schema_version: int
    current_rows: int
    history_rows: int
    runs: int
    providers: list[ProviderInfo] = field(default_factory=list)


class PriceStore(Protocol):
    """A price store. Implementations: :class:`spotarb.store.sqlite.SqliteStore`."""

    url: str

    def write_batch(
        self,
        prices: Sequence[SpotPrice],
        history: Sequence[SpotPrice] = (),
        *,
        source: str,
        started_at: datetime | None = None,
        errors: Sequence[str] = (),
    ) -> WriteStats:
        """Upsert current prices and add history rows for changed keys, atomically.

        A history row is added only when a key is new or its price changed;
        ``history`` (backfilled change points) is merged into ``price_history``
        without duplicates. The run is recorded in ``collection_runs`` (status
        ``ok``, or ``partial`` when ``errors`` is non-empty). Two rows for one key
        raise :class:`~spotarb.core.errors.DuplicateKeyError` before anything is written
        (the aggregator then merges them, keeping the newest).
        """
        ...

    def record_failed_run(
        self, *, source: str, started_at: datetime, error: str
    ) -> CollectionRun: ...

    def current_prices(self, flt: PriceFilter | None = None) -> list[SpotPrice]:
        """Current prices matching ``flt``, cheapest first."""
        ...

    def history(
        self,
        key: PriceKey,
        since: datetime | None = None,
        until: datetime | None = None,
    ) -> list[SpotPrice]:
        """History rows of one key in ``[since, until]`` by ``observed_at``, oldest first."""
        ...

    def all_history(self) -> list[SpotPrice]: ...

    def runs(self, source: str | None = None, limit: int = 50) -> list[CollectionRun]: ...

    def data_version(self) -> int:
        """A number that changes whenever current prices change (for cache invalidation)."""
        ...

    def info(self) -> StoreInfo: ...

    def close(self) -> None: ...
