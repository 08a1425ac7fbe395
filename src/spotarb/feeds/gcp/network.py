"""Default per-VM egress bandwidth from GCP's documented per-family rules.

Only the default (Tier_1 off) figures are used: higher tiers are opt-in and not
assumed. Families without a simple documented rule leave the value empty.
"""

from __future__ import annotations

from typing import Final

#: family → (Gbps per vCPU, cap in Gbps): "2 Gbps per vCPU up to the family's cap".
_PER_VCPU: Final[dict[str, tuple[float, float]]] = {
    "e2": (2.0, 16.0),
    "n1": (2.0, 32.0),
    "n2": (2.0, 32.0),
    "n2d": (2.0, 32.0),
    "c2": (2.0, 32.0),
    "c2d": (2.0, 32.0),
    "m1": (2.0, 32.0),
    "m3": (2.0, 32.0),
    "t2d": (2.0, 32.0),
    "t2a": (2.0, 32.0),
}

#: Types with a fixed documented figure (shared-core and GPU shapes).
_FIXED: Final[dict[str, float]] = {
    "e2-micro": 1.0,
    "e2-small": 1.0,
    "e2-medium": 2.0,
    "f1-micro": 1.0,
    "g1-small": 1.0,
    "a2-highgpu-1g": 24.0,
    "a2-highgpu-2g": 32.0,
    "a2-highgpu-4g": 50.0,
    "a2-highgpu-8g": 100.0,
    "a2-megagpu-16g": 100.0,
    "a2-ultragpu-1g": 24.0,
    "a2-ultragpu-2g": 32.0,
    "a2-ultragpu-4g": 50.0,
    "a2-ultragpu-8g": 100.0,
    "g2-standard-4": 10.0,
    "g2-standard-8": 16.0,
    "g2-standard-12": 16.0,
    "g2-standard-16": 32.0,
    "g2-standard-24": 32.0,
    "g2-standard-32": 32.0,
    "g2-standard-48": 50.0,
    "g2-standard-96": 100.0,
}


def bandwidth_gbps(name: str, vcpu: float) -> float | None:
    """Default max egress in Gbps for a machine type, or None when no rule covers it.

    N1 types with attached GPUs (``n1-standard-8+1xnvidia-tesla-t4``) use the
    plain N1 rule: the higher GPU bandwidth tiers are not assumed.
    """
    base = name.split("+", 1)[0]
    if base in _FIXED:
        return _FIXED[base]
    family = base.split("-", 1)[0]
    rule = _PER_VCPU.get(family)
    if rule is None:
        return None
    per_vcpu, cap = rule
    return min(per_vcpu * vcpu, cap)
