"""Network bandwidth from EC2 ``NetworkInfo``.

``NetworkPerformance`` is a display string: "Up to 12.5 Gigabit", "100 Gigabit",
"4x 100 Gigabit", "Moderate", "High". For a number we return Gbps; for the
word-only classes ("Low", "Moderate", "High", ...) AWS publishes no number, so
we return None rather than guess.

"Up to N" is a burst ceiling. When the spec carries the documented baseline
(``NetworkCards[].BaselineBandwidthInGbps``) we use the baseline (summed over
the cards); otherwise N.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, Final

_PERF: Final = re.compile(
    r"^\s*(?P<upto>up\s+to\s+)?(?:(?P<mult>\d+)\s*x\s+)?(?P<num>\d+(?:\.\d+)?)\s*"
    r"(?P<unit>gigabit|megabit|gbps|mbps)\s*$",
    re.IGNORECASE,
)


def parse_network_performance(text: str) -> tuple[float | None, bool]:
    """``"4x 100 Gigabit"`` → (400.0, False); ``"Up to 10 Gigabit"`` → (10.0, True).

    The flag says the figure is an "Up to" burst ceiling. Word-only classes
    give (None, False).
    """
    match = _PERF.match(text or "")
    if match is None:
        return None, False
    value = float(match["num"]) * int(match["mult"] or 1)
    if match["unit"].lower() in {"megabit", "mbps"}:
        value /= 1000.0
    return value, bool(match["upto"])


def bandwidth_gbps(network_info: Mapping[str, Any] | None) -> float | None:
    """Gbps for one instance type from its ``NetworkInfo`` (see the module docstring)."""
    if not network_info:
        return None
    value, up_to = parse_network_performance(str(network_info.get("NetworkPerformance", "")))
    if value is None:
        return None
    if up_to:
        baselines = [
            float(card["BaselineBandwidthInGbps"])
            for card in network_info.get("NetworkCards") or []
            if isinstance(card, Mapping) and card.get("BaselineBandwidthInGbps")
        ]
        if baselines:
            return sum(baselines)
    return value if value > 0 else None
