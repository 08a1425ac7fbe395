"""The overview: each feed's health and freshness, and the best option per common shape."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from spotarb.api.routers.feeds import feeds_report
from spotarb.core.models import PROVIDERS
from spotarb.serving.service import Service


@dataclass(frozen=True, slots=True)
class FeedHealth:
    name: str
    #: fresh, degraded, failing, stale, no-data, off, unconfigured
    state: str
    label: str
    detail: str
    rows: int
    age_seconds: float | None
    max_age_seconds: float
    last_status: str | None
    last_success_at: str | None
    next_run_seconds: float | None


def feed_health(service: Service) -> list[FeedHealth]:
    """One line per registered feed, from the same report as ``GET /v1/feeds``."""
    out: list[FeedHealth] = []
    for feed in feeds_report(service):
        rows, age = feed["rows"], feed["dataAgeSeconds"]
        max_age = float(feed["maxAgeSeconds"])
        last_status = feed["lastStatus"] or (feed["lastRun"] or {}).get("status")
        failing = feed["consecutiveFailures"] > 0 or last_status == "failed"
        if not feed["enabled"] and not rows:
            state, label, detail = "off", "off", "not in SPOTARB_FEEDS"
        elif not feed["configured"] and not rows:
            state, label, detail = "unconfigured", "not configured", feed["reason"]
        elif not rows:
            state, label, detail = "no-data", "no data", feed["lastError"] or "no prices yet"
        elif failing:
            state, label = "failing", "failing"
            detail = feed["lastError"] or "the last run failed"
        elif age is not None and age > max_age:
            state, label, detail = "stale", "stale", f"older than {max_age:g} s"
        elif last_status == "partial" or feed["regionErrors"]:
            state, label = "degraded", "partial"
            detail = f"{len(feed['regionErrors'])} region error(s)"
        else:
            state, label, detail = "fresh", "fresh", ""
        out.append(
            FeedHealth(
                name=feed["name"],
                state=state,
                label=label,
                detail=detail,
                rows=rows,
                age_seconds=age,
                max_age_seconds=max_age,
                last_status=last_status,
                last_success_at=feed["lastSuccessAt"],
                next_run_seconds=feed["nextRunInSeconds"],
            )
        )
    return out


@dataclass(frozen=True, slots=True)
class Offer:
    provider: str
    region: str
    zone: str
    instance_type: str
    price: float
    vcpu: float
    memory_gb: float
    gpu_count: int
    gpu_type: str | None


@dataclass(slots=True)
class ShapeRow:
    name: str
    label: str
    kind: str
    best: Offer | None
    per_provider: dict[str, Offer | None] = field(default_factory=dict)
    cheapest: str | None = None
    next_cheapest: str | None = None
    spread_pct: float | None = None


def shape_label(shape: dict[str, Any]) -> str:
    if shape.get("gpuType"):
        return f"{shape['gpuCount']} × {shape['gpuType']}"
    return f"{shape['minCPU']:g} vCPU · {shape['minMemoryGB']:g} GiB"


def _offer(decision: dict[str, Any] | None) -> Offer | None:
    if not decision:
        return None
    return Offer(
        provider=decision["provider"],
        region=decision["region"],
        zone=decision["availabilityZone"],
        instance_type=decision["instanceType"],
        price=decision["pricePerHour"],
        vcpu=decision["vcpu"],
        memory_gb=decision["memoryGB"],
        gpu_count=decision["gpuCount"],
        gpu_type=decision["gpuType"],
    )


@dataclass(frozen=True, slots=True)
class BestOptions:
    rows: list[ShapeRow]
    hidden: int
    computed_at: str | None
    stale_excluded: int


def best_option_rows(service: Service) -> BestOptions:
    """The cached best options, one row per shape that some cloud can serve."""
    data = json.loads(service.state.best_options)
    rows: list[ShapeRow] = []
    hidden = 0
    for entry in data.get("options", []):
        per = {p: _offer(entry["perProvider"].get(p)) for p in PROVIDERS}
        if entry.get("best") is None and not any(per.values()):
            hidden += 1
            continue
        shape = entry["shape"]
        row = ShapeRow(
            name=shape["name"],
            label=shape_label(shape),
            kind="gpu" if shape.get("gpuType") else "cpu",
            best=_offer(entry.get("best")),
            per_provider=per,
        )
        ranked = sorted((o.price, p) for p, o in per.items() if o is not None)
        if ranked:
            row.cheapest = ranked[0][1]
        if len(ranked) >= 2:
            row.next_cheapest = ranked[1][1]
            row.spread_pct = 100.0 * (ranked[1][0] - ranked[0][0]) / ranked[0][0]
        rows.append(row)
    return BestOptions(
        rows=rows,
        hidden=hidden,
        computed_at=data.get("computedAt"),
        stale_excluded=int(data.get("staleRowsExcluded", 0)),
    )
