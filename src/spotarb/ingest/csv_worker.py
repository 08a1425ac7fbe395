"""The second process of a big CSV import: ``python -m spotarb.ingest.csv_worker``.

It reads one marshalled ``(names, now, path, offset, stage)`` from stdin, runs
the fast path of :mod:`spotarb.ingest.dataio` over the file ``path`` from byte
``offset`` (the start of a record) to its end. Its stdout carries two messages,
each an 8-byte length and that many bytes: once every row is valid, their count
(so the parent can go on); after it has written the rows to the staging file
``stage`` (:mod:`spotarb.ingest.staging`), their keys, marshalled. Then it exits 0.
Exit status 3 means a row was declined: the parent then reads the whole file
row by row and reports the bad rows by line number.
"""

from __future__ import annotations

import gc
import marshal
import sys
from datetime import datetime
from pathlib import Path
from typing import BinaryIO

from spotarb.core.rows import row_key
from spotarb.ingest.dataio import CsvWorker, _BulkRejected, _parse_csv_part
from spotarb.ingest.staging import write_stage


def send(out: BinaryIO, message: bytes) -> None:
    out.write(len(message).to_bytes(8, "little"))
    out.write(message)
    out.flush()


def main() -> int:
    gc.disable()  # short-lived, builds many small acyclic objects (see spotarb.core.gc_pause)
    names, now, path, offset, stage = marshal.loads(sys.stdin.buffer.read())
    try:
        rows = _parse_csv_part(Path(path), offset, names, datetime.fromisoformat(now))
    except _BulkRejected:
        return CsvWorker.DECLINED
    out = sys.stdout.buffer
    send(out, len(rows).to_bytes(8, "little"))  # valid: the parent goes on with its own rows
    write_stage(Path(stage), rows)
    send(out, marshal.dumps(list(map(row_key, rows)), 4))
    return 0


if __name__ == "__main__":
    sys.exit(main())
