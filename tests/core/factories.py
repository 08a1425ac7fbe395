"""Builders for test rows: valid by default, every field overridable."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from spotarb.core.models import SpotPrice

T0 = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)


def price(**overrides: Any) -> SpotPrice:
    values: dict[str, Any] = {
        "provider": "aws",
        "region": "us-east-1",
        "availability_zone": "us-east-1a",
        "instance_type": "m5.large",
        "vcpu": 2,
        "memory_gb": 8,
        "price_per_hour": 0.035,
        "observed_at": T0,
        "collected_at": T0,
    }
    values.update(overrides)
    return SpotPrice(**values)
