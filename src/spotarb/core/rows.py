"""The normalized row as a tuple: column order, conversion, and batches of validated rows.

The SQL tables store exactly these columns in this order, the store protocol
takes and gives rows in this form, and bulk paths (a CSV import of 200,000 rows)
carry them instead of one :class:`SpotPrice` object per row. Timestamps are
ISO 8601 UTC text (sortable as text, readable in the sqlite3 shell). The lists
are kept explicit, not derived from the model.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from datetime import datetime
from operator import attrgetter, itemgetter
from typing import Any, Final, overload

from spotarb.core.models import SpotPrice

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

#: A row is a tuple of :data:`PRICE_COLUMNS` values.
Row = tuple[Any, ...]

#: ``row_key(row)`` is the row's :data:`KEY_COLUMNS` values, computed in C.
row_key: Final[Any] = itemgetter(*range(len(KEY_COLUMNS)))

#: Where ``observed_at`` is in a row (ISO 8601 UTC text: compares as the instant does).
OBSERVED_AT: Final = PRICE_COLUMNS.index("observed_at")


def ts(value: datetime) -> str:
    return value.isoformat()


#: The non-timestamp columns of a row, read in C (one call instead of 17 attribute loads).
_PLAIN_VALUES: Final = attrgetter(*PRICE_COLUMNS[:-2])


def to_row(p: SpotPrice, iso: dict[datetime, str] | None = None, *tail: Any) -> Row:
    """The row's values in :data:`PRICE_COLUMNS` order, then ``tail``.

    ``iso`` caches timestamp strings (a batch shares a handful of timestamps).
    """
    observed_at, collected_at = p.observed_at, p.collected_at
    if iso is None:
        return (*_PLAIN_VALUES(p), observed_at.isoformat(), collected_at.isoformat(), *tail)
    observed = iso.get(observed_at) or iso.setdefault(observed_at, observed_at.isoformat())
    collected = iso.get(collected_at) or iso.setdefault(collected_at, collected_at.isoformat())
    return (*_PLAIN_VALUES(p), observed, collected, *tail)


def from_row(row: Row, times: dict[str, datetime] | None = None) -> SpotPrice:
    """A row read back from the store (or a batch); it was validated before, so it is trusted."""
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


def to_rows(prices: Iterable[SpotPrice]) -> list[Row]:
    """Prices as rows (a :class:`PriceBatch` already holds them: its own list comes back)."""
    if isinstance(prices, PriceBatch):
        return prices.rows
    iso: dict[datetime, str] = {}
    return [to_row(p, iso) for p in prices]


class PriceBatch(Sequence[SpotPrice]):
    """Validated prices held as rows: a bulk batch without one object per price.

    It reads as a sequence of :class:`SpotPrice` (built on access), so every
    caller that takes prices takes a batch; the aggregator hands its :attr:`rows`
    to the store as they are. Only validated rows may go in: :meth:`from_prices`,
    or a parser whose output is tested to equal what ``SpotPrice`` would accept and hold.
    """

    __slots__ = ("_times", "rows")

    def __init__(self, rows: list[Row]) -> None:
        self.rows = rows
        self._times: dict[str, datetime] = {}

    @classmethod
    def from_prices(cls, prices: Iterable[SpotPrice]) -> PriceBatch:
        if isinstance(prices, PriceBatch):
            return prices
        return cls(to_rows(prices))

    @classmethod
    def concat(cls, batches: Iterable[PriceBatch]) -> PriceBatch:
        """One batch of all the rows, in order."""
        rows: list[Row] = []
        for batch in batches:
            rows.extend(batch.rows)
        return cls(rows)

    def __len__(self) -> int:
        return len(self.rows)

    @overload
    def __getitem__(self, index: int) -> SpotPrice: ...
    @overload
    def __getitem__(self, index: slice) -> PriceBatch: ...
    def __getitem__(self, index: int | slice) -> SpotPrice | PriceBatch:
        if isinstance(index, slice):
            return PriceBatch(self.rows[index])
        return from_row(self.rows[index], self._times)

    def __iter__(self) -> Iterator[SpotPrice]:
        times = self._times
        for row in self.rows:
            yield from_row(row, times)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, PriceBatch):
            return self.rows == other.rows
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"PriceBatch({len(self)} rows)"
