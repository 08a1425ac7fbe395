"""The read queries every SQL store runs; backends differ only in the parameter mark.

SQLite's driver takes ``?``, psycopg takes ``%s``: each function returns the SQL text
and its arguments for the mark it is given, so both stores filter, order and limit
current prices and history exactly alike. :class:`PriceReads` holds the read methods
themselves, over a store's own ``_read``.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any, ClassVar, Final

from spotarb.core.models import PriceKey, SpotPrice
from spotarb.core.rows import SELECT_PRICE_COLUMNS, Row, from_row
from spotarb.store.base import PriceFilter

#: Current prices, cheapest first, ties by the whole key (a total order).
CURRENT_ORDER: Final = "price_per_hour, provider, region, availability_zone, instance_type, os"

Query = tuple[str, list[Any]]


def current_rows_query(flt: PriceFilter, mark: str) -> Query:
    """``SELECT`` of the current rows matching ``flt``, cheapest first."""
    where: list[str] = []
    args: list[Any] = []
    for column, values in (
        ("provider", flt.providers),
        ("region", flt.regions),
        ("instance_type", flt.instance_types),
    ):
        if values:
            where.append(f"{column} IN ({', '.join(mark for _ in values)})")
            args.extend(values)
    if flt.gpu_type:
        where.append(f"gpu_type = {mark}")
        args.append(flt.gpu_type)
    for column, value, op in (
        ("vcpu", flt.min_vcpu, ">="),
        ("memory_gb", flt.min_memory_gb, ">="),
        ("price_per_hour", flt.max_price, "<="),
    ):
        if value is not None:
            where.append(f"{column} {op} {mark}")
            args.append(value)
    sql = f"SELECT {SELECT_PRICE_COLUMNS} FROM spot_prices"
    if where:
        sql += " WHERE " + " AND ".join(where)
    sql += f" ORDER BY {CURRENT_ORDER}"
    if flt.limit is not None:
        sql += f" LIMIT {mark}"
        args.append(flt.limit)
    return sql, args


def history_query(
    key: PriceKey, since: datetime | None, until: datetime | None, mark: str
) -> Query:
    """``SELECT`` of one key's history rows in ``[since, until]``, oldest first."""
    sql = (
        f"SELECT {SELECT_PRICE_COLUMNS} FROM price_history WHERE provider = {mark} "
        f"AND region = {mark} AND availability_zone = {mark} AND instance_type = {mark} "
        f"AND os = {mark}"
    )
    args: list[Any] = list(key)
    if since is not None:
        sql += f" AND observed_at >= {mark}"
        args.append(since.astimezone(UTC).isoformat())
    if until is not None:
        sql += f" AND observed_at <= {mark}"
        args.append(until.astimezone(UTC).isoformat())
    return sql + " ORDER BY observed_at", args


#: Every history row, by key then time (what ``export --history`` writes).
ALL_HISTORY: Final = (
    f"SELECT {SELECT_PRICE_COLUMNS} FROM price_history ORDER BY provider, region, "
    "availability_zone, instance_type, os, observed_at"
)


def runs_query(source: str | None, limit: int, run_id: int | None, mark: str) -> Query:
    """``SELECT`` of collection runs, newest first: one run by id, one source's, or all."""
    sql = (
        "SELECT id, source, started_at, finished_at, rows_seen, rows_changed, status, error "
        "FROM collection_runs"
    )
    args: list[Any] = []
    if run_id is not None:
        sql += f" WHERE id = {mark}"
        args.append(run_id)
    elif source is not None:
        sql += f" WHERE source = {mark}"
        args.append(source)
    return sql + f" ORDER BY id DESC LIMIT {mark}", [*args, limit]


class PriceReads:
    """The price reads both SQL stores answer alike: a store gives its mark and ``_read``."""

    #: The driver's parameter mark (``?`` for sqlite3, ``%s`` for psycopg).
    mark: ClassVar[str]

    def _read(self, query: str, args: Sequence[Any]) -> list[Row]:
        raise NotImplementedError

    def current_rows(self, flt: PriceFilter | None = None) -> list[Row]:
        return self._read(*current_rows_query(flt or PriceFilter(), self.mark))

    def current_prices(self, flt: PriceFilter | None = None) -> list[SpotPrice]:
        times: dict[str, datetime] = {}
        return [from_row(r, times) for r in self.current_rows(flt)]

    def history(
        self,
        key: PriceKey,
        since: datetime | None = None,
        until: datetime | None = None,
    ) -> list[SpotPrice]:
        times: dict[str, datetime] = {}
        return [
            from_row(r, times) for r in self._read(*history_query(key, since, until, self.mark))
        ]

    def all_history(self) -> list[SpotPrice]:
        times: dict[str, datetime] = {}
        return [from_row(r, times) for r in self._read(ALL_HISTORY, [])]
