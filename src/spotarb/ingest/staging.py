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
from functools import partial
from pathlib import Path
from typing import Final, Protocol

from spotarb.core.models import PriceKey
from spotarb.core.rows import PRICE_COLUMNS, SELECT_PRICE_COLUMNS, Row, row_key

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


class StageWriter(Protocol):
    """What is writing a staging file (the CSV worker process)."""

    def finish(self) -> list[PriceKey] | None:
        """Wait until every row is in the file; their keys, or None if the writer failed."""
        ...

    def reparse(self) -> list[Row]:
        """The same rows, made in this process (when the writer failed)."""
        ...

    def close(self) -> None:
        """Stop writing if it still does, and delete the file."""
        ...


class StagedRows:
    """Validated rows that a worker process is writing, or has written, to a staging file.

    Its length is known as soon as the worker has validated the rows; the rows and
    their keys once it has finished (:meth:`finished` waits for that). A worker can
    still fail while writing: then its rows are made again in this process (they are
    known to be valid) and held in memory. The file is deleted, and a worker still
    running stopped, when this object is dropped, or at exit.
    """

    __slots__ = ("__weakref__", "_close", "_count", "_keys", "_rows", "_writer", "path")

    def __init__(
        self,
        path: Path,
        count: int,
        *,
        writer: StageWriter | None = None,
        keys: list[PriceKey] | None = None,
    ) -> None:
        """``path`` holds ``count`` rows, or will once ``writer`` finishes.

        Without a writer the file is complete and ``keys`` are its rows' keys.
        """
        if writer is None and (keys is None or len(keys) != count):
            raise ValueError("a complete staging file needs the keys of its rows")
        self.path = path
        self._count = count
        self._writer = writer
        self._keys = keys
        self._rows: list[Row] | None = None  # made here: the writer failed
        self._close = weakref.finalize(self, writer.close if writer else partial(_remove, path))

    def __len__(self) -> int:
        return self._count

    def _settle(self) -> list[PriceKey]:
        if self._keys is None:
            assert self._writer is not None
            keys = self._writer.finish()
            if keys is None:
                self._rows = self._writer.reparse()
                keys = list(map(row_key, self._rows))
            self._keys = keys
        return self._keys

    @property
    def keys(self) -> list[PriceKey]:
        """The rows' keys, in order (waits for the writer)."""
        return self._settle()

    def finished(self) -> bool:
        """Wait for the writer; whether every row is in the file (else they are in memory)."""
        self._settle()
        return self._rows is None

    def load(self) -> list[Row]:
        """The rows, in the order they were staged."""
        if not self.finished():
            assert self._rows is not None
            return self._rows
        conn = sqlite3.connect(f"{self.path.as_uri()}?mode=ro", uri=True)
        try:
            rows: list[Row] = conn.execute(
                f"SELECT {SELECT_PRICE_COLUMNS} FROM {STAGE_TABLE} ORDER BY rowid"
            ).fetchall()
        finally:
            conn.close()
        return rows

    def discard(self) -> None:
        """Stop the writer if it still runs and delete the file (also done when dropped)."""
        self._close()

    def __repr__(self) -> str:
        return f"StagedRows({len(self)} rows in {self.path})"
