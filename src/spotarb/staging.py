"""Rows parked in a SQLite file by another process: the worker's half of a big CSV import.

Sending 100,000 rows back to the parent costs it twice: unmarshalling them, then
binding 19 values a row into the upsert (~4 µs a row from Python). Written to a
staging file instead, the rows cost the parent nothing until the SQLite store
merges them with one ``INSERT … SELECT`` run entirely in C (~2 µs a row), while
the worker does the writing on the other core. Any other reader loads them back
as rows (:meth:`StagedRows.load`); SQLite gives back exactly the values stored
(the table declares no column types, so nothing is converted on the way).

The file is a scratch file: no journal, no fsync, deleted when its
:class:`StagedRows` is dropped (or at exit).
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import tempfile
import weakref
from collections.abc import Iterable
from pathlib import Path
from typing import Final

from spotarb.models import PriceKey
from spotarb.rows import PRICE_COLUMNS, SELECT_PRICE_COLUMNS, Row

#: The table a staging file holds its rows in, in :data:`PRICE_COLUMNS` order.
STAGE_TABLE: Final = "staged_rows"

_INSERT: Final = f"INSERT INTO {STAGE_TABLE} VALUES ({', '.join('?' for _ in PRICE_COLUMNS)})"


def reserve_stage_file() -> Path:
    """A new empty file for a worker to stage rows in (the caller deletes it)."""
    handle, name = tempfile.mkstemp(prefix="spotarb-stage-", suffix=".db")
    os.close(handle)
    return Path(name)


def write_stage(path: Path, rows: Iterable[Row]) -> None:
    """Store validated rows in ``path`` (an empty file), in order."""
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        conn.execute("PRAGMA journal_mode=OFF")  # a scratch file: a crash just loses it
        conn.execute("PRAGMA synchronous=OFF")
        conn.execute("BEGIN")
        conn.execute(f"CREATE TABLE {STAGE_TABLE} ({SELECT_PRICE_COLUMNS})")
        conn.executemany(_INSERT, rows)
        conn.execute("COMMIT")
    finally:
        conn.close()


def _remove(path: Path) -> None:
    with contextlib.suppress(OSError):
        path.unlink()


class StagedRows:
    """Validated rows in a staging file owned by this process.

    ``keys`` are the rows' keys in order (sent back by the worker, so duplicate
    keys can be found without reading the file). The file is deleted when this
    object is dropped, or at exit.
    """

    __slots__ = ("__weakref__", "_remove", "keys", "path")

    def __init__(self, path: Path, keys: list[PriceKey]) -> None:
        self.path = path
        self.keys = keys
        self._remove = weakref.finalize(self, _remove, path)

    def __len__(self) -> int:
        return len(self.keys)

    def load(self) -> list[Row]:
        """The rows, read back into memory in the order they were staged."""
        conn = sqlite3.connect(f"{self.path.as_uri()}?mode=ro", uri=True)
        try:
            rows: list[Row] = conn.execute(
                f"SELECT {SELECT_PRICE_COLUMNS} FROM {STAGE_TABLE} ORDER BY rowid"
            ).fetchall()
        finally:
            conn.close()
        return rows

    def discard(self) -> None:
        """Delete the file now (it is also deleted when this object is dropped)."""
        self._remove()

    def __repr__(self) -> str:
        return f"StagedRows({len(self)} rows in {self.path})"
