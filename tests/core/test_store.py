from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from spotarb.core.errors import DuplicateKeyError, StoreError
from spotarb.core.models import SpotPrice
from spotarb.core.rows import PriceBatch, Row, to_row, to_rows
from spotarb.ingest.aggregator import Aggregator
from spotarb.store import PriceFilter, open_store
from spotarb.store.base import PriceStore, WriteStats
from spotarb.store.migrations import LATEST_VERSION, MIGRATIONS, migrate
from spotarb.store.postgres import PostgresStore
from spotarb.store.sqlite import SqliteStore
from tests.core.factories import T0, price


def catalog() -> list[SpotPrice]:
    return [
        price(availability_zone="us-east-1a", price_per_hour=0.035),
        price(availability_zone="us-east-1b", price_per_hour=0.031),
        price(instance_type="p4d.24xlarge", vcpu=96, memory_gb=1152, gpu_count=8,
              gpu_type="nvidia-a100", gpu_memory_gb=40, price_per_hour=9.8),
        price(provider="azure", region="eastus", availability_zone="",
              instance_type="Standard_D2s_v3", price_per_hour=0.02),
        price(provider="gcp", region="us-central1", availability_zone="",
              instance_type="n2-standard-8", vcpu=8, memory_gb=32, price_per_hour=0.08),
    ]  # fmt: skip


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def backend(request: pytest.FixtureRequest) -> str:
    """Every test that takes ``store`` runs on both backends."""
    name: str = request.param
    return name


