"""What is particular to the PostgreSQL store (the shared behaviour is tests/core/test_store.py,
which runs on both backends): migrations, concurrent writers, URLs, a round-trip property."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime

import psycopg
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from spotarb.core.errors import DiskFullError, StoreError
from spotarb.core.models import SpotPrice
from spotarb.core.rows import to_row
from spotarb.store import open_store
from spotarb.store.base import WriteStats
from spotarb.store.postgres import Conn, PostgresStore, write_error
from spotarb.store.postgres_migrations import LATEST_VERSION, MIGRATIONS, migrate
from tests.core.factories import T0, price
from tests.pg import admin_url, schema_url

pytestmark = pytest.mark.postgres


def test_migrates_an_empty_schema(pg_url: str) -> None:
    store = PostgresStore(pg_url)
    assert store.info().schema_version == LATEST_VERSION == store.schema_version
    with psycopg.connect(pg_url) as conn:
        versions = [r[0] for r in conn.execute("SELECT version FROM schema_migrations")]
    assert versions == [m[0] for m in MIGRATIONS]
    store.close()


def test_migrates_an_older_schema_keeping_its_rows(pg_url: str) -> None:
    with psycopg.connect(pg_url, autocommit=True) as conn:
        assert migrate(conn, target=1) == 1
        conn.execute(
            "INSERT INTO spot_prices (provider, region, availability_zone, instance_type, os, "
            "vcpu, memory_gb, gpu_count, arch, price_per_hour, observed_at, collected_at) VALUES "
            "('aws','us-east-1','us-east-1a','m5.large','linux',2,8,0,'x86_64',0.035,%s,%s)",
            (T0.isoformat(), T0.isoformat()),
        )
    store = PostgresStore(pg_url)
    assert store.info().schema_version == LATEST_VERSION
    assert store.current_prices() == [price()]
    store.close()


def test_a_newer_schema_is_refused(pg_url: str) -> None:
    PostgresStore(pg_url).close()
    with psycopg.connect(pg_url, autocommit=True) as conn:
        conn.execute("INSERT INTO schema_migrations VALUES (999, 'future', now())")
    with pytest.raises(StoreError, match="newer than this spotarb supports"):
        PostgresStore(pg_url)


def test_two_processes_opening_at_once_migrate_once(pg_url: str) -> None:
    opened: list[PostgresStore] = []
    errors: list[BaseException] = []

    def open_one() -> None:
        try:
            opened.append(PostgresStore(pg_url))
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=open_one) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors and len(opened) == 3
    with psycopg.connect(pg_url) as conn:
        assert conn.execute("SELECT count(*) FROM schema_migrations").fetchone() == (2,)
    for store in opened:
        store.close()


def test_concurrent_writers_commit_one_after_the_other(pg_url: str) -> None:
    stores = [PostgresStore(pg_url) for _ in range(4)]
    versions: list[int] = []

    def write(i: int) -> None:
        rows = [
            to_row(price(instance_type=f"w{i}.{n}", price_per_hour=0.01 + n)) for n in range(50)
        ]
        stats = stores[i].write_rows(rows, source=f"writer-{i}")
        assert stats.inserted == 50
        versions.append(stores[i].data_version())

    threads = [threading.Thread(target=write, args=(i,)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    info = stores[0].info()
    assert (info.current_rows, info.history_rows, info.runs) == (200, 200, 4)
    assert stores[0].data_version() == 4  # four batches, four versions, none lost
    for store in stores:
        store.close()


class MergePathStore(PostgresStore):
    """Never sees an empty table, so every write takes the ``ON CONFLICT`` merge."""

    @staticmethod
    def _empty_tables(conn: Conn) -> tuple[bool, bool]:
        return False, False


def test_first_write_plain_inserts_match_the_merge(pg_url: str, pg_database: str) -> None:
    """Into empty tables the write skips ON CONFLICT; the outcome is the merge's, write by write."""
    plain = PostgresStore(pg_url)
    with psycopg.connect(admin_url(pg_database), autocommit=True) as conn:
        conn.execute("CREATE SCHEMA merge_path_twin")
    merged = MergePathStore(schema_url(pg_database, "merge_path_twin"))
    first = [
        to_row(price(instance_type=f"m{i}.large", price_per_hour=0.01 * (i + 1))) for i in range(40)
    ]
    later = T0.replace(hour=13)
    second = [  # ten price changes, one other change, five new keys, the rest unchanged
        to_row(price(instance_type=f"m{i}.large", price_per_hour=0.5 + i, observed_at=later))
        if i < 10
        else to_row(price(instance_type=f"m{i}.large", price_per_hour=0.01 * (i + 1), vcpu=4))
        if i == 10
        else to_row(price(instance_type=f"m{i}.large", price_per_hour=0.01 * (i + 1)))
        for i in range(45)
    ]
    for batch in (first, second, second):
        got = [store.write_rows(batch, source="test") for store in (plain, merged)]
        assert got[0] == got[1]  # the counts, and the run ids of the two schemas
        assert plain.current_rows() == merged.current_rows()
        assert plain.all_history() == merged.all_history()
        assert plain.data_version() == merged.data_version()
    assert (got[0].inserted, got[0].unchanged, plain.info().history_rows) == (0, 45, 55)
    assert plain.data_version() == 2
    with psycopg.connect(admin_url(pg_database), autocommit=True) as conn:
        conn.execute("DROP SCHEMA merge_path_twin CASCADE")
    plain.close()
    merged.close()


