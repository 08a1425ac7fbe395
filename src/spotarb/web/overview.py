"""The overview: each feed's health and freshness, and the best option per common shape."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from spotarb.core.models import PROVIDERS
from spotarb.placement import PlacementDecision
from spotarb.serving.insights import Shape
from spotarb.serving.service import Service


@dataclass(frozen=True, slots=True)
class FeedHealth:
    name: str
    #: fresh, degraded, failing, stale, no-data, off, unconfigured
    state: str
    label: str
    detail: str
    rows: int
    fresh_rows: int
    age_seconds: float | None
    max_age_seconds: float
    last_status: str | None
    last_success_at: datetime | None
    next_run_seconds: float | None


def feed_health(service: Service) -> list[FeedHealth]:
    """One card per registered feed, from the same reports as ``GET /v1/feeds``.

    A feed is *stale* when none of its current prices is within its max age (the
    staleness policy's verdict on each row), so the best-options table beside it
    has nothing of that feed either.
    """
    out: list[FeedHealth] = []
    for feed in service.feed_reports():
        rows, age = feed.rows, feed.data_age_seconds
        last_status = feed.last_status or (feed.last_run.status if feed.last_run else None)
        failing = feed.consecutive_failures > 0 or last_status == "failed"
        if not feed.enabled and not rows:
            state, label, detail = "off", "off", "not in SPOTARB_FEEDS"
        elif not feed.configured and not rows:
            state, label, detail = "unconfigured", "not configured", feed.reason
        elif not rows:
            state, label, detail = "no-data", "no data", feed.last_error or "no prices yet"
        elif failing:
            state, label = "failing", "failing"
            detail = feed.last_error or "the last run failed"
        elif feed.stale:
            state, label = "stale", "stale"
            detail = f"all {rows} prices are older than their max age"
        elif last_status == "partial" or feed.region_errors:
            state, label = "degraded", "partial"
            detail = f"{len(feed.region_errors)} region error(s)"
        else:
            state, label, detail = "fresh", "fresh", ""
        if state in ("failing", "degraded", "fresh") and feed.fresh_rows < rows:
            detail = (detail + "; " if detail else "") + f"{rows - feed.fresh_rows} stale"
        out.append(
            FeedHealth(
                name=feed.name,
                state=state,
                label=label,
                detail=detail,
                rows=rows,
                fresh_rows=feed.fresh_rows,
                age_seconds=age,
                max_age_seconds=feed.max_age_seconds,
                last_status=last_status,
                last_success_at=feed.last_success_at,
                next_run_seconds=feed.next_run_in_seconds,
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


def shape_label(shape: Shape) -> str:
    if shape.gpu_type:
        return f"{shape.gpu_count} × {shape.gpu_type}"
    return f"{shape.min_cpu:g} vCPU · {shape.min_memory_gb:g} GiB"


def _offer(decision: PlacementDecision | None) -> Offer | None:
    if decision is None:
        return None
    return Offer(
        provider=decision.provider,
        region=decision.region,
        zone=decision.availability_zone,
        instance_type=decision.instance_type,
        price=decision.price_per_hour,
        vcpu=decision.vcpu,
        memory_gb=decision.memory_gb,
        gpu_count=decision.gpu_count,
        gpu_type=decision.gpu_type,
    )


@dataclass(frozen=True, slots=True)
class BestOptions:
    rows: list[ShapeRow]
    hidden: int
    computed_at: datetime
    stale_excluded: int
    allow_stale: bool = False


def best_option_rows(service: Service, *, allow_stale: bool = False) -> BestOptions:
    """The best options, one row per shape that some cloud can serve."""
    options = service.best_options(allow_stale=allow_stale)
    rows: list[ShapeRow] = []
    hidden = 0
    for entry in options.options:
        per = {p: _offer(entry.per_provider.get(p)) for p in PROVIDERS}
        if entry.best is None and not any(per.values()):
            hidden += 1
            continue
        shape = entry.shape
        row = ShapeRow(
            name=shape.name,
            label=shape_label(shape),
            kind="gpu" if shape.gpu_type else "cpu",
            best=_offer(entry.best),
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
        computed_at=options.computed_at,
        stale_excluded=options.stale_rows_excluded,
        allow_stale=allow_stale,
    )