@pytest.fixture
def store(backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[PriceStore]:
    """An empty store: a SQLite file, or a schema of its own on the local PostgreSQL."""
    s: PriceStore
    if backend == "postgresql":
        s = PostgresStore(request.getfixturevalue("pg_url"))
    else:
        s = SqliteStore(tmp_path / "prices.db")
    yield s
    s.close()


def test_write_then_read_gives_the_same_rows(store: PriceStore) -> None:
    rows = catalog()
    stats = store.write_rows(to_rows(rows), source="test")
    assert (stats.inserted, stats.changed, stats.unchanged) == (5, 0, 0)
    got = store.current_prices()
    assert sorted(got, key=lambda p: p.key) == sorted(rows, key=lambda p: p.key)
    assert [p.price_per_hour for p in got] == sorted(p.price_per_hour for p in rows)


def test_same_batch_twice_adds_no_history(store: PriceStore) -> None:
    store.write_rows(to_rows(catalog()), source="test")
    before = store.info().history_rows
    stats = store.write_rows(to_rows(catalog()), source="test")
    assert (stats.inserted, stats.changed, stats.unchanged, stats.history_added) == (0, 0, 5, 0)
    assert store.info().history_rows == before == 5


def test_one_changed_price_adds_exactly_one_history_row(store: PriceStore) -> None:
    store.write_rows(to_rows(catalog()), source="test")
    version = store.data_version()
    rows = catalog()
    later = T0 + timedelta(minutes=5)
    rows[0] = price(availability_zone="us-east-1a", price_per_hour=0.04, observed_at=later)
    stats = store.write_rows(to_rows(rows), source="test")
    assert (stats.changed, stats.unchanged, stats.history_added) == (1, 4, 1)
    assert store.info().history_rows == 6
    assert store.data_version() > version
    hist = store.history(rows[0].key)
    assert [h.price_per_hour for h in hist] == [0.035, 0.04]
    assert store.history(rows[0].key, since=later)[0].price_per_hour == 0.04
    assert [h.price_per_hour for h in store.history(rows[0].key, until=T0)] == [0.035]


def test_new_keys_changed_prices_and_other_changes_in_one_batch(store: PriceStore) -> None:
    store.write_rows(to_rows(catalog()), source="test")
    later = T0 + timedelta(minutes=5)
    rows = catalog()
    rows[1] = price(availability_zone="us-east-1b", price_per_hour=0.05, observed_at=later)
    # Same price, other details: the current row is rewritten, no history row is added.
    rows[3] = price(provider="azure", region="eastus", availability_zone="",
                    instance_type="Standard_D2s_v3", price_per_hour=0.02, interruption_rate=0.2,
                    observed_at=later)  # fmt: skip
    new = price(instance_type="c5.large", price_per_hour=0.03)
    stats = store.write_rows(to_rows([*rows, new]), source="test")
    assert (stats.rows_seen, stats.inserted, stats.changed, stats.unchanged) == (6, 1, 1, 4)
    assert stats.history_added == 2  # the new key and the changed price
    assert store.info().history_rows == 7
    azure = store.current_prices(PriceFilter(providers=("azure",)))
    assert [(p.interruption_rate, p.observed_at) for p in azure] == [(0.2, later)]
    assert [h.price_per_hour for h in store.history(rows[3].key)] == [0.02]


def test_backfilled_change_points_are_merged_without_duplicates(store: PriceStore) -> None:
    key_row = price()
    old = [price(price_per_hour=0.02, observed_at=T0 - timedelta(days=d)) for d in (1, 2, 3)]
    first = store.write_rows(to_rows([key_row]), to_rows(old), source="test")
    version = store.data_version()
    again = store.write_rows(to_rows([key_row]), to_rows(old), source="test")
    assert (first.history_added, again.history_added) == (4, 0)
    assert len(store.history(key_row.key)) == 4
    assert store.data_version() == version  # nothing changed the second time


def test_unchanged_rows_leave_the_data_version(store: PriceStore) -> None:
    store.write_rows(to_rows(catalog()), source="test")
    version = store.data_version()
    store.write_rows(to_rows(catalog()), source="test")
    assert store.data_version() == version
    assert [r.rows_changed for r in store.runs()] == [0, 5]


def test_a_failure_mid_batch_leaves_the_previous_state(
    store: PriceStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    store.write_rows(to_rows(catalog()), source="test")
    before = (store.current_prices(), store.all_history(), store.runs(), store.data_version())
    big = [price(instance_type=f"t{i}.large", price_per_hour=0.01 + i * 1e-5) for i in range(12000)]

    calls = []

    def explode(written: int) -> None:
        calls.append(written)
        if len(calls) == 2:  # the first 5000-row chunk is already in the transaction
            raise OSError("disk on fire")

    monkeypatch.setattr(store, "_after_chunk", explode)
    changed = [price(availability_zone="us-east-1a", price_per_hour=1.0), *big]
    with pytest.raises(OSError, match="disk on fire"):
        store.write_rows(to_rows(changed), source="test")
    assert len(calls) == 2
    after = (store.current_prices(), store.all_history(), store.runs(), store.data_version())
    assert after == before


def test_a_failure_mid_first_write_leaves_the_store_empty(
    store: PriceStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    big = [price(instance_type=f"t{i}.large", price_per_hour=0.01 + i * 1e-5) for i in range(12000)]

    def explode(written: int) -> None:
        raise OSError("disk on fire")

    with monkeypatch.context() as patch:
        patch.setattr(store, "_after_chunk", explode)
        with pytest.raises(OSError, match="disk on fire"):
            store.write_rows(to_rows(big), source="test")
    info = store.info()
    assert (info.current_rows, info.history_rows, info.runs, store.data_version()) == (0, 0, 0, 0)
    # The next write is a first write again, and key uniqueness still holds.
    assert store.write_rows(to_rows(catalog()), source="test").inserted == 5
    with pytest.raises(DuplicateKeyError):
        store.write_rows(to_rows([price(), price(price_per_hour=0.5)]), source="test")
    assert (store.info().current_rows, store.data_version()) == (5, 1)


def test_first_write_after_backfilled_history_corrects_a_change_point(store: PriceStore) -> None:
    """No current rows yet, but history: the first rows still replace a point at their instant."""
    earlier = T0 - timedelta(days=1)
    backfill = [price(price_per_hour=0.02, observed_at=earlier), price(price_per_hour=0.03)]
    assert store.write_rows([], to_rows(backfill), source="test").history_added == 2
    assert store.info().current_rows == 0
    stats = store.write_rows(to_rows([price(price_per_hour=0.04)]), source="test")
    assert (stats.inserted, stats.history_added, store.data_version()) == (1, 1, 2)
    points = [(p.observed_at, p.price_per_hour) for p in store.history(price().key)]
    assert points == [(earlier, 0.02), (T0, 0.04)]  # the point at T0 was corrected


def test_duplicate_keys_in_one_batch_are_refused(store: PriceStore) -> None:
    store.write_rows(to_rows(catalog()), source="test")
    before = (store.current_rows(), store.all_history(), store.runs(), store.data_version())
    rows = to_rows([*catalog()[1:], price(), price(price_per_hour=0.5)])
    with pytest.raises(DuplicateKeyError, match=r"two rows for aws/us-east-1/us-east-1a/m5\.large"):
        store.write_rows(rows, source="test")
    assert (store.current_rows(), store.all_history(), store.runs(), store.data_version()) == before


def test_current_rows_are_current_prices_as_rows(store: PriceStore, backend: str) -> None:
    store.write_rows(to_rows(catalog()), source="test")
    assert store.backend == backend
    for flt in (None, PriceFilter(providers=("aws",)), PriceFilter(max_price=0.05, limit=2)):
        rows = store.current_rows(flt)
        assert rows and all(isinstance(r, tuple) for r in rows)
        assert rows == [to_row(p) for p in store.current_prices(flt)]
    assert [r[12] for r in store.current_rows()] == sorted(p.price_per_hour for p in catalog())


class CountingStore(SqliteStore):
    """A real SQLite store that records each write_rows call."""

    def __init__(self, path: str | Path) -> None:
        super().__init__(path)
        self.writes: list[tuple[list[Row], list[Row]]] = []

    def write_rows(self, rows, history=(), **kw):  # type: ignore[no-untyped-def]
        self.writes.append((list(rows), list(history)))
        stats: WriteStats = super().write_rows(rows, history, **kw)
        return stats


def test_the_aggregator_keeps_the_newest_row_per_key_in_one_write(tmp_path: Path) -> None:
    store = CountingStore(tmp_path / "count.db")
    hour = timedelta(hours=1)
    batch = [
        price(price_per_hour=0.02, observed_at=T0),
        price(instance_type="c5.large", price_per_hour=0.03),
        price(price_per_hour=0.04, observed_at=T0 + 2 * hour),  # the newest of m5.large
        price(price_per_hour=0.03, observed_at=T0 + hour),  # older than the one before it
    ]
    backfill = [price(price_per_hour=0.01, observed_at=T0 - hour)]
    report = Aggregator(store).write("import", PriceBatch.from_prices(batch), backfill)
    assert len(store.writes) == 1
    rows, history = store.writes[0]
    assert rows == to_rows([batch[2], batch[1]])  # one row per key
    assert sorted(history) == sorted(to_rows([*backfill, batch[0], batch[3]]))
    assert report.duplicates == 2
    assert (report.stats.inserted, report.stats.history_added) == (2, 5)
    assert [h.price_per_hour for h in store.history(batch[0].key)] == [0.01, 0.02, 0.03, 0.04]
    assert store.current_prices(PriceFilter(instance_types=("m5.large",)))[0] == batch[2]
    # Feeds hand SpotPrice lists: the same single write, no duplicates to report.
    again = Aggregator(store).write("aws", [batch[2], batch[1]])
    assert len(store.writes) == 2 and again.duplicates == 0
    assert (again.stats.unchanged, again.stats.history_added) == (2, 0)
    store.close()


def test_filters(store: PriceStore) -> None:
    store.write_rows(to_rows(catalog()), source="test")

    def types(**kw: object) -> list[str]:
        return [p.instance_type for p in store.current_prices(PriceFilter(**kw))]  # type: ignore[arg-type]

    assert types(providers=("azure", "gcp")) == ["Standard_D2s_v3", "n2-standard-8"]
    assert types(regions=("us-central1",)) == ["n2-standard-8"]
    assert types(instance_types=("p4d.24xlarge",)) == ["p4d.24xlarge"]
    assert types(gpu_type="nvidia-a100") == ["p4d.24xlarge"]
    assert types(min_vcpu=8) == ["n2-standard-8", "p4d.24xlarge"]
    assert types(min_memory_gb=100) == ["p4d.24xlarge"]
    assert types(max_price=0.031) == ["Standard_D2s_v3", "m5.large"]
    assert types(limit=2) == ["Standard_D2s_v3", "m5.large"]


def test_runs_are_recorded(store: PriceStore) -> None:
    store.write_rows(to_rows(catalog()), source="aws", errors=["eu-west-1: timed out"])
    store.record_failed_run(source="gcp", started_at=T0, error="proxy down")
    runs = store.runs()
    assert [(r.source, r.status) for r in runs] == [("gcp", "failed"), ("aws", "partial")]
    assert runs[0].error == "proxy down" and runs[1].rows_seen == 5
    assert store.runs(source="aws")[0].error == "eu-west-1: timed out"


def test_info_counts_per_provider(store: PriceStore) -> None:
    store.write_rows(to_rows(catalog()), source="test")
    info = store.info()
    assert info.schema_version == LATEST_VERSION
    assert {p.provider: p.rows for p in info.providers} == {"aws": 3, "azure": 1, "gcp": 1}
    assert info.providers[0].newest_observed_at == T0


def test_migrates_an_empty_database(tmp_path: Path) -> None:
    path = tmp_path / "empty.db"
    sqlite3.connect(path).close()
    store = SqliteStore(path)
    assert store.info().schema_version == LATEST_VERSION
    conn = sqlite3.connect(path)
    versions = [r[0] for r in conn.execute("SELECT version FROM schema_migrations")]
    assert versions == [m[0] for m in MIGRATIONS]


def test_migrates_an_older_database_keeping_its_rows(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    conn = sqlite3.connect(path, isolation_level=None)
    assert migrate(conn, target=1) == 1
    conn.execute(
        "INSERT INTO spot_prices (provider, region, availability_zone, instance_type, os, vcpu, "
        "memory_gb, gpu_count, arch, price_per_hour, observed_at, collected_at) VALUES "
        "('aws','us-east-1','us-east-1a','m5.large','linux',2,8,0,'x86_64',0.035,?,?)",
        (T0.isoformat(), T0.isoformat()),
    )
    conn.close()
    store = SqliteStore(path)
    assert store.info().schema_version == LATEST_VERSION
    [row] = store.current_prices()
    assert row == price()  # source column defaulted to '' by the migration
    assert store.data_version() == 0


def test_a_newer_database_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "future.db"
    SqliteStore(path).close()
    conn = sqlite3.connect(path)
    conn.execute("INSERT INTO schema_migrations VALUES (999, 'future', '2030-01-01')")
    conn.commit()
    conn.close()
    with pytest.raises(StoreError, match="newer than this spotarb supports"):
        SqliteStore(path)


def test_unwritable_location_is_a_clear_error(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(StoreError, match="cannot create database directory"):
        open_store(str(blocker / "sub" / "x.db"))
    with pytest.raises(StoreError, match="cannot open database"):
        open_store(str(tmp_path))  # a directory


@pytest.mark.parametrize(
    ("target", "expected_path"),
    [("sqlite:///rel.db", "rel.db"), ("sqlite:////abs/x.db", "/abs/x.db")],
)
def test_sqlite_urls(target: str, expected_path: str, monkeypatch: pytest.MonkeyPatch,
                     tmp_path: Path) -> None:  # fmt: skip
    monkeypatch.chdir(tmp_path)
    if expected_path.startswith("/"):
        target = f"sqlite:///{tmp_path}/x.db"
        expected_path = f"{tmp_path}/x.db"
    store = open_store(target)
    assert isinstance(store, SqliteStore) and store.path == expected_path


def test_unsupported_urls() -> None:
    with pytest.raises(StoreError, match="unsupported database URL"):
        open_store("mysql://x")


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


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(rows, max_size=30, unique_by=lambda p: p.key))
def test_round_trip_property(batch: list[SpotPrice]) -> None:
    store = SqliteStore(":memory:")
    store.write_rows(to_rows(batch), source="prop")
    got = sorted(store.current_prices(), key=lambda p: p.key)
    assert got == sorted(batch, key=lambda p: p.key)
    assert store.info().history_rows == len(batch)
    store.close()
