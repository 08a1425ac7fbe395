"""``kill -9`` of a running ``spotarb import`` leaves no files behind and the store intact.

A real process on a real file: killed while it parses, and while it writes (its WAL
growing). Afterwards the temp directory is empty, the database directory holds the
database and at most its WAL/SHM, the store reads as before the import, and the next
import works.
"""

from __future__ import annotations

import gc
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from spotarb.cli import app

runner = CliRunner()

HEADER = "provider,region,availability_zone,instance_type,vcpu,memory_gb,price_per_hour,observed_at"
ROWS = 150_000  # over 8 MiB: the size at which an earlier import started a worker


@pytest.fixture(scope="module")
def big_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("data") / "big.csv"
    lines = [
        f"aws,us-east-1,us-east-1a,m{i}.large,2,8,{0.01 + i / 1e7:.7f},2026-11-01T12:00:00Z"
        for i in range(ROWS)
    ]
    path.write_text(HEADER + "\n" + "\n".join(lines) + "\n")
    return path


def spotarb(*args: str, tmp: Path) -> subprocess.Popen[bytes]:
    env = os.environ | {"TMPDIR": str(tmp), "TEMP": str(tmp), "TMP": str(tmp)}
    return subprocess.Popen(
        [sys.executable, "-m", "spotarb", *args],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


def has_open(pid: int, path: Path) -> bool:
    """Whether the process holds ``path`` open (it is reading the file)."""
    try:
        return any(os.readlink(fd) == str(path) for fd in Path(f"/proc/{pid}/fd").iterdir())
    except OSError:  # the process ended, or a descriptor closed while we looked
        return False


def contents(db: Path) -> tuple[str, list[tuple[object, ...]], int, int]:
    conn = sqlite3.connect(db)
    try:
        return (
            conn.execute("PRAGMA integrity_check").fetchone()[0],
            conn.execute("SELECT * FROM spot_prices ORDER BY instance_type").fetchall(),
            conn.execute("SELECT COUNT(*) FROM price_history").fetchone()[0],
            conn.execute("SELECT COUNT(*) FROM collection_runs").fetchone()[0],
        )
    finally:
        conn.close()


@pytest.mark.skipif(not Path("/proc/self/fd").exists(), reason="watches the process in /proc")
@pytest.mark.parametrize("phase", ["parsing", "writing"])
def test_a_killed_import_leaves_nothing_behind(tmp_path: Path, big_file: Path, phase: str) -> None:
    scratch, data_dir = tmp_path / "tmp", tmp_path / "data"
    scratch.mkdir()
    data_dir.mkdir()
    db = data_dir / "spotarb.db"
    seed = tmp_path / "seed.csv"
    seed.write_text(HEADER + "\naws,us-east-1,us-east-1a,seed.large,2,8,0.5,2026-11-01T00:00:00Z\n")
    assert runner.invoke(app, ["import", str(seed), "--db", str(db)]).exit_code == 0
    gc.collect()  # close the in-process connections
    before = contents(db)
    assert before[0] == "ok" and len(before[1]) == 1

    proc = spotarb("import", str(big_file), "--db", str(db), tmp=scratch)
    wal = data_dir / "spotarb.db-wal"
    deadline = time.monotonic() + 120
    while proc.poll() is None and time.monotonic() < deadline:
        if phase == "parsing" and has_open(proc.pid, big_file):
            time.sleep(0.05)
            break  # reading the file (it is closed before the store is opened)
        if phase == "writing" and wal.exists() and wal.stat().st_size > 2_000_000:
            break  # inside the write transaction: the WAL holds uncommitted pages
        time.sleep(0.005)
    os.kill(proc.pid, signal.SIGKILL)
    assert proc.wait(timeout=30) == -signal.SIGKILL, "the import finished before it was killed"
    if phase == "writing":
        assert wal.exists()

    assert list(scratch.iterdir()) == []
    assert {p.name for p in data_dir.iterdir()} <= {
        "spotarb.db",
        "spotarb.db-wal",
        "spotarb.db-shm",
    }
    assert contents(db) == before  # nothing of the killed import is visible
    # The next import recovers the WAL and writes.
    seed.write_text(seed.read_text().replace(",0.5,2026-11-01T00", ",0.6,2026-11-02T00"))
    assert runner.invoke(app, ["import", str(seed), "--db", str(db)]).exit_code == 0
    gc.collect()
    check, rows, history, runs = contents(db)
    assert (check, len(rows), rows[0][12], history, runs) == ("ok", 1, 0.6, 2, 2)
