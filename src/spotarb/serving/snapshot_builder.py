"""The one snapshot builder: current rows → the placement snapshots every reader uses.

From the store's current rows it builds two :class:`PriceSnapshot`\\ s: every Linux
row (for ``allow_stale``) and only the rows the :class:`StalenessPolicy` calls
fresh (the default), plus per-provider counts. The service builds one after each
write; the CLI and library callers build one with :func:`load_snapshots`. The
same rows and policy give the same snapshots, so the same answers.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from types import MappingProxyType

from spotarb.core.models import SpotPrice
from spotarb.core.rows import Row, from_row
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


@dataclass(frozen=True, slots=True, eq=False)
class PriceSnapshots:
    """Every current row and the two placement snapshots built from them; never modified."""

    version: int
    built_at: datetime
    #: Every current row (all OSes), as the store lists them.
    rows: tuple[SpotPrice, ...]
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

    @property
    def stale_total(self) -> int:
        """Current rows of every OS that are stale."""
        return sum(c.stale for c in self.by_provider.values())

    def snapshot(self, allow_stale: bool = False) -> PriceSnapshot:
        return self.full if allow_stale else self.fresh

    def stale_excluded(self, allow_stale: bool = False) -> int:
        """How many stale rows a read with this ``allow_stale`` leaves out."""
        return 0 if allow_stale else self.stale_rows


def build_snapshots(
    rows: Sequence[Row],
    *,
    version: int,
    policy: StalenessPolicy,
    now: float | None = None,
) -> PriceSnapshots:
    """Split the store's ``rows`` by ``policy`` at ``now`` (epoch seconds, default: now).

    The placement snapshots are built straight from the row tuples
    (:meth:`PriceSnapshot.from_rows`); the ``SpotPrice`` objects are built once, for
    the readers that list rows (prices, charts).
    """
    times: dict[str, datetime] = {}
    every = tuple(from_row(row, times) for row in rows)
    at = time.time() if now is None else now
    linux: list[Row] = []
    fresh_rows: list[Row] = []
    next_stale = float("inf")
    counts: dict[str, list[int]] = {}
    newest: dict[str, datetime] = {}
    oldest: dict[str, datetime] = {}
    for tup, row in zip(rows, every, strict=True):
        expires = policy.expires_at(row)
        fresh = expires > at
        p = row.provider
        count = counts.setdefault(p, [0, 0])
        count[0] += 1
        if fresh:
            count[1] += 1
        when = row.collected_at
        if p not in newest or when > newest[p]:
            newest[p] = when
        if p not in oldest or when < oldest[p]:
            oldest[p] = when
        if row.os != "linux":
            continue
        linux.append(tup)
        if fresh:
            fresh_rows.append(tup)
            next_stale = min(next_stale, expires)
    full = PriceSnapshot.from_rows(linux, data_version=version)
    fresh_snap = (
        full
        if len(fresh_rows) == len(linux)
        else PriceSnapshot.from_rows(fresh_rows, data_version=version)
    )
    by_provider = {
        p: ProviderRows(rows=n, fresh=f, newest=newest[p], oldest=oldest[p])
        for p, (n, f) in sorted(counts.items())
    }
    return PriceSnapshots(
        version=version,
        built_at=datetime.now(UTC),
        rows=every,
        full=full,
        fresh=fresh_snap,
        stale_rows=len(linux) - len(fresh_rows),
        next_stale_at=next_stale,
        by_provider=MappingProxyType(by_provider),
        policy=policy,
    )


def load_snapshots(
    store: PriceStore, policy: StalenessPolicy, *, now: float | None = None
) -> PriceSnapshots:
    """The store's current rows, built into snapshots (one consistent read)."""
    version = store.data_version()
    return build_snapshots(store.current_rows(), version=version, policy=policy, now=now)
