"""Numbered schema migrations, recorded in ``schema_migrations``.

Each migration runs in the same transaction as its record, so a database is
always at a whole version. Opening a database applies what it lacks; a
database newer than this code is refused rather than guessed at.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Final

from spotarb.core.errors import StoreError

Migration = tuple[int, str, Callable[[sqlite3.Connection], None]]

_PRICE_TABLE_BODY: Final = """
    provider TEXT NOT NULL,
    region TEXT NOT NULL,
    availability_zone TEXT NOT NULL DEFAULT '',
    instance_type TEXT NOT NULL,
    os TEXT NOT NULL DEFAULT 'linux',
    vcpu REAL NOT NULL,
    memory_gb REAL NOT NULL,
    gpu_count INTEGER NOT NULL DEFAULT 0,
    gpu_type TEXT,
    gpu_memory_gb REAL,
    arch TEXT NOT NULL DEFAULT 'x86_64',
    network_bandwidth_gbps REAL,
    price_per_hour REAL NOT NULL,
    on_demand_price_per_hour REAL,
    interruption_rate REAL,
    interruption_source TEXT,
    observed_at TEXT NOT NULL,
    collected_at TEXT NOT NULL
"""


def _v1_initial(conn: sqlite3.Connection) -> None:
    conn.execute(
        f"""CREATE TABLE spot_prices ({_PRICE_TABLE_BODY},
        PRIMARY KEY (provider, region, availability_zone, instance_type, os)) WITHOUT ROWID"""
    )
    conn.execute(
        f"""CREATE TABLE price_history ({_PRICE_TABLE_BODY},
        PRIMARY KEY (provider, region, availability_zone, instance_type, os, observed_at))
        WITHOUT ROWID"""
    )
    conn.execute(
        """CREATE TABLE collection_runs (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        source TEXT NOT NULL,
        started_at TEXT NOT NULL,
        finished_at TEXT,
        rows_seen INTEGER NOT NULL DEFAULT 0,
        rows_changed INTEGER NOT NULL DEFAULT 0,
        status TEXT NOT NULL,
        error TEXT NOT NULL DEFAULT '')"""
    )


def _v2_source_and_meta(conn: sqlite3.Connection) -> None:
    """Where each row came from, a data version for cache invalidation, read indexes."""
    conn.execute("ALTER TABLE spot_prices ADD COLUMN source TEXT NOT NULL DEFAULT ''")
    conn.execute("ALTER TABLE price_history ADD COLUMN source TEXT NOT NULL DEFAULT ''")
    conn.execute("CREATE TABLE store_meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL)")
    conn.execute("INSERT INTO store_meta (key, value) VALUES ('data_version', 0)")
    # The batch that last inserted the row or changed its price: lets one INSERT ... SELECT
    # copy a batch's changes into price_history inside SQLite.
    conn.execute("ALTER TABLE spot_prices ADD COLUMN changed_in INTEGER NOT NULL DEFAULT 0")
    conn.execute("CREATE INDEX price_history_by_time ON price_history (observed_at)")
    conn.execute("CREATE INDEX collection_runs_by_source ON collection_runs (source, id)")


MIGRATIONS: Final[tuple[Migration, ...]] = (
    (1, "initial: spot_prices, price_history, collection_runs", _v1_initial),
    (2, "source column, change marker, store_meta data version, indexes", _v2_source_and_meta),
)
LATEST_VERSION: Final = MIGRATIONS[-1][0]


def current_version(conn: sqlite3.Connection) -> int:
    conn.execute(
        """CREATE TABLE IF NOT EXISTS schema_migrations (
        version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)"""
    )
    row = conn.execute("SELECT MAX(version) FROM schema_migrations").fetchone()
    return int(row[0] or 0)


def migrate(conn: sqlite3.Connection, target: int = LATEST_VERSION) -> int:
    """Bring the database up to ``target``; returns the version it ends at."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        version = current_version(conn)
        if version > LATEST_VERSION:
            raise StoreError(
                f"database schema version {version} is newer than this spotarb supports "
                f"({LATEST_VERSION}); upgrade spotarb"
            )
        for number, name, apply in MIGRATIONS:
            if version < number <= target:
                apply(conn)
                conn.execute(
                    "INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)",
                    (number, name, datetime.now(UTC).isoformat()),
                )
                version = number
        conn.execute("COMMIT")
    except BaseException:
        if conn.in_transaction:  # SQLite has already rolled back after e.g. SQLITE_FULL
            conn.execute("ROLLBACK")
        raise
    return version
