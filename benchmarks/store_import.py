"""Import-and-store throughput: 200,000 normalized rows into SQLite, then the same rows again.

Runs the same path as ``spotarb import`` in one process (parse + validate → aggregator, which
merges repeated keys → one ``write_rows`` call). Targets for 200,000 rows: first import ≤ 3 s,
unchanged re-import ≤ 3 s with zero history growth (asserted).

    uv run python benchmarks/store_import.py [--rows 200000] [--repeat 3]
"""

from __future__ import annotations

import argparse
import csv
import os
import random
import statistics
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from spotarb.core.models import FIELD_NAMES
from spotarb.ingest.aggregator import Aggregator
from spotarb.ingest.dataio import parse_file
from spotarb.store.sqlite import SqliteStore

REGIONS = {
    "aws": [f"{a}-{b}-{n}" for a in ("us", "eu", "ap") for b in ("east", "west") for n in (1, 2)],
    "azure": ["eastus", "eastus2", "westus2", "westeurope", "northeurope", "japaneast"],
    "gcp": ["us-central1", "us-east1", "europe-west4", "asia-east1", "us-west1", "europe-west1"],
}


def make_csv(path: Path, rows: int, seed: int = 7) -> None:
    rng = random.Random(seed)
    now = datetime(2026, 11, 28, tzinfo=UTC).isoformat()
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(FIELD_NAMES)
        for i in range(rows):
            provider = ("aws", "azure", "gcp")[i % 3]
            region = rng.choice(REGIONS[provider])
            zone = f"{region}{'abc'[i % 3]}" if provider == "aws" else ""
            vcpu = rng.choice([2, 4, 8, 16, 32, 64, 96])
            gpus = rng.choice([0, 0, 0, 0, 1, 4, 8])
            price = round(vcpu * rng.uniform(0.008, 0.03) + gpus * rng.uniform(0.3, 3), 6)
            row = {
                "provider": provider, "region": region, "instance_type": f"type-{i}",
                "vcpu": vcpu, "memory_gb": vcpu * 4, "price_per_hour": price,
                "availability_zone": zone, "gpu_count": gpus,
                "gpu_type": "nvidia-a100" if gpus else "", "gpu_memory_gb": 40 if gpus else "",
                "arch": "x86_64", "network_bandwidth_gbps": 10, "os": "linux",
                "on_demand_price_per_hour": round(price * 3, 6),
                "interruption_rate": rng.choice(["", 0.05, 0.1, 0.15, 0.2, 0.25]),
                "interruption_source": "bench", "source": "bench",
                "observed_at": now, "collected_at": now,
            }  # fmt: skip
            writer.writerow([row[name] for name in FIELD_NAMES])


Timing = tuple[float, float, float, int]  # parse wall, store wall, CPU, history rows added

TARGET_S = 3.0


def ingest(path: Path, store: SqliteStore) -> Timing:
    cpu = time.process_time()
    start = time.perf_counter()
    parsed = parse_file(path)
    assert not parsed.errors, parsed.errors[:3]
    parsed_at = time.perf_counter()
    report = Aggregator(store).write("import", parsed.prices)
    done = time.perf_counter()
    return (
        parsed_at - start,
        done - parsed_at,
        time.process_time() - cpu,
        report.stats.history_added,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    first: list[Timing] = []
    again: list[Timing] = []
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "rows.csv"
        make_csv(data, args.rows)
        reference: list[float] = []
        for attempt in range(args.repeat):
            began = time.perf_counter()
            with data.open(newline="") as handle:
                sum(1 for _ in csv.reader(handle))
            reference.append(time.perf_counter() - began)
            store = SqliteStore(Path(tmp) / f"bench-{attempt}.db")
            first.append(ingest(data, store))
            history_before = store.info().history_rows
            assert history_before == args.rows, "a first import adds one history row per key"
            again.append(ingest(data, store))
            growth = store.info().history_rows - history_before
            assert growth == 0 == again[-1][3], f"an unchanged re-import grew history by {growth}"
            store.close()

    def show(label: str, runs: list[Timing]) -> None:
        parse = statistics.median(r[0] for r in runs)
        write = statistics.median(r[1] for r in runs)
        cpu = statistics.median(r[2] for r in runs)
        total = statistics.median(r[0] + r[1] for r in runs)
        verdict = "met" if total <= TARGET_S else f"MISSED by {total - TARGET_S:.2f} s"
        print(
            f"{label:<26} parse+validate {parse:5.2f} s  store {write:5.2f} s  "
            f"total {total:5.2f} s (CPU {cpu:5.2f} s)  history rows added {runs[0][3]}  "
            f"[target ≤ {TARGET_S:g} s: {verdict}]"
        )

    load = os.getloadavg()[0]
    print(f"{args.rows} rows, median of {args.repeat} runs, load average {load:.1f}")
    print(
        f"{'reference: csv.reader only':<26} {statistics.median(reference):5.2f} s "
        "(the stdlib reading the same file, nothing else: divide by it to compare runs)"
    )
    show("first import (empty db)", first)
    show("re-import, unchanged", again)


if __name__ == "__main__":
    main()
