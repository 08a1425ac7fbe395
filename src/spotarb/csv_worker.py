"""The second process of a big CSV import: ``python -m spotarb.csv_worker``.

It reads one marshalled ``(names, now, text)`` from stdin, runs the fast path of
:mod:`spotarb.dataio` over ``text`` (whole records, no header) and writes the
marshalled rows to stdout. Exit status 3 means a row was declined: the parent
then reads the whole file row by row and reports the bad rows by line number.
"""

from __future__ import annotations

import gc
import marshal
import sys
from datetime import datetime

from spotarb.dataio import CsvWorker, _BulkRejected, parse_csv_text


def main() -> int:
    gc.disable()  # short-lived, builds many small acyclic objects (see spotarb._gc)
    names, now, text = marshal.loads(sys.stdin.buffer.read())
    try:
        batch = parse_csv_text(text, names, datetime.fromisoformat(now))
    except _BulkRejected:
        return CsvWorker.DECLINED
    sys.stdout.buffer.write(marshal.dumps(batch.rows, 4))
    return 0


if __name__ == "__main__":
    sys.exit(main())
