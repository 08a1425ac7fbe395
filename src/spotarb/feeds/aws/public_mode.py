"""Credential-free mode: the public spot pricing feed (region-level Linux prices).

Specs come from the Spot Advisor's ``instance_types`` plus the built-in GPU
table, so here the advisor is required (no specs without it).
"""

from __future__ import annotations

from datetime import datetime

from spotarb.core.config import Settings
from spotarb.core.http import OutboundClients
from spotarb.core.models import utcnow
from spotarb.feeds.aws.advisor import AdvisorCache, load_advisor
from spotarb.feeds.aws.public_feed import fetch_public_feed, parse_public_feed
from spotarb.feeds.aws.rows import SOURCE_PUBLIC, build_row, report_no_specs
from spotarb.feeds.base import FeedResult, ProgressCallback, ProgressEvent, RegionError


def collect_public(
    settings: Settings,
    clients: OutboundClients,
    advisor_cache: AdvisorCache,
    since: datetime | None,
    progress: ProgressCallback,
) -> FeedResult:
    result = FeedResult(feed="aws")
    if since is not None:
        progress(
            ProgressEvent(
                "aws",
                "history",
                "info",
                message="credential-free mode has no price history; --since ignored",
            )
        )
    advisor = load_advisor(
        advisor_cache, settings.aws_advisor_url, clients, max_age=settings.aws_advisor_interval
    )
    collected_at = utcnow()
    progress(ProgressEvent("aws", "public-spot-feed", "start"))
    with clients.http("aws") as client:
        payload, last_modified = fetch_public_feed(client, settings.aws_spot_feed_url)
    # The feed has no per-price timestamps; its Last-Modified is the best "took effect".
    observed_at = last_modified or collected_at
    parsed = parse_public_feed(payload)
    wanted = set(settings.aws_regions)
    no_specs: set[str] = set()
    seen_regions: dict[str, int] = {}
    for item in parsed.prices:
        if wanted and item.region not in wanted:
            continue
        seen_regions.setdefault(item.region, 0)
        spec = advisor.spec(item.instance_type)
        if spec is None:
            no_specs.add(item.instance_type)
            continue
        result.prices.append(
            build_row(
                item.region,
                "",
                spec,
                float(item.price),
                advisor,
                source=SOURCE_PUBLIC,
                observed_at=observed_at,
                collected_at=collected_at,
            )
        )
        seen_regions[item.region] += 1
    result.regions_ok = sorted(seen_regions)
    for region in sorted(wanted - set(seen_regions)):
        result.errors.append(RegionError(region, "region not in the public spot feed"))
    if parsed.malformed:
        result.errors.append(
            RegionError("public-spot-feed", f"{parsed.malformed} malformed price(s) skipped")
        )
    result.counts = {
        "regions": len(seen_regions),
        "rows": len(result.prices),
        "not_available": parsed.not_available,
        "malformed_items": parsed.malformed,
        "types_without_specs": len(no_specs),
    }
    report_no_specs(no_specs, progress)
    progress(ProgressEvent("aws", "public-spot-feed", "done", len(result.prices)))
    return result
