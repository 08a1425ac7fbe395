"""The store interface: what callers may ask of any backend (SQLite, PostgreSQL).

Only the aggregator calls :meth:`PriceStore.write_rows`; everything else reads.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

from spotarb.core.errors import DuplicateKeyError
from spotarb.core.models import PriceKey, SpotPrice
from spotarb.core.rows import Row, row_key


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
    """A price store. Implementations: :class:`spotarb.store.sqlite.SqliteStore`,
    :class:`spotarb.store.postgres.PostgresStore`.

    Rows (:data:`spotarb.core.rows.Row`) are tuples in
    :data:`~spotarb.core.rows.PRICE_COLUMNS` order with ISO 8601 UTC text timestamps,
    already validated: a store writes them as they are.

    The write contract (:meth:`write_rows`), which every backend keeps:

    - **Unique keys.** The caller (the aggregator) passes at most one current row per
      key; a store may raise :class:`~spotarb.core.errors.DuplicateKeyError` if it sees
      two (a cheap safety net, never a merge), and then writes nothing.
    - **Atomic.** One transaction: the current rows, the history rows, the run and the
      data version all land, or (on any error) none of them do.
    - **Current rows are upserted.** A new key is inserted; a stored row is rewritten
      only when some column differs, so re-sending identical rows writes nothing.
    - **History on change only.** A current row adds a ``price_history`` row when its
      key is new or its price changed (replacing a stored one at the same key and
      ``observed_at``: a correction). ``history`` rows (backfilled older change
      points) are merged without duplicates: one stored row per key and
      ``observed_at``, and an existing one is kept.
    - **Run and version.** The run is recorded (status ``ok``, or ``partial`` when
      ``errors`` is non-empty), and :meth:`data_version` moves when anything changed.
    """

    url: str
    #: Which backend this is: ``"sqlite"`` or ``"postgresql"``.
    backend: str

    def write_rows(
        self,
        rows: Sequence[Row],
        history: Sequence[Row] = (),
        *,
        source: str,
        started_at: datetime | None = None,
        errors: Sequence[str] = (),
    ) -> WriteStats:
        """Upsert current ``rows`` and merge ``history`` in one transaction (see above).

        A PostgreSQL store serves this with COPY into a temporary table and one
        upsert from it.
        """
        ...

    def record_failed_run(
        self, *, source: str, started_at: datetime, error: str
    ) -> CollectionRun: ...

    def current_rows(self, flt: PriceFilter | None = None) -> list[Row]:
        """Current rows matching ``flt``, cheapest first (price, then key), as plain tuples."""
        ...

    def current_prices(self, flt: PriceFilter | None = None) -> list[SpotPrice]:
        """:meth:`current_rows` as :class:`SpotPrice` objects, in the same order."""
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


def require_unique_keys(rows: Sequence[Row], source: str) -> None:
    """Refuse two rows for one key (the caller merges them; this is only a safety net)."""
    if len(set(map(row_key, rows))) == len(rows):
        return
    seen: set[PriceKey] = set()
    for key in map(row_key, rows):
        if key in seen:
            raise DuplicateKeyError(
                f"batch from {source} has two rows for {'/'.join(key)}; "
                "a batch holds one current row per key"
            )
        seen.add(key)
