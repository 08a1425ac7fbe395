"""Normalize 100k DescribeSpotPriceHistory items (boto3 dict shape, no network).

Run: uv run python benchmarks/aws_feed.py [N]

Measures :func:`spotarb.feeds.aws.ec2.normalize_history` (Decimal price parsing,
UTC timestamps, newest point per (AZ, type), every point kept as for a
``--since`` backfill). Target: <= 1 s for 100k items.
"""

from __future__ import annotations

import random
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta
from typing import Any

from dateutil.tz import tzutc

from spotarb.feeds.aws.advisor import AdvisorData, AdvisorEntry
from spotarb.feeds.aws.ec2 import normalize_history
from spotarb.feeds.aws.rows import rows_from_points
from spotarb.feeds.aws.specs import InstanceSpec


def make_items(n: int, seed: int = 7) -> list[dict[str, Any]]:
    rng = random.Random(seed)
    azs = [f"us-east-1{c}" for c in "abcdef"]
    types = [
        f"{fam}.{size}"
        for fam in ("m5", "c6g", "r7i", "g4dn", "p4d", "t3", "m7g")
        for size in (
            "large",
            "xlarge",
            "2xlarge",
            "4xlarge",
            "8xlarge",
            "12xlarge",
            "16xlarge",
            "24xlarge",
        )
    ]
    start = datetime(2026, 11, 1, tzinfo=UTC)
    items = []
    for _ in range(n):
        items.append(
            {
                "AvailabilityZone": rng.choice(azs),
                "InstanceType": rng.choice(types),
                "ProductDescription": "Linux/UNIX",
                "SpotPrice": f"{rng.uniform(0.002, 30):.6f}",
                # boto3 hands back tz-aware datetimes with dateutil's tzutc().
                "Timestamp": (start + timedelta(seconds=rng.randrange(30 * 86400))).replace(
                    tzinfo=tzutc()
                ),
            }
        )
    return items


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    items = make_items(n)
    for keep in (False, True):
        times = []
        for _ in range(5):
            t0 = time.perf_counter()
            norm = normalize_history(items, keep_points=keep)
            times.append(time.perf_counter() - t0)
        label = "current + history points" if keep else "current only"
        print(
            f"{n} items, {label}: median {statistics.median(times) * 1000:.0f} ms, "
            f"best {min(times) * 1000:.0f} ms ({len(norm.latest)} keys, "
            f"{len(norm.points)} points)"
        )
    # End to end as the feed does it for --since: normalize, then one SpotPrice per point
    # with specs and advisor data joined.
    types = {i["InstanceType"] for i in items}
    specs = {t: InstanceSpec(t, 8.0, 32.0) for t in types}
    advisor = AdvisorData(entries={("us-east-1", t): AdvisorEntry(0.1, 60) for t in types})
    now = datetime.now(UTC)
    times = []
    for _ in range(3):
        t0 = time.perf_counter()
        norm = normalize_history(items, keep_points=True)
        rows = rows_from_points("us-east-1", norm.points, specs, advisor, now, set())
        times.append(time.perf_counter() - t0)
    print(
        f"{n} items -> {len(rows)} SpotPrice rows (normalize + specs + advisor): "
        f"median {statistics.median(times) * 1000:.0f} ms, best {min(times) * 1000:.0f} ms"
    )


if __name__ == "__main__":
    main()
