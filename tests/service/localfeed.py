"""A small test feed that fetches its rows over real HTTP from a local server.

Registered in place of a real feed through ``FEED_REGISTRY`` (monkeypatch in-process,
or :func:`install` in a subprocess). Each provider reads its usual settings URL:
AWS ``aws_spot_feed_url``, Azure ``azure_prices_url``, GCP ``gcp_billing_url``;
the server answers ``{"regions": {"<region>": [{"instanceType", "vcpu", "memoryGB",
"price", "gpuType"?, "gpuCount"?}]}}`` per region, or an error status.
"""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar

from spotarb.core.config import Settings
from spotarb.core.errors import FeedUnconfigured
from spotarb.core.http import OutboundClients, get_json
from spotarb.core.models import SpotPrice, utcnow
from spotarb.feeds import base
from spotarb.feeds.base import Feed, FeedResult, ProgressCallback, RegionError

URL_SETTING = {"aws": "aws_spot_feed_url", "azure": "azure_prices_url", "gcp": "gcp_billing_url"}


class LocalFeed(Feed):
    name: ClassVar[str] = ""

    def __init__(self, url: str, clients: OutboundClients) -> None:
        self.url = url
        self.clients = clients

    @classmethod
    def from_settings(cls, settings: Settings, clients: OutboundClients) -> Feed:
        url: str = getattr(settings, URL_SETTING[cls.name])
        if "127.0.0.1" not in url and "localhost" not in url:
            raise FeedUnconfigured(f"{cls.name} test feed needs a local URL (got a public one)")
        return cls(url, clients)

    def describe(self) -> str:
        return f"local test feed at {self.url}"

    def collect(
        self, *, since: datetime | None = None, progress: ProgressCallback = lambda e: None
    ) -> FeedResult:
        result = FeedResult(feed=self.name)
        now = utcnow()
        with self.clients.http(self.name) as client:
            data = get_json(client, self.url, what=f"{self.name} prices")
        for region, items in data["regions"].items():
            if isinstance(items, str):
                result.errors.append(RegionError(region, items))
                continue
            for item in items:
                result.prices.append(
                    SpotPrice(
                        self.name,
                        region,
                        item["instanceType"],
                        float(item["vcpu"]),
                        float(item["memoryGB"]),
                        float(item["price"]),
                        availability_zone=item.get("zone", ""),
                        gpu_type=item.get("gpuType"),
                        gpu_count=int(item.get("gpuCount", 0)),
                        interruption_rate=item.get("interruptionRate"),
                        source=f"{self.name}-test",
                        observed_at=now,
                        collected_at=now,
                    )
                )
            result.regions_ok.append(region)
        return result


class LocalAws(LocalFeed):
    name: ClassVar[str] = "aws"


class LocalAzure(LocalFeed):
    name: ClassVar[str] = "azure"


class LocalGcp(LocalFeed):
    name: ClassVar[str] = "gcp"


TARGETS = {
    "aws": "tests.service.localfeed:LocalAws",
    "azure": "tests.service.localfeed:LocalAzure",
    "gcp": "tests.service.localfeed:LocalGcp",
}


def install() -> None:
    """Point every registry entry at the local test feeds (for a subprocess)."""
    base.FEED_REGISTRY.update(TARGETS)
