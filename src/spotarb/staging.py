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
from collections.abc import Callable, Iterable
from functools import partial
from pathlib import Path
from typing import Final

from spotarb.errors import DataFileError
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
    """Validated rows that a worker process is writing, or has written, to a staging file.

    ``keys`` are the rows' keys in order: the worker sends them as soon as its rows
    are validated, before it writes them, so duplicate keys can be found (and this
    process can get on with its own rows) without waiting for the file.

    ``finish`` waits for the file to be complete and says whether it is (a worker
    can still fail writing it); if not, ``reparse`` makes the same rows here.
    ``close`` stops the worker if need be and deletes the file; it runs when this
    object is dropped, or at exit. Without them the file is taken as complete.
    """

    __slots__ = ("__weakref__", "_close", "_finish", "_finished", "_reparse", "keys", "path")

    def __init__(
        self,
        path: Path,
        keys: list[PriceKey],
        *,
        finish: Callable[[], bool] | None = None,
        reparse: Callable[[], list[Row]] | None = None,
        close: Callable[[], None] | None = None,
    ) -> None:
        self.path = path
        self.keys = keys
        self._finish = finish
        self._reparse = reparse
        self._finished: bool | None = None if finish else True
        self._close = weakref.finalize(self, close or partial(_remove, path))

    def __len__(self) -> int:
        return len(self.keys)

    def finished(self) -> bool:
        """Wait until every row is in the file; False if they never will be."""
        if self._finished is None:
            assert self._finish is not None
            self._finished = self._finish()
        return self._finished

    def load(self) -> list[Row]:
        """The rows, in the order they were staged (made here if the file was not finished)."""
        if not self.finished():
            if self._reparse is None:
                raise DataFileError(f"the staging file {self.path} was not completed")
            return self._reparse()
        conn = sqlite3.connect(f"{self.path.as_uri()}?mode=ro", uri=True)
        try:
            rows: list[Row] = conn.execute(
                f"SELECT {SELECT_PRICE_COLUMNS} FROM {STAGE_TABLE} ORDER BY rowid"
            ).fetchall()
        finally:
            conn.close()
        return rows

    def discard(self) -> None:
        """Stop the worker if it still runs and delete the file (also done when dropped)."""
        self._close()

    def __repr__(self) -> str:
        return f"StagedRows({len(self)} rows in {self.path})"
