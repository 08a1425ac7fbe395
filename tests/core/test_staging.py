"""Rows staged in a file (the CSV worker's half of a big import) must store exactly what the
same rows held in memory store: same current rows, history, counts, refusals and atomicity.
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Iterator
from datetime import timedelta
from itertools import count, pairwise
from pathlib import Path

import pytest

from spotarb.core.errors import DuplicateKeyError
from spotarb.core.models import PriceKey, SpotPrice
from spotarb.core.rows import PriceBatch, Row, row_key
from spotarb.ingest.aggregator import Aggregator
from spotarb.ingest.staging import StagedRows, write_stage
from spotarb.store.base import WriteStats
from spotarb.store.sqlite import MAX_ATTACHED_STAGES, SqliteStore
from tests.core.factories import T0, price

_names = count()


def prices(n: int, *, offset: int = 0, **overrides: object) -> list[SpotPrice]:
    return [
        price(
            instance_type=f"m{offset + i}.large",
            price_per_hour=0.01 + (offset + i) / 1000,
            gpu_count=i % 3,
            gpu_type="nvidia-t4" if i % 3 else None,
            interruption_rate=None if i % 2 else 0.05,
            **overrides,
        )
        for i in range(n)
    ]


@pytest.fixture
def stage_dir(tmp_path: Path) -> Path:
    path = tmp_path / "stages"
    path.mkdir()
    return path


def staged(stage_dir: Path, rows: list[SpotPrice]) -> StagedRows:
    """The rows in a staging file, as the CSV worker leaves them."""
    batch_rows = PriceBatch.from_prices(rows).rows
    path = stage_dir / f"stage-{next(_names)}.db"
    write_stage(path, batch_rows)
    return StagedRows(path, len(batch_rows), keys=[row_key(r) for r in batch_rows])


def split_batch(stage_dir: Path, rows: list[SpotPrice], *cuts: int) -> PriceBatch:
    """The rows as a batch held in memory up to the first cut, staged in parts after it."""
    bounds = [*cuts, len(rows)]
    parts = [staged(stage_dir, rows[a:b]) for a, b in pairwise(bounds)]
    return PriceBatch(PriceBatch.from_prices(rows[: cuts[0]]).rows, parts)


@pytest.fixture
def stores(tmp_path: Path) -> Iterator[tuple[SqliteStore, SqliteStore]]:
    held, split = SqliteStore(tmp_path / "held.db"), SqliteStore(tmp_path / "split.db")
    yield held, split
    held.close()
    split.close()


def counts(stats: WriteStats) -> tuple[int, ...]:
    return (stats.rows_seen, stats.inserted, stats.changed, stats.unchanged, stats.history_added)


def state(store: SqliteStore) -> tuple[object, ...]:
    return (store.current_prices(), store.all_history(), store.data_version())


def attached(store: SqliteStore) -> list[str]:
    return [row[1] for row in store._conn().execute("PRAGMA database_list")]


def test_staged_rows_load_back_exactly(stage_dir: Path) -> None:
    rows = prices(50)
    part = staged(stage_dir, rows)
    assert part.load() == PriceBatch.from_prices(rows).rows  # NULLs, ints and floats alike
    assert len(part) == 50 and part.finished()


def test_a_staged_batch_stores_what_the_same_rows_in_memory_store(
    stores: tuple[SqliteStore, SqliteStore], stage_dir: Path
) -> None:
    held, split = stores
    first = prices(40)
    later = T0 + timedelta(minutes=5)
    changed = list(first)
    changed[3] = price(instance_type="m3.large", price_per_hour=9.0, observed_at=later)  # held
    changed[33] = price(instance_type="m33.large", price_per_hour=8.0, observed_at=later)  # staged
    changed[35] = price(  # staged, same price, other details: rewritten, no history
        instance_type="m35.large", price_per_hour=0.045, vcpu=64, interruption_rate=0.2
    )
    new_keys = prices(5, offset=100)
    for batch in (first, first, changed, changed + new_keys):
        want = held.write_batch(batch, source="test")
        got = split.write_batch(split_batch(stage_dir, batch, 10, 30), source="test")
        assert counts(got) == counts(want)
        assert state(split) == state(held)
        assert attached(split) == ["main"]  # staging files are detached after the write
    assert counts(want) == (45, 5, 0, 40, 5)
    history = split.history(changed[33].key)
    assert [h.price_per_hour for h in history] == [first[33].price_per_hour, 8.0]


def test_a_duplicate_key_across_parts_is_refused_then_merged(
    stores: tuple[SqliteStore, SqliteStore], stage_dir: Path
) -> None:
    _, split = stores
    rows = prices(20)
    newer = price(instance_type="m2.large", price_per_hour=0.5, observed_at=T0 + timedelta(hours=1))
    batch = split_batch(stage_dir, [*rows, newer], 10)
    with pytest.raises(DuplicateKeyError, match=r"two rows for aws/us-east-1/us-east-1a/m2\.large"):
        split.write_batch(batch, source="test")
    assert split.current_prices() == [] and attached(split) == ["main"]
    report = Aggregator(split).write("import", batch)
    assert report.duplicates == 1 and report.stats.inserted == 20
    assert split.history(newer.key)[-1].price_per_hour == 0.5


def test_a_failure_after_a_merge_leaves_the_previous_state(
    stores: tuple[SqliteStore, SqliteStore], stage_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _, split = stores
    split.write_batch(prices(30), source="test")
    before = (*state(split), split.runs())
    calls: list[int] = []

    def explode(written: int) -> None:
        calls.append(written)
        if len(calls) == 2:  # the held rows are written, the staged part just merged
            raise OSError("disk on fire")

    monkeypatch.setattr(split, "_after_chunk", explode)
    changed = prices(30, source="again") + prices(20, offset=30)
    with pytest.raises(OSError, match="disk on fire"):
        split.write_batch(split_batch(stage_dir, changed, 20), source="test")
    assert calls == [20, 30]
    assert (*state(split), split.runs()) == before
    assert attached(split) == ["main"]


def test_more_staged_parts_than_can_be_attached_are_all_written(
    stores: tuple[SqliteStore, SqliteStore], stage_dir: Path
) -> None:
    held, split = stores
    rows = prices(3 * (MAX_ATTACHED_STAGES + 3) + 2)
    cuts = range(2, len(rows), 3)
    assert counts(split.write_batch(split_batch(stage_dir, rows, *cuts), source="t")) == counts(
        held.write_batch(rows, source="t")
    )
    assert state(split) == state(held)


def test_a_stage_sqlite_will_not_attach_is_bound_instead(
    stores: tuple[SqliteStore, SqliteStore], stage_dir: Path, caplog: pytest.LogCaptureFixture
) -> None:
    held, split = stores
    split._conn().setlimit(sqlite3.SQLITE_LIMIT_ATTACHED, 0)
    rows = prices(30)
    with caplog.at_level(logging.WARNING):
        split.write_batch(split_batch(stage_dir, rows, 10), source="t")
    assert "cannot attach the staging file" in caplog.text
    held.write_batch(rows, source="t")
    assert state(split) == state(held)


class FailingWriter:
    """A worker that validated its rows, then failed while writing its staging file."""

    def __init__(self, rows: list[Row]) -> None:
        self.rows = rows
        self.calls: list[str] = []

    def finish(self) -> list[PriceKey] | None:
        self.calls.append("finish")
        return None

    def reparse(self) -> list[Row]:
        self.calls.append("reparse")
        return self.rows

    def close(self) -> None:
        self.calls.append("close")


def test_an_unfinished_stage_is_made_again(
    stores: tuple[SqliteStore, SqliteStore], stage_dir: Path
) -> None:
    held, split = stores
    rows = prices(30)
    tail = PriceBatch.from_prices(rows[10:]).rows
    writer = FailingWriter(tail)
    part = StagedRows(stage_dir / "never-written.db", len(tail), writer=writer)
    batch = PriceBatch(PriceBatch.from_prices(rows[:10]).rows, [part])
    assert len(batch) == 30  # known before the writer is done
    split.write_batch(batch, source="t")
    held.write_batch(rows, source="t")
    assert state(split) == state(held)
    assert not part.finished() and part.load() == tail
    del batch, part
    assert writer.calls == ["finish", "reparse", "close"]  # once each


def test_a_complete_staging_file_needs_its_keys(stage_dir: Path) -> None:
    with pytest.raises(ValueError, match="needs the keys"):
        StagedRows(stage_dir / "x.db", 3, keys=[("aws", "r", "", "t", "linux")])