def test_a_first_writer_waiting_for_another_merges_into_its_rows(pg_url: str) -> None:
    """The second of two first writes sees the first one's rows once it holds the lock."""
    first, second = PostgresStore(pg_url), PostgresStore(pg_url)
    staged, release = threading.Event(), threading.Event()

    def hold(written: int) -> None:  # inside the first write, which holds the writers' lock
        staged.set()
        assert release.wait(10)

    first._after_chunk = hold  # type: ignore[method-assign]
    old = [to_row(price(instance_type=f"c{i}.large", price_per_hour=0.1)) for i in range(10)]
    later = T0.replace(hour=13)
    new = [
        to_row(price(instance_type=f"c{i}.large", price_per_hour=0.2, observed_at=later))
        for i in range(5, 15)
    ]
    done: list[WriteStats] = []
    writer = threading.Thread(target=lambda: first.write_rows(old, source="first"))
    writer.start()
    assert staged.wait(10)
    waiter = threading.Thread(target=lambda: done.append(second.write_rows(new, source="second")))
    waiter.start()
    with psycopg.connect(pg_url, autocommit=True) as conn:
        for _ in range(500):  # until the second writer waits for the lock
            waiting = conn.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                "AND wait_event_type = 'Lock' AND query LIKE '%data_version%FOR UPDATE%'"
            ).fetchone()
            if waiting and waiting[0]:
                break
            time.sleep(0.01)
        else:
            pytest.fail("the second writer never waited for the first")
    release.set()
    writer.join(10)
    waiter.join(10)
    [stats] = done
    assert (stats.inserted, stats.changed, stats.unchanged, stats.history_added) == (5, 5, 0, 10)
    info = first.info()
    assert (info.current_rows, info.history_rows, second.data_version()) == (15, 20, 2)
    first.close()
    second.close()


def test_the_url_is_shown_without_its_password(pg_url: str) -> None:
    base, _, query = pg_url.partition("?")
    with_password = base.replace("postgres@", "postgres:not-needed-pw@") + "?" + query
    store = PostgresStore(with_password + "&password=also-hidden")  # trust auth ignores them
    assert "not-needed-pw" not in store.url and "also-hidden" not in store.url
    assert store.url.startswith("postgresql://postgres:***@127.0.0.1")
    assert "password=***" in store.url
    store.close()


def test_a_server_out_of_disk_space_says_so() -> None:
    full = write_error("postgresql://h/db", psycopg.errors.DiskFull("could not extend file"))
    assert isinstance(full, DiskFullError)
    assert str(full).startswith("no space left on device: cannot write database")
    other = write_error("postgresql://h/db", psycopg.errors.UniqueViolation("dup"))
    assert type(other) is StoreError and "cannot write database postgresql://h/db: dup" in str(
        other
    )


def test_a_missing_database_is_one_clear_error(pg_url: str) -> None:
    url = pg_url.split("?")[0].rsplit("/", 1)[0] + "/no_such_database_here"
    with pytest.raises(StoreError, match=r"cannot open database .*no_such_database_here"):
        open_store(url)


names = st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789-._", min_size=1, max_size=12)
moments = st.datetimes(
    min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.just(UTC)
)
positive = st.floats(min_value=1e-6, max_value=1e4, allow_nan=False, allow_infinity=False)
rows = st.builds(
    SpotPrice,
    provider=st.sampled_from(["aws", "azure", "gcp"]),
    region=names,
    availability_zone=st.one_of(st.just(""), names),
    instance_type=names,
    vcpu=positive,
    memory_gb=positive,
    price_per_hour=positive,
    gpu_count=st.just(0),
    gpu_memory_gb=st.none() | positive,
    arch=st.sampled_from(["x86_64", "arm64"]),
    network_bandwidth_gbps=st.none() | positive,
    on_demand_price_per_hour=st.none() | positive,
    interruption_rate=st.none() | st.floats(min_value=0, max_value=1),
    interruption_source=st.none() | names,
    source=names,
    observed_at=moments,
    collected_at=moments,
)


def test_round_trip_property_matches_sqlite(pg_url: str) -> None:
    """Any valid batch reads back exactly, and in the same order as from SQLite."""
    from spotarb.store.sqlite import SqliteStore

    store = PostgresStore(pg_url)

    @settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(st.lists(rows, max_size=30, unique_by=lambda p: p.key))
    def check(batch: list[SpotPrice]) -> None:
        with psycopg.connect(pg_url, autocommit=True) as conn:
            conn.execute("TRUNCATE spot_prices, price_history")
        lite = SqliteStore(":memory:")
        data = [to_row(p) for p in batch]
        store.write_rows(data, source="prop")
        lite.write_rows(data, source="prop")
        assert store.current_rows() == lite.current_rows()
        assert sorted(store.current_prices(), key=lambda p: p.key) == sorted(
            batch, key=lambda p: p.key
        )
        assert store.all_history() == lite.all_history()
        lite.close()

    check()
    store.close()
