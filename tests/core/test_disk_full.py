"""A full disk says so, and the store keeps what it held.

Three ways to fill it: a real 1 MiB tmpfs (needs root to mount; skipped otherwise),
SQLite's own size cap (``PRAGMA max_page_count`` makes SQLite answer SQLITE_FULL, the
code a full disk gives, on any machine), and ``/dev/full`` for an export file.
"""

from __future__ import annotations

import contextlib
import gc
import os
import shutil
import sqlite3
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from spotarb.cli import app
from spotarb.core.errors import DiskFullError
from spotarb.core.models import SpotPrice
from spotarb.core.rows import to_rows
from spotarb.store.sqlite import SqliteStore

runner = CliRunner()

HEADER = (
    "provider,region,availability_zone,instance_type,vcpu,memory_gb,price_per_hour,observed_at\n"
)
GOOD = HEADER + "aws,us-east-1,us-east-1a,m5.large,2,8,0.035,2026-11-01T12:00:00Z\n"


def big_csv(path: Path, rows: int) -> Path:
    lines = [
        f"aws,us-east-1,us-east-1a,m{i}.large,2,8,{0.01 + i / 1e6:.6f},2026-11-01T12:00:00Z"
        for i in range(rows)
    ]
    path.write_text(HEADER + "\n".join(lines) + "\n")
    return path


def snapshot(db: Path) -> tuple[str, list[tuple[object, ...]], int]:
    """Integrity check, current rows and history count, read with plain sqlite3."""
    conn = sqlite3.connect(db)
    try:
        check = conn.execute("PRAGMA integrity_check").fetchone()[0]
        rows = conn.execute("SELECT * FROM spot_prices ORDER BY instance_type").fetchall()
        history = conn.execute("SELECT COUNT(*) FROM price_history").fetchone()[0]
    finally:
        conn.close()
    return check, rows, history


def run_cli(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A 1 MiB tmpfs mounted for this test (root only)."""
    mount = tmp_path / "disk"
    mount.mkdir()
    if os.geteuid() != 0 or shutil.which("mount") is None:
        pytest.skip("mounting a small tmpfs needs root; test_sqlite_full_* covers SQLITE_FULL")
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(mount)],
        capture_output=True,
        check=False,
    )
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.decode().strip()}")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


def test_an_import_that_fills_the_disk_says_so_and_keeps_the_store(
    tmp_path: Path, small_disk: Path
) -> None:
    db = small_disk / "spotarb.db"
    (tmp_path / "good.csv").write_text(GOOD)
    assert run_cli("import", str(tmp_path / "good.csv"), "--db", str(db))[0] == 0
    before = snapshot(db)
    assert before[0] == "ok" and len(before[1]) == 1

    code, out, err = run_cli("import", str(big_csv(tmp_path / "big.csv", 20_000)), "--db", str(db))
    assert code == 1, out
    assert f"no space left on device: cannot write database {db}" in err
    assert "(database or disk is full)" in err  # SQLite's own word for it
    assert "rollback" not in err and "Traceback" not in err
    assert snapshot(db) == before

    # With the disk full to the last byte, even opening the store (SQLite grows its
    # WAL index) fails: that says so too, and changes nothing.
    gc.collect()  # close the CLI's connections: the last one to close removes the WAL index
    assert sorted(p.name for p in small_disk.iterdir()) == ["spotarb.db"]
    filler = small_disk / "filler"
    with contextlib.suppress(OSError), filler.open("wb", buffering=0) as out:
        while True:
            out.write(b"\0" * 65536)
    assert shutil.disk_usage(small_disk).free < 65536
    code, _, err = run_cli("prices", "--db", str(db))
    assert code == 1
    assert f"no space left on device: cannot open database {db}" in err
    filler.unlink()
    assert snapshot(db) == before


def _prices(n: int, price: float) -> list[SpotPrice]:
    return [
        SpotPrice(
            provider="aws",
            region="us-east-1",
            instance_type=f"m{i}.large",
            vcpu=2.0,
            memory_gb=8.0,
            price_per_hour=price + i / 1e6,
        )
        for i in range(n)
    ]


class CappedStore(SqliteStore):
    """A store whose database may not grow past ``pages`` pages (SQLite reports SQLITE_FULL)."""

    pages = 0

    def _connect(self) -> sqlite3.Connection:
        conn = super()._connect()
        if self.pages:
            conn.execute(f"PRAGMA max_page_count={self.pages}")
        return conn


def test_sqlite_full_is_reported_as_no_space_and_nothing_is_written(tmp_path: Path) -> None:
    path = tmp_path / "s.db"
    store = SqliteStore(path)
    store.write_rows(to_rows(_prices(10, 0.1)), source="seed")
    before = (store.current_rows(), store.info().history_rows, store.data_version())
    pages = sqlite3.connect(path).execute("PRAGMA page_count").fetchone()[0]
    store.close()

    CappedStore.pages = pages + 4
    capped = CappedStore(path)
    with pytest.raises(DiskFullError) as info:
        capped.write_rows(to_rows(_prices(20_000, 0.2)), source="big")
    assert str(info.value).startswith(f"no space left on device: cannot write database {path}")
    assert "database or disk is full" in str(info.value)
    assert (capped.current_rows(), capped.info().history_rows, capped.data_version()) == before
    # The connection is usable afterwards: a batch that fits is written.
    capped.write_rows(to_rows(_prices(1, 0.3)), source="small")
    assert [r[12] for r in capped.current_rows() if r[3] == "m0.large"] == [0.3]
    capped.close()
    assert sqlite3.connect(path).execute("PRAGMA integrity_check").fetchone()[0] == "ok"


def test_sqlite_full_while_creating_a_database_is_reported_as_no_space(tmp_path: Path) -> None:
    CappedStore.pages = 2  # too small for the schema
    with pytest.raises(DiskFullError, match="no space left on device: cannot open database"):
        CappedStore(tmp_path / "new.db")


def test_export_to_a_full_device_says_so(tmp_path: Path) -> None:
    if not Path("/dev/full").exists():
        pytest.skip("no /dev/full on this system")
    db = tmp_path / "s.db"
    (tmp_path / "good.csv").write_text(GOOD)
    assert run_cli("import", str(tmp_path / "good.csv"), "--db", str(db))[0] == 0
    result = runner.invoke(app, ["export", "--output", "/dev/full", "--db", str(db)])
    assert result.exit_code == 1
    assert "no space left on device: cannot write /dev/full" in result.stderr
