"""The second process of a big CSV import: ``python -m spotarb.csv_worker``.

It reads one marshalled ``(names, now, path, offset, stage)`` from stdin, runs
the fast path of :mod:`spotarb.dataio` over the file ``path`` from byte
``offset`` (the start of a record) to its end. Once every row is valid it
writes their keys to stdout (an 8-byte length, then the marshalled list), then
the rows to the staging file ``stage`` (:mod:`spotarb.staging`), and exits 0.
Exit status 3 means a row was declined: the parent then reads the whole file
row by row and reports the bad rows by line number.
"""

from __future__ import annotations

import gc
import marshal
import sys
from datetime import datetime
from pathlib import Path

from spotarb.dataio import CsvWorker, _BulkRejected, _parse_csv_part
from spotarb.rows import row_key
from spotarb.staging import write_stage


def main() -> int:
    gc.disable()  # short-lived, builds many small acyclic objects (see spotarb._gc)
    names, now, path, offset, stage = marshal.loads(sys.stdin.buffer.read())
    try:
        rows = _parse_csv_part(Path(path), offset, names, datetime.fromisoformat(now))
    except _BulkRejected:
        return CsvWorker.DECLINED
    keys = marshal.dumps(list(map(row_key, rows)), 4)
    out = sys.stdout.buffer
    out.write(len(keys).to_bytes(8, "little"))
    out.write(keys)
    out.flush()  # the parent goes on with its own rows while these are staged
    write_stage(Path(stage), rows)
    return 0


if __name__ == "__main__":
    sys.exit(main())
