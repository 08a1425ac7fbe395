"""The one snapshot builder: current rows → the placement snapshots every reader uses.

From the store's current rows it builds two :class:`PriceSnapshot`\\ s: every Linux
row (for ``allow_stale``) and only the rows the :class:`StalenessPolicy` calls
fresh (the default), plus per-provider counts. The service builds one after each
write; the CLI and library callers build one with :func:`load_snapshots`. The
same rows and policy give the same snapshots, so the same answers.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from itertools import compress
from operator import itemgetter
from types import MappingProxyType

import numpy as np

from spotarb.core.codes import distinct_codes
from spotarb.core.gc_pause import gc_paused
from spotarb.core.models import SpotPrice
from spotarb.core.rows import PRICE_COLUMNS, Row, from_row
from spotarb.placement import PriceSnapshot
from spotarb.serving.staleness import StalenessPolicy
from spotarb.store.base import PriceStore


@dataclass(frozen=True, slots=True)
class ProviderRows:
    """One provider's current rows (every OS): how many, how many fresh, their ages."""

    rows: int
    fresh: int
    newest: datetime
    oldest: datetime

    @property
    def stale(self) -> int:
        return self.rows - self.fresh


class LazyPrices:
    """Every current row as :class:`SpotPrice` objects, built on first use and kept.

    A million objects take seconds to build; most snapshots are replaced (after the
    next write) before anything lists every row, so they are built only when asked.
    """

    __slots__ = ("_lock", "_prices", "_rows")

    def __init__(self, rows: tuple[Row, ...]) -> None:
        self._rows = rows
        self._prices: tuple[SpotPrice, ...] | None = None
        self._lock = threading.Lock()

    def get(self) -> tuple[SpotPrice, ...]:
        prices = self._prices
        if prices is None:
            with self._lock:
                if self._prices is None:
                    times: dict[str, datetime] = {}
                    with gc_paused():
                        self._prices = tuple(from_row(row, times) for row in self._rows)
                prices = self._prices
        return prices


@dataclass(frozen=True, slots=True, eq=False)
class PriceSnapshots:
    """Every current row and the two placement snapshots built from them; never modified."""

    version: int
    built_at: datetime
    #: Every current row (all OSes), as the store lists them.
    tuples: tuple[Row, ...]
    #: Linux rows, stale ones included.
    full: PriceSnapshot
    #: Linux rows within their max age.
    fresh: PriceSnapshot
    #: Linux rows left out of ``fresh``.
    stale_rows: int
    #: Epoch seconds when the next fresh row turns stale (rebuild then).
    next_stale_at: float
    by_provider: Mapping[str, ProviderRows]
    policy: StalenessPolicy
    _prices: LazyPrices

    @property
    def rows(self) -> tuple[SpotPrice, ...]:
        """Every current row (all OSes) as objects (built on first use)."""
        return self._prices.get()

    @property
    def row_count(self) -> int:
        return len(self.tuples)

    @property
    def stale_total(self) -> int:
        """Current rows of every OS that are stale."""
        return sum(c.stale for c in self.by_provider.values())

    def snapshot(self, allow_stale: bool = False) -> PriceSnapshot:
        return self.full if allow_stale else self.fresh

    def stale_excluded(self, allow_stale: bool = False) -> int:
        """How many stale rows a read with this ``allow_stale`` leaves out."""
        return 0 if allow_stale else self.stale_rows


#: What a row's staleness depends on (and whether it is a Linux row).
_AGE_KEY = itemgetter(
    PRICE_COLUMNS.index("provider"),
    PRICE_COLUMNS.index("source"),
    PRICE_COLUMNS.index("collected_at"),
    PRICE_COLUMNS.index("os"),
)


def build_snapshots(
    rows: Sequence[Row],
    *,
    version: int,
    policy: StalenessPolicy,
    now: float | None = None,
) -> PriceSnapshots:
    """Split the store's ``rows`` by ``policy`` at ``now`` (epoch seconds, default: now).

    Rows of one batch share provider, source and collection time, so staleness is
    decided once per distinct (provider, source, collected_at, os) and spread to the
    rows by code; the placement snapshots are built straight from the row tuples
    (:meth:`PriceSnapshot.from_rows`). No object is built per row here.
    """
    rows = tuple(rows)
    at = time.time() if now is None else now
    groups, group_code = distinct_codes(rows, _AGE_KEY)
    collected = [datetime.fromisoformat(g[2]) for g in groups]
    expires = np.array(
        [
            when.timestamp() + policy.max_age_of(provider, source or "")
            for (provider, source, _, _), when in zip(groups, collected, strict=True)
        ],
        dtype=np.float64,
    )
    group_fresh = expires > at
    group_linux = np.array([g[3] == "linux" for g in groups], dtype=np.bool_)
    linux_mask = group_linux[group_code]
    fresh_linux_mask = (group_linux & group_fresh)[group_code]
    linux = rows if bool(linux_mask.all()) else tuple(compress(rows, linux_mask.tolist()))
    fresh_count = int(np.count_nonzero(fresh_linux_mask))
    full = PriceSnapshot.from_rows(linux, data_version=version)
    fresh_snap = (
        full
        if fresh_count == len(linux)
        else PriceSnapshot.from_rows(
            tuple(compress(rows, fresh_linux_mask.tolist())), data_version=version
        )
    )
    rows_per_group = np.bincount(group_code, minlength=len(groups)).tolist()
    counts: dict[str, list[int]] = {}
    newest: dict[str, datetime] = {}
    oldest: dict[str, datetime] = {}
    for (provider, *_), when, fresh, n in zip(
        groups, collected, group_fresh.tolist(), rows_per_group, strict=True
    ):
        count = counts.setdefault(provider, [0, 0])
        count[0] += n
        count[1] += n if fresh else 0
        newest[provider] = max(newest.get(provider, when), when)
        oldest[provider] = min(oldest.get(provider, when), when)
    live = expires[group_linux & group_fresh]
    by_provider = {
        p: ProviderRows(rows=n, fresh=f, newest=newest[p], oldest=oldest[p])
        for p, (n, f) in sorted(counts.items())
    }
    return PriceSnapshots(
        version=version,
        built_at=datetime.now(UTC),
        tuples=rows,
        full=full,
        fresh=fresh_snap,
        stale_rows=len(linux) - fresh_count,
        next_stale_at=float(live.min()) if live.size else float("inf"),
        by_provider=MappingProxyType(by_provider),
        policy=policy,
        _prices=LazyPrices(rows),
    )


def load_snapshots(
    store: PriceStore, policy: StalenessPolicy, *, now: float | None = None
) -> PriceSnapshots:
    """The store's current rows, built into snapshots (one consistent read)."""
    version = store.data_version()
    return build_snapshots(store.current_rows(), version=version, policy=policy, now=now)
