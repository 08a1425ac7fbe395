"""A fleet under the staleness policy: the one way library, CLI, API and web plan fleets.

:func:`plan_on` runs the fleet planner on the fresh snapshot (or every row with
``allow_stale``) and returns a :class:`PlannedFleet`; when there is no plan it
raises :class:`NoCurrentFleet`, which also says how many stale prices were left out.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from spotarb.core.errors import NoPlacementError
from spotarb.placement import FleetInfeasibleError, FleetPlan, FleetRequirements
from spotarb.placement.engine import NoMatchError
from spotarb.placement.fleet import plan
from spotarb.serving.snapshot_builder import PriceSnapshots


@dataclass(frozen=True, slots=True)
class PlannedFleet:
    """The plan and the data it was made on."""

    plan: FleetPlan
    data_version: int
    computed_at: datetime
    allow_stale: bool
    #: Stale rows left out (0 with ``allow_stale``).
    stale_rows_excluded: int


class NoCurrentFleet(NoPlacementError):
    """No fleet on the data used: a filter left nothing, or the caps stop the target.

    ``cause`` is the planner's error (:class:`~spotarb.placement.engine.NoMatchError`
    or :class:`~spotarb.placement.FleetInfeasibleError`); ``stale_could_help`` when
    stale rows were left out.
    """

    def __init__(
        self,
        cause: NoPlacementError,
        *,
        data_version: int,
        allow_stale: bool,
        stale_rows_excluded: int,
    ) -> None:
        super().__init__(str(cause))
        self.cause = cause
        self.data_version = data_version
        self.allow_stale = allow_stale
        self.stale_rows_excluded = stale_rows_excluded
        self.stale_could_help = bool(stale_rows_excluded)

    @property
    def infeasible(self) -> FleetInfeasibleError | None:
        return self.cause if isinstance(self.cause, FleetInfeasibleError) else None

    @property
    def no_match(self) -> NoMatchError | None:
        return self.cause if isinstance(self.cause, NoMatchError) else None


def plan_on(
    snapshots: PriceSnapshots,
    freq: FleetRequirements,
    *,
    allow_stale: bool = False,
    now: datetime | None = None,
) -> PlannedFleet:
    """The fleet for ``freq`` on fresh prices (every price with ``allow_stale``)."""
    excluded = snapshots.stale_excluded(allow_stale)
    try:
        fleet = plan(snapshots.snapshot(allow_stale), freq)
    except NoPlacementError as exc:
        raise NoCurrentFleet(
            exc,
            data_version=snapshots.version,
            allow_stale=allow_stale,
            stale_rows_excluded=excluded,
        ) from None
    return PlannedFleet(fleet, snapshots.version, now or datetime.now(UTC), allow_stale, excluded)
