"""PostgreSQL store: batch writes, snapshot load and change-notification lag, beside SQLite.

Each repeat writes 200,000 rows into an empty store (first write), then the same rows
again (unchanged: no history may be added), and reads 100,000 current rows back (what
the service's snapshot builder loads), on PostgreSQL and on SQLite in the same run.
The row "pg merge path" is PostgreSQL made to take the general ``ON CONFLICT`` merge
for its first write too (how every first write went before empty tables got plain
inserts), side by side.
Then 100 commits on one connection are timed until a second store's change watcher
(LISTEN/NOTIFY, poll fallback set to 30 s so only notifications count) calls back.

Needs the local PostgreSQL server (127.0.0.1:5432, user postgres, trust); it creates a
database of its own and drops it.

    uv run python benchmarks/postgres_store.py [--rows 200000] [--read-rows 100000] [--repeat 3]
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import tempfile
import threading
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import psycopg

from spotarb.core.rows import Row
from spotarb.serving.notify import ChangeWatcher
from spotarb.store.base import PriceStore
from spotarb.store.postgres import Conn, PostgresStore
from spotarb.store.sqlite import SqliteStore

ADMIN = "postgresql://postgres@127.0.0.1:5432/postgres"
REGIONS = ["us-east-1", "us-west-2", "eu-west-1", "eastus", "westeurope", "us-central1"]


class MergePathStore(PostgresStore):
    """A PostgreSQL store that never sees an empty table: every write takes the merge."""

    @staticmethod
    def _empty_tables(conn: Conn) -> tuple[bool, bool]:
        return False, False


def make_rows(count: int, seed: int = 7) -> list[Row]:
    rng = random.Random(seed)
    now = datetime(2026, 11, 28, tzinfo=UTC).isoformat()
    rows: list[Row] = []
    for i in range(count):
        provider = ("aws", "azure", "gcp")[i % 3]
        vcpu = float(rng.choice([2, 4, 8, 16, 32, 64, 96]))
        gpus = rng.choice([0, 0, 0, 0, 1, 4, 8])
        price = round(vcpu * rng.uniform(0.008, 0.03) + gpus * rng.uniform(0.3, 3), 6)
        rows.append(
            (provider, rng.choice(REGIONS), "", f"type-{i}", "linux", vcpu, vcpu * 4, gpus,
             "nvidia-a100" if gpus else None, 40.0 if gpus else None, "x86_64", 10.0, price,
             round(price * 3, 6), rng.choice([None, 0.05, 0.1, 0.2]), "bench", "bench", now, now)
        )  # fmt: skip
    return rows


def timed(step: Callable[[], object]) -> float:
    began = time.perf_counter()
    step()
    return time.perf_counter() - began


def write_twice(store: PriceStore, rows: list[Row]) -> tuple[float, float]:
    """(first write, unchanged rewrite) of ``rows`` into an empty store."""
    first = timed(lambda: store.write_rows(rows, source="bench"))
    history = store.info().history_rows
    unchanged = timed(lambda: store.write_rows(rows, source="bench"))
    assert store.info().history_rows == history, "an unchanged batch added history"
    store.close()
    return first, unchanged


def read_back(store: PriceStore, rows: list[Row]) -> float:
    """Seconds to load every current row (what the snapshot builder reads)."""
    store.write_rows(rows, source="bench")
    got: list[Row] = []
    seconds = timed(lambda: got.extend(store.current_rows()))
    assert len(got) == len(rows)
    store.close()
    return seconds


def notification_lags(url: str, commits: int) -> list[float]:
    writer, reader = PostgresStore(url), PostgresStore(url)
    seen: dict[int, float] = {}
    arrived = threading.Condition()

    def on_change() -> None:
        version = reader.data_version()
        with arrived:
            seen.setdefault(version, time.perf_counter())
            arrived.notify_all()

    watcher = ChangeWatcher(reader, on_change, poll_seconds=30.0)
    watcher.start()
    while not watcher.listening:
        time.sleep(0.01)
    base = make_rows(1)[0]
    lags: list[float] = []
    for i in range(commits):
        row = (*base[:12], 0.01 + i / 1e4, *base[13:])
        writer.write_rows([row], source="bench")
        committed = time.perf_counter()
        version = writer.data_version()
        with arrived:
            assert arrived.wait_for(lambda v=version: v in seen, timeout=10), "no notification"
        lags.append(seen[version] - committed)
    watcher.stop()
    writer.close()
    reader.close()
    return lags


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--read-rows", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--commits", type=int, default=100)
    args = parser.parse_args()
    rows, read_rows = make_rows(args.rows), make_rows(args.read_rows, seed=9)
    database = f"spotarb_bench_{uuid.uuid4().hex[:8]}"
    base = f"postgresql://postgres@127.0.0.1:5432/{database}"
    with psycopg.connect(ADMIN, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{database}"')
    schemas = 0

    def new_pg(kind: type[PostgresStore]) -> PostgresStore:
        nonlocal schemas
        schemas += 1
        with psycopg.connect(base, autocommit=True) as conn:
            conn.execute(f"CREATE SCHEMA s{schemas}")
        return kind(f"{base}?options=-csearch_path%3Ds{schemas}")

    timings: dict[str, list[tuple[float, float, float]]] = {
        "postgresql": [], "pg merge path": [], "sqlite": []
    }  # fmt: skip
    try:
        with tempfile.TemporaryDirectory() as tmp:
            for attempt in range(args.repeat):
                # Side by side in each repeat, so both see the same machine load; the two
                # PostgreSQL variants swap places each repeat (the later one pays for the
                # earlier one's dirty buffers and WAL).
                kinds = [("postgresql", PostgresStore), ("pg merge path", MergePathStore)]
                for name, kind in kinds[:: -1 if attempt % 2 else 1]:
                    pg = (*write_twice(new_pg(kind), rows), read_back(new_pg(kind), read_rows))
                    timings[name].append(pg)
                lite = (
                    *write_twice(SqliteStore(Path(tmp) / f"w{attempt}.db"), rows),
                    read_back(SqliteStore(Path(tmp) / f"r{attempt}.db"), read_rows),
                )
                timings["sqlite"].append(lite)
        lags = notification_lags(f"{base}?options=-csearch_path%3Ds1", args.commits)
    finally:
        with psycopg.connect(ADMIN, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
    print(f"first/unchanged write of {args.rows:,} rows, load of {args.read_rows:,} rows; "
          f"median of {args.repeat}; load average {os.getloadavg()[0]:.1f}")  # fmt: skip
    print(f"{'':13} {'first write':>12} {'unchanged':>12} {'load':>10}")
    medians: dict[str, list[float]] = {}
    for name, runs in timings.items():
        medians[name] = [statistics.median(r[i] for r in runs) for i in range(3)]
        first, unchanged, read = medians[name]
        print(f"{name:13} {first:11.2f}s {unchanged:11.2f}s {read:9.2f}s")
    ratio = [p / s for p, s in zip(medians["postgresql"], medians["sqlite"], strict=True)]
    print(f"{'pg / sqlite':13} {ratio[0]:11.2f}x {ratio[1]:11.2f}x {ratio[2]:9.2f}x")
    best = {name: min(r[0] for r in runs) for name, runs in timings.items()}
    print("best first write: " + ", ".join(f"{name} {s:.2f}s" for name, s in best.items()))
    plain = medians["postgresql"][0] / medians["pg merge path"][0]
    print(f"first write, plain insert / merge path: {plain:.2f}x (medians)")
    print(
        f"notification lag over {len(lags)} commits: p50 {percentile(lags, 0.5) * 1000:.1f} ms, "
        f"p99 {percentile(lags, 0.99) * 1000:.1f} ms, max {max(lags) * 1000:.1f} ms "
        "(writer's commit returned → a second store's watcher read the new version)"
    )


if __name__ == "__main__":
    main()
