"""A placement under the staleness policy: the one way library, CLI, API and web place.

:func:`decide` runs the engine on the fresh snapshot (or every row with
``allow_stale``) and returns a :class:`Placement`; when nothing matches it raises
:class:`NoCurrentMatch`, which also says how many stale prices were left out.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from spotarb.placement import PlacementDecision, WorkloadRequirements
from spotarb.placement.engine import NoMatchError, place
from spotarb.serving.snapshot_builder import PriceSnapshots


@dataclass(frozen=True, slots=True)
class Placement:
    """The engine's decision and the data it was made on."""

    decision: PlacementDecision
    data_version: int
    computed_at: datetime
    allow_stale: bool
    #: Stale rows left out (0 with ``allow_stale``).
    stale_rows_excluded: int


class NoCurrentMatch(NoMatchError):
    """Nothing matches on the data used; ``stale_could_help`` when stale rows were left out."""

    def __init__(
        self, cause: NoMatchError, *, data_version: int, allow_stale: bool, stale_rows_excluded: int
    ) -> None:
        super().__init__(
            str(cause), blocking_filter=cause.blocking_filter, removed_by=cause.removed_by
        )
        self.data_version = data_version
        self.allow_stale = allow_stale
        self.stale_rows_excluded = stale_rows_excluded
        self.stale_could_help = bool(stale_rows_excluded)


def decide(
    snapshots: PriceSnapshots,
    req: WorkloadRequirements,
    *,
    allow_stale: bool = False,
    now: datetime | None = None,
) -> Placement:
    """The best place for ``req`` on fresh prices (every price with ``allow_stale``)."""
    excluded = snapshots.stale_excluded(allow_stale)
    when = now or datetime.now(UTC)
    try:
        decision = place(snapshots.snapshot(allow_stale), req, now=when)
    except NoMatchError as exc:
        raise NoCurrentMatch(
            exc,
            data_version=snapshots.version,
            allow_stale=allow_stale,
            stale_rows_excluded=excluded,
        ) from None
    return Placement(decision, snapshots.version, when, allow_stale, excluded)
