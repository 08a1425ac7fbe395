"""Column lists and row conversion for the SQL tables, kept explicit (not derived from the model).

Timestamps are stored as ISO 8601 UTC text (sortable, readable in the sqlite3 shell).
"""

from __future__ import annotations

from datetime import datetime
from operator import attrgetter
from typing import Any, Final

from spotarb.models import SpotPrice

KEY_COLUMNS: Final = ("provider", "region", "availability_zone", "instance_type", "os")

#: Every column of ``spot_prices`` and ``price_history``, in table order.
PRICE_COLUMNS: Final = (
    *KEY_COLUMNS,
    "vcpu",
    "memory_gb",
    "gpu_count",
    "gpu_type",
    "gpu_memory_gb",
    "arch",
    "network_bandwidth_gbps",
    "price_per_hour",
    "on_demand_price_per_hour",
    "interruption_rate",
    "interruption_source",
    "source",
    "observed_at",
    "collected_at",
)

SELECT_PRICE_COLUMNS: Final = ", ".join(PRICE_COLUMNS)


def ts(value: datetime) -> str:
    return value.isoformat()


#: The non-timestamp columns of a row, read in C (one call instead of 17 attribute loads).
_PLAIN_VALUES: Final = attrgetter(*PRICE_COLUMNS[:-2])


def to_row(p: SpotPrice, iso: dict[datetime, str] | None = None, *tail: Any) -> tuple[Any, ...]:
    """The row's values in :data:`PRICE_COLUMNS` order, then ``tail``.

    ``iso`` caches timestamp strings (a batch shares a handful of timestamps).
    """
    observed_at, collected_at = p.observed_at, p.collected_at
    if iso is None:
        return (*_PLAIN_VALUES(p), observed_at.isoformat(), collected_at.isoformat(), *tail)
    observed = iso.get(observed_at) or iso.setdefault(observed_at, observed_at.isoformat())
    collected = iso.get(collected_at) or iso.setdefault(collected_at, collected_at.isoformat())
    return (*_PLAIN_VALUES(p), observed, collected, *tail)


def from_row(row: tuple[Any, ...], times: dict[str, datetime] | None = None) -> SpotPrice:
    """A row read back from the store; it was validated when written, so it is trusted."""
    if times is None:
        times = {}
    observed = times.get(row[17]) or times.setdefault(row[17], datetime.fromisoformat(row[17]))
    collected = times.get(row[18]) or times.setdefault(row[18], datetime.fromisoformat(row[18]))
    return SpotPrice.trusted(
        provider=row[0],
        region=row[1],
        availability_zone=row[2],
        instance_type=row[3],
        os=row[4],
        vcpu=row[5],
        memory_gb=row[6],
        gpu_count=row[7],
        gpu_type=row[8],
        gpu_memory_gb=row[9],
        arch=row[10],
        network_bandwidth_gbps=row[11],
        price_per_hour=row[12],
        on_demand_price_per_hour=row[13],
        interruption_rate=row[14],
        interruption_source=row[15],
        # Rows written before a column existed read back as NULL: default them.
        source=row[16] or "",
        observed_at=observed,
        collected_at=collected,
    )
