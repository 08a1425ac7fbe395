"""Benchmark: GCP per-instance composition from a full-size SKU listing (no network).

Builds ~40k SKUs in the Cloud Billing Catalog wire format (predefined core/RAM
rates for 20 families in 42 regions, spot and on-demand; GPUs; plus the noise a
real listing carries: custom, sole-tenancy, commitment and license SKUs), and a
Compute API ``aggregated/machineTypes`` listing (every built-in type in 3 zones
of every region). Times JSON decoding, SKU parsing, and row composition for
both the built-in table (regional rows) and the zonal machine types.

    uv run python benchmarks/gcp_feed.py
"""

from __future__ import annotations

import json
import statistics
import time
from datetime import UTC, datetime
from typing import Any

from spotarb.feeds.gcp.machine_types import ZonalCatalog, add_api_page, builtin_catalog
from spotarb.feeds.gcp.rows import BuildReport, build_prices, with_n1_gpus
from spotarb.feeds.gcp.skus import RateBook

REGIONS = [
    f"{area}-{suffix}{n}"
    for area, suffix in (
        ("us", "central"),
        ("us", "east"),
        ("us", "west"),
        ("europe", "west"),
        ("asia", "east"),
        ("asia", "southeast"),
        ("australia", "southeast"),
    )
    for n in range(1, 7)
]
FAMILIES = {
    "n1": "N1 Predefined Instance",
    "n2": "N2 Instance",
    "n2d": "N2D AMD Instance",
    "e2": "E2 Instance",
    "c2": "Compute optimized",
    "c2d": "C2D AMD Instance",
    "c3": "C3 Instance",
    "c3d": "C3D Instance",
    "n4": "N4 Instance",
    "m1": "Memory-optimized",
    "m3": "M3 Memory-optimized Instance",
    "a2": "A2 Instance",
    "a3": "A3 Instance",
    "a3plus": "A3Plus Instance",
    "a3ultra": "A3Ultra Instance",
    "g2": "G2 Instance",
    "t2d": "T2D AMD Instance",
    "t2a": "T2A Arm Instance",
    "c4": "C4 Instance",
    "c4a": "C4A Arm Instance",
}
GPUS = [
    "Nvidia Tesla T4",
    "Nvidia Tesla V100",
    "Nvidia Tesla P100",
    "Nvidia Tesla P4",
    "Nvidia Tesla A100",
    "Nvidia Tesla A100 80GB",
    "Nvidia H100 80GB",
    "Nvidia H100 80GB Mega",
    "H200 141GB",
    "Nvidia L4",
]


def sku(
    n: int,
    description: str,
    usage: str,
    region: str,
    nanos: int,
    unit: str = "h",
    family: str = "Compute",
) -> dict[str, Any]:
    return {
        "name": f"services/6F81-5844-456A/skus/{n:04X}-0000-0000",
        "skuId": f"{n:04X}-0000-0000",
        "description": description,
        "category": {
            "serviceDisplayName": "Compute Engine",
            "resourceFamily": family,
            "resourceGroup": "CPU",
            "usageType": usage,
        },
        "serviceRegions": [region],
        "pricingInfo": [
            {
                "summary": "",
                "pricingExpression": {
                    "usageUnit": unit,
                    "displayQuantity": 1,
                    "tieredRates": [
                        {
                            "startUsageAmount": 0,
                            "unitPrice": {"currencyCode": "USD", "units": "0", "nanos": nanos},
                        }
                    ],
                },
                "currencyConversionRate": 1,
                "effectiveTime": "2026-11-01T08:00:00.000Z",
            }
        ],
        "serviceProviderName": "Google",
    }


