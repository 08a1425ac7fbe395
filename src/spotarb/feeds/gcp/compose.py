"""Per-instance prices composed from component rates.

price(type, region) = vCPU × core rate + GiB × RAM rate + GPUs × GPU rate
+ bundled local SSD GiB × SSD rate, all for the type's billing family and the
region. When any component's rate is missing the type gets **no** price in
that region: a partial price would look cheaper than it is.

Special cases: f1-micro / g1-small are one per-instance SKU; e2-micro/small/
medium bill 0.25/0.5/1 vCPU; A4 (B200) is billed wholly by "(1 gpu slice)"
SKUs, one per GPU, that include the VM's cores, memory and local SSD.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Final

from spotarb.feeds.gcp.machine_types import SHARED_CORE_FRACTION, MachineType, billing_family
from spotarb.feeds.gcp.skus import Rate, RateBook

#: GPUs billed as a whole-VM slice per GPU rather than as an add-on.
SLICE_GPUS: Final = frozenset({"b200"})


@dataclass(frozen=True, slots=True)
class Composed:
    price: Decimal
    #: The latest effectiveTime among the component SKUs (None when none had one).
    effective: datetime | None


@dataclass(frozen=True, slots=True)
class Missing:
    """Why a type has no price in a region: the first component without a rate."""

    component: str


def compose(mt: MachineType, region: str, book: RateBook, *, spot: bool) -> Composed | Missing:
    """The hourly price of ``mt`` in ``region`` (spot or on-demand), or what is missing."""
    family = billing_family(mt.base or mt.name)
    used: list[Rate] = []

    def need(resource: str, key: str) -> Rate | None:
        rate = book.get(resource, key, spot, region)
        if rate is not None:
            used.append(rate)
        return rate

    if family in ("f1", "g1"):
        rate = need("instance", family)
        if rate is None:
            return Missing(f"instance:{family}")
        return Composed(rate.price, rate.effective)

    if mt.gpu in SLICE_GPUS:
        rate = need("slice", mt.gpu)
        if rate is None:
            return Missing(f"slice:{mt.gpu}")
        return Composed(rate.price * mt.gpu_count, rate.effective)

    core = need("core", family)
    if core is None:
        return Missing(f"core:{family}")
    ram = need("ram", family)
    if ram is None:
        return Missing(f"ram:{family}")
    vcpu = SHARED_CORE_FRACTION.get(mt.name) if mt.shared_cpu else None
    billed_vcpu = vcpu if vcpu is not None else Decimal(str(mt.vcpu))
    total = billed_vcpu * core.price + Decimal(str(mt.memory_gib)) * ram.price
    if mt.gpu_count and mt.gpu:
        gpu = need("gpu", mt.gpu)
        if gpu is None:
            return Missing(f"gpu:{mt.gpu}")
        total += mt.gpu_count * gpu.price
    if mt.local_ssd_gib:
        ssd = need("ssd", "local-ssd")
        if ssd is None:
            return Missing("ssd:local-ssd")
        total += mt.local_ssd_gib * ssd.price
    times = [r.effective for r in used if r.effective is not None]
    return Composed(total, max(times) if times else None)
