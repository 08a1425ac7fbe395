"""The SQLite backend: one WAL-mode file, thread-local connections, one writer at a time."""

from __future__ import annotations

import errno
import logging
import shutil
import sqlite3
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Final

from spotarb.core.errors import DiskFullError, StoreError
from spotarb.core.gc_pause import gc_paused
from spotarb.core.rows import PRICE_COLUMNS, SELECT_PRICE_COLUMNS, Row
from spotarb.store.base import (
    CollectionRun,
    ProviderInfo,
    StoreInfo,
    WriteStats,
    require_unique_keys,
)
from spotarb.store.migrations import LATEST_VERSION, current_version, migrate
from spotarb.store.queries import PriceReads, runs_query

logger = logging.getLogger(__name__)


def _unchanged(value: None) -> None:
    return value


# sqlite3 adapts a None parameter by trying two attributes that do not exist (two raised
# and cleared exceptions, ~0.3 µs a value: a row with four NULLs spends more on them than on
# its other fifteen values). A registered adapter is one dictionary hit instead. It returns
# None unchanged, so NULL is still what is stored, for any connection in the process.
sqlite3.register_adapter(type(None), _unchanged)


#: Rows per executemany call (a seam after each, for fault tests).
CHUNK: Final = 5000

_PLACEHOLDERS: Final = ", ".join("?" for _ in PRICE_COLUMNS)
_VALUE_COLUMNS: Final = PRICE_COLUMNS[5:]
# Insert new keys; rewrite a stored row only when something in it differs, so re-sending an
# identical batch costs lookups, not writes. ``changed_in`` marks rows whose price is new in
# this batch, for the history copy below. ``{batch}`` is this batch's number.
_UPSERT_TEMPLATE: Final = (
    f"INSERT INTO spot_prices ({SELECT_PRICE_COLUMNS}, changed_in) "
    f"VALUES ({_PLACEHOLDERS}, {{batch}}) "
    "ON CONFLICT (provider, region, availability_zone, instance_type, os) DO UPDATE SET "
    + ", ".join(f"{c} = excluded.{c}" for c in _VALUE_COLUMNS)
    + ", changed_in = CASE WHEN spot_prices.price_per_hour = excluded.price_per_hour "
    "THEN spot_prices.changed_in ELSE excluded.changed_in END WHERE "
    + " OR ".join(f"spot_prices.{c} IS NOT excluded.{c}" for c in _VALUE_COLUMNS)
)


def _upsert_sql(batch: int) -> str:
    """The upsert of bound rows, with this batch's number written in (one value less to bind)."""
    return _UPSERT_TEMPLATE.replace("{batch}", str(int(batch)))


# A change point seen by this batch replaces a stored one at the same instant (a correction);
# backfilled change points never overwrite what is stored.
_RECORD_CHANGES: Final = (
    f"INSERT OR REPLACE INTO price_history ({SELECT_PRICE_COLUMNS}) "
    f"SELECT {SELECT_PRICE_COLUMNS} FROM spot_prices WHERE changed_in = ?"
)
_BACKFILL_HISTORY: Final = (
    f"INSERT OR IGNORE INTO price_history ({SELECT_PRICE_COLUMNS}) VALUES ({_PLACEHOLDERS})"
)


def _chunks(rows: Sequence[Row]) -> Iterator[Sequence[Row]]:
    for start in range(0, len(rows), CHUNK):
        yield rows[start : start + CHUNK]


def _now() -> datetime:
    return datetime.now(UTC)


#: Below this much free space, an I/O error is taken to be the disk being full.
_NEARLY_FULL: Final = 1 << 20


def _disk_full(path: str, exc: sqlite3.Error) -> bool:
    """SQLITE_FULL, or an I/O error on a disk with no room left.

    SQLite reports ENOSPC as SQLITE_FULL when it writes pages, but as a plain I/O
    error when it cannot grow the WAL index (``-shm``) while opening a database.
    """
    code = getattr(exc, "sqlite_errorcode", 0) & 0xFF
    if code == sqlite3.SQLITE_FULL:
        return True
    if code != sqlite3.SQLITE_IOERR or path == ":memory:":
        return False
    try:
        return shutil.disk_usage(Path(path).expanduser().parent).free < _NEARLY_FULL
    except OSError:
        return False


