from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from spotarb.core.models import SpotPrice

NOW = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)


def price(
    instance_type: str = "m5.large",
    price_per_hour: float = 0.1,
    *,
    provider: str = "aws",
    region: str = "us-east-1",
    zone: str | None = None,
    vcpu: float = 2,
    memory_gb: float = 8,
    **extra: Any,
) -> SpotPrice:
    """One Linux spot price; AWS rows get a zone unless told otherwise."""
    if zone is None:
        zone = f"{region}a" if provider == "aws" else ""
    extra.setdefault("observed_at", NOW)
    extra.setdefault("collected_at", NOW)
    return SpotPrice(
        provider=provider,
        region=region,
        availability_zone=zone,
        instance_type=instance_type,
        vcpu=vcpu,
        memory_gb=memory_gb,
        price_per_hour=price_per_hour,
        **extra,
    )


@pytest.fixture
def now() -> datetime:
    return NOW
