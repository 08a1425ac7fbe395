"""Machine types: every built-in naming rule, the Compute API items, N1 + GPU shapes."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from spotarb.feeds.gcp.machine_types import (
    MachineType,
    billing_family,
    builtin_catalog,
    builtin_machine_type,
    machine_type_from_api,
    n1_gpu_shapes,
    zone_region,
)
from tests.feeds.gcp.conftest import machine_type


@pytest.mark.parametrize(
    ("name", "vcpu", "memory"),
    [
        ("e2-standard-8", 8, 32),
        ("e2-highmem-4", 4, 32),
        ("e2-highcpu-16", 16, 16),
        ("n1-standard-8", 8, 30),
        ("n1-standard-1", 1, 3.75),
        ("n1-highmem-16", 16, 104),
        ("n1-highcpu-32", 32, 28.8),
        ("n2-standard-8", 8, 32),
        ("n2-highmem-8", 8, 64),
        ("n2-highcpu-8", 8, 8),
        ("n2-highmem-128", 128, 864),
        ("n2d-standard-224", 224, 896),
        ("n2d-highmem-96", 96, 768),
        ("n2d-highcpu-2", 2, 2),
        ("c2-standard-30", 30, 120),
        ("c2d-standard-56", 56, 224),
        ("c2d-highmem-2", 2, 16),
        ("c2d-highcpu-112", 112, 224),
        ("c3-standard-22", 22, 88),
        ("c3-highmem-4", 4, 32),
        ("c3-highcpu-176", 176, 352),
        ("c3d-standard-360", 360, 1440),
        ("c3d-highmem-30", 30, 240),
        ("c3d-highcpu-8", 8, 16),
        ("c3d-highcpu-30", 30, 59),
        ("n4-standard-80", 80, 320),
        ("n4-highmem-2", 2, 16),
        ("n4-highcpu-48", 48, 96),
        ("m1-megamem-96", 96, 1433.6),
        ("m1-ultramem-160", 160, 3844),
        ("m3-ultramem-32", 32, 976),
        ("m3-megamem-128", 128, 1952),
    ],
)
def test_ratio_and_memory_family_rules(name: str, vcpu: float, memory: float) -> None:
    shape = builtin_machine_type(name)
    assert shape is not None
    assert (shape.vcpu, shape.memory_gib, shape.gpu_count) == (vcpu, memory, 0)


@pytest.mark.parametrize(
    ("name", "vcpu", "memory", "gpus", "gpu", "ssd"),
    [
        ("a2-highgpu-1g", 12, 85, 1, "a100", 0),
        ("a2-highgpu-8g", 96, 680, 8, "a100", 0),
        ("a2-megagpu-16g", 96, 1360, 16, "a100", 0),
        ("a2-ultragpu-4g", 48, 680, 4, "a100-80gb", 1500),
        ("a3-highgpu-8g", 208, 1872, 8, "h100-80gb", 6000),
        ("a3-megagpu-8g", 208, 1872, 8, "h100-mega-80gb", 6000),
        ("a3-ultragpu-8g", 224, 2952, 8, "h200-141gb", 12000),
        ("a4-highgpu-8g", 224, 3968, 8, "b200", 12000),
        ("g2-standard-4", 4, 16, 1, "l4", 0),
        ("g2-standard-24", 24, 96, 2, "l4", 0),
        ("g2-standard-96", 96, 384, 8, "l4", 0),
        ("c3-standard-4-lssd", 4, 16, 0, None, 375),
        ("c3d-highmem-360-lssd", 360, 2880, 0, None, 12000),
    ],
)
def test_gpu_and_local_ssd_shapes(
    name: str, vcpu: float, memory: float, gpus: int, gpu: str | None, ssd: int
) -> None:
    shape = builtin_machine_type(name)
    assert shape is not None
    assert (shape.vcpu, shape.memory_gib, shape.gpu_count, shape.gpu, shape.local_ssd_gib) == (
        vcpu,
        memory,
        gpus,
        gpu,
        ssd,
    )


def test_shared_core_shapes() -> None:
    for name, memory in (("e2-micro", 1), ("e2-small", 2), ("e2-medium", 4)):
        shape = builtin_machine_type(name)
        assert shape is not None and shape.shared_cpu and shape.vcpu == 2
        assert shape.memory_gib == memory
    f1 = builtin_machine_type("f1-micro")
    assert f1 is not None and f1.shared_cpu and f1.memory_gib == 0.6


@pytest.mark.parametrize(
    "name",
    [
        "n2-standard-6",  # not an offered size
        "n2-ultramem-8",  # no such kind
        "c2-highmem-8",  # C2 only has standard
        "c4-standard-8",  # family not in the table
        "n2-standard-8-lssd",  # N2 has no -lssd variants
        "a2-highgpu-3g",
        "custom-4-16384",
        "",
    ],
)
def test_unknown_names_are_not_guessed(name: str) -> None:
    assert builtin_machine_type(name) is None


def test_builtin_catalog_matches_cyclenerd_machine_type_list(shared_dir: Path) -> None:
    """Every built-in shape agrees with the recorded machine-type list (CPUs and GiB)."""
    path = shared_dir / "datasets" / "gcp-cyclenerd-pricing" / "machinetyperegion.csv"
    if not path.exists():
        pytest.skip("machinetyperegion.csv is not present")
    with path.open() as handle:
        recorded = {row["NAME"]: row for row in csv.DictReader(handle, delimiter=";")}
    compared = 0
    for shape in builtin_catalog():
        row = recorded.get(shape.name)
        assert row is not None, f"{shape.name} is not a real machine type"
        assert float(row["CPUS"]) == shape.vcpu, shape.name
        assert float(row["MEMORY_GB"]) == pytest.approx(shape.memory_gib, abs=0.01), shape.name
        assert (row["SHARED_CPU"] == "True") == shape.shared_cpu, shape.name
        compared += 1
    assert compared == len(builtin_catalog())


def test_billing_family() -> None:
    assert billing_family("n2-standard-8") == "n2"
    assert billing_family("a3-megagpu-8g") == "a3plus"
    assert billing_family("a3-ultragpu-8g") == "a3ultra"
    assert billing_family("a3-highgpu-8g") == "a3"
    assert billing_family("n1-megamem-96") == "m1"
    assert billing_family("n1-ultramem-40") == "m1"
    assert zone_region("us-central1-a") == "us-central1"
    assert zone_region("europe-west10-b") == "europe-west10"


def test_api_item_parsing() -> None:
    parsed = machine_type_from_api(
        machine_type(
            "a2-highgpu-1g",
            "us-central1-a",
            12,
            87040,
            accelerators=[
                {"guestAcceleratorType": "nvidia-tesla-a100", "guestAcceleratorCount": 1}
            ],
        )
    )
    assert isinstance(parsed, MachineType)
    assert (parsed.vcpu, parsed.memory_gib, parsed.gpu_count, parsed.gpu) == (12, 85, 1, "a100")
    deprecated = machine_type("n1-x", "z", 1, 1024, deprecated={"state": "DEPRECATED"})
    assert machine_type_from_api(deprecated) == "deprecated"
    odd_shared = machine_type("e9-nano", "z", 2, 512, isSharedCpu=True)
    assert machine_type_from_api(odd_shared) == "unknown-shared-core"
    lssd = machine_type_from_api(machine_type("c3-standard-8-lssd", "z", 8, 32768))
    assert isinstance(lssd, MachineType) and lssd.local_ssd_gib == 750
    assert machine_type_from_api({"name": "x", "guestCpus": "2", "memoryMb": 1}) == "malformed"
    # bundled local SSD of unknown size: skipped, never priced without it
    for name in ("z3-highmem-8-highlssd", "c4-standard-8-lssd", "a3-edgegpu-8g"):
        assert machine_type_from_api(machine_type(name, "z", 8, 65536)) == "unknown-local-ssd"
    no_ssd = machine_type_from_api(machine_type("a3-ultragpu-8g-nolssd", "z", 224, 3022848))
    assert isinstance(no_ssd, MachineType) and no_ssd.local_ssd_gib == 0


def test_n1_gpu_shapes_respect_documented_limits() -> None:
    n1 = [s for s in builtin_catalog() if s.name.startswith("n1-")]
    v100 = {s.name: s for s in n1_gpu_shapes(n1, "v100")}
    # 1 × V100: at most 12 vCPUs and 78 GiB
    assert "n1-standard-8+1xnvidia-tesla-v100" in v100
    assert "n1-highmem-8+1xnvidia-tesla-v100" in v100  # 52 GiB
    assert "n1-standard-16+1xnvidia-tesla-v100" not in v100  # 16 vCPUs
    assert "n1-standard-16+2xnvidia-tesla-v100" in v100
    assert "n1-standard-96+8xnvidia-tesla-v100" in v100
    shape = v100["n1-standard-8+1xnvidia-tesla-v100"]
    assert (shape.vcpu, shape.memory_gib, shape.gpu_count, shape.base) == (
        8,
        30,
        1,
        "n1-standard-8",
    )
    t4 = {s.name for s in n1_gpu_shapes(n1, "t4", max_cards=2)}
    assert "n1-standard-32+1xnvidia-tesla-t4" in t4
    assert "n1-standard-64+4xnvidia-tesla-t4" not in t4  # max_cards=2
    assert "n1-highmem-64+2xnvidia-tesla-t4" not in t4  # 416 GiB > 312
