"""Each feed's health: configured or why not, schedule, last run and success, rows, age.

``GET /v1/feeds`` encodes these records and the dashboard's overview cards are
drawn from them. ``fresh_rows`` counts the provider's current rows the staleness
policy still serves, so a card and the best-options table beside it agree.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from spotarb.feeds.base import FEED_REGISTRY
from spotarb.store.base import CollectionRun

if TYPE_CHECKING:
    from spotarb.serving.service import Service


@dataclass(frozen=True, slots=True)
class FeedReport:
    name: str
    enabled: bool
    configured: bool
    #: Why the feed is not configured (empty when it is).
    reason: str
    description: str
    scheduled: bool
    interval_seconds: float
    max_age_seconds: float
    running: bool
    next_run_in_seconds: float | None
    consecutive_failures: int
    last_status: str | None
    last_error: str
    last_run: CollectionRun | None
    last_success_at: datetime | None
    region_errors: list[str]
    #: Current rows of this provider (every OS) and how many are within their max age.
    rows: int
    fresh_rows: int
    data_age_seconds: float | None

    @property
    def stale(self) -> bool:
        """Has rows, and none of them is fresh (placements and best options skip them all)."""
        return self.rows > 0 and self.fresh_rows == 0


def feed_reports(service: Service) -> list[FeedReport]:
    """One report per registered feed, on the service's current state."""
    now = datetime.now(UTC)
    schedule = {s.name: s for s in service.scheduler.status()}
    state = service.state
    running = service.scheduler.running
    out: list[FeedReport] = []
    for name in FEED_REGISTRY:
        status = service.feed_status(name)
        sched = schedule.get(name)
        runs = service.store.runs(source=name, limit=20)
        last = runs[0] if runs else None
        last_ok = next((r for r in runs if r.status in ("ok", "partial")), None)
        counts = state.snapshots.by_provider.get(name)
        reason = status.reason if status else "status unknown"
        if sched is not None and sched.last_status == "skipped" and sched.last_reason:
            reason = sched.last_reason
        region_errors: list[str] = []
        if sched is not None and sched.runs:
            region_errors = sched.region_errors
        elif last is not None and last.status == "partial":
            region_errors = [e.strip() for e in last.error.split(";") if e.strip()]
        configured = bool(status and status.configured)
        out.append(
            FeedReport(
                name=name,
                enabled=name in service.settings.feeds,
                configured=configured,
                reason="" if configured else reason,
                description=status.description if status else "",
                scheduled=bool(sched) and running,
                interval_seconds=service.settings.interval_for(name),
                max_age_seconds=state.snapshots.policy.max_age_for_feed(name),
                running=bool(sched and sched.running),
                next_run_in_seconds=(
                    service.scheduler.seconds_until_due(sched) if sched and running else None
                ),
                consecutive_failures=sched.consecutive_failures if sched else 0,
                last_status=sched.last_status if sched and sched.runs else None,
                last_error=(sched.last_reason if sched and sched.runs else "")
                or (last.error if last is not None and last.status == "failed" else ""),
                last_run=last,
                last_success_at=last_ok.finished_at if last_ok else None,
                region_errors=region_errors,
                rows=counts.rows if counts else 0,
                fresh_rows=counts.fresh if counts else 0,
                data_age_seconds=(now - counts.newest).total_seconds() if counts else None,
            )
        )
    return out
