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
from functools import lru_cache
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


@lru_cache(maxsize=4096)
def _dec(value: float) -> Decimal:
    """A shape's vCPU or GiB figure as an exact decimal (``3.75`` → ``Decimal("3.75")``)."""
    return Decimal(str(value))


def _newest(*rates: Rate | None) -> datetime | None:
    times = [r.effective for r in rates if r is not None and r.effective is not None]
    return max(times) if times else None


def compose(mt: MachineType, region: str, book: RateBook, *, spot: bool) -> Composed | Missing:
    """The hourly price of ``mt`` in ``region`` (spot or on-demand), or what is missing."""
    family = billing_family(mt.base or mt.name)
    get = book.get

    if family in ("f1", "g1"):
        rate = get("instance", family, spot, region)
        if rate is None:
            return Missing(f"instance:{family}")
        return Composed(rate.price, rate.effective)

    if mt.gpu in SLICE_GPUS:
        rate = get("slice", mt.gpu, spot, region)
        if rate is None:
            return Missing(f"slice:{mt.gpu}")
        return Composed(rate.price * mt.gpu_count, rate.effective)

    core = get("core", family, spot, region)
    if core is None:
        return Missing(f"core:{family}")
    ram = get("ram", family, spot, region)
    if ram is None:
        return Missing(f"ram:{family}")
    fraction = SHARED_CORE_FRACTION.get(mt.name) if mt.shared_cpu else None
    billed_vcpu = fraction if fraction is not None else _dec(mt.vcpu)
    total = billed_vcpu * core.price + _dec(mt.memory_gib) * ram.price
    gpu = ssd = None
    if mt.gpu_count and mt.gpu:
        gpu = get("gpu", mt.gpu, spot, region)
        if gpu is None:
            return Missing(f"gpu:{mt.gpu}")
        total += mt.gpu_count * gpu.price
    if mt.local_ssd_gib:
        ssd = get("ssd", "local-ssd", spot, region)
        if ssd is None:
            return Missing("ssd:local-ssd")
        total += mt.local_ssd_gib * ssd.price
    return Composed(total, _newest(core, ram, gpu, ssd))
