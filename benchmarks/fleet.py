"""Fleet planning latency on a realistic 100k-row catalog, side by side in one run.

Run:  uv run python -m benchmarks.fleet
Options: --rows 100000  --repeat 200  --json

For each fleet shape it times ``plan(snapshot, fleet)`` (p50/p95 of ``--repeat`` runs)
next to one single-instance placement with the same per-instance requirements, so
the ratio fleet/placement is what the fleet costs on top of the engine's filter pass
(the machine is shared: ratios are steadier than absolute figures). The plain-Python
reference is timed once per count shape on a 5,000-row slice for scale (it brute-forces
capacity targets, so those are not timed).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from typing import Any

from benchmarks.placement import NOW, make_catalog, percentile

from spotarb.core.errors import NoPlacementError
from spotarb.placement import FleetRequirements, PriceSnapshot, WorkloadRequirements
from spotarb.placement.engine import place
from spotarb.placement.fleet import plan
from spotarb.placement.fleet_reference import reference_fleet

#: (name, fleet fields, per-instance requirements)
SHAPES: list[tuple[str, dict[str, Any], dict[str, Any]]] = [
    ("64 × ≥4 vCPU, lowest-price", {"count": 64}, {"min_cpu": 4, "min_memory_gb": 16}),
    ("64, expected-cost 10 h", {"count": 64, "strategy": "expected-cost"},
     {"min_cpu": 4, "min_memory_gb": 16, "job_hours": 10}),
    ("64, price-capacity-optimized", {"count": 64, "strategy": "price-capacity-optimized"},
     {"min_cpu": 4, "min_memory_gb": 16}),
    ("64, diversified", {"count": 64, "strategy": "diversified"}, {"min_cpu": 4}),
    ("64, caps region 8 / cloud 32", {"count": 64, "max_per_region": 8, "max_per_provider": 32},
     {"min_cpu": 4}),
    ("64, sameZone", {"count": 64, "same_zone": True}, {"min_cpu": 4}),
    ("64, no filter", {"count": 64}, {}),
    ("1000 × ≥2 vCPU, lowest-price", {"count": 1000}, {"min_cpu": 2}),
    ("1000, expected-cost 10 h", {"count": 1000, "strategy": "expected-cost"},
     {"min_cpu": 2, "job_hours": 10}),
    ("1000, diversified", {"count": 1000, "strategy": "diversified"}, {"min_cpu": 2}),
    ("1000, caps region 20 / cloud 400",
     {"count": 1000, "max_per_pool": 5, "max_per_region": 20, "max_per_provider": 400},
     {"min_cpu": 2}),
    ("targetVCPU 2048", {"target_vcpu": 2048}, {"min_cpu": 8}),
    ("targetGPUs 64 (A100)", {"target_gpus": 64}, {"gpu_type": "a100"}),
    # Capacity targets under instance caps (exact: fleet_cover), next to the same
    # targets without them (cover_dp).
    ("targetVCPU 512", {"target_vcpu": 512}, {"min_cpu": 8}),
    ("targetVCPU 512, maxPerRegion 8", {"target_vcpu": 512, "max_per_region": 8},
     {"min_cpu": 8}),
    ("targetVCPU 4096", {"target_vcpu": 4096}, {"min_cpu": 8}),
    ("targetVCPU 4096, maxPerRegion 32", {"target_vcpu": 4096, "max_per_region": 32},
     {"min_cpu": 8}),
    ("targetVCPU 2048, region 16 / cloud 200",
     {"target_vcpu": 2048, "max_per_region": 16, "max_per_provider": 200}, {"min_cpu": 8}),
    ("targetVCPU 512, region 8, exp.-cost", {"target_vcpu": 512, "max_per_region": 8,
     "strategy": "expected-cost"}, {"min_cpu": 8, "job_hours": 10}),
    ("targetVCPU 4096, region 32, divers.", {"target_vcpu": 4096, "max_per_region": 32,
     "strategy": "diversified"}, {"min_cpu": 8}),
    ("targetGPUs 64 (A100), region 4", {"target_gpus": 64, "max_per_region": 4},
     {"gpu_type": "a100"}),
    ("targetVCPU 4096, region 32, sameRegion", {"target_vcpu": 4096, "max_per_region": 32,
     "same_region": True}, {"min_cpu": 8}),
    # The plain fill spends each region's one slot on a small instance and falls short:
    # the checked fill (a pool takes an instance only while the target stays reachable).
    ("targetVCPU 4096, region 1, p-c-o", {"target_vcpu": 4096, "max_per_region": 1,
     "strategy": "price-capacity-optimized"}, {"min_cpu": 2}),
    # Past the exact programme's state budget: the best plan found, with a note.
    ("targetVCPU 20000, region 100", {"target_vcpu": 20000, "max_per_region": 100}, {}),
]  # fmt: skip


def timed(fn: Callable[[], Any], repeat: int) -> list[float]:
    out = []
    for _ in range(repeat):
        start = time.perf_counter_ns()
        with contextlib.suppress(NoPlacementError):
            fn()
        out.append((time.perf_counter_ns() - start) / 1e6)
    return out


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=200)
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--only", default="", help="only shapes whose name contains this")
    args = parser.parse_args(argv)
    rows = make_catalog(args.rows)
    snap = PriceSnapshot.from_prices(rows)
    small = rows[:5000]
    results: dict[str, Any] = {"rows": len(snap), "loadavg_start": os.getloadavg(), "shapes": []}
    print(f"{len(snap)} rows; {args.repeat} runs per shape; python {sys.version.split()[0]}")
    print(f"{'fleet':<34} {'p50 ms':>8} {'p95 ms':>8} {'place p50':>10} {'ratio':>6} "
          f"{'ref 5k rows':>12}  plan")  # fmt: skip
    for name, fleet, per_instance in SHAPES:
        if args.only not in name:
            continue
        strategy = "expected-cost" if fleet.get("strategy") == "expected-cost" else "lowest-price"
        req = WorkloadRequirements(**per_instance, strategy=strategy)
        freq = FleetRequirements(workload=req, **fleet)
        try:
            answer = plan(snap, freq)
            summary = (
                f"{answer.instances} in {answer.pools} pools, ${answer.total_price_per_hour:.2f}/h"
            )
        except NoPlacementError as exc:
            summary = f"none: {exc}"
        for _ in range(5):  # warm-up
            with contextlib.suppress(NoPlacementError):
                plan(snap, freq)
        fleet_ms = timed(lambda f=freq: plan(snap, f), args.repeat)
        place_ms = timed(lambda r=req: place(snap, r, now=NOW), args.repeat)
        # The reference brute-forces capacity targets: only timed for count fleets.
        ref_ms = timed(lambda f=freq: reference_fleet(small, f), 1)[0] if freq.count else None
        res = {
            "fleet": name,
            "p50_ms": percentile(fleet_ms, 50),
            "p95_ms": percentile(fleet_ms, 95),
            "mean_ms": statistics.fmean(fleet_ms),
            "placement_p50_ms": percentile(place_ms, 50),
            "reference_5k_rows_ms": ref_ms,
            "plan": summary,
        }
        res["ratio"] = res["p50_ms"] / res["placement_p50_ms"]
        results["shapes"].append(res)
        print(f"{name:<34} {res['p50_ms']:>8.2f} {res['p95_ms']:>8.2f} "
              f"{res['placement_p50_ms']:>10.2f} {res['ratio']:>6.1f} "
              f"{'-' if ref_ms is None else f'{ref_ms:.0f}ms':>12}  "
              f"{summary}", flush=True)  # fmt: skip
    results["loadavg_end"] = os.getloadavg()
    print(f"load average (1/5/15 min) at start {results['loadavg_start']}, "
          f"end {results['loadavg_end']} on {os.cpu_count()} CPUs")  # fmt: skip
    if args.json:
        print(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
