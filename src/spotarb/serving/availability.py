"""The availability score of one price row: how likely the capacity is to stay.

``100 · (1 − r)`` where ``r`` is the row's monthly interruption rate (the
formula the placement scores use), with ``r = 0.1`` assumed when the feed does
not know it. A feed that also reports a *placement score* (AWS Spot Placement
Score, 1–10) can pass it in; the two are then averaged, the placement score
scaled to 0–100. No feed on this branch reports placement scores yet, so today
the score is ``100 · (1 − r)``.
"""

from __future__ import annotations

from typing import Final

from spotarb.core.models import SpotPrice

#: Monthly interruption rate assumed when a row has none.
DEFAULT_INTERRUPTION_RATE: Final = 0.1


def availability_score(price: SpotPrice, placement_score: float | None = None) -> float:
    """0–100, higher is better (see the module docstring)."""
    rate = price.interruption_rate
    base = 100.0 * (1.0 - (DEFAULT_INTERRUPTION_RATE if rate is None else rate))
    if placement_score is None:
        return base
    scaled = 10.0 * min(10.0, max(1.0, placement_score))
    return (base + scaled) / 2.0
