"""Tell this process when the store changed, whoever wrote it (collector, import, a replica).

PostgreSQL: LISTEN on the store's channel (each commit that changed data sends
``pg_notify`` with its data version and commit time), with a ``data_version`` poll
every ``poll_seconds`` as the fallback (and while the listening connection is
being re-established). SQLite: the poll alone (one indexed one-row read).

``on_change`` is called on every notification and every poll; it is expected to
compare data versions itself (:meth:`Service.refresh` does), so extra calls are cheap.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Final, cast

from spotarb.store.base import PriceStore

if TYPE_CHECKING:
    from spotarb.store.postgres import PostgresStore

logger = logging.getLogger(__name__)

#: Seconds between polls of the data version (and between reconnect attempts).
POLL_SECONDS: Final = 1.0


class ChangeWatcher:
    """A daemon thread that calls ``on_change`` when the store's data may have changed."""

    def __init__(
        self,
        store: PriceStore,
        on_change: Callable[[], object],
        *,
        poll_seconds: float = POLL_SECONDS,
    ) -> None:
        self.store = store
        self.on_change = on_change
        self.poll_seconds = poll_seconds
        #: Seconds from the writer's commit to this process hearing of it (last one seen).
        self.last_lag: float | None = None
        self.notifications = 0
        self.listening = False
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        if self._thread is not None:
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="spotarb-watch", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None

    def _run(self) -> None:
        store = self.store
        while not self._stop.is_set():
            if store.backend == "postgresql":
                # Returns when the connection is lost, or on stop.
                self._listen(cast("PostgresStore", store))
            if not self._stop.wait(self.poll_seconds):
                self._changed()

    def _changed(self) -> None:
        try:
            self.on_change()
        except Exception:
            logger.exception("refresh after a store change failed")

    def _listen(self, store: PostgresStore) -> None:
        import psycopg  # only a PostgreSQL store gets here
        from psycopg import sql

        try:
            conn = store.connect()
        except psycopg.Error as exc:
            logger.warning("cannot LISTEN for store changes (%s); polling", _first_line(exc))
            return
        with conn:
            try:
                conn.execute(sql.SQL("LISTEN {}").format(sql.Identifier(store.channel)))
                self.listening = True
                self._changed()  # whatever was committed before LISTEN took effect
                while not self._stop.is_set():
                    # One notification, or the poll interval without any: look either way.
                    for note in conn.notifies(timeout=self.poll_seconds, stop_after=1):
                        self._heard(note.payload)
                    self._changed()
            except psycopg.Error as exc:
                if not self._stop.is_set():
                    logger.warning("store change listener lost (%s); polling", _first_line(exc))
            finally:
                self.listening = False

    def _heard(self, payload: str) -> None:
        self.notifications += 1
        _, _, committed = payload.partition(" ")
        with contextlib.suppress(ValueError):  # a payload from another writer: no lag
            self.last_lag = max(0.0, time.time() - float(committed))


def _first_line(exc: Exception) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__
