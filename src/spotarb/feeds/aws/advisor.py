"""The public Spot Instance Advisor feed (``spot-advisor-data.json``, no credentials).

Gives, per (region, OS, type), an interruption band ``r`` (an index into
``ranges``) and ``s``, the average spot saving against on-demand in % over
30 days (an integer that can be negative). Its ``instance_types`` section gives
vCPU (``cores`` is really the vCPU count) and RAM, used in credential-free mode.

Bands are stored as their upper bound, read from the band's ``label`` (the
``max`` values 5/11/16/22/100 are display widths, not bounds).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Final

from spotarb.core.errors import FeedParseError
from spotarb.core.http import OutboundClients, get_json
from spotarb.feeds.aws.gpu_table import gpus_for
from spotarb.feeds.aws.specs import InstanceSpec
from spotarb.feeds.ttl import TtlCache

logger = logging.getLogger(__name__)

#: The advisor changes daily at most.
ADVISOR_TTL_SECONDS: Final = 6 * 3600.0
INTERRUPTION_SOURCE: Final = "aws-spot-advisor"

#: Fallback by band index when a label cannot be read: <5, 5-10, 10-15, 15-20, >20 %.
_BAND_BY_INDEX: Final = (0.05, 0.10, 0.15, 0.20, 0.25)
_ARM_FAMILY: Final = re.compile(r"^[a-z]+\d+g")


def band_upper_bound(label: str) -> float | None:
    """``"<5%"`` → 0.05, ``"5-10%"`` → 0.10, ``">20%"`` → 0.25 (the open band's stored bound)."""
    text = label.strip().replace(" ", "")
    if text.startswith(">"):
        try:
            lower = float(text[1:].rstrip("%"))
        except ValueError:
            return None
        return min(1.0, (lower + 5.0) / 100.0)
    numbers = re.findall(r"\d+(?:\.\d+)?", text)
    if not numbers:
        return None
    return min(1.0, float(numbers[-1]) / 100.0)


def arch_of(instance_type: str) -> str:
    """Graviton families carry a ``g`` right after the generation (m6g, c7gn, t4g, x2gd)."""
    family = instance_type.partition(".")[0]
    if family == "a1" or _ARM_FAMILY.match(family):
        return "arm64"
    return "x86_64"


@dataclass(slots=True)
class AdvisorEntry:
    interruption_rate: float | None
    savings_pct: int | None


@dataclass(slots=True)
class AdvisorData:
    """The parsed advisor: Linux entries per (region, type), and vCPU/RAM per type."""

    entries: dict[tuple[str, str], AdvisorEntry] = field(default_factory=dict)
    instance_types: dict[str, tuple[float, float]] = field(default_factory=dict)

    def entry(self, region: str, instance_type: str) -> AdvisorEntry | None:
        return self.entries.get((region, instance_type))

    def spec(self, instance_type: str) -> InstanceSpec | None:
        """vCPU and RAM from the advisor, GPUs from the built-in table (no network data)."""
        known = self.instance_types.get(instance_type)
        if known is None:
            return None
        vcpu, ram = known
        count, gpu, gpu_mem = gpus_for(instance_type)
        return InstanceSpec(
            instance_type=instance_type,
            vcpu=vcpu,
            memory_gb=ram,
            gpu_count=count,
            gpu_type=gpu,
            gpu_memory_gb=gpu_mem,
            arch=arch_of(instance_type),
        )


def on_demand_from_savings(spot: float, savings_pct: int | None) -> float | None:
    """Approximate on-demand $/h: ``spot / (1 − s/100)``.

    ``s`` is a 30-day average across AZs, so this is an estimate, not a list
    price. None when ``s`` is missing or ≥ 100.
    """
    if savings_pct is None or savings_pct >= 100:
        return None
    return spot / (1.0 - savings_pct / 100.0)


def parse_advisor(payload: Any) -> AdvisorData:
    """Parse ``spot-advisor-data.json``; raises :class:`FeedParseError` on a wrong shape."""
    if not isinstance(payload, Mapping) or not isinstance(payload.get("spot_advisor"), Mapping):
        raise FeedParseError("spot advisor: no 'spot_advisor' object in the response")
    bands: dict[int, float] = {}
    for item in payload.get("ranges") or []:
        if isinstance(item, Mapping) and isinstance(item.get("index"), int):
            bound = band_upper_bound(str(item.get("label", "")))
            if bound is not None:
                bands[item["index"]] = bound
    data = AdvisorData()
    for name, info in (payload.get("instance_types") or {}).items():
        if not isinstance(info, Mapping):
            continue
        cores, ram = info.get("cores"), info.get("ram_gb")
        if (
            isinstance(cores, int | float)
            and isinstance(ram, int | float)
            and cores > 0
            and ram > 0
        ):
            data.instance_types[str(name)] = (float(cores), float(ram))
    for region, by_os in payload["spot_advisor"].items():
        linux = by_os.get("Linux") if isinstance(by_os, Mapping) else None
        if not isinstance(linux, Mapping):
            continue
        for name, values in linux.items():
            if not isinstance(values, Mapping):
                continue
            r, s = values.get("r"), values.get("s")
            rate: float | None = None
            if isinstance(r, int) and not isinstance(r, bool):
                rate = bands.get(r)
                if rate is None and 0 <= r < len(_BAND_BY_INDEX):
                    rate = _BAND_BY_INDEX[r]
            savings = s if isinstance(s, int) and not isinstance(s, bool) else None
            data.entries[(str(region), str(name))] = AdvisorEntry(rate, savings)
    return data


#: Parsed advisor per URL (the feed asks with ``max_age`` = the advisor interval).
AdvisorCache = TtlCache[str, AdvisorData]
DEFAULT_ADVISOR_CACHE: Final[AdvisorCache] = TtlCache(ADVISOR_TTL_SECONDS)


def fetch_advisor(url: str, clients: OutboundClients) -> AdvisorData:
    """Download and parse the advisor."""
    with clients.http("aws") as client:
        payload = get_json(client, url, what="spot advisor")
    data = parse_advisor(payload)
    logger.info(
        "spot advisor: %d entries, %d instance types", len(data.entries), len(data.instance_types)
    )
    return data


def load_advisor(
    cache: AdvisorCache, url: str, clients: OutboundClients, *, max_age: float | None = None
) -> AdvisorData:
    """The advisor from ``cache``, fetched again once older than ``max_age`` (default: TTL)."""
    return cache.get_or_fetch(url, lambda: fetch_advisor(url, clients), max_age=max_age)
