"""``GET /v1/feeds`` (schedule and health of each feed) and the admin trigger."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Path
from fastapi.responses import JSONResponse

from spotarb.api.deps import ServiceDep, require_admin
from spotarb.api.schemas import JSONBytes
from spotarb.feeds.base import FEED_REGISTRY
from spotarb.serving.insights import dumps
from spotarb.serving.service import Service

router = APIRouter(prefix="/v1/feeds", tags=["feeds"])


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def feeds_report(service: Service) -> list[dict[str, Any]]:
    now = datetime.now(UTC)
    schedule = {s.name: s for s in service.scheduler.status()}
    state = service.state
    out: list[dict[str, Any]] = []
    for name in FEED_REGISTRY:
        status = service.feed_status(name)
        sched = schedule.get(name)
        runs = service.store.runs(source=name, limit=20)
        last = runs[0] if runs else None
        last_ok = next((r for r in runs if r.status in ("ok", "partial")), None)
        newest = state.newest_by_provider.get(name)
        enabled = name in service.settings.feeds
        reason = status.reason if status else "status unknown"
        if sched is not None and sched.last_status == "skipped" and sched.last_reason:
            reason = sched.last_reason
        region_errors: list[str] = []
        if sched is not None and sched.runs:
            region_errors = sched.region_errors
        elif last is not None and last.status == "partial":
            region_errors = [e.strip() for e in last.error.split(";") if e.strip()]
        out.append(
            {
                "name": name,
                "enabled": enabled,
                "configured": bool(status and status.configured),
                "reason": "" if status and status.configured else reason,
                "description": status.description if status else "",
                "scheduled": bool(sched) and service.scheduler.running,
                "intervalSeconds": service.settings.interval_for(name),
                "maxAgeSeconds": service.settings.max_age_for(name),
                "running": bool(sched and sched.running),
                "nextRunInSeconds": (
                    service.scheduler.seconds_until_due(sched)
                    if sched and service.scheduler.running
                    else None
                ),
                "consecutiveFailures": sched.consecutive_failures if sched else 0,
                "lastStatus": sched.last_status if sched and sched.runs else None,
                "lastError": (sched.last_reason if sched and sched.runs else "")
                or (last.error if last is not None and last.status == "failed" else ""),
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
                "lastSuccessAt": _iso(last_ok.finished_at) if last_ok else None,
                "regionErrors": region_errors,
                "rows": state.rows_by_provider.get(name, 0),
                "dataAgeSeconds": (now - newest).total_seconds() if newest else None,
            }
        )
    return out


@router.get("", response_class=JSONBytes)
def list_feeds(service: ServiceDep) -> Any:
    """Every feed: configured or why not, schedule, last run and success, rows, data age."""
    return JSONBytes(dumps({"feeds": feeds_report(service)}))


@router.post(
    "/{name}/collect",
    dependencies=[Depends(require_admin)],
    status_code=202,
    responses={
        401: {"description": "Missing or wrong admin token."},
        403: {"description": "Admin endpoints are disabled (no SPOTARB_ADMIN_TOKEN)."},
        404: {"description": "No such feed, or the feed is not enabled."},
        409: {"description": "The feed is already running."},
        413: {"description": "The body is larger than `max_body_bytes`."},
    },
)
def trigger_collect(service: ServiceDep, name: Annotated[str, Path(max_length=32)]) -> JSONResponse:
    """Start a run of one feed now (admin: ``Authorization: Bearer $SPOTARB_ADMIN_TOKEN``)."""
    if name not in service.feed_names:
        raise HTTPException(404, f"no enabled feed named {name!r}")
    if not service.scheduler.trigger(name):
        raise HTTPException(409, f"feed {name} is already running")
    return JSONResponse({"feed": name, "status": "started"}, status_code=202)
