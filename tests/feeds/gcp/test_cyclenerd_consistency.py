"""Consistency with Cyclenerd's published GCP price table (``pricing.yml``).

What is compared: that file gives, per machine type and region, the whole-VM spot
price (``hour_spot``) plus the shape (``cpu``, ``ram``, GPU count). For each family
and region we *derive* the per-component spot rates from two shapes (e.g.
``n2-standard-8`` and ``n2-highcpu-8`` give the N2 core and RAM rates), feed them
as SKUs in the billing wire format through our parser, and check that our
composition reproduces the file's ``hour_spot`` for *other* shapes of the family
(``n2-highmem-16``, ``n2-standard-32``, …) to a hundredth of a cent. It also checks
that our built-in shapes equal the file's ``cpu``/``ram``/GPU counts.
"""

from __future__ import annotations

import re
from decimal import Decimal
from pathlib import Path

import pytest

from spotarb.feeds.gcp.compose import Composed, compose
from spotarb.feeds.gcp.machine_types import builtin_machine_type
from spotarb.feeds.gcp.skus import RateBook
from tests.feeds.gcp.conftest import sku

Spec = dict[str, object]


def load_instances(path: Path) -> dict[str, Spec]:
    """The ``compute.instance`` section: name → {cpu, ram, <gpu>, cost: {region: hour_spot}}."""
    out: dict[str, Spec] = {}
    section = False
    name = region = None
    for line in path.read_text().splitlines():
        if line == "  instance:":
            section = True
            continue
        if section and re.match(r"^  \S", line):
            break
        if not section:
            continue
        if m := re.match(r"^    (\S+):$", line):
            name = m.group(1)
            out[name] = {"cost": {}}
        elif m := re.match(r"^        (\S+):$", line):
            region = m.group(1)
        elif name and (m := re.match(r"^          hour_spot: (\S+)$", line)):
            out[name]["cost"][region] = Decimal(m.group(1))  # type: ignore[index]
        elif name and (m := re.match(r"^      (\S+): (\S+)$", line)):
            out[name][m.group(1)] = m.group(2)
    return out


@pytest.fixture(scope="module")
def instances(shared_dir: Path) -> dict[str, Spec]:
    path = shared_dir / "datasets" / "gcp-cyclenerd-pricing" / "pricing.yml"
    if not path.exists():
        pytest.skip("pricing.yml is not present")
    return load_instances(path)


def spot(instances: dict[str, Spec], name: str) -> dict[str, Decimal]:
    cost = instances[name]["cost"]
    assert isinstance(cost, dict)
    return {r: v for r, v in cost.items() if v > 0}


def compare(book: RateBook, instances: dict[str, Spec], names: list[str], regions: set[str]) -> int:
    checked = 0
    for name in names:
        shape = builtin_machine_type(name)
        assert shape is not None, name
        for region, expected in spot(instances, name).items():
            if region not in regions:
                continue
            got = compose(shape, region, book, spot=True)
            assert isinstance(got, Composed), (name, region, got)
            assert abs(got.price - expected) < Decimal("0.0001"), (name, region, got, expected)
            checked += 1
    return checked


def rate_skus(family_phrase: str, rates: dict[str, tuple[Decimal, Decimal]]) -> list[dict]:
    out = []
    for region, (core, ram) in rates.items():
        out.append(
            sku(
                f"C-{region}",
                f"Spot Preemptible {family_phrase} Core running in X",
                f"{core:.12f}",
                regions=(region,),
            )
        )
        out.append(
            sku(
                f"R-{region}",
                f"Spot Preemptible {family_phrase} Ram running in X",
                f"{ram:.12f}",
                regions=(region,),
                unit="GiBy.h",
            )
        )
    return out


@pytest.mark.parametrize(
    ("family", "phrase", "pair", "checks"),
    [
        (
            "n2",
            "N2 Instance",
            ("n2-standard-8", "n2-highcpu-8"),
            ["n2-highmem-16", "n2-standard-32", "n2-highcpu-96", "n2-highmem-2"],
        ),
        (
            "n2d",
            "N2D AMD Instance",
            ("n2d-standard-8", "n2d-highcpu-8"),
            ["n2d-highmem-16", "n2d-standard-224", "n2d-highcpu-2"],
        ),
        (
            "n1",
            "N1 Predefined Instance",
            ("n1-standard-8", "n1-highcpu-8"),
            ["n1-highmem-16", "n1-standard-1", "n1-highcpu-96"],
        ),
        (
            "c2d",
            "C2D AMD Instance",
            ("c2d-standard-8", "c2d-highcpu-8"),
            ["c2d-highmem-56", "c2d-standard-2"],
        ),
        (
            "e2",
            "E2 Instance",
            ("e2-standard-8", "e2-highcpu-8"),
            ["e2-highmem-16", "e2-standard-32", "e2-medium"],
        ),
    ],
)
def test_composition_reproduces_published_spot_prices(
    instances: dict[str, Spec], family: str, phrase: str, pair: tuple[str, str], checks: list[str]
) -> None:
    a_name, b_name = pair
    a, b = builtin_machine_type(a_name), builtin_machine_type(b_name)
    assert a is not None and b is not None
    for shape in (a, b):
        spec = instances[shape.name]
        assert Decimal(str(spec["cpu"])) == Decimal(str(shape.vcpu))
        assert Decimal(str(spec["ram"])) == Decimal(str(shape.memory_gib))
    pa, pb = spot(instances, a_name), spot(instances, b_name)
    rates: dict[str, tuple[Decimal, Decimal]] = {}
    for region in pa.keys() & pb.keys():
        # same vCPUs, different memory: the difference is RAM only
        ram = (pa[region] - pb[region]) / (Decimal(str(a.memory_gib)) - Decimal(str(b.memory_gib)))
        core = (pa[region] - ram * Decimal(str(a.memory_gib))) / Decimal(str(a.vcpu))
        rates[region] = (core, ram)
    book = RateBook()
    assert book.add_skus(rate_skus(phrase, rates)) == []
    assert compare(book, instances, checks, set(rates)) >= 10


def test_g2_gpu_composition(instances: dict[str, Spec]) -> None:
    """g2-standard-4/8 give (4 vCPU + 16 GiB) and the L4 rate; predict g2-24/48/96."""
    p4, p8 = spot(instances, "g2-standard-4"), spot(instances, "g2-standard-8")
    for name in ("g2-standard-4", "g2-standard-24", "g2-standard-96"):
        shape = builtin_machine_type(name)
        assert shape is not None
        assert Decimal(str(instances[name]["l4"])) == shape.gpu_count
    skus = []
    for region in p4.keys() & p8.keys():
        block = p8[region] - p4[region]  # 4 vCPU + 16 GiB
        l4 = p4[region] - block
        core, ram = block / 8, block / 32  # split the block evenly; only the sum matters
        skus += [
            sku(
                f"C{region}",
                "Spot Preemptible G2 Instance Core running in X",
                f"{core:.12f}",
                regions=(region,),
            ),
            sku(
                f"R{region}",
                "Spot Preemptible G2 Instance Ram running in X",
                f"{ram:.12f}",
                regions=(region,),
                unit="GiBy.h",
            ),
            sku(
                f"G{region}",
                "Nvidia L4 GPU attached to Spot Preemptible VMs running in X",
                f"{l4:.12f}",
                regions=(region,),
            ),
        ]
    book = RateBook()
    assert book.add_skus(skus) == []
    regions = p4.keys() & p8.keys()
    checks = ["g2-standard-24", "g2-standard-48", "g2-standard-96", "g2-standard-16"]
    assert compare(book, instances, checks, regions) >= 10
