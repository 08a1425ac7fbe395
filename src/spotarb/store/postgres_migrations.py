"""Numbered schema migrations of the PostgreSQL store, recorded in ``schema_migrations``.

The same rules as the SQLite migrations: each migration runs in one transaction
with its record, a database is always at a whole version, one newer than this
code is refused. A transaction-scoped advisory lock makes two processes that
open the same database at once migrate it one after the other.

Price rows keep the row protocol's types: text keys in byte order (``COLLATE "C"``,
so sorting matches SQLite's) and ISO 8601 UTC text timestamps (they sort by time
and round-trip exactly); run times are ``timestamptz``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Final

import psycopg

from spotarb.core.errors import StoreError

Migration = tuple[int, str, Callable[[psycopg.Connection[tuple[object, ...]]], None]]

#: Class id of every advisory lock spotarb takes (the object id says which one).
LOCK_CLASS: Final = 0x5A0B
MIGRATION_LOCK: Final = 1

_PRICE_TABLE_BODY: Final = """
    provider TEXT COLLATE "C" NOT NULL,
    region TEXT COLLATE "C" NOT NULL,
    availability_zone TEXT COLLATE "C" NOT NULL DEFAULT '',
    instance_type TEXT COLLATE "C" NOT NULL,
    os TEXT COLLATE "C" NOT NULL DEFAULT 'linux',
    vcpu DOUBLE PRECISION NOT NULL,
    memory_gb DOUBLE PRECISION NOT NULL,
    gpu_count INTEGER NOT NULL DEFAULT 0,
    gpu_type TEXT COLLATE "C",
    gpu_memory_gb DOUBLE PRECISION,
    arch TEXT COLLATE "C" NOT NULL DEFAULT 'x86_64',
    network_bandwidth_gbps DOUBLE PRECISION,
    price_per_hour DOUBLE PRECISION NOT NULL,
    on_demand_price_per_hour DOUBLE PRECISION,
    interruption_rate DOUBLE PRECISION,
    interruption_source TEXT COLLATE "C",
    source TEXT COLLATE "C" NOT NULL DEFAULT '',
    observed_at TEXT COLLATE "C" NOT NULL,
    collected_at TEXT COLLATE "C" NOT NULL
"""


def _v1_initial(conn: psycopg.Connection[tuple[object, ...]]) -> None:
    conn.execute(
        f"""CREATE TABLE spot_prices ({_PRICE_TABLE_BODY},
        -- the batch that last inserted the row or changed its price (see the write)
        changed_in BIGINT NOT NULL DEFAULT 0,
        PRIMARY KEY (provider, region, availability_zone, instance_type, os))"""
    )
    conn.execute(
        f"""CREATE TABLE price_history ({_PRICE_TABLE_BODY},
        PRIMARY KEY (provider, region, availability_zone, instance_type, os, observed_at))"""
    )
    conn.execute(
        """CREATE TABLE collection_runs (
        id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        source TEXT NOT NULL,
        started_at TIMESTAMPTZ NOT NULL,
        finished_at TIMESTAMPTZ,
        rows_seen INTEGER NOT NULL DEFAULT 0,
        rows_changed INTEGER NOT NULL DEFAULT 0,
        status TEXT NOT NULL,
        error TEXT NOT NULL DEFAULT '')"""
    )
    conn.execute("CREATE TABLE store_meta (key TEXT PRIMARY KEY, value BIGINT NOT NULL)")
    conn.execute("INSERT INTO store_meta (key, value) VALUES ('data_version', 0)")
    # No index on price_history.observed_at alone (SQLite has one): every history query
    # names a key, which the primary key serves, and the index cost ~0.2 s per 200k rows.
    conn.execute("CREATE INDEX collection_runs_by_source ON collection_runs (source, id)")


def _v2_collector_lease(conn: psycopg.Connection[tuple[object, ...]]) -> None:
    """Who collects: the holder of the advisory lock writes its name and a new epoch here.

    A writer that was given an epoch checks it inside its write transaction, so a
    collector that lost the lock cannot commit after another one took over.
    """
    conn.execute(
        """CREATE TABLE collector_lease (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        holder TEXT NOT NULL DEFAULT '',
        epoch BIGINT NOT NULL DEFAULT 0,
        acquired_at TIMESTAMPTZ)"""
    )
    conn.execute("INSERT INTO collector_lease (id) VALUES (1)")
    # The lease epoch a collector's run was written under (NULL: an import or a CLI run).
    conn.execute("ALTER TABLE collection_runs ADD COLUMN lease_epoch BIGINT")


MIGRATIONS: Final[tuple[Migration, ...]] = (
    (1, "initial: spot_prices, price_history, collection_runs, store_meta", _v1_initial),
    (2, "collector_lease: the elected collector and its fencing epoch", _v2_collector_lease),
)
LATEST_VERSION: Final = MIGRATIONS[-1][0]


def current_version(conn: psycopg.Connection[tuple[object, ...]]) -> int:
    conn.execute(
        """CREATE TABLE IF NOT EXISTS schema_migrations (
        version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TIMESTAMPTZ NOT NULL)"""
    )
    row = conn.execute("SELECT MAX(version) FROM schema_migrations").fetchone()
    return int(row[0] or 0) if row else 0  # type: ignore[call-overload]


def migrate(conn: psycopg.Connection[tuple[object, ...]], target: int = LATEST_VERSION) -> int:
    """Bring the database up to ``target`` (one transaction); returns the version it ends at."""
    with conn.transaction():
        conn.execute("SELECT pg_advisory_xact_lock(%s, %s)", (LOCK_CLASS, MIGRATION_LOCK))
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
                    "INSERT INTO schema_migrations (version, name, applied_at) "
                    "VALUES (%s, %s, now())",
                    (number, name),
                )
                version = number
    return version