def make_skus() -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    n = 0
    for r_index, region in enumerate(REGIONS):
        for f_index, phrase in enumerate(FAMILIES.values()):
            for resource, unit in (("Core", "h"), ("Ram", "GiBy.h")):
                base = 1_000_000 + 10_000 * f_index + 1000 * r_index
                for variant, usage in (
                    ("Spot Preemptible {p} {r}", "Preemptible"),
                    ("{p} {r}", "OnDemand"),
                    ("Spot Preemptible {p} Custom {r}", "Preemptible"),
                    ("{p} Sole Tenancy {r}", "OnDemand"),
                    ("Commitment v1: {p} {r} for 1 Year", "Commit1Yr"),
                    ("Commitment v1: {p} {r} for 3 Year", "Commit3Yr"),
                ):
                    desc = variant.format(p=phrase, r=resource) + f" running in {region}"
                    out.append(sku(n, desc, usage, region, base, unit))
                    n += 1
        for g_index, gpu in enumerate(GPUS):
            price = 100_000_000 + 10_000_000 * g_index
            out.append(
                sku(
                    n,
                    f"{gpu} GPU attached to Spot Preemptible VMs running in {region}",
                    "Preemptible",
                    region,
                    price,
                )
            )
            out.append(sku(n + 1, f"{gpu} GPU running in {region}", "OnDemand", region, price))
            out.append(
                sku(
                    n + 2,
                    f"Commitment v1: {gpu} GPU in {region} for 1 Year",
                    "Commit1Yr",
                    region,
                    price,
                )
            )
            n += 3
        for desc, usage in (
            ("Spot Preemptible A4 Nvidia B200 (1 gpu slice)", "OnDemand"),
            ("A4 Nvidia B200 (1 gpu slice)", "OnDemand"),
            ("Spot Preemptible Micro Instance with burstable CPU", "Preemptible"),
            ("Spot Preemptible Small Instance with 1 VCPU", "Preemptible"),
        ):
            out.append(sku(n, f"{desc} running in {region}", usage, region, 500_000_000))
            n += 1
        for desc in (
            "SSD backed Local Storage attached to Spot Preemptible VMs",
            "SSD backed Local Storage",
        ):
            out.append(
                sku(
                    n,
                    f"{desc} running in {region}",
                    "OnDemand",
                    region,
                    48_000_000,
                    "GiBy.mo",
                    "Storage",
                )
            )
            n += 1
    while len(out) < 40_000:  # license and other non-compute noise
        out.append(
            sku(
                n,
                f"Licensing Fee for Windows Server on VM with {n % 96} VCPU",
                "OnDemand",
                "global",
                1_000_000,
                family="License",
            )
        )
        n += 1
    return out


def make_machine_pages() -> list[dict[str, Any]]:
    pages = []
    for region in REGIONS:
        items = {}
        for zone in ("a", "b", "c"):
            z = f"{region}-{zone}"
            types = []
            for mt in builtin_catalog():
                item: dict[str, Any] = {
                    "name": mt.name,
                    "guestCpus": int(mt.vcpu),
                    "memoryMb": int(mt.memory_gib * 1024),
                    "zone": z,
                    "isSharedCpu": mt.shared_cpu,
                }
                if mt.gpu_count:
                    item["accelerators"] = [
                        {
                            "guestAcceleratorType": f"nvidia-{mt.gpu}",
                            "guestAcceleratorCount": mt.gpu_count,
                        }
                    ]
                types.append(item)
            items[f"zones/{z}"] = {"machineTypes": types}
        pages.append({"items": items})
    return pages


def accelerators() -> dict[str, dict[str, int]]:
    names = ("nvidia-tesla-t4", "nvidia-tesla-v100", "nvidia-tesla-p100", "nvidia-tesla-p4")
    return {f"{r}-{z}": dict.fromkeys(names, 8) for r in REGIONS for z in "abc"}


def run(label: str, fn: Any, repeat: int = 5) -> Any:
    """Median wall and CPU time (CPU time is what other processes on the box cannot inflate)."""
    walls, cpus, result = [], [], None
    for _ in range(repeat):
        wall, cpu = time.perf_counter(), time.process_time()
        result = fn()
        cpus.append(time.process_time() - cpu)
        walls.append(time.perf_counter() - wall)
    print(
        f"{label:<48} wall {statistics.median(walls) * 1000:7.1f} ms"
        f"  cpu {statistics.median(cpus) * 1000:7.1f} ms  (min wall {min(walls) * 1000:.1f})"
    )
    return result


def main() -> None:
    skus = make_skus()
    pages = [json.dumps({"skus": skus[i : i + 5000]}) for i in range(0, len(skus), 5000)]
    machine_pages = [json.dumps(p) for p in make_machine_pages()]
    now = datetime.now(UTC)
    print(
        f"{len(skus)} SKUs in {len(pages)} pages; {len(REGIONS)} regions;"
        f" {len(builtin_catalog())} built-in types"
    )

    def rates() -> RateBook:
        book = RateBook()
        for page in pages:
            book.add_skus(json.loads(page)["skus"])
        return book

    book = run("decode + parse SKUs", rates)

    def regional() -> int:
        shapes = with_n1_gpus(builtin_catalog(), None)
        return len(build_prices(book, shapes, regions=None, collected_at=now, report=BuildReport()))

    def zonal() -> int:
        catalog = ZonalCatalog(types={}, accelerators=accelerators(), skipped={})
        for page in machine_pages:
            add_api_page(catalog, json.loads(page))
        shapes = with_n1_gpus(list(catalog.types.values()), catalog.accelerators)
        return len(build_prices(book, shapes, regions=None, collected_at=now, report=BuildReport()))

    rows = run("compose, built-in table (regional rows)", regional)
    print(f"  -> {rows} rows")
    zrows = run("decode machine types + compose (zonal rows)", zonal, repeat=3)
    print(f"  -> {zrows} rows")

    def end_to_end() -> int:
        rates()
        return regional()

    run("total: SKUs + compose, built-in table", end_to_end, repeat=3)

    def end_to_end_zonal() -> int:
        rates()
        return zonal()

    run("total: SKUs + machine types + compose, zonal", end_to_end_zonal, repeat=3)


if __name__ == "__main__":
    main()
