"""Collector election on PostgreSQL: a session advisory lock and a fenced lease.

The lock is held on a connection of its own. The holder writes its name and a new
epoch into ``collector_lease`` and gives the epoch to the store, which checks it
inside every write transaction (fencing: a collector that lost the lock cannot
commit once another one claimed the lease). The lock goes with the connection, so
a killed leader's lock is free as soon as the server sees the connection close; a
standby polling :meth:`PostgresLeadership.try_lead` takes over.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import zlib

import psycopg

from spotarb.store.postgres import PostgresStore
from spotarb.store.postgres_migrations import LOCK_CLASS

logger = logging.getLogger(__name__)


def collector_lock_key(schema: str) -> int:
    """The advisory lock's object id: one collector per schema (a positive int4)."""
    return zlib.crc32(schema.encode()) & 0x7FFFFFFF


class PostgresLeadership:
    """Advisory lock + lease epoch in the store's database (see the module doc)."""

    def __init__(self, store: PostgresStore, instance_id: str) -> None:
        self.store = store
        if store.fence_epoch is None:
            store.fence_epoch = -1  # no collector writes from this process until elected
        self.instance_id = instance_id
        self._key = collector_lock_key(store.schema)
        self._conn: psycopg.Connection[tuple[object, ...]] | None = None
        self._leading = False
        self._lock = threading.Lock()

    @property
    def leading(self) -> bool:
        return self._leading

    def _connection(self) -> psycopg.Connection[tuple[object, ...]]:
        if self._conn is None or self._conn.closed:
            # Keepalives (idle) and a TCP user timeout (unanswered data): a leader cut off
            # from the server notices within ~15 s.
            self._conn = self.store.connect(
                keepalives=1,
                keepalives_idle=5,
                keepalives_interval=2,
                keepalives_count=3,
                tcp_user_timeout=10000,
            )
        return self._conn

    def try_lead(self) -> bool:
        with self._lock:
            try:
                conn = self._connection()
                if self._leading:
                    conn.execute("SELECT 1")  # the lock lives as long as this connection
                    return True
                row = conn.execute(
                    "SELECT pg_try_advisory_lock(%s, %s)", (LOCK_CLASS, self._key)
                ).fetchone()
                if not (row and row[0]):
                    return False
                claimed = conn.execute(
                    "UPDATE collector_lease SET holder = %s, epoch = epoch + 1, "
                    "acquired_at = now() WHERE id = 1 RETURNING epoch",
                    (self.instance_id,),
                ).fetchone()
                epoch = int(claimed[0]) if claimed else 0  # type: ignore[call-overload]
            except psycopg.Error as exc:
                self._lost(exc)
                return False
            self.store.fence_epoch = epoch
            self._leading = True
            logger.warning("%s is now the collector (lease epoch %d)", self.instance_id, epoch)
            return True

    def _lost(self, exc: psycopg.Error) -> None:
        if self._leading:
            logger.warning(
                "%s lost the collector lock (%s); it stops collecting",
                self.instance_id,
                str(exc).splitlines()[0] if str(exc) else type(exc).__name__,
            )
        self._leading = False
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    def leader_id(self) -> str | None:
        if self._leading:
            return self.instance_id
        with self._lock:
            try:
                row = (
                    self._connection()
                    .execute(
                        "SELECT holder FROM collector_lease WHERE id = 1 AND EXISTS ("
                        "SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND granted "
                        "AND classid = %s AND objid = %s AND objsubid = 2 AND database = "
                        "(SELECT oid FROM pg_database WHERE datname = current_database()))",
                        (LOCK_CLASS, self._key),
                    )
                    .fetchone()
                )
            except psycopg.Error as exc:
                self._lost(exc)
                return None
        return str(row[0]) if row else None

    def close(self) -> None:
        with self._lock:
            if self._conn is not None:
                if self._leading:  # released now, not when the server notices the close
                    with contextlib.suppress(psycopg.Error):
                        self._conn.execute(
                            "SELECT pg_advisory_unlock(%s, %s)", (LOCK_CLASS, self._key)
                        )
                self._conn.close()
                self._conn = None
            self._leading = False
