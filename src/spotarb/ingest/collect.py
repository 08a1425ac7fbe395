"""Run feeds once and hand their results to the aggregator (``spotarb collect``)."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

from spotarb.core.config import Settings
from spotarb.core.errors import FeedUnconfigured, SpotArbError
from spotarb.core.http import OutboundClients
from spotarb.feeds.base import FEED_REGISTRY, ProgressCallback, ProgressEvent, load_feed
from spotarb.ingest.aggregator import Aggregator, BatchReport

logger = logging.getLogger(__name__)


@dataclass(slots=True)
class FeedOutcome:
    """How one feed's run ended: ``ok``, ``partial``, ``failed`` or ``skipped``."""

    feed: str
    status: str
    report: BatchReport | None = None
    reason: str = ""
    region_errors: list[str] = field(default_factory=list)


def _log_progress(event: ProgressEvent) -> None:
    logger.info("%s %s %s %s", event.feed, event.region, event.status, event.message)


def run_feed(
    name: str,
    settings: Settings,
    clients: OutboundClients,
    aggregator: Aggregator,
    *,
    since: datetime | None = None,
    progress: ProgressCallback = _log_progress,
) -> FeedOutcome:
    """Collect one feed and write what it returned; failures never touch stored prices."""
    try:
        feed = load_feed(name, settings, clients)
    except FeedUnconfigured as exc:
        return FeedOutcome(name, "skipped", reason=str(exc))
    except ImportError as exc:
        return FeedOutcome(name, "skipped", reason=f"feed not available: {exc}")
    started = datetime.now(UTC)
    try:
        url = feed.reachability_url()
        if url:
            clients.check_reachable(name, url)
        result = feed.collect(since=since, progress=progress)
    except SpotArbError as exc:
        aggregator.record_failure(name, str(exc), started_at=started)
        return FeedOutcome(name, "failed", reason=str(exc))
    except Exception as exc:  # a bug in a feed must not stop the other feeds
        logger.exception("feed %s crashed", name)
        message = f"unexpected {type(exc).__name__}: {exc}"
        aggregator.record_failure(name, message, started_at=started)
        return FeedOutcome(name, "failed", reason=message)
    region_errors = [f"{e.region}: {e.message}" for e in result.errors]
    if not result.prices and not result.history and result.errors:
        aggregator.record_failure(name, "; ".join(region_errors), started_at=started)
        return FeedOutcome(
            name, "failed", reason="every region failed", region_errors=region_errors
        )
    report = aggregator.apply(result, started_at=started)
    status = "partial" if result.errors else "ok"
    return FeedOutcome(name, status, report=report, region_errors=region_errors)


def run_feeds(
    names: Sequence[str] | None,
    settings: Settings,
    clients: OutboundClients,
    aggregator: Aggregator,
    *,
    since: datetime | None = None,
    progress: ProgressCallback = _log_progress,
) -> list[FeedOutcome]:
    """Run the named feeds (default: the enabled ones) one after another."""
    chosen = list(names) if names else [n for n in FEED_REGISTRY if n in settings.feeds]
    return [
        run_feed(name, settings, clients, aggregator, since=since, progress=progress)
        for name in chosen
    ]
