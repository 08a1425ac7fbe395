"""The PostgreSQL backend: the same store as :mod:`spotarb.store.sqlite`, shared by replicas.

A batch is one transaction: its rows are COPYed (binary) into a temporary table,
one ``INSERT … ON CONFLICT … DO UPDATE … WHERE … IS DISTINCT FROM`` statement
merges them into ``spot_prices`` (rewriting only rows that differ), and one
``INSERT … SELECT`` copies the new keys and price changes into ``price_history``.
Into an empty table (the first write) both are plain ``INSERT … SELECT``: nothing
stored can conflict, and ``ON CONFLICT``'s speculative insertion cost ~40% of a
200k-row first write (see docs/benchmarks.md).
Writers from any process take the ``data_version`` row lock first, so batches
commit one after the other. A commit that changed something sends ``pg_notify``
on :attr:`PostgresStore.channel`, which replicas listen to (see
:mod:`spotarb.serving.notify`).

When an elected collector gives the store its lease epoch (:attr:`fence_epoch`),
every write checks, inside its transaction, that the lease still carries that
epoch: a collector that lost its leadership cannot commit afterwards.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any, Final

import psycopg
from psycopg import sql
from psycopg_pool import ConnectionPool, PoolTimeout

from spotarb.core.errors import DiskFullError, FencedWriteError, StoreError
from spotarb.core.gc_pause import gc_paused
from spotarb.core.http import redact_url
from spotarb.core.rows import (
    KEY_COLUMNS,
    PRICE_COLUMNS,
    SELECT_PRICE_COLUMNS,
    Row,
)
from spotarb.store.base import (
    CollectionRun,
    ProviderInfo,
    StoreInfo,
    WriteStats,
    require_unique_keys,
)
from spotarb.store.postgres_migrations import current_version, migrate
from spotarb.store.queries import PriceReads, runs_query

logger = logging.getLogger(__name__)

Conn = psycopg.Connection[tuple[Any, ...]]

#: Rows per COPY chunk (a seam for fault tests runs after each).
CHUNK: Final = 5000

_KEYS: Final = ", ".join(KEY_COLUMNS)
_VALUE_COLUMNS: Final = PRICE_COLUMNS[len(KEY_COLUMNS) :]
_FLOAT_COLUMNS: Final = frozenset(
    {"vcpu", "memory_gb", "gpu_memory_gb", "network_bandwidth_gbps", "price_per_hour",
     "on_demand_price_per_hour", "interruption_rate"}
)  # fmt: skip
_STAGE: Final = "spotarb_stage"
_HISTORY_STAGE: Final = "spotarb_history_stage"

# The merge: upsert the staged rows in one statement. A stored row is rewritten only when a
# value differs; ``changed_in`` marks rows that are new or whose price changed in this batch.
# It answers (rows written, rows inserted, rows new or with a changed price).
_INSERT_STAGED: Final = (
    f"INSERT INTO spot_prices AS t ({SELECT_PRICE_COLUMNS}, changed_in) "
    f"SELECT {SELECT_PRICE_COLUMNS}, %(batch)s FROM {_STAGE}"
)
_MERGE: Final = (
    f"WITH up AS ({_INSERT_STAGED} "
    f"ON CONFLICT ({_KEYS}) DO UPDATE SET "
    + ", ".join(f"{c} = excluded.{c}" for c in _VALUE_COLUMNS)
    + ", changed_in = CASE WHEN t.price_per_hour = excluded.price_per_hour "
    "THEN t.changed_in ELSE excluded.changed_in END "
    f"WHERE ({', '.join(f't.{c}' for c in _VALUE_COLUMNS)}) IS DISTINCT FROM "
    f"({', '.join(f'excluded.{c}' for c in _VALUE_COLUMNS)}) "
    # xmax = 0 on the returned row version means it was inserted, not updated.
    "RETURNING (xmax = 0) AS inserted, changed_in) "
    "SELECT count(*), count(*) FILTER (WHERE inserted), "
    "count(*) FILTER (WHERE changed_in = %(batch)s) FROM up"
)
# The batch's new keys and price changes become history. A change point seen by this batch
# replaces a stored one at the same instant (a correction), as in the SQLite store.
_COPY_CHANGES: Final = (
    f"INSERT INTO price_history ({SELECT_PRICE_COLUMNS}) "
    f"SELECT {SELECT_PRICE_COLUMNS} FROM spot_prices WHERE changed_in = %(batch)s"
)
_RECORD_CHANGES: Final = (
    f"{_COPY_CHANGES} "
    f"ON CONFLICT ({_KEYS}, observed_at) DO UPDATE SET "
    + ", ".join(f"{c} = excluded.{c}" for c in _VALUE_COLUMNS if c != "observed_at")
)
# Backfilled change points never overwrite what is stored.
_BACKFILL: Final = (
    f"INSERT INTO price_history ({SELECT_PRICE_COLUMNS}) "
    f"SELECT {SELECT_PRICE_COLUMNS} FROM {_HISTORY_STAGE} ON CONFLICT DO NOTHING"
)
#: The PostgreSQL type of each row column, for a binary COPY (no text formatting/parsing).
_COPY_TYPES: Final = [
    "float8" if c in _FLOAT_COLUMNS else "int4" if c == "gpu_count" else "text"
    for c in PRICE_COLUMNS
]


def _now() -> datetime:
    return datetime.now(UTC)


def _chunks(rows: Sequence[Row]) -> Iterator[Sequence[Row]]:
    for start in range(0, len(rows), CHUNK):
        yield rows[start : start + CHUNK]


class PostgresStore(PriceReads):
    """A price store in a PostgreSQL database (``postgresql://user@host:5432/db``)."""

    backend = "postgresql"
    mark = "%s"

    def __init__(self, url: str, *, pool_size: int = 4, connect_timeout: float = 5.0) -> None:
        self.url = redact_url(url)
        #: The collector lease epoch this store's writes must still hold (None: no check;
        #: -1: this process is not the collector and must not write as one).
        self.fence_epoch: int | None = None
        self._conninfo = url
        self._connect_timeout = connect_timeout
        try:
            with self.connect() as conn:
                self.schema_version = migrate(conn)
                row = conn.execute("SELECT current_schema()").fetchone()
        except psycopg.Error as exc:
            raise StoreError(f"cannot open database {self.url}: {_reason(exc)}") from None
        if row is None or row[0] is None:
            raise StoreError(f"cannot open database {self.url}: no schema on the search_path")
        #: The schema holding the tables (part of the lock and channel names).
        self.schema: str = row[0]
        #: The LISTEN/NOTIFY channel commits are announced on.
        self.channel = f"spotarb.{self.schema}"[:63]
        self._pool: ConnectionPool[Conn] = ConnectionPool(
            url,
            min_size=1,
            max_size=pool_size,
            kwargs={"autocommit": True, "connect_timeout": int(connect_timeout)},
            configure=_configure,
            open=False,
            name="spotarb",
            timeout=connect_timeout,  # a request waits this long for a connection, no more
        )
        try:
            self._pool.open(wait=True, timeout=connect_timeout)
        except PoolTimeout:
            self._pool.close()
            raise StoreError(f"cannot open database {self.url}: no connection") from None

    def connect(self, **kwargs: Any) -> Conn:
        """A new connection of its own (for a lock or a LISTEN that must outlive requests)."""
        conn = psycopg.connect(
            self._conninfo,
            autocommit=True,
            connect_timeout=int(self._connect_timeout),
            **kwargs,
        )
        _configure(conn)
        return conn

    def close(self) -> None:
        self._pool.close()

    @contextmanager
    def _transaction(self) -> Iterator[Conn]:
        with self._pool.connection() as conn, conn.transaction():
            self._check_fence(conn)
            yield conn

    def _check_fence(self, conn: Conn) -> None:
        """Refuse to write for a collector whose lease epoch moved on.

        ``FOR SHARE`` holds the lease row until this transaction ends, so a new
        leader's claim waits for this commit or this write sees the new epoch.
        """
        epoch = self.fence_epoch
        if epoch is None:
            return
        row = conn.execute(
            "SELECT epoch, holder FROM collector_lease WHERE id = 1 FOR SHARE"
        ).fetchone()
        if row is None or row[0] != epoch:
            holder = row[1] if row else "nobody"
            raise FencedWriteError(
                f"this instance is not the elected collector (the lease is at epoch "
                f"{row[0] if row else '?'}, held by {holder}); its write was not committed"
            )

    def _after_chunk(self, written: int) -> None:
        """Called after each COPY chunk inside the write transaction (a seam for fault tests)."""

    # -- writes -----------------------------------------------------------------------

    def write_rows(
        self,
        rows: Sequence[Row],
        history: Sequence[Row] = (),
        *,
        source: str,
        started_at: datetime | None = None,
        errors: Sequence[str] = (),
    ) -> WriteStats:
        started = started_at or _now()
        stats = WriteStats(rows_seen=len(rows))
        require_unique_keys(rows, source)  # before anything is written
        try:
            with gc_paused(), self._transaction() as conn:
                batch = self._next_batch(conn)
                self._stage(conn, _STAGE, rows)
                no_prices, no_history = self._empty_tables(conn)
                if no_prices:  # every staged row is a new key (they are unique, see above)
                    written = conn.execute(_INSERT_STAGED, {"batch": batch}).rowcount
                    stats.inserted = new_or_changed = written
                else:
                    merged = conn.execute(_MERGE, {"batch": batch}).fetchone()
                    written, stats.inserted, new_or_changed = merged or (0, 0, 0)
                if new_or_changed:
                    record = _COPY_CHANGES if no_history else _RECORD_CHANGES
                    conn.execute(record, {"batch": batch})
                stats.changed = new_or_changed - stats.inserted
                stats.unchanged = stats.rows_seen - new_or_changed
                backfilled = 0
                if history:
                    self._stage(conn, _HISTORY_STAGE, history, fault_seam=False)
                    backfilled = conn.execute(_BACKFILL).rowcount
                stats.history_added = new_or_changed + backfilled
                if written or stats.history_added:
                    conn.execute(
                        "UPDATE store_meta SET value = %s WHERE key = 'data_version'", (batch,)
                    )
                    # Listeners learn the version and when it was committed (for their lag).
                    note = f"{batch} {time.time():.6f}"
                    conn.execute("SELECT pg_notify(%s, %s)", (self.channel, note))
                stats.run_id = self._insert_run(
                    conn,
                    source=source,
                    started_at=started,
                    rows_seen=stats.rows_seen,
                    rows_changed=new_or_changed,
                    status="partial" if errors else "ok",
                    error="; ".join(errors),
                )
        except psycopg.Error as exc:
            raise write_error(self.url, exc) from None
        return stats

    def _stage(
        self, conn: Conn, table: str, rows: Sequence[Row], *, fault_seam: bool = True
    ) -> None:
        """COPY ``rows`` into a new temporary ``table`` (dropped at commit or rollback)."""
        conn.execute(
            sql.SQL(
                "CREATE TEMP TABLE {} (LIKE spot_prices INCLUDING DEFAULTS) ON COMMIT DROP"
            ).format(sql.Identifier(table))
        )
        copy_sql = sql.SQL("COPY {} ({}) FROM STDIN (FORMAT BINARY)").format(
            sql.Identifier(table), sql.SQL(SELECT_PRICE_COLUMNS)
        )
        with conn.cursor() as cur:
            for chunk in _chunks(rows):
                with cur.copy(copy_sql) as copy:
                    copy.set_types(_COPY_TYPES)
                    for row in chunk:
                        copy.write_row(row)
                if fault_seam:
                    self._after_chunk(len(chunk))

    @staticmethod
    def _next_batch(conn: Conn) -> int:
        """This batch's number (the data version it will set); locks out other writers."""
        row = conn.execute(
            "SELECT value FROM store_meta WHERE key = 'data_version' FOR UPDATE"
        ).fetchone()
        return int(row[0] if row else 0) + 1

    @staticmethod
    def _empty_tables(conn: Conn) -> tuple[bool, bool]:
        """Whether ``spot_prices`` and ``price_history`` hold no row, seen by this batch.

        A statement of its own after :meth:`_next_batch`: its snapshot is taken once the
        writers' lock is held, so it sees what the previous writer committed. (A subquery
        of the locking statement would use the snapshot from before the lock wait.)
        """
        row = conn.execute(
            "SELECT NOT EXISTS (SELECT FROM spot_prices), NOT EXISTS (SELECT FROM price_history)"
        ).fetchone()
        return (bool(row[0]), bool(row[1])) if row else (False, False)

    def _insert_run(
        self,
        conn: Conn,
        *,
        source: str,
        started_at: datetime,
        rows_seen: int,
        rows_changed: int,
        status: str,
        error: str,
    ) -> int:
        row = conn.execute(
            "INSERT INTO collection_runs (source, started_at, finished_at, rows_seen, "
            "rows_changed, status, error, lease_epoch) "
            "VALUES (%s, %s, clock_timestamp(), %s, %s, %s, %s, %s) RETURNING id",
            (source, started_at, rows_seen, rows_changed, status, error, self.fence_epoch),
        ).fetchone()
        return int(row[0]) if row else 0

    def record_failed_run(self, *, source: str, started_at: datetime, error: str) -> CollectionRun:
        try:
            with self._transaction() as conn:
                run_id = self._insert_run(
                    conn,
                    source=source,
                    started_at=started_at,
                    rows_seen=0,
                    rows_changed=0,
                    status="failed",
                    error=error,
                )
        except psycopg.Error as exc:
            raise write_error(self.url, exc) from None
        return self.runs(limit=1, run_id=run_id)[0]

    # -- reads ------------------------------------------------------------------------

    def runs(
        self, source: str | None = None, limit: int = 50, *, run_id: int | None = None
    ) -> list[CollectionRun]:
        query, args = runs_query(source, limit, run_id, self.mark)
        return [CollectionRun(*r) for r in self._read(query, args)]

    def data_version(self) -> int:
        rows = self._read("SELECT value FROM store_meta WHERE key = 'data_version'", [])
        return int(rows[0][0]) if rows else 0

    def info(self) -> StoreInfo:
        per_provider = self._read(
            "SELECT provider, COUNT(*), MAX(observed_at), MAX(collected_at) FROM spot_prices "
            "GROUP BY provider ORDER BY provider",
            [],
        )
        [(version, current, history, runs)] = self._read(
            "SELECT (SELECT MAX(version) FROM schema_migrations), "
            "(SELECT COUNT(*) FROM spot_prices), (SELECT COUNT(*) FROM price_history), "
            "(SELECT COUNT(*) FROM collection_runs)",
            [],
        )
        return StoreInfo(
            url=self.url,
            schema_version=int(version or 0),
            current_rows=int(current),
            history_rows=int(history),
            runs=int(runs),
            providers=[
                ProviderInfo(
                    provider=r[0],
                    rows=int(r[1]),
                    newest_observed_at=datetime.fromisoformat(r[2]) if r[2] else None,
                    newest_collected_at=datetime.fromisoformat(r[3]) if r[3] else None,
                )
                for r in per_provider
            ],
        )

    def _read(self, query: str, args: Sequence[Any]) -> list[tuple[Any, ...]]:
        try:
            # Binary results: floats arrive without text parsing (~30% faster at 100k rows).
            with gc_paused(), self._pool.connection() as conn, conn.cursor(binary=True) as cur:
                return cur.execute(query, args).fetchall()
        except (psycopg.Error, PoolTimeout) as exc:
            raise StoreError(f"cannot read database {self.url}: {_reason(exc)}") from None


def write_error(url: str, exc: psycopg.Error) -> StoreError:
    """The StoreError for a failed write; a server out of disk space says so."""
    if isinstance(exc, psycopg.errors.DiskFull):
        return DiskFullError(f"cannot write database {url}", _reason(exc))
    return StoreError(f"cannot write database {url}: {_reason(exc)}")


def _configure(conn: Conn) -> None:
    """Every connection speaks UTC (run times come back as UTC datetimes)."""
    conn.execute("SET TIME ZONE 'UTC'")


def _reason(exc: Exception) -> str:
    """The first line of a driver error (enough to act on; never the connection string)."""
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__


__all__ = ["PostgresStore", "current_version"]
