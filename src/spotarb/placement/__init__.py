"""Placement: where should a workload run right now? Filter → prefer → rank → decide."""

from spotarb.placement.decision import PlacementDecision, PlacementSummary, ScoreBreakdown
from spotarb.placement.engine import (
    NoMatchError,
    PlacementEngine,
    find_optimal_placement,
    place,
)
from spotarb.placement.requirements import STRATEGIES, Strategy, WorkloadRequirements
from spotarb.placement.snapshot import PriceSnapshot

__all__ = [
    "STRATEGIES",
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
]
