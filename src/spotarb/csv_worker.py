"""The second process of a big CSV import: ``python -m spotarb.csv_worker``.

It reads one marshalled ``(names, now, path, offset, stage)`` from stdin, runs
the fast path of :mod:`spotarb.dataio` over the file ``path`` from byte
``offset`` (the start of a record) to its end, writes the rows to the staging
file ``stage`` (:mod:`spotarb.staging`) and writes their keys, marshalled, to
stdout. Exit status 3 means a row was declined: the parent
then reads the whole file row by row and reports the bad rows by line number.
"""

from __future__ import annotations

import gc
import marshal
import sys
from datetime import datetime
from pathlib import Path

from spotarb.dataio import CsvWorker, _BulkRejected, parse_csv_text
from spotarb.rows import row_key
from spotarb.staging import write_stage


def main() -> int:
    gc.disable()  # short-lived, builds many small acyclic objects (see spotarb._gc)
    names, now, path, offset, stage = marshal.loads(sys.stdin.buffer.read())
    with open(path, "rb") as handle:
        handle.seek(offset)
        text = handle.read().decode()
    try:
        rows = parse_csv_text(text, names, datetime.fromisoformat(now)).rows
    except _BulkRejected:
        return CsvWorker.DECLINED
    write_stage(Path(stage), rows)
    sys.stdout.buffer.write(marshal.dumps(list(map(row_key, rows)), 4))
    return 0


if __name__ == "__main__":
    sys.exit(main())
