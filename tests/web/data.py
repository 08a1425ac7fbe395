"""Known prices for the dashboard tests, written as the normalized CSV `spotarb import` reads."""

from __future__ import annotations

import csv
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Final

COLUMNS: Final = (
    "provider",
    "region",
    "availability_zone",
    "instance_type",
    "vcpu",
    "memory_gb",
    "gpu_count",
    "gpu_type",
    "price_per_hour",
    "on_demand_price_per_hour",
    "interruption_rate",
    "observed_at",
    "collected_at",
)

D: Final = timedelta(days=1)
H: Final = timedelta(hours=1)

#: (provider, region, zone, type, vcpu, GiB, gpus, gpu type, on-demand, rate, [(age, price)])
OFFERS: Final[list[tuple[Any, ...]]] = [
    ("aws", "us-east-1", "us-east-1a", "m5.2xlarge", 8, 32, 0, "", 0.384, 0.05,
     [(6 * D, 0.120), (3 * D, 0.115), (1 * H, 0.110)]),
    ("aws", "us-east-1", "us-east-1b", "m5.2xlarge", 8, 32, 0, "", 0.384, 0.05,
     [(5 * D, 0.125), (2 * D, 0.130)]),
    ("aws", "us-east-1", "us-east-1c", "m5.2xlarge", 8, 32, 0, "", 0.384, 0.05,
     [(20 * D, 0.140), (4 * H, 0.118)]),
    ("aws", "us-west-2", "us-west-2a", "m5.2xlarge", 8, 32, 0, "", 0.384, 0.05, [(1 * D, 0.105)]),
    ("aws", "us-east-1", "us-east-1a", "m5.large", 2, 8, 0, "", 0.096, 0.05, [(2 * H, 0.035)]),
    ("aws", "us-east-1", "us-east-1a", "g4dn.xlarge", 4, 16, 1, "nvidia-t4", 0.526, 0.10,
     [(2 * H, 0.1578)]),
    ("aws", "us-east-1", "us-east-1a", "p4d.24xlarge", 96, 1152, 8, "nvidia-a100", 32.77, 0.15,
     [(2 * H, 9.83)]),
    ("azure", "eastus", "", "Standard_D8s_v3", 8, 32, 0, "", 0.384, 0.10, [(3 * H, 0.077)]),
    ("azure", "westeurope", "", "Standard_D8s_v3", 8, 32, 0, "", 0.416, 0.10, [(3 * H, 0.089)]),
    ("azure", "eastus", "", "Standard_D2s_v3", 2, 8, 0, "", 0.096, 0.10, [(3 * H, 0.021)]),
    ("azure", "eastus", "", "Standard_NC4as_T4_v3", 4, 28, 1, "nvidia-t4", 0.526, 0.10,
     [(3 * H, 0.1052)]),
    ("azure", "eastus", "", "Standard_ND96asr_v4", 96, 900, 8, "nvidia-a100", 27.2, 0.15,
     [(3 * H, 8.90)]),
    ("gcp", "us-central1", "", "n2-standard-8", 8, 32, 0, "", 0.3885, None, [(5 * H, 0.0821)]),
    ("gcp", "europe-west4", "", "n2-standard-8", 8, 32, 0, "", 0.4276, None, [(5 * H, 0.0905)]),
    ("gcp", "us-central1", "", "e2-standard-2", 2, 8, 0, "", 0.067, None, [(5 * H, 0.0201)]),
    ("gcp", "us-central1", "", "a2-highgpu-1g", 12, 85, 1, "nvidia-a100", 3.67, None,
     [(5 * H, 1.10)]),
]  # fmt: skip

#: What the tests expect from these prices.
CHEAPEST_8_VCPU: Final = ("azure", "eastus", "Standard_D8s_v3")
CHEAPEST_8_VCPU_AWS: Final = ("aws", "us-west-2", "m5.2xlarge")
HISTORY_KEY: Final = ("aws", "us-east-1", "m5.2xlarge")
#: observed points per zone of HISTORY_KEY in the 7d and 30d ranges
POINTS_7D: Final = {"us-east-1a": 3, "us-east-1b": 2, "us-east-1c": 1}
POINTS_30D: Final = {"us-east-1a": 3, "us-east-1b": 2, "us-east-1c": 2}
PROVIDERS: Final = ("aws", "azure", "gcp")


def rows(now: datetime | None = None) -> list[dict[str, Any]]:
    now = now or datetime.now(UTC)
    out: list[dict[str, Any]] = []
    for provider, region, zone, itype, vcpu, mem, gpus, gpu, od, rate, changes in OFFERS:
        for ago, price in changes:
            out.append(
                {
                    "provider": provider,
                    "region": region,
                    "availability_zone": zone,
                    "instance_type": itype,
                    "vcpu": vcpu,
                    "memory_gb": mem,
                    "gpu_count": gpus,
                    "gpu_type": gpu,
                    "price_per_hour": price,
                    "on_demand_price_per_hour": od,
                    "interruption_rate": "" if rate is None else rate,
                    "observed_at": (now - ago).isoformat(),
                    "collected_at": now.isoformat(),
                }
            )
    return out


def write_csv(path: Path, now: datetime | None = None) -> Path:
    with path.open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=COLUMNS)
        writer.writeheader()
        writer.writerows(rows(now))
    return path
