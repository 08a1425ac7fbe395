"""spotarb: multi-cloud spot price arbitrage engine.

The placement API is re-exported here lazily (importing :mod:`spotarb` does not
load numpy until one of these names is used).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from spotarb._version import __version__

if TYPE_CHECKING:
    from spotarb.placement import (
        PlacementDecision,
        PlacementEngine,
        PriceSnapshot,
        WorkloadRequirements,
        find_optimal_placement,
    )

__all__ = [
    "PlacementDecision",
    "PlacementEngine",
    "PriceSnapshot",
    "WorkloadRequirements",
    "__version__",
    "find_optimal_placement",
]

_LAZY = frozenset(__all__) - {"__version__"}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        from spotarb import placement

        return getattr(placement, name)
    raise AttributeError(f"module 'spotarb' has no attribute {name!r}")
