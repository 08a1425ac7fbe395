"""Change notifications: LISTEN/NOTIFY with a poll fallback (PostgreSQL), a poll (SQLite)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import psycopg
import pytest

from spotarb.core.rows import to_row
from spotarb.serving.notify import ChangeWatcher
from spotarb.store.base import PriceStore
from spotarb.store.postgres import PostgresStore
from spotarb.store.sqlite import SqliteStore
from tests.core.factories import price


class Seen:
    """Records the data version the watched store shows each time the watcher calls."""

    def __init__(self, store: PriceStore) -> None:
        self.store = store
        self.versions: list[int] = []
        self.event = threading.Event()

    def __call__(self) -> None:
        self.versions.append(self.store.data_version())
        self.event.set()

    def wait_for(self, version: int, timeout: float) -> float:
        began = time.monotonic()
        while version not in self.versions:
            assert time.monotonic() - began < timeout, f"never saw v{version}: {self.versions}"
            time.sleep(0.01)
        return time.monotonic() - began


@pytest.fixture
def watchers() -> Iterator[Callable[..., ChangeWatcher]]:
    made: list[ChangeWatcher] = []

    def make(store: PriceStore, on_change: Callable[[], object], **kw: float) -> ChangeWatcher:
        watcher = ChangeWatcher(store, on_change, **kw)
        made.append(watcher)
        watcher.start()
        return watcher

    yield make
    for watcher in made:
        watcher.stop()


@pytest.mark.postgres
def test_a_commit_elsewhere_is_heard_at_once(
    pg_url: str, watchers: Callable[..., ChangeWatcher]
) -> None:
    writer, reader = PostgresStore(pg_url), PostgresStore(pg_url)
    seen = Seen(reader)
    # A long poll interval: only the notification can make this fast.
    watcher = watchers(reader, seen, poll_seconds=30.0)
    deadline = time.monotonic() + 5
    while not watcher.listening:
        assert time.monotonic() < deadline
        time.sleep(0.01)
    stats = writer.write_rows([to_row(price())], source="import")
    assert stats.inserted == 1
    assert seen.wait_for(writer.data_version(), timeout=2.0) < 2.0
    assert watcher.notifications == 1 and watcher.last_lag is not None
    assert 0 <= watcher.last_lag < 2.0
    # A batch that changes nothing notifies nobody.
    writer.write_rows([to_row(price())], source="import")
    time.sleep(0.3)
    assert watcher.notifications == 1
    writer.close()
    reader.close()


@pytest.mark.postgres
def test_the_poll_covers_a_lost_listener(
    pg_url: str, watchers: Callable[..., ChangeWatcher]
) -> None:
    writer, reader = PostgresStore(pg_url), PostgresStore(pg_url)
    seen = Seen(reader)
    watcher = watchers(reader, seen, poll_seconds=0.2)
    deadline = time.monotonic() + 5
    while not watcher.listening:
        assert time.monotonic() < deadline
        time.sleep(0.01)
    with psycopg.connect(pg_url, autocommit=True) as admin:
        admin.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE query LIKE 'LISTEN%%' "
            "AND pid <> pg_backend_pid() AND datname = current_database()"
        )
    writer.write_rows([to_row(price())], source="import")
    seen.wait_for(writer.data_version(), timeout=2.0)
    deadline = time.monotonic() + 5
    while not watcher.listening:  # and it listens again
        assert time.monotonic() < deadline, "the listener never came back"
        time.sleep(0.01)
    writer.close()
    reader.close()


def test_sqlite_changes_are_seen_by_polling(
    tmp_path: Path, watchers: Callable[..., ChangeWatcher]
) -> None:
    path = tmp_path / "prices.db"
    writer, reader = SqliteStore(path), SqliteStore(path)
    seen = Seen(reader)
    watchers(reader, seen, poll_seconds=0.2)
    writer.write_rows([to_row(price())], source="import")
    seen.wait_for(writer.data_version(), timeout=2.0)
    writer.close()
    reader.close()
