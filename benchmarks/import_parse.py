"""Parse-and-validate CPU time of ``parse_file`` on the 200,000-row file of store_import.py.

Only the reading side of an import (no store), so two versions of the parser can be
compared side by side on a shared machine: CPU time, min and median of ``--repeat`` runs.

    uv run python benchmarks/import_parse.py [--rows 200000] [--repeat 5]
"""

from __future__ import annotations

import argparse
import gc
import os
import statistics
import tempfile
import time
from pathlib import Path

import spotarb
from spotarb.ingest.dataio import parse_file
from store_import import make_csv


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "rows.csv"
        make_csv(path, args.rows)
        times: list[float] = []
        for _ in range(args.repeat):
            cpu = time.process_time()
            parsed = parse_file(path)
            times.append(time.process_time() - cpu)
            assert len(parsed.prices) == args.rows and not parsed.errors
            del parsed
            gc.collect()
    print(
        f"{Path(spotarb.__file__).parents[2]}: parse+validate {args.rows} rows, CPU "
        f"min {min(times):.3f} s, median {statistics.median(times):.3f} s "
        f"(load average {os.getloadavg()[0]:.1f})"
    )


if __name__ == "__main__":
    main()