def store_error(action: str, path: str, exc: sqlite3.Error) -> StoreError:
    """The StoreError for a failed SQLite call; a full disk says so."""
    if _disk_full(path, exc):
        return DiskFullError(f"cannot {action} database {path}", str(exc))
    return StoreError(f"cannot {action} database {path}: {exc}")


def _rollback(conn: sqlite3.Connection) -> None:
    """Undo an open transaction, if SQLite has not already (it does on SQLITE_FULL).

    A failed ROLLBACK is logged, never raised: the error that caused it is the one to report.
    """
    if not conn.in_transaction:
        return
    try:
        conn.execute("ROLLBACK")
    except sqlite3.Error as exc:
        logger.warning("rollback failed: %s", exc)


class SqliteStore(PriceReads):
    """A price store in one SQLite file (or ``:memory:`` for a throwaway store)."""

    backend = "sqlite"
    mark = "?"

    def __init__(self, path: str | Path) -> None:
        self.path = str(path)
        self.url = self.path if self.path == ":memory:" else f"sqlite:///{self.path}"
        self._local = threading.local()
        self._write_lock = threading.Lock()
        self._memory_conn: sqlite3.Connection | None = None
        if self.path != ":memory:":
            parent = Path(self.path).expanduser().parent
            try:
                parent.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                if exc.errno == errno.ENOSPC:
                    raise DiskFullError(f"cannot create database directory {parent}") from None
                raise StoreError(f"cannot create database directory {parent}: {exc}") from None
        conn = self._conn()
        try:
            self.schema_version = migrate(conn)
        except sqlite3.Error as exc:
            raise store_error("open", self.path, exc) from None

    # -- connections ------------------------------------------------------------------

    def _connect(self) -> sqlite3.Connection:
        try:
            conn = sqlite3.connect(
                self.path,
                isolation_level=None,  # explicit BEGIN/COMMIT only
                check_same_thread=self.path != ":memory:",
                timeout=30.0,
            )
            if self.path != ":memory:":
                conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")
            conn.execute("PRAGMA cache_size=-65536")  # 64 MiB: batches of 100k+ rows
            conn.execute("PRAGMA mmap_size=268435456")  # read pages without a copy
            conn.execute("PRAGMA foreign_keys=ON")
        except sqlite3.Error as exc:
            raise store_error("open", self.path, exc) from None
        return conn

    def _conn(self) -> sqlite3.Connection:
        if self.path == ":memory:":
            # One in-memory database shared by every thread (it exists only in this connection).
            if self._memory_conn is None:
                self._memory_conn = self._connect()
            return self._memory_conn
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            conn = self._connect()
            self._local.conn = conn
        return conn

    def close(self) -> None:
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            conn.close()
            self._local.conn = None
        if self._memory_conn is not None:
            self._memory_conn.close()
            self._memory_conn = None

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        """One write transaction: all or nothing, one writer at a time."""
        with self._write_lock:
            conn = self._conn()
            try:
                conn.execute("BEGIN IMMEDIATE")
            except sqlite3.Error as exc:
                raise store_error("write", self.path, exc) from None
            try:
                yield conn
            except BaseException:
                _rollback(conn)
                raise
            try:
                conn.execute("COMMIT")
            except sqlite3.Error as exc:
                _rollback(conn)
                raise store_error("write", self.path, exc) from None

    def _after_chunk(self, written: int) -> None:
        """Called after each chunk inside the write transaction (a seam for fault tests)."""

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
        require_unique_keys(rows, source)
        try:
            with gc_paused(), self._transaction() as conn:
                batch = self._next_batch(conn)
                rows_before = self._count_in(conn, "spot_prices")
                changes_before = conn.total_changes
                upsert = _upsert_sql(batch)
                for chunk in _chunks(rows):
                    conn.executemany(upsert, chunk)
                    self._after_chunk(len(chunk))
                written = conn.total_changes - changes_before
                stats.inserted = self._count_in(conn, "spot_prices") - rows_before
                new_or_changed = conn.execute(_RECORD_CHANGES, (batch,)).rowcount
                stats.changed = new_or_changed - stats.inserted
                stats.unchanged = stats.rows_seen - new_or_changed
                before_backfill = conn.total_changes
                for chunk in _chunks(history):
                    conn.executemany(_BACKFILL_HISTORY, chunk)
                stats.history_added = new_or_changed + conn.total_changes - before_backfill
                if written or stats.history_added:
                    conn.execute(
                        "UPDATE store_meta SET value = ? WHERE key = 'data_version'", (batch,)
                    )
                stats.run_id = self._insert_run(
                    conn,
                    source=source,
                    started_at=started,
                    rows_seen=stats.rows_seen,
                    rows_changed=new_or_changed,
                    status="partial" if errors else "ok",
                    error="; ".join(errors),
                )
        except sqlite3.Error as exc:
            raise store_error("write", self.path, exc) from None
        return stats

    @staticmethod
    def _next_batch(conn: sqlite3.Connection) -> int:
        """A number for this batch, above every earlier one (the data version it will set)."""
        row = conn.execute(
            "SELECT MAX(value) FROM (SELECT value FROM store_meta WHERE key = 'data_version' "
            "UNION ALL SELECT MAX(changed_in) FROM spot_prices)"
        ).fetchone()
        return int(row[0] or 0) + 1

    @staticmethod
    def _count_in(conn: sqlite3.Connection, table: str) -> int:
        return int(conn.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0])

    def _insert_run(
        self,
        conn: sqlite3.Connection,
        *,
        source: str,
        started_at: datetime,
        rows_seen: int,
        rows_changed: int,
        status: str,
        error: str,
    ) -> int:
        cursor = conn.execute(
            "INSERT INTO collection_runs (source, started_at, finished_at, rows_seen, "
            "rows_changed, status, error) VALUES (?, ?, ?, ?, ?, ?, ?)",
            (
                source,
                started_at.isoformat(),
                _now().isoformat(),
                rows_seen,
                rows_changed,
                status,
                error,
            ),
        )
        return int(cursor.lastrowid or 0)

    def record_failed_run(self, *, source: str, started_at: datetime, error: str) -> CollectionRun:
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
        return self.runs(limit=1, run_id=run_id)[0]

    # -- reads ------------------------------------------------------------------------

    def runs(
        self, source: str | None = None, limit: int = 50, *, run_id: int | None = None
    ) -> list[CollectionRun]:
        sql, args = runs_query(source, limit, run_id, self.mark)
        return [
            CollectionRun(
                id=r[0],
                source=r[1],
                started_at=datetime.fromisoformat(r[2]),
                finished_at=datetime.fromisoformat(r[3]) if r[3] else None,
                rows_seen=r[4],
                rows_changed=r[5],
                status=r[6],
                error=r[7],
            )
            for r in self._read(sql, args)
        ]

    def data_version(self) -> int:
        row = self._read("SELECT value FROM store_meta WHERE key = 'data_version'", [])
        return int(row[0][0]) if row else 0

    def info(self) -> StoreInfo:
        conn = self._conn()
        per_provider = self._read(
            "SELECT provider, COUNT(*), MAX(observed_at), MAX(collected_at) FROM spot_prices "
            "GROUP BY provider ORDER BY provider",
            [],
        )
        return StoreInfo(
            url=self.url,
            schema_version=current_version(conn),
            current_rows=self._count("spot_prices"),
            history_rows=self._count("price_history"),
            runs=self._count("collection_runs"),
            providers=[
                ProviderInfo(
                    provider=r[0],
                    rows=r[1],
                    newest_observed_at=datetime.fromisoformat(r[2]) if r[2] else None,
                    newest_collected_at=datetime.fromisoformat(r[3]) if r[3] else None,
                )
                for r in per_provider
            ],
        )

    def _count(self, table: str) -> int:
        return int(self._read(f"SELECT COUNT(*) FROM {table}", [])[0][0])

    def _read(self, sql: str, args: Sequence[Any]) -> list[tuple[Any, ...]]:
        with gc_paused():
            return self._read_unpaused(sql, args)

    def _read_unpaused(self, sql: str, args: Sequence[Any]) -> list[tuple[Any, ...]]:
        try:
            if self.path == ":memory:":
                with self._write_lock:
                    return self._conn().execute(sql, args).fetchall()
            return self._conn().execute(sql, args).fetchall()
        except sqlite3.Error as exc:
            raise store_error("read", self.path, exc) from None


assert LATEST_VERSION >= 2  # store_meta (data_version) exists from version 2 on
