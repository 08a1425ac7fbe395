"""The normalized row as a tuple: column order, conversion, and batches of validated rows.

The SQL tables store exactly these columns in this order, and bulk paths (a CSV
import of 200,000 rows) carry rows in this form instead of one :class:`SpotPrice`
object per row. Timestamps are ISO 8601 UTC text (sortable, readable in the
sqlite3 shell). The lists are kept explicit, not derived from the model.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from datetime import datetime
from itertools import chain
from operator import attrgetter, itemgetter
from typing import TYPE_CHECKING, Any, Final, overload

from spotarb.core.models import PriceKey, SpotPrice

if TYPE_CHECKING:  # staging builds on this module
    from spotarb.ingest.staging import StagedRows

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


class PriceBatch(Sequence[SpotPrice]):
    """Validated prices held as rows: a bulk batch without one object per price.

    It reads as a sequence of :class:`SpotPrice` (built on access), so every
    caller that takes prices takes a batch; a store writes its rows directly.
    Only validated rows may go in: :meth:`from_prices`, or a parser whose output
    is tested to equal what ``SpotPrice`` would accept and hold.

    Some rows may still be in a staging file (:class:`~spotarb.ingest.staging.StagedRows`,
    written by the CSV worker): the SQLite store merges those in SQL, and anything
    that reads :attr:`rows` loads them, in order, on first use.
    """

    __slots__ = ("_parts", "_times")

    def __init__(self, rows: list[Row], staged: Iterable[StagedRows] = ()) -> None:
        self._parts: list[list[Row] | StagedRows] = [rows, *staged]
        self._times: dict[str, datetime] = {}

    @classmethod
    def from_prices(cls, prices: Iterable[SpotPrice]) -> PriceBatch:
        if isinstance(prices, PriceBatch):
            return prices
        iso: dict[datetime, str] = {}
        return cls([to_row(p, iso) for p in prices])

    @classmethod
    def concat(cls, batches: Iterable[PriceBatch]) -> PriceBatch:
        """One batch of all the rows, in order; staged parts stay staged."""
        batch = cls([])
        batch._parts = [part for b in batches for part in b._parts]
        return batch

    @property
    def rows(self) -> list[Row]:
        """Every row, in memory (staged parts are loaded on first use)."""
        parts = self._parts
        if len(parts) != 1 or not isinstance(parts[0], list):
            rows: list[Row] = []
            for part in parts:
                rows.extend(part if isinstance(part, list) else part.load())
            self._parts = [rows]
        return self._parts[0]  # type: ignore[return-value]

    @property
    def parts(self) -> tuple[list[Row] | StagedRows, ...]:
        """The rows as held: lists in memory and staged parts, in order."""
        return tuple(self._parts)

    @property
    def staged(self) -> list[StagedRows]:
        """The parts still in staging files."""
        return [part for part in self._parts if not isinstance(part, list)]

    def keys(self) -> Iterator[PriceKey]:
        """Every row's key, in order (a staged part's keys are held in memory)."""
        return chain.from_iterable(
            map(row_key, part) if isinstance(part, list) else part.keys for part in self._parts
        )

    def __len__(self) -> int:
        return sum(map(len, self._parts))

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
        staged = sum(map(len, self.staged))
        return (
            f"PriceBatch({len(self)} rows, {staged} staged)"
            if staged
            else (f"PriceBatch({len(self)} rows)")
        )
