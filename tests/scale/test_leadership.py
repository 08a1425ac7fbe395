"""Collector election on the real PostgreSQL server and on a SQLite lock file."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import psycopg
import pytest

from spotarb.core.errors import FencedWriteError
from spotarb.core.rows import to_row
from spotarb.serving.leadership import FileLockLeadership
from spotarb.serving.pg_leadership import PostgresLeadership
from spotarb.store.postgres import PostgresStore
from tests.core.factories import price


@pytest.fixture
def stores(pg_url: str) -> Iterator[Callable[[], PostgresStore]]:
    """Open stores on one database, as separate processes would."""
    opened: list[PostgresStore] = []

    def make() -> PostgresStore:
        store = PostgresStore(pg_url)
        opened.append(store)
        return store

    yield make
    for store in opened:
        store.close()


def terminate_backend(url: str, pid: int) -> None:
    """What a network cut or a server-side kill does to one connection."""
    with psycopg.connect(url, autocommit=True) as admin:
        admin.execute("SELECT pg_terminate_backend(%s)", (pid,))


@pytest.mark.postgres
def test_one_leader_at_a_time_and_the_standby_takes_over(
    stores: Callable[[], PostgresStore],
) -> None:
    a = PostgresLeadership(stores(), "replica-a")
    b = PostgresLeadership(stores(), "replica-b")
    assert b.leader_id() is None  # nobody collects yet
    assert a.try_lead() and a.leading
    assert not b.try_lead() and not b.leading
    assert a.try_lead()  # still leading: the check is idempotent
    assert b.leader_id() == "replica-a" and a.leader_id() == "replica-a"
    a.close()  # releases the lock (as the connection closing on kill -9 does)
    assert b.leader_id() is None
    assert b.try_lead() and b.leader_id() == "replica-b"
    assert not a.try_lead()
    b.close()
    a.close()


@pytest.mark.postgres
def test_a_deposed_leader_cannot_commit(pg_url: str, stores: Callable[[], PostgresStore]) -> None:
    store_a, store_b = stores(), stores()
    a = PostgresLeadership(store_a, "replica-a")
    b = PostgresLeadership(store_b, "replica-b")
    assert a.try_lead()
    store_a.write_rows([to_row(price())], source="aws")
    epoch_a = store_a.fence_epoch
    assert epoch_a is not None
    # A's lock connection dies (a network cut): A does not know yet, B takes over.
    assert a._conn is not None
    terminate_backend(pg_url, a._conn.info.backend_pid)
    deadline = time.monotonic() + 5
    while not b.try_lead():
        assert time.monotonic() < deadline, "the standby never got the lock"
        time.sleep(0.05)
    assert store_b.fence_epoch == epoch_a + 1
    before = (store_b.data_version(), len(store_b.runs()), store_b.current_prices())
    with pytest.raises(FencedWriteError, match=r"not the elected collector.*held by replica-b"):
        store_a.write_rows([to_row(price(price_per_hour=0.5))], source="aws")
    with pytest.raises(FencedWriteError):
        store_a.record_failed_run(source="aws", started_at=price().observed_at, error="x")
    assert (store_b.data_version(), len(store_b.runs()), store_b.current_prices()) == before
    assert not a.try_lead() and not a.leading  # A notices and steps down
    store_b.write_rows([to_row(price(price_per_hour=0.6))], source="aws")
    assert [p.price_per_hour for p in store_b.current_prices()] == [0.6]
    a.close()
    b.close()


@pytest.mark.postgres
def test_an_import_writes_without_any_lease(stores: Callable[[], PostgresStore]) -> None:
    collector, importer = stores(), stores()
    leader = PostgresLeadership(collector, "replica-a")
    assert leader.try_lead()
    importer.write_rows([to_row(price(source="import"))], source="import")
    collector.write_rows([to_row(price(instance_type="m5.xlarge"))], source="aws")
    assert len(importer.current_prices()) == 2
    leader.close()


def test_sqlite_lock_file_elects_one_collector(tmp_path: Path) -> None:
    lock = tmp_path / "prices.db.collector.lock"
    first = FileLockLeadership(lock, "first")
    second = FileLockLeadership(lock, "second")
    assert second.leader_id() is None
    assert first.try_lead()
    assert not second.try_lead()
    assert second.leader_id() == "first"
    first.close()
    assert second.leader_id() is None
    assert second.try_lead() and first.leader_id() == "second"
    second.close()


def test_sqlite_lock_is_freed_when_its_holder_is_killed(tmp_path: Path) -> None:
    lock = tmp_path / "prices.db.collector.lock"
    holder = subprocess.Popen(
        [sys.executable, "-c", (
            "import fcntl, sys, time; f = open(sys.argv[1], 'a+'); "
            "fcntl.flock(f, fcntl.LOCK_EX); f.write('other-process'); f.flush(); "
            "print('held', flush=True); time.sleep(60)"
        ), str(lock)],
        stdout=subprocess.PIPE,
        text=True,
    )  # fmt: skip
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        standby = FileLockLeadership(lock, "standby")
        assert not standby.try_lead()
        assert standby.leader_id() == "other-process"
        holder.kill()
        holder.wait(10)
        assert standby.try_lead() and standby.leader_id() == "standby"
        standby.close()
    finally:
        if holder.poll() is None:
            holder.kill()
            holder.wait(10)
