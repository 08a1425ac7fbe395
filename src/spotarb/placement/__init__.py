"""Placement: where should a workload run right now? Filter → prefer → rank → decide.

Fleets (:func:`plan_fleet`) spread N instances, or a vCPU/GPU target, over pools.
"""

from spotarb.placement.decision import PlacementDecision, PlacementSummary, ScoreBreakdown
from spotarb.placement.engine import (
    NoMatchError,
    PlacementEngine,
    find_optimal_placement,
    place,
)
from spotarb.placement.fleet import plan_fleet
from spotarb.placement.fleet_model import (
    FleetAllocation,
    FleetInfeasibleError,
    FleetPlan,
    FleetRequirements,
)
from spotarb.placement.requirements import STRATEGIES, Strategy, WorkloadRequirements
from spotarb.placement.snapshot import PriceSnapshot

__all__ = [
    "STRATEGIES",
    "FleetAllocation",
    "FleetInfeasibleError",
    "FleetPlan",
    "FleetRequirements",
    "NoMatchError",
    "PlacementDecision",
    "PlacementEngine",
    "PlacementSummary",
    "PriceSnapshot",
    "ScoreBreakdown",
    "Strategy",
    "WorkloadRequirements",
    "find_optimal_placement",
    "place",
    "plan_fleet",
]
