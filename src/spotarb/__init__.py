"""spotarb: multi-cloud spot price arbitrage.

Collects AWS, Azure and GCP spot prices into one normalized schema, keeps
their history, and answers where a workload should run.

The placement API is re-exported lazily (importing :mod:`spotarb` does not load
numpy until one of those names is used).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from spotarb.core.errors import SpotArbError
from spotarb.core.models import SpotPrice

if TYPE_CHECKING:
    from spotarb.core.version import __version__
    from spotarb.placement import (
        FleetPlan,
        FleetRequirements,
        PlacementDecision,
        PlacementEngine,
        PriceSnapshot,
        WorkloadRequirements,
        find_optimal_placement,
        plan_fleet,
    )

__all__ = [
    "FleetPlan",
    "FleetRequirements",
    "PlacementDecision",
    "PlacementEngine",
    "PriceSnapshot",
    "SpotArbError",
    "SpotPrice",
    "WorkloadRequirements",
    "__version__",
    "find_optimal_placement",
    "plan_fleet",
]

_LAZY = frozenset(
    {
        "FleetPlan",
        "FleetRequirements",
        "PlacementDecision",
        "PlacementEngine",
        "PriceSnapshot",
        "WorkloadRequirements",
        "find_optimal_placement",
        "plan_fleet",
    }
)


def __getattr__(name: str) -> Any:
    if name == "__version__":  # importlib.metadata costs ~40 ms at import
        from spotarb.core.version import __version__

        return __version__
    if name in _LAZY:
        from spotarb import placement

        return getattr(placement, name)
    raise AttributeError(f"module 'spotarb' has no attribute {name!r}")
