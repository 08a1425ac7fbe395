"""Domain objects → the API's camelCase JSON (the only place that encodes them)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import orjson

from spotarb.core.models import SpotPrice
from spotarb.placement import PlacementDecision
from spotarb.placement.fleet_model import CAMEL_FLEET
from spotarb.placement.requirements import CAMEL_REQUIREMENTS
from spotarb.serving.feed_health import FeedReport
from spotarb.serving.fleets import NoCurrentFleet, PlannedFleet
from spotarb.serving.insights import ArbitrageTable, BestOptions, CapacityClass, Shape, ShapeOption
from spotarb.serving.placing import NoCurrentMatch, Placement

#: Engine filter names (snake_case) → the request field that sets them.
SNAKE_TO_CAMEL = {
    snake: camel for camel, snake in CAMEL_REQUIREMENTS.items() if camel != "minCpu"
} | {"gpu": "gpuType"}


def dumps(value: Any) -> bytes:
    """Strict JSON bytes: orjson writes non-finite floats as null (~10× json.dumps here)."""
    return orjson.dumps(value)


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def camel(name: str) -> str:
    return SNAKE_TO_CAMEL.get(name, name)


def _answered(out: dict[str, Any], answer: Placement | PlannedFleet) -> dict[str, Any]:
    """An answer's body plus the data it ran on."""
    out["dataVersion"] = answer.data_version
    out["computedAt"] = answer.computed_at.isoformat()
    out["allowStale"] = answer.allow_stale
    out["staleRowsExcluded"] = answer.stale_rows_excluded
    return out


def _detail(exc: NoCurrentMatch | NoCurrentFleet) -> str:
    """Why nothing was found, and the hint when stale prices could have helped."""
    detail = str(exc)
    if exc.stale_could_help:
        detail += (
            f" ({exc.stale_rows_excluded} older prices were excluded as stale; "
            "send allowStale=true to use them)"
        )
    return detail


def placement(answer: Placement) -> dict[str, Any]:
    return _answered(answer.decision.to_camel(), answer)


def no_match(exc: NoCurrentMatch) -> dict[str, Any]:
    return {
        "detail": _detail(exc),
        "blockingFilter": camel(exc.blocking_filter) if exc.blocking_filter else None,
        "removedBy": {camel(k): v for k, v in exc.removed_by.items()},
        "dataVersion": exc.data_version,
        "staleRowsExcluded": exc.stale_rows_excluded,
    }


#: The fleet's own snake_case fields → the request's camelCase names.
_FLEET_CAMEL = {snake: camel for camel, snake in CAMEL_FLEET.items()}


def fleet_camel(name: str) -> str:
    """A fleet field or engine filter (snake_case) → its request name."""
    return _FLEET_CAMEL.get(name) or camel(name)


def fleet(answer: PlannedFleet) -> dict[str, Any]:
    return _answered(answer.plan.to_camel(), answer)


def no_fleet(exc: NoCurrentFleet) -> dict[str, Any]:
    """The 404 body: the reason, the filter or cap that stops it, and the data it used."""
    body: dict[str, Any] = {"detail": _detail(exc)}
    infeasible, no_match = exc.infeasible, exc.no_match
    if infeasible is not None:
        body |= {
            "bindingConstraint": infeasible.binding,
            "largestFleet": infeasible.largest,
            "unit": infeasible.unit,
            "removedBy": {fleet_camel(k): v for k, v in infeasible.removed_by.items()},
        }
    elif no_match is not None:
        blocking = no_match.blocking_filter
        body |= {
            "blockingFilter": fleet_camel(blocking) if blocking else None,
            "removedBy": {fleet_camel(k): v for k, v in no_match.removed_by.items()},
        }
    body["dataVersion"] = exc.data_version
    body["staleRowsExcluded"] = exc.stale_rows_excluded
    return body


def shape(value: Shape) -> dict[str, Any]:
    return {
        "name": value.name,
        "minCPU": value.min_cpu,
        "minMemoryGB": value.min_memory_gb,
        "gpuType": value.gpu_type,
        "gpuCount": value.gpu_count,
        # exactGpuCount: only machines with exactly gpuCount GPUs are compared;
        # atLeast: the cheapest machine with at least minCPU and minMemoryGB.
        "match": value.match,
    }


def _option_decision(decision: PlacementDecision | None) -> dict[str, Any] | None:
    if decision is None:
        return None
    out = decision.to_camel()
    out.pop("alternatives", None)
    out.pop("summary", None)
    out.pop("notes", None)
    return out


def shape_option(option: ShapeOption) -> dict[str, Any]:
    out: dict[str, Any] = {
        "shape": shape(option.shape),
        "best": _option_decision(option.best),
        "perProvider": {p: _option_decision(d) for p, d in option.per_provider.items()},
    }
    if option.reason is not None:
        out["reason"] = option.reason
    return out


def best_options(value: BestOptions) -> dict[str, Any]:
    return {
        "dataVersion": value.data_version,
        "computedAt": value.computed_at.isoformat(),
        "staleRowsExcluded": value.stale_rows_excluded,
        "options": [shape_option(o) for o in value.options],
    }


def offer(row: SpotPrice) -> dict[str, Any]:
    return {
        "provider": row.provider,
        "region": row.region,
        "availabilityZone": row.availability_zone,
        "instanceType": row.instance_type,
        "pricePerHour": row.price_per_hour,
        "vcpu": row.vcpu,
        "memoryGB": row.memory_gb,
        "gpuCount": row.gpu_count,
        "gpuType": row.gpu_type,
        "pricePerVcpuHour": row.price_per_hour / row.vcpu,
        "pricePerGpuHour": row.price_per_hour / row.gpu_count if row.gpu_count else None,
        "collectedAt": row.collected_at.isoformat(),
    }


def capacity_class(value: CapacityClass) -> dict[str, Any]:
    return {
        "capacityClass": value.name,
        "kind": value.kind,
        "metric": value.metric,
        "cheapestProvider": value.cheapest_provider,
        "nextProvider": value.next_provider,
        "spreadPct": value.spread_pct,
        "perCloud": {p: offer(row) for p, row in value.per_cloud.items()},
    }


def arbitrage(value: ArbitrageTable) -> dict[str, Any]:
    return {
        "dataVersion": value.data_version,
        "computedAt": value.computed_at.isoformat(),
        "staleRowsExcluded": value.stale_rows_excluded,
        "classes": [capacity_class(c) for c in value.classes],
    }


def feed(report: FeedReport) -> dict[str, Any]:
    last = report.last_run
    return {
        "name": report.name,
        "enabled": report.enabled,
        "configured": report.configured,
        "reason": report.reason,
        "description": report.description,
        "scheduled": report.scheduled,
        "intervalSeconds": report.interval_seconds,
        "maxAgeSeconds": report.max_age_seconds,
        "running": report.running,
        "nextRunInSeconds": report.next_run_in_seconds,
        "consecutiveFailures": report.consecutive_failures,
        "lastStatus": report.last_status,
        "lastError": report.last_error,
        "lastRun": (
            {
                "id": last.id,
                "status": last.status,
                "startedAt": _iso(last.started_at),
                "finishedAt": _iso(last.finished_at),
                "rowsSeen": last.rows_seen,
                "rowsChanged": last.rows_changed,
                "error": last.error,
            }
            if last
            else None
        ),
        "lastSuccessAt": _iso(report.last_success_at),
        "regionErrors": report.region_errors,
        "rows": report.rows,
        "dataAgeSeconds": report.data_age_seconds,
    }
