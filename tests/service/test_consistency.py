"""Readers see the old snapshot or the new one, never a mix; a killed writer loses nothing."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from spotarb.serving.service import Service
from spotarb.store.sqlite import SqliteStore
from tests.service.conftest import row, write

ROOT = Path(__file__).resolve().parents[2]


def _batch(n: int, price: float) -> list[Any]:
    return [
        row(
            instance_type=f"x{i}.large",
            availability_zone=f"us-east-1{'abcdef'[i % 6]}",
            price_per_hour=price + (i % 7) * 1e-6,
        )
        for i in range(n)
    ]


def test_placements_during_a_large_write_see_old_or_new_never_a_mix(
    make_service: Callable[..., Service], make_client: Callable[..., Any]
) -> None:
    service = make_service()
    write(service, "aws", _batch(20000, 1.0))
    client = make_client(service)
    old_version = service.state.version
    done = threading.Event()

    def writer() -> None:
        write(service, "aws", _batch(20000, 2.0))
        done.set()

    thread = threading.Thread(target=writer)
    thread.start()
    during = 0
    n = 0
    while not done.is_set() or n < 3:
        n += 1
        body = client.post(
            "/v1/placements",
            json={"strategy": "lowest-price", "alternatives": 20, "minCPU": n % 2 + 1},
        ).json()
        prices = {round(body["pricePerHour"])} | {
            round(a["pricePerHour"]) for a in body["alternatives"]
        }
        assert len(prices) == 1, f"mixed snapshot: {prices}"
        assert (prices == {1}) == (body["dataVersion"] == old_version)
        page = client.get("/v1/prices", params={"limit": 1000, "sort": "-pricePerHour"}).json()
        page_prices = {round(p["pricePerHour"]) for p in page["prices"]}
        assert len(page_prices) == 1 and page["total"] == 20000
        if not done.is_set():
            during += 1
    thread.join()
    assert during > 0  # requests really were served while the batch was being written
    final = client.post("/v1/placements", json={"strategy": "lowest-price"}).json()
    assert round(final["pricePerHour"]) == 2 and final["dataVersion"] > old_version


WRITER = textwrap.dedent(
    """
    import sys
    from datetime import UTC, datetime
    from spotarb.ingest.aggregator import Aggregator
    from spotarb.feeds.base import FeedResult
    from spotarb.core.models import SpotPrice
    from spotarb.store.sqlite import SqliteStore

    class Slow(SqliteStore):
        def _after_chunk(self, written):
            print("chunk", flush=True)

    now = datetime.now(UTC)
    rows = [SpotPrice("aws", "us-east-1", f"x{i}.large", 2.0, 8.0, 9.0, observed_at=now,
                      collected_at=now) for i in range(400000)]
    Aggregator(Slow(sys.argv[1])).apply(FeedResult(feed="aws", prices=rows))
    print("committed", flush=True)
    """
)


def test_killing_the_writer_mid_batch_loses_nothing_committed(tmp_path: Path) -> None:
    db = tmp_path / "kill.db"
    store = SqliteStore(db)
    from spotarb.feeds.base import FeedResult
    from spotarb.ingest.aggregator import Aggregator

    Aggregator(store).apply(FeedResult(feed="aws", prices=_batch(500, 1.0)))
    version = store.data_version()
    store.close()
    proc = subprocess.Popen(
        [sys.executable, "-c", WRITER, str(db)],
        stdout=subprocess.PIPE,
        text=True,
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT / "src")},
    )
    assert proc.stdout is not None
    for _ in range(5):  # let a few chunks of the 400k-row batch into the open transaction
        assert proc.stdout.readline().strip() == "chunk"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(10)
    assert proc.returncode == -signal.SIGKILL
    reopened = SqliteStore(db)
    rows = reopened.current_prices()
    assert len(rows) == 500 and {round(r.price_per_hour) for r in rows} == {1}
    assert reopened.data_version() == version
    assert [r.status for r in reopened.runs()] == ["ok"]
    conn = reopened._conn()
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    reopened.close()
